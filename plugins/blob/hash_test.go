package blob

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

func TestHashFile(t *testing.T) {
	dir := t.TempDir()
	// Several MiB, not a multiple of the 1 MiB read size, so that partial and
	// multiple chunks are both exercised.
	big := make([]byte, 5<<20+12345)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	bigPath := btWrite(t, filepath.Join(dir, "big.bin"), big)
	emptyPath := btWrite(t, filepath.Join(dir, "empty.bin"), nil)
	exactPath := btWrite(t, filepath.Join(dir, "exact.bin"), big[:1<<20])

	s256 := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	s384 := func(b []byte) string { s := sha512.Sum384(b); return hex.EncodeToString(s[:]) }
	s512 := func(b []byte) string { s := sha512.Sum512(b); return hex.EncodeToString(s[:]) }

	tests := []struct {
		name    string
		path    string
		alg     string
		want    string
		wantErr string
	}{
		{name: "sha256 of several MiB", path: bigPath, alg: "sha256", want: s256(big)},
		{name: "sha384 of several MiB", path: bigPath, alg: "sha384", want: s384(big)},
		{name: "sha512 of several MiB", path: bigPath, alg: "sha512", want: s512(big)},
		{name: "exactly one chunk", path: exactPath, alg: "sha256", want: s256(big[:1<<20])},
		{name: "empty file", path: emptyPath, alg: "sha256", want: s256(nil)},
		{name: "unknown algorithm", path: bigPath, alg: "md5", wantErr: `unsupported digest algorithm "md5"`},
		{name: "missing file", path: filepath.Join(dir, "nope"), alg: "sha256", wantErr: "no such file"},
		{name: "directory", path: dir, alg: "sha256", wantErr: "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hashFile(context.Background(), tt.path, tt.alg)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("hashFile = %v, want error %q", got, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tt.wantErr)
				}
				if got.Hex != "" {
					t.Errorf("a digest %v came with the error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Algorithm != tt.alg || got.Hex != tt.want {
				t.Errorf("hashFile = %s:%s, want %s:%s", got.Algorithm, got.Hex, tt.alg, tt.want)
			}
		})
	}
}

func TestHashFileCancelled(t *testing.T) {
	dir := t.TempDir()
	path := btWrite(t, filepath.Join(dir, "f.bin"), make([]byte, 3<<20))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := hashFile(ctx, path, "sha256")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("hashFile with a cancelled context = %v, %v; want context.Canceled", got, err)
	}
	if got.Hex != "" {
		t.Errorf("a digest %v came with the cancellation", got)
	}
}
