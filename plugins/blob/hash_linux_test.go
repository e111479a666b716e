//go:build linux

package blob

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// hashFile checks the context between chunks, not only before the first:
// a FIFO feeds it one chunk, the context is cancelled, and only then does
// more data arrive and the writer close. A hashFile that ignored the context
// would read to EOF and return a digest.
func TestHashFileCancelledMidStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err) // e.g. a file system without FIFOs; the pre-cancelled case still runs
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	writerDone := make(chan error, 1)
	go func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			writerDone <- err
			return
		}
		defer w.Close()
		// Returns once the reader has taken all but a pipe buffer of it.
		if _, err := w.Write(make([]byte, 1<<20)); err != nil {
			writerDone <- err
			return
		}
		cancel()
		_, err = w.Write(make([]byte, 1<<20))
		if errors.Is(err, syscall.EPIPE) {
			err = nil // the reader stopped, as it should
		}
		writerDone <- err
	}()

	type result struct {
		hex string
		err error
	}
	done := make(chan result, 1)
	go func() {
		d, err := hashFile(ctx, path, "sha256")
		done <- result{d.Hex, err}
	}()
	select {
	case r := <-done:
		if !errors.Is(r.err, context.Canceled) || r.hex != "" {
			t.Fatalf("hashFile = %q, %v; want no digest and context.Canceled", r.hex, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("hashFile did not return")
	}
	select {
	case err := <-writerDone:
		if err != nil {
			t.Fatalf("writer: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("writer did not finish")
	}
}
