package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The hashing benchmarks: hashFile on a 1 GiB file
// against the plain Go baseline, os.Open + io.Copy into crypto/sha256.
// Target: hashFile at ≥ 90 % of the baseline's throughput. Run with
// `make bench`; docs/benchmarks.md has the figures.

// hbFileSize is the size of the benchmark file: 1 GiB.
const hbFileSize = 1 << 30

var (
	hbOnce sync.Once
	hbDir  string // holds the 1 GiB file; removed by TestMain
	hbPath string
	hbSum  string // its sha256, hex
	hbErr  error
)

// TestMain removes the 1 GiB benchmark file, made at most once per process
// and shared by the benchmarks, when the package's tests and benchmarks are
// done.
func TestMain(m *testing.M) {
	code := m.Run()
	if hbDir != "" {
		os.RemoveAll(hbDir)
	}
	os.Exit(code)
}

// hbFile returns the 1 GiB benchmark file, writing it on first use: bytes
// from a ChaCha8 stream with a fixed seed, so every run hashes the same
// content (and incompressible, like a release archive). Writing it leaves it
// in the page cache, so the benchmarks measure hashing and read syscalls, not
// the disk.
func hbFile(b *testing.B) (path, sum string) {
	b.Helper()
	hbOnce.Do(func() {
		hbDir, hbErr = os.MkdirTemp("", "vmafx-trust-hashbench-")
		if hbErr != nil {
			return
		}
		hbPath = filepath.Join(hbDir, "1GiB.bin")
		f, err := os.Create(hbPath)
		if err != nil {
			hbErr = err
			return
		}
		defer f.Close()
		rng := rand.NewChaCha8([32]byte{'v', 'm', 'a', 'f', 'x', '-', 't', 'r', 'u', 's', 't'})
		h := sha256.New()
		chunk := make([]byte, 4<<20)
		for written := 0; written < hbFileSize; written += len(chunk) {
			_, _ = rng.Read(chunk)
			h.Write(chunk)
			if _, err := f.Write(chunk); err != nil {
				hbErr = err
				return
			}
		}
		if hbErr = f.Close(); hbErr != nil {
			return
		}
		hbSum = hex.EncodeToString(h.Sum(nil))
	})
	if hbErr != nil {
		b.Fatalf("making the 1 GiB benchmark file: %v", hbErr)
	}
	return hbPath, hbSum
}

// hbBaseline is the reference: what a Go program hashing a file the obvious
// way gets.
func hbBaseline(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// BenchmarkHashFile hashes the 1 GiB file with hashFile, as the blob plugin
// does for every `path`. MB/s comes from SetBytes. Around each timed pass
// the baseline runs once before and once after with the timer stopped, so
// that both see the same machine state, and the benchmark reports hashFile's
// throughput as a percentage of the baseline's (pct-of-baseline; target
// ≥ 90) from the fastest pass of each: interference from other processes
// only ever adds time, so best-of-N is the steadier comparison on a shared
// machine, and the baseline, with twice the passes, gets the better chance
// at a quiet moment (the comparison leans against hashFile). hash-MiB/s and
// baseline-MiB/s are those fastest passes.
func BenchmarkHashFile(b *testing.B) {
	path, want := hbFile(b)
	ctx := context.Background()
	if _, err := hbBaseline(path); err != nil { // warm the page cache
		b.Fatal(err)
	}
	var bestHash, bestBase time.Duration
	baseline := func() {
		b.StopTimer()
		defer b.StartTimer()
		start := time.Now()
		if _, err := hbBaseline(path); err != nil {
			b.Fatal(err)
		}
		bestBase = hbBest(bestBase, time.Since(start))
	}
	b.SetBytes(hbFileSize)
	b.ReportAllocs()
	for b.Loop() {
		baseline()
		start := time.Now()
		d, err := hashFile(ctx, path, "sha256")
		bestHash = hbBest(bestHash, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if d.Hex != want {
			b.Fatalf("hashFile = %s, want %s", d.Hex, want)
		}
		baseline()
	}
	b.ReportMetric(100*bestBase.Seconds()/bestHash.Seconds(), "pct-of-baseline")
	b.ReportMetric(hbMiBps(bestHash, 1), "hash-MiB/s")
	b.ReportMetric(hbMiBps(bestBase, 1), "baseline-MiB/s")
}

// hbBest is the shorter of the best so far (0: none yet) and d.
func hbBest(best, d time.Duration) time.Duration {
	if best == 0 || d < best {
		return d
	}
	return best
}

// BenchmarkSHA256Baseline is the baseline on its own: os.Open + io.Copy into
// crypto/sha256.New on the same file.
func BenchmarkSHA256Baseline(b *testing.B) {
	path, want := hbFile(b)
	if _, err := hbBaseline(path); err != nil { // warm the page cache
		b.Fatal(err)
	}
	b.SetBytes(hbFileSize)
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		got, err := hbBaseline(path)
		if err != nil {
			b.Fatal(err)
		}
		if got != want {
			b.Fatalf("baseline = %s, want %s", got, want)
		}
	}
	b.ReportMetric(hbMiBps(time.Since(start), b.N), "baseline-MiB/s")
}

// hbMiBps is the throughput of n passes over the 1 GiB file in elapsed.
func hbMiBps(elapsed time.Duration, n int) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(n) * hbFileSize / (1 << 20) / elapsed.Seconds()
}
