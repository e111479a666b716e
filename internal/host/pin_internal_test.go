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

// TestPin: a pinned executable must hash to the pin, and what starts is
// the bytes that were hashed (on Linux, a sealed in-memory copy): changing
// the file afterwards, by rename or in place, does not change it.
func TestPin(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vmafx-trust-plugin-x")
	original := []byte("\x7fELF not really, but not a script either\n")
	write := func(t *testing.T, p string, data []byte) {
		t.Helper()
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, path, original)
	src := External(path)

	t.Run("mismatch", func(t *testing.T) {
		want := strings.Repeat("0", 64)
		_, err := Pin(src, want)
		if err == nil || !strings.Contains(err.Error(), "has sha256 "+sha256Hex(original)) || !strings.Contains(err.Error(), "pins sha256 "+want) {
			t.Fatalf("error %v, want both digests", err)
		}
	})
	t.Run("not a regular file", func(t *testing.T) {
		// /dev/null reads as empty: its digest matches the pin, but it is
		// not an executable file.
		if _, err := Pin(External(os.DevNull), sha256Hex(nil)); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("error %v, want not a regular file", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if _, err := Pin(External(filepath.Join(dir, "nope")), sha256Hex(nil)); err == nil {
			t.Fatal("a missing file was accepted")
		}
	})
	if runtime.GOOS != "linux" {
		return
	}
	t.Run("script", func(t *testing.T) {
		script := filepath.Join(dir, "vmafx-trust-plugin-script")
		body := []byte("#!/bin/sh\nexit 0\n")
		write(t, script, body)
		if _, err := Pin(External(script), sha256Hex(body)); err == nil || !strings.Contains(err.Error(), "script") {
			t.Fatalf("error %v, want scripts refused", err)
		}
	})
	for _, change := range []string{"rename", "in place"} {
		t.Run("match, then the file changes by "+change, func(t *testing.T) {
			write(t, path, original)
			pinned, err := Pin(src, sha256Hex(original))
			if err != nil {
				t.Fatal(err)
			}
			defer pinned.pinned.close()
			if pinned.Pinned != sha256Hex(original) || !strings.HasPrefix(pinned.pinned.exe, "/proc/self/fd/") {
				t.Fatalf("pinned source %+v, want the in-memory copy", pinned)
			}
			evil := []byte("\x7fELF replaced\n")
			if change == "rename" {
				swap := filepath.Join(dir, "swap")
				write(t, swap, evil)
				if err := os.Rename(swap, path); err != nil {
					t.Fatal(err)
				}
			} else {
				write(t, path, evil)
			}
			got, err := os.ReadFile(pinned.pinned.exe)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(original) {
				t.Fatalf("what would start: %q, want the hashed executable", got)
			}
			if f, err := os.OpenFile(pinned.pinned.exe, os.O_WRONLY, 0); err == nil {
				_, werr := f.Write(evil)
				f.Close()
				if werr == nil {
					t.Fatal("the in-memory copy can be written to")
				}
			}
		})
	}
}
