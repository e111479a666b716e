package sdk

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
)

// ReadFile reads a small file a plugin must hold in memory (a bundle, a
// manifest, a checksums list), refusing more than limit bytes. Errors leave
// out the path: callers name the file in their own message.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}

// DigestFile streams a file through a hash (sha256, sha384 or sha512) in
// 1 MiB chunks, checking ctx between chunks: memory stays flat whatever the
// size, and the host's deadline or an interrupt stops it. Errors leave out
// the path.
func DigestFile(ctx context.Context, path, algorithm string) (Digest, error) {
	var h hash.Hash
	switch algorithm {
	case "sha256":
		h = sha256.New()
	case "sha384":
		h = sha512.New384()
	case "sha512":
		h = sha512.New()
	default:
		return Digest{}, fmt.Errorf("unsupported digest algorithm %q", algorithm)
	}
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return Digest{}, pe.Err
		}
		return Digest{}, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return Digest{}, errors.New("is a directory")
	}
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return Digest{}, err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return Digest{}, err
		}
	}
	return Digest{Algorithm: algorithm, Hex: hex.EncodeToString(h.Sum(nil))}, nil
}
