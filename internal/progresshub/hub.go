// Package progresshub carries a plugin's progress reports to the host's
// Progress streams: rate-limited where the plugin reports, fanned out to
// every stream, dropped for a stream that falls behind. pkg/sdk's server
// owns a Hub; it is a package of its own so that the host side's tests can
// watch a server's streams subscribe.
package progresshub

import (
	"sync"
	"time"
)

// Report is the state of one transfer of one artifact's verification.
type Report struct {
	Kind, Name string // the artifact
	Label      string // what moves, e.g. a file name
	Done       int64  // bytes so far (0 again when a transfer restarts)
	Total      int64  // expected bytes, -1 when unknown
}

// Interval is the least time between two reports of one transfer, so a
// fast download costs the plugin and the host a few messages a second.
const Interval = 100 * time.Millisecond

// Buffer is how many reports wait for a slow stream before newer ones are
// dropped: progress is advisory, a verification never waits for it.
const Buffer = 64

// Hub fans a plugin's reports out to the host's Progress streams. The zero
// value has no subscriber.
type Hub struct {
	mu   sync.Mutex
	subs map[chan Report]struct{}
}

// Subscribe returns a stream's channel of reports and the function that
// ends the subscription.
func (h *Hub) Subscribe() (<-chan Report, func()) {
	ch := make(chan Report, Buffer)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[chan Report]struct{}{}
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

// Subscribers is how many streams are subscribed.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Publish sends r to every subscriber that has room for it.
func (h *Hub) Publish(r Report) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- r:
		default: // the host is behind: drop, never block a verification
		}
	}
}

// Reporter returns the function that reports one transfer of the artifact
// kind and name: safe for concurrent use, it publishes at most one report
// per Interval, and always the one that completes the transfer.
func (h *Hub) Reporter(kind, name, label string) func(done, total int64) {
	var (
		mu   sync.Mutex
		last time.Time
	)
	return func(done, total int64) {
		complete := total >= 0 && done >= total
		mu.Lock()
		now := time.Now()
		if !complete && now.Sub(last) < Interval {
			mu.Unlock()
			return
		}
		last = now
		mu.Unlock()
		h.Publish(Report{Kind: kind, Name: name, Label: label, Done: done, Total: total})
	}
}
