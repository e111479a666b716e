package host

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestOpenPinned: the executable must hash to the pin; the path to start
// it from is the open file itself (on Linux), so replacing the file after
// the check does not change what runs.
func TestOpenPinned(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vmafx-trust-plugin-x")
	original := []byte("#!/bin/sh\necho original\n")
	if err := os.WriteFile(path, original, 0o755); err != nil {
		t.Fatal(err)
	}

	t.Run("mismatch", func(t *testing.T) {
		want := strings.Repeat("0", 64)
		_, _, err := openPinned(path, want)
		if err == nil || !strings.Contains(err.Error(), "has sha256 "+sha256Hex(original)) || !strings.Contains(err.Error(), "pins sha256 "+want) {
			t.Fatalf("error %v, want both digests", err)
		}
	})
	t.Run("not a regular file", func(t *testing.T) {
		if _, _, err := openPinned(dir, sha256Hex(nil)); err == nil {
			t.Fatal("a directory was accepted")
		}
	})
	t.Run("missing", func(t *testing.T) {
		if _, _, err := openPinned(filepath.Join(dir, "nope"), sha256Hex(nil)); err == nil {
			t.Fatal("a missing file was accepted")
		}
	})
	t.Run("match, then the file is replaced", func(t *testing.T) {
		f, exe, err := openPinned(path, sha256Hex(original))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if runtime.GOOS != "linux" {
			if exe != path {
				t.Fatalf("exe %q, want the path", exe)
			}
			return
		}
		if !strings.HasPrefix(exe, "/proc/self/fd/") {
			t.Fatalf("exe %q, want the open file", exe)
		}
		swap := filepath.Join(dir, "swap")
		if err := os.WriteFile(swap, []byte("#!/bin/sh\necho replaced\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(swap, path); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(original) {
			t.Fatalf("what would run: %q, want the hashed executable", got)
		}
	})
}
