package sdk

import (
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/progresshub"
)

func TestProgressWithoutHost(t *testing.T) {
	// Outside a plugin (or with no hub), reporting is a no-op.
	report := (&Request{Kind: "blob", Name: "x"}).Progress("x")
	report(1, 2)
	report(2, 2)

	// A hub with a subscriber that never reads drops reports instead of
	// blocking the verification.
	hub := &progresshub.Hub{}
	ch, unsubscribe := hub.Subscribe()
	defer unsubscribe()
	r := &Request{Kind: "blob", Name: "x", progress: hub}
	report = r.Progress("x")
	done := make(chan struct{})
	go func() {
		for i := int64(0); i <= 10*progresshub.Buffer; i++ {
			report(10*progresshub.Buffer, 10*progresshub.Buffer) // complete: never rate-limited
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a slow host blocked the verification")
	}
	if len(ch) != progresshub.Buffer {
		t.Fatalf("%d reports buffered, want %d", len(ch), progresshub.Buffer)
	}
}
