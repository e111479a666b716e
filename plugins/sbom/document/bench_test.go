package document

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/sbomgen"
)

// cpuTime is the process's user and system CPU time so far: on a shared
// machine it measures the work where wall time also measures the waiting.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchmarkRead reads data b.N times, reporting throughput, CPU time, the
// peak heap in use above the input's during the first read (which follows
// a collection; garbage not yet collected included) and the heap the
// document retains after a collection.
func benchmarkRead(b *testing.B, data []byte, want int, stream bool) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var peak uint64
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var retained uint64
	measured := false
	first := true // the peak is of the first read, which follows a collection
	cpu := cpuTime()
	for b.Loop() {
		opts := Options{}
		n := 0
		if stream {
			opts.OnComponent = func(c *Component) error {
				n++
				if n%5000 == 0 && first {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
				}
				return nil
			}
		}
		doc, err := ReadBytes(context.Background(), data, opts)
		if err != nil {
			b.Fatal(err)
		}
		if doc.ComponentCount != want {
			b.Fatalf("%d components, want %d", doc.ComponentCount, want)
		}
		if first {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
		first = false
		if !measured {
			measured = true
			runtime.GC()
			runtime.ReadMemStats(&ms)
			retained = max(ms.HeapInuse, base) - base
		}
		runtime.KeepAlive(doc)
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(max(peak, base)-base)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(retained)/(1<<20), "retained-MiB")
}

// BenchmarkRead reads 100,000-component SBOMs (CycloneDX ~39 MB, SPDX
// ~84 MB) from memory, keeping the components or streaming them to a
// callback that drops them. Each sub-benchmark makes its own input, so the
// heap figures see one input at a time.
func BenchmarkRead(b *testing.B) {
	b.Run("CycloneDX-100k", func(b *testing.B) { benchmarkRead(b, sbomgen.CycloneDX(100_000), 100_000, false) })
	b.Run("CycloneDX-100k-streamed", func(b *testing.B) { benchmarkRead(b, sbomgen.CycloneDX(100_000), 100_000, true) })
	b.Run("SPDX-100k", func(b *testing.B) { benchmarkRead(b, sbomgen.SPDX(100_000), 100_001, false) })
	b.Run("SPDX-100k-streamed", func(b *testing.B) { benchmarkRead(b, sbomgen.SPDX(100_000), 100_001, true) })
}
