package content

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/sbomgen"
	"github.com/vmafx/vmafx-trust/plugins/sbom/document"
)

// cpuTime is the process's CPU time so far: on a shared machine it
// measures the work, where wall time also measures waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRules are the acceptance benchmark's kind of policy: denied licences
// and denied packages, plus a required package.
var benchRules = Rules{
	DenyLicenses: []string{"GPL-3.0-only", "AGPL-3.0-only"},
	DenyPackages: []string{"pkg:maven/org.apache.logging.log4j/log4j-core >=2.0.0, <2.17.1", "pkg:npm/left-pad", "pkg:npm/pkg-99999 >=1.9"},
	Packages:     []string{"pkg:npm/pkg-1"},
	Unlicensed:   UnlicensedFail,
}

// benchmarkVerify reads an SBOM of n components from memory and evaluates
// benchRules on it, streamed (components go straight from the reader to
// the evaluation) or kept (the whole model, then Evaluate). It reports
// CPU time, the peak heap in use above the input's during the first verify
// (sampled every 5,000 components; it starts after a collection, so it is
// what one verify in a process costs, garbage not yet collected included)
// and the heap the result and model retain after a collection.
func benchmarkVerify(b *testing.B, data []byte, n int, stream bool) {
	p, err := Compile(benchRules)
	if err != nil {
		b.Fatal(err)
	}
	in := Input{Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak, retained uint64
	measured := false
	first := true // the peak is of the first verify, which follows a collection
	sample := func() {
		if first {
			runtime.ReadMemStats(&ms)
			peak = max(peak, max(ms.HeapInuse, base)-base)
		}
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		var res *Result
		var doc *document.Document
		if stream {
			e := p.NewEvaluation(in)
			seen := 0
			doc, err = document.ReadBytes(context.Background(), data, document.Options{OnComponent: func(c *document.Component) error {
				e.Component(c)
				if seen++; seen%5000 == 0 {
					sample()
				}
				return nil
			}})
			if err != nil {
				b.Fatal(err)
			}
			res = e.Finish(doc)
		} else {
			doc, err = document.ReadBytes(context.Background(), data, document.Options{})
			if err != nil {
				b.Fatal(err)
			}
			sample()
			res = p.Evaluate(doc, in)
		}
		sample()
		if doc.ComponentCount != n || res.Status != Fail || res.Rule(RuleDenyPackages).Count != 1 || res.Rule(RulePackages).Status != Pass {
			b.Fatalf("%d components, %+v", doc.ComponentCount, res)
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
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(retained)/(1<<20), "retained-MiB")
}

// BenchmarkVerify100k: a 100,000-component SBOM (CycloneDX: ~39 MB; SPDX:
// ~84 MB) read and checked against deny_licenses, deny_packages and
// packages.
func BenchmarkVerify100k(b *testing.B) {
	b.Run("CycloneDX-streamed", func(b *testing.B) { benchmarkVerify(b, sbomgen.CycloneDX(100_000), 100_000, true) })
	b.Run("CycloneDX-kept", func(b *testing.B) { benchmarkVerify(b, sbomgen.CycloneDX(100_000), 100_000, false) })
	b.Run("SPDX-streamed", func(b *testing.B) { benchmarkVerify(b, sbomgen.SPDX(100_000), 100_001, true) })
	b.Run("SPDX-kept", func(b *testing.B) { benchmarkVerify(b, sbomgen.SPDX(100_000), 100_001, false) })
}
