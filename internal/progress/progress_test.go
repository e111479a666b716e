package progress

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/pluginclient"
)

// clock is a settable time for the bar.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestBar(min int64) (*Bar, *strings.Builder, *clock) {
	var out strings.Builder
	c := &clock{t: time.Unix(1e9, 0)}
	b := New(&out, min)
	b.now = c.now
	return b, &out, c
}

const mi = 1 << 20

// lastLine is what the terminal shows after out: the text after the last
// carriage return and erase.
func lastLine(out string) string {
	i := strings.LastIndex(out, "\r\x1b[K")
	if i < 0 {
		return out
	}
	return out[i+len("\r\x1b[K"):]
}

func TestBar(t *testing.T) {
	tests := []struct {
		name    string
		reports []pluginclient.Progress
		want    string // the line shown at the end; "" = nothing on screen
	}{
		{
			name:    "one large download",
			reports: []pluginclient.Progress{{Kind: "blob", Name: "lib", Label: "libvmaf.so", Done: 128 * mi, Total: 512 * mi}},
			want:    "downloading libvmaf.so  25% [#####               ] 128.0 MiB / 512.0 MiB",
		},
		{
			name:    "a small download is not shown",
			reports: []pluginclient.Progress{{Kind: "blob", Name: "sig", Label: "x.sig", Done: 1, Total: 2 * mi}},
			want:    "",
		},
		{
			name: "unknown total, shown once large",
			reports: []pluginclient.Progress{
				{Kind: "blob", Name: "m", Label: "models.tar.gz", Done: 1 * mi, Total: -1},
				{Kind: "blob", Name: "m", Label: "models.tar.gz", Done: 6 * mi, Total: -1},
			},
			want: "downloading models.tar.gz 6.0 MiB",
		},
		{
			name: "several downloads are summed",
			reports: []pluginclient.Progress{
				{Kind: "blob", Name: "a", Label: "a.so", Done: 10 * mi, Total: 40 * mi},
				{Kind: "blob", Name: "b", Label: "b.so", Done: 30 * mi, Total: 40 * mi},
			},
			want: "downloading 2 files  50% [##########          ] 40.0 MiB / 80.0 MiB  a.so, b.so",
		},
		{
			name: "a completed download leaves the line",
			reports: []pluginclient.Progress{
				{Kind: "blob", Name: "a", Label: "a.bin", Done: 10 * mi, Total: 40 * mi},
				{Kind: "blob", Name: "a", Label: "a.bin", Done: 40 * mi, Total: 40 * mi},
			},
			want: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, out, c := newTestBar(DefaultMinSize)
			for _, r := range tc.reports {
				c.t = c.t.Add(time.Second)
				b.Update(r)
			}
			if got := lastLine(out.String()); got != tc.want {
				t.Fatalf("line %q, want %q (all output %q)", got, tc.want, out.String())
			}
			b.Close()
			if got := lastLine(out.String()); got != "" {
				t.Fatalf("after Close the line is %q, want it erased", got)
			}
		})
	}
}

func TestBarFinishAndRate(t *testing.T) {
	b, out, c := newTestBar(DefaultMinSize)
	b.Update(pluginclient.Progress{Kind: "blob", Name: "a", Label: "a.bin", Done: 5 * mi, Total: 50 * mi})
	first := out.Len()
	if first == 0 {
		t.Fatal("nothing drawn")
	}
	// Within the redraw interval nothing is drawn again...
	c.t = c.t.Add(redrawInterval / 2)
	b.Update(pluginclient.Progress{Kind: "blob", Name: "a", Label: "a.bin", Done: 6 * mi, Total: 50 * mi})
	if out.Len() != first {
		t.Fatalf("redrawn within %v", redrawInterval)
	}
	// ...after it, the newest state is.
	c.t = c.t.Add(redrawInterval)
	b.Update(pluginclient.Progress{Kind: "blob", Name: "a", Label: "a.bin", Done: 7 * mi, Total: 50 * mi})
	if !strings.Contains(lastLine(out.String()), "7.0 MiB / 50.0 MiB") {
		t.Fatalf("line %q", lastLine(out.String()))
	}
	// A failed download never completes: Finish removes it and erases.
	b.Finish("blob", "a")
	if got := lastLine(out.String()); got != "" {
		t.Fatalf("after Finish the line is %q", got)
	}
	// Nothing left: Close writes nothing more.
	n := out.Len()
	b.Close()
	if out.Len() != n {
		t.Fatal("Close wrote with nothing on screen")
	}
}

func TestBarLineFitsTerminal(t *testing.T) {
	b, out, _ := newTestBar(DefaultMinSize)
	long := strings.Repeat("very-long-distribution-name-", 10) + ".whl"
	b.Update(pluginclient.Progress{Kind: "pypi", Name: "p", Label: long, Done: 5 * mi, Total: 50 * mi})
	if got := lastLine(out.String()); len([]rune(got)) > lineWidth {
		t.Fatalf("line of %d runes: %q", len([]rune(got)), got)
	}
}

func TestBarHostileReports(t *testing.T) {
	b, out, c := newTestBar(DefaultMinSize)
	// A label with control sequences is shown escaped.
	b.Update(pluginclient.Progress{Kind: "blob", Name: "a", Label: "x\x1b[2J\x1b[H.bin", Done: 5 * mi, Total: 50 * mi})
	if got := lastLine(out.String()); strings.Contains(got, "\x1b") || !strings.Contains(got, `x\x1b[2J\x1b[H.bin`) {
		t.Fatalf("line %q", got)
	}
	// Figures that make no sense are dropped or clamped, never a panic.
	for _, p := range []pluginclient.Progress{
		{Kind: "blob", Name: "n", Label: "negative", Done: -(1 << 30), Total: 8 * mi},
		{Kind: "blob", Name: "t", Label: "total", Done: 5 * mi, Total: -7},
		{Kind: "blob", Name: "o", Label: "over", Done: 1 << 61, Total: math.MaxInt64},
		{Kind: "blob", Name: "o2", Label: "over2", Done: math.MaxInt64, Total: math.MaxInt64 - 1},
		{Kind: "blob", Name: "u", Label: "unknown", Done: math.MaxInt64, Total: -1},
	} {
		c.t = c.t.Add(time.Second)
		b.Update(p)
	}
	if got := lastLine(out.String()); strings.Contains(got, "negative") || strings.Contains(got, "total") {
		t.Fatalf("nonsense reports shown: %q", got)
	}
	// A label is cut short before it is stored.
	b.Update(pluginclient.Progress{Kind: "blob", Name: "long", Label: strings.Repeat("\x01", 1<<20), Done: 5 * mi, Total: 50 * mi})
	b.mu.Lock()
	for k := range b.transfers {
		if len(k.label) > 4*maxLabel {
			t.Fatalf("label of %d bytes stored", len(k.label))
		}
	}
	b.mu.Unlock()
	b.Close()

	// Endless new labels do not grow the bar beyond maxTransfers.
	for i := range 10 * maxTransfers {
		c.t = c.t.Add(time.Millisecond)
		b.Update(pluginclient.Progress{Kind: "blob", Name: "a", Label: strings.Repeat("l", i%50) + string(rune('a'+i%26)) + time.Duration(i).String(), Done: 1, Total: 50 * mi})
	}
	b.mu.Lock()
	n, m := len(b.order), len(b.transfers)
	b.mu.Unlock()
	if n > maxTransfers || m > maxTransfers {
		t.Fatalf("tracking %d/%d transfers, want at most %d", n, m, maxTransfers)
	}
}
