// Package progress draws the transfers verifier plugins report (large
// downloads) as one self-erasing line on a terminal.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vmafx/vmafx-trust/internal/pluginclient"
	"github.com/vmafx/vmafx-trust/internal/termtext"
)

// DefaultMinSize is the smallest transfer shown: smaller ones finish before
// a bar would help.
const DefaultMinSize = 4 << 20

// redrawInterval is the least time between two redraws.
const redrawInterval = 100 * time.Millisecond

// lineWidth bounds the line so it never wraps on an 80-column terminal.
const lineWidth = 79

// maxTransfers bounds what the bar tracks: a plugin reporting ever new
// labels cannot grow the host's memory. Further transfers are not shown.
const maxTransfers = 256

// maxLabel bounds a label (in bytes, before cleaning): the line shows far
// less, and a plugin may send anything.
const maxLabel = 256

// Bar is a host.ProgressSink that draws on w, which should be a terminal.
// Call Close when the run is over: it erases the line.
type Bar struct {
	w       io.Writer
	minSize int64
	now     func() time.Time

	mu        sync.Mutex
	transfers map[key]*pluginclient.Progress
	order     []key // first reported first
	drawn     bool  // a line is on the terminal
	lastDraw  time.Time
}

type key struct{ kind, name, label string }

// New returns a bar drawing on w the transfers of at least minSize bytes
// (<= 0: DefaultMinSize).
func New(w io.Writer, minSize int64) *Bar {
	if minSize <= 0 {
		minSize = DefaultMinSize
	}
	return &Bar{w: w, minSize: minSize, now: time.Now, transfers: map[key]*pluginclient.Progress{}}
}

// Update records a report and redraws, at most ten times a second.
func (b *Bar) Update(p pluginclient.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Reports come from plugins: figures that make no sense are dropped,
	// and labels (a URL's file name, say) are cut short and reach the
	// terminal only without control characters.
	if p.Done < 0 || p.Total < -1 {
		return
	}
	if p.Total >= 0 {
		p.Done = min(p.Done, p.Total)
	}
	p.Label = termtext.Clean(truncate(p.Label, maxLabel))
	k := key{truncate(p.Kind, maxLabel), truncate(p.Name, maxLabel), p.Label}
	if p.Total >= 0 && p.Done >= p.Total {
		b.remove(k)
		b.redraw(true)
		return
	}
	if _, ok := b.transfers[k]; !ok {
		if len(b.order) >= maxTransfers {
			return
		}
		b.order = append(b.order, k)
	}
	b.transfers[k] = &p
	b.redraw(false)
}

// Finish forgets an artifact's transfers: its verification is over.
func (b *Bar) Finish(kind, name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range append([]key(nil), b.order...) {
		if k.kind == kind && k.name == name {
			b.remove(k)
		}
	}
	b.redraw(true)
}

// Close erases the line.
func (b *Bar) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.transfers, b.order = map[key]*pluginclient.Progress{}, nil
	b.redraw(true)
}

func (b *Bar) remove(k key) {
	delete(b.transfers, k)
	for i, o := range b.order {
		if o == k {
			b.order = append(b.order[:i], b.order[i+1:]...)
			break
		}
	}
}

// redraw draws the line of the large transfers, or erases it when there is
// none. Without force it skips a draw that follows the last too closely.
func (b *Bar) redraw(force bool) {
	now := b.now()
	if !force && b.drawn && now.Sub(b.lastDraw) < redrawInterval {
		return
	}
	line := b.line()
	switch {
	case line != "":
		fmt.Fprint(b.w, "\r\x1b[K"+line)
		b.drawn, b.lastDraw = true, now
	case b.drawn:
		fmt.Fprint(b.w, "\r\x1b[K")
		b.drawn = false
	}
}

// line is "downloading libvmaf.so  24% [#####               ] 123.4 MiB / 512.0 MiB"
// for one large transfer; for several, their sums and names.
func (b *Bar) line() string {
	var shown []*pluginclient.Progress
	for _, k := range b.order {
		p := b.transfers[k]
		if p.Total >= b.minSize || (p.Total < 0 && p.Done >= b.minSize) {
			shown = append(shown, p)
		}
	}
	if len(shown) == 0 {
		return ""
	}
	var done, total float64
	known := true
	names := make([]string, 0, len(shown))
	for _, p := range shown {
		done += float64(p.Done)
		if p.Total < 0 {
			known = false
		}
		total += float64(p.Total)
		names = append(names, p.Label)
	}
	what := names[0]
	if len(shown) > 1 {
		what = fmt.Sprintf("%d files", len(shown))
	}
	var s string
	if known && total > 0 {
		// In floating point: sums of plugin-sent figures may be near the
		// int64 limit.
		frac := min(max(done/total, 0), 1)
		pct := int(frac * 100)
		const barWidth = 20
		filled := int(frac * barWidth)
		s = fmt.Sprintf("downloading %s %3d%% [%s%s] %s / %s", what, pct,
			strings.Repeat("#", filled), strings.Repeat(" ", barWidth-filled), mib(done), mib(total))
	} else {
		s = fmt.Sprintf("downloading %s %s", what, mib(done))
	}
	if len(shown) > 1 {
		s += "  " + strings.Join(names, ", ")
	}
	if r := []rune(s); len(r) > lineWidth {
		s = string(r[:lineWidth-1]) + "…"
	}
	return s
}

func mib(n float64) string { return fmt.Sprintf("%.1f MiB", n/(1<<20)) }

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
