package document

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/plugins/sbom/internal/sbomgen"
)

// cpuTime is the process's user and system CPU time so far: on a shared
// machine it measures the work where wall time also measures the waiting.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchmarkRead reads data b.N times, reporting throughput, CPU time and
// the peak live heap above what was in use before (the input excluded).
func benchmarkRead(b *testing.B, data []byte, want int, stream bool) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var peak uint64
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	cpu := cpuTime()
	for b.Loop() {
		opts := Options{}
		n := 0
		if stream {
			opts.OnComponent = func(c *Component) error {
				n++
				if n%10000 == 0 {
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
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		runtime.KeepAlive(doc)
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MiB")
}

func BenchmarkRead(b *testing.B) {
	cdx := sbomgen.CycloneDX(100_000)
	spdx := sbomgen.SPDX(100_000)
	b.Run("CycloneDX-100k", func(b *testing.B) { benchmarkRead(b, cdx, 100_000, false) })
	b.Run("CycloneDX-100k-streamed", func(b *testing.B) { benchmarkRead(b, cdx, 100_000, true) })
	b.Run("SPDX-100k", func(b *testing.B) { benchmarkRead(b, spdx, 100_001, false) })
	b.Run("SPDX-100k-streamed", func(b *testing.B) { benchmarkRead(b, spdx, 100_001, true) })
}
