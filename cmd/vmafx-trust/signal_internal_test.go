package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// TestNotifyContext: a signal cancels the context; stop cancels it too and
// returns once the registration is undone.
func TestNotifyContext(t *testing.T) {
	// SIGUSR1 would end the test binary if it came before notifyContext's
	// background registration: catch it here as well.
	guard := make(chan os.Signal, 16)
	signal.Notify(guard, syscall.SIGUSR1)
	defer signal.Stop(guard)

	ctx, stop := notifyContext(context.Background(), syscall.SIGUSR1)
	deadline := time.After(5 * time.Second)
	for ctx.Err() == nil {
		if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatal("a signal never cancelled the context")
		}
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("stop did not return")
	}
	stop() // a second stop is harmless

	ctx, stop = notifyContext(context.Background(), syscall.SIGUSR1)
	stop()
	if ctx.Err() == nil {
		t.Error("stop left the context alive")
	}
}
