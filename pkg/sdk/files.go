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
	"sync"
)

// ReadFile reads a small file a plugin must hold in memory (a bundle, a
// manifest, a checksums list), refusing more than limit bytes: a regular
// file larger than that without reading it, anything else (a pipe, a
// device) once limit+1 bytes have arrived. Errors leave out the path:
// callers name the file in their own message.
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
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, errors.New("is a directory, not a file")
	}
	if fi.Mode().IsRegular() && fi.Size() > limit {
		return nil, fmt.Errorf("file is %d bytes, more than the %d allowed", fi.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("file is more than the %d bytes allowed", limit)
	}
	return data, nil
}

// digestChunk is the read size of DigestFile: large enough that a read
// costs little next to hashing it, small enough to stay in cache.
const digestChunk = 256 << 10

// digestBuffers recycles DigestFile's chunk buffers: a plugin hashing many
// files concurrently reuses a few buffers instead of allocating (and having
// the kernel fault in, and the collector sweep) one per file.
var digestBuffers = sync.Pool{New: func() any { return new([digestChunk]byte) }}

// DigestFile streams a file through a hash (sha256, sha384 or sha512) in
// 256 KiB chunks, checking ctx between chunks: memory stays flat whatever
// the size, and the host's deadline or an interrupt stops it. Errors leave
// out the path.
func DigestFile(ctx context.Context, path, algorithm string) (Digest, error) {
	h, err := NewHash(algorithm)
	if err != nil {
		return Digest{}, err
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
	chunk := digestBuffers.Get().(*[digestChunk]byte)
	defer digestBuffers.Put(chunk)
	buf := chunk[:]
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

// NewHash returns a fresh hash for a digest algorithm name: sha256, sha384 or
// sha512.
func NewHash(algorithm string) (hash.Hash, error) {
	switch algorithm {
	case "sha256":
		return sha256.New(), nil
	case "sha384":
		return sha512.New384(), nil
	case "sha512":
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("unsupported digest algorithm %q (want sha256, sha384 or sha512)", algorithm)
}
