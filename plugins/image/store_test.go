package image

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// TestOnceCache: one fetch per key for concurrent and later callers; not
// found is kept, other failures are not; a caller that waited on a fetch
// whose own caller's context ended fetches again under its own, and a
// caller whose context ends while waiting returns at once.
func TestOnceCache(t *testing.T) {
	t.Run("one fetch for concurrent and later callers", func(t *testing.T) {
		var c onceCache
		var runs atomic.Int32
		release := make(chan struct{})
		fetch := func() (any, error) {
			runs.Add(1)
			<-release
			return "manifest", nil
		}
		results := make(chan any, 4)
		for range 4 {
			go func() {
				v, err := c.do(context.Background(), "k", fetch)
				if err != nil {
					t.Error(err)
				}
				results <- v
			}()
		}
		time.Sleep(20 * time.Millisecond) // let them all join the one fetch
		close(release)
		for range 4 {
			if v := <-results; v != "manifest" {
				t.Errorf("got %v", v)
			}
		}
		if _, err := c.do(context.Background(), "k", fetch); err != nil {
			t.Fatal(err)
		}
		if n := runs.Load(); n != 1 {
			t.Errorf("%d fetches, want 1", n)
		}
	})

	t.Run("not found is kept, other failures are not", func(t *testing.T) {
		var c onceCache
		var runs atomic.Int32
		notFound := func() (any, error) { runs.Add(1); return nil, fmt.Errorf("tag x: %w", errNotFound) }
		for range 2 {
			if _, err := c.do(context.Background(), "nf", notFound); !errors.Is(err, errNotFound) {
				t.Fatalf("error %v, want not found", err)
			}
		}
		broken := func() (any, error) { runs.Add(1); return nil, errors.New("502 bad gateway") }
		for range 2 {
			if _, err := c.do(context.Background(), "broken", broken); err == nil {
				t.Fatal("no error")
			}
		}
		if n := runs.Load(); n != 3 {
			t.Errorf("%d fetches, want 3 (not found once, the failure twice)", n)
		}
	})

	t.Run("a waiter outlives the caller that fetched", func(t *testing.T) {
		var c onceCache
		ownerCtx, cancelOwner := context.WithCancel(context.Background())
		started := make(chan struct{})
		ownerDone := make(chan error, 1)
		go func() {
			_, err := c.do(ownerCtx, "k", func() (any, error) {
				close(started)
				<-ownerCtx.Done()
				return nil, fmt.Errorf("GET manifest: %w", ownerCtx.Err())
			})
			ownerDone <- err
		}()
		<-started
		waiter := fetchAgain(t, &c)
		time.Sleep(20 * time.Millisecond) // the waiter joins the owner's fetch
		cancelOwner()
		if err := <-ownerDone; !errors.Is(err, context.Canceled) {
			t.Errorf("owner: %v, want its own cancellation", err)
		}
		select {
		case v := <-waiter:
			if v != "fetched again" {
				t.Errorf("waiter got %v", v)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("waiter hangs")
		}
	})

	t.Run("a waiter whose context ends stops waiting", func(t *testing.T) {
		var c onceCache
		release := make(chan struct{})
		defer close(release)
		started := make(chan struct{})
		go func() {
			_, _ = c.do(context.Background(), "k", func() (any, error) {
				close(started)
				<-release
				return "late", nil
			})
		}()
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := c.do(ctx, "k", func() (any, error) { return "never", nil })
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v, want the waiter's deadline", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("waiter ignores its context")
		}
	})
}

// TestOnceCachePanic: a fetch that panics (and is recovered by its caller,
// as the plugin's goroutines do) leaves no entry behind: a later caller
// fetches, and one that was waiting fetches again.
func TestOnceCachePanic(t *testing.T) {
	var c onceCache
	started, release := make(chan struct{}), make(chan struct{})
	owner := make(chan error, 1)
	go func() {
		owner <- sdk.Safely(func() error {
			_, err := c.do(context.Background(), "k", func() (any, error) {
				close(started)
				<-release
				panic("boom")
			})
			return err
		})
	}()
	<-started
	waiter := fetchAgain(t, &c)
	time.Sleep(20 * time.Millisecond) // the waiter joins the owner's fetch
	close(release)
	if err := <-owner; err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("owner: %v, want its panic as an error", err)
	}
	select {
	case v := <-waiter:
		if v != "fetched again" {
			t.Errorf("waiter got %v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter hangs behind a panicked fetch")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if v, err := c.do(ctx, "k", func() (any, error) { return "later", nil }); err != nil || v != "fetched again" {
		t.Errorf("later caller: %v %v, want the waiter's cached result", v, err)
	}
}

// fetchAgain asks c for key "k" in the background, with a fetch that
// answers "fetched again"; the channel gets what the caller got.
func fetchAgain(t *testing.T, c *onceCache) <-chan any {
	waiter := make(chan any, 1)
	go func() {
		v, err := c.do(context.Background(), "k", func() (any, error) { return "fetched again", nil })
		if err != nil {
			t.Error(err)
		}
		waiter <- v
	}()
	return waiter
}
