package trust_test

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/sbomgen"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// largeAttestation is an SBOM attestation as cosign attest-blob --type
// cyclonedx writes it for a large image: a DSSE envelope whose in-toto
// statement carries a 100,000-component CycloneDX document (~39 MB), as a
// Sigstore bundle and as cosign's legacy bundle.
type largeAttestation struct {
	m       *trust.Material
	bundle  []byte // Sigstore bundle v0.3
	legacy  []byte // cosign's legacy attest-blob bundle
	subject trust.Digest
	id      trust.Identity
	size    int // statement bytes
}

var (
	largeOnce sync.Once
	largeVal  *largeAttestation
)

// largeStatement is an in-toto statement whose predicate is a CycloneDX
// document of n components, predicateType before the predicate as cosign
// writes it.
func largeStatement(subject trust.Digest, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.tar","digest":{"` + subject.Algorithm + `":"` + subject.Hex + `"}}],"predicateType":"https://cyclonedx.org/bom","predicate":`)
	b.Write(sbomgen.CycloneDX(n))
	b.WriteString("}")
	return b.Bytes()
}

func largeEnv(b *testing.B) *largeAttestation {
	b.Helper()
	e := testEnv(b)
	largeOnce.Do(func() {
		l := &largeAttestation{
			subject: sha256Digest([]byte("app.tar bytes")),
			id:      trust.Identity{Name: "release", Subject: tsGHSubject, Issuer: tsGHIssuer},
		}
		m, err := trust.NewMaterial("ts", e.rootJSON, nil)
		if err != nil {
			b.Fatal(err)
		}
		l.m = m
		st := largeStatement(l.subject, 100_000)
		l.size = len(st)
		if l.bundle, err = e.s.Attest(tsGHSubject, tsGHIssuer, st); err != nil {
			b.Fatal(err)
		}
		envelope, certPEM, rekorBundle := legacyPieces(b, l.bundle)
		l.legacy = legacyAttestJSON(b, envelope, certPEM, rekorBundle)
		largeVal = l
	})
	if largeVal == nil {
		b.Fatal("no large attestation")
	}
	return largeVal
}

// peakHeap runs f once after a collection and returns the most heap its
// objects occupied meanwhile above what they occupied before, sampled every
// 100µs (garbage not yet collected included, as it is in a process's RSS).
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	peak := base
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Microsecond)
		defer t.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	peak = max(peak, read())
	return peak - base
}

// cpuTime is the process's user and system CPU time so far: on a shared
// machine it measures the work where wall time also measures the waiting.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchmarkLarge reports op's time, CPU time (the garbage collector's
// included) and allocations per run, and the peak heap of one run.
func benchmarkLarge(b *testing.B, op func() error) {
	var err error
	peak := peakHeap(func() { err = op() })
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkLargeAttestation verifies a 100,000-component CycloneDX
// attestation the way a run of the blob plugin does: the plugin peeks at
// the bundle (a legacy bundle is recognised, converted and peeked at
// again) and reads the statement's predicate type; it pre-verifies the
// bundle when it has several candidates; the host verifies the evidence.
// The sub-benchmarks time each step and the whole path with both
// verifications.
func BenchmarkLargeAttestation(b *testing.B) {
	l := largeEnv(b)
	b.Logf("statement %d bytes, bundle %d bytes, legacy bundle %d bytes", l.size, len(l.bundle), len(l.legacy))
	const limit = trust.MaxAttestationBundleSize
	check := func(doc []byte) trust.BundleCheck {
		return trust.BundleCheck{Bundle: doc, Digest: l.subject, Identities: []trust.Identity{l.id}, MaxSize: limit}
	}
	verify := func(doc []byte) error {
		out, err := trust.VerifyBundle(l.m, check(doc))
		if err == nil && out.PredicateType != "https://cyclonedx.org/bom" {
			b.Fatalf("predicate type %q", out.PredicateType)
		}
		return err
	}
	// peek is the plugin's checkBundle up to its pre-verification.
	peek := func(doc []byte) ([]byte, error) {
		c, err := trust.PeekBundleWithin(doc, limit)
		if err != nil || c.MediaType == "" {
			if !trust.IsLegacyBlobBundle(doc) {
				return nil, fmt.Errorf("neither a bundle nor a legacy bundle: %v", err)
			}
			if doc, err = trust.BundleFromLegacyWithin(doc, l.subject, limit); err != nil {
				return nil, err
			}
			if c, err = trust.PeekBundleWithin(doc, limit); err != nil {
				return nil, err
			}
		}
		h, err := c.StatementHeader()
		if err != nil {
			return nil, err
		}
		if h.PredicateType != "https://cyclonedx.org/bom" || len(h.Subject) != 1 {
			b.Fatalf("statement %s with %d subjects", h.PredicateType, len(h.Subject))
		}
		return doc, nil
	}
	all := func(doc []byte) error {
		doc, err := peek(doc)
		if err != nil {
			return err
		}
		if err := verify(doc); err != nil {
			return err
		}
		return verify(doc)
	}
	for _, form := range []struct {
		name string
		doc  []byte
	}{{"new", l.bundle}, {"legacy", l.legacy}} {
		b.Run(form.name+"/peek", func(b *testing.B) {
			benchmarkLarge(b, func() error {
				_, err := peek(form.doc)
				return err
			})
		})
		b.Run(form.name+"/all", func(b *testing.B) { benchmarkLarge(b, func() error { return all(form.doc) }) })
	}
	b.Run("new/verify", func(b *testing.B) { benchmarkLarge(b, func() error { return verify(l.bundle) }) })
	b.Run("legacy/convert", func(b *testing.B) {
		benchmarkLarge(b, func() error {
			_, err := trust.BundleFromLegacyWithin(l.legacy, l.subject, limit)
			return err
		})
	})
}

// BenchmarkLargeDecode measures the decoders of a 100,000-component SBOM
// attestation alone, in bytes per second: the bundle's (PeekBundleWithin)
// and the statement header's (StatementHeader on the decoded payload).
func BenchmarkLargeDecode(b *testing.B) {
	l := largeEnv(b)
	c, err := trust.PeekBundleWithin(l.bundle, trust.MaxAttestationBundleSize)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("bundle", func(b *testing.B) {
		b.SetBytes(int64(len(l.bundle)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := trust.PeekBundleWithin(l.bundle, trust.MaxAttestationBundleSize); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("statement-header", func(b *testing.B) {
		b.SetBytes(int64(len(c.Envelope.GetPayload())))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.StatementHeader(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
