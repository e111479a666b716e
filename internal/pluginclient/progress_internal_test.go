package pluginclient

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/progresshub"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// TestProgressReachesHost runs a verification that reports a transfer over
// go-plugin's gRPC transport and checks what the host's Progress stream
// receives: the artifact, the label, at most ten reports a second, and
// always the one that completes the transfer.
func TestProgressReachesHost(t *testing.T) {
	const total = 1 << 20
	const steps = 5000
	start := make(chan struct{})
	v := &fakeVerifier{info: testInfo(), verify: func(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
		<-start
		report := req.Progress("libvmaf.so")
		for i := 1; i <= steps; i++ {
			report(int64(i)*total/steps, total)
		}
		return (&sdk.Result{Status: sdk.StatusPass}).Pass("ok", ""), nil
	}}
	hub := &progresshub.Hub{}
	c := connectWithHub(t, v, hub)

	var (
		mu  sync.Mutex
		got []Progress
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	streamDone := make(chan error, 1)
	go func() {
		streamDone <- c.Progress(ctx, func(p Progress) {
			mu.Lock()
			got = append(got, p)
			mu.Unlock()
		})
	}()
	// Reports count from when the host's stream has subscribed.
	waitForSubscriber(t, hub)

	began := time.Now()
	close(start)
	if _, err := c.Verify(context.Background(), &sdk.Request{Kind: "blob", Name: "libvmaf"}); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(began)
	// Reports may arrive after Verify returns; wait for the last one.
	waitUntil(func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0 && got[len(got)-1].Done == total
	})
	cancel()
	if err := <-streamDone; err != nil {
		t.Fatalf("Progress: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 {
		t.Fatal("the host received no progress")
	}
	// One report at the start, then at most one per interval, plus the last.
	if maxReports := 2 + int(elapsed/progresshub.Interval); len(got) > maxReports {
		t.Fatalf("%d reports in %v, want at most %d", len(got), elapsed, maxReports)
	}
	for _, p := range got {
		if p.Kind != "blob" || p.Name != "libvmaf" || p.Label != "libvmaf.so" || p.Total != total {
			t.Fatalf("report %+v: wrong artifact, label or total", p)
		}
	}
	if last := got[len(got)-1]; last.Done != total {
		t.Fatalf("last report %+v, want the completed transfer", last)
	}
}

// waitForSubscriber waits until the in-process server has a Progress
// subscriber, so reports are not published before the host listens.
func waitForSubscriber(t *testing.T, hub *progresshub.Hub) {
	t.Helper()
	if !waitUntil(func() bool { return hub.Subscribers() > 0 }) {
		t.Fatal("the Progress stream never subscribed")
	}
}

// waitUntil polls cond for up to five seconds and reports whether it held.
func waitUntil(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}
