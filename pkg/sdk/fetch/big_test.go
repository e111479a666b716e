package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestDownload1GiBFlatMemory streams a 1 GiB body, generated on the fly by the handler, and checks
// that neither the live heap nor the total allocated grows with the size. It is not parallel:
// parallel tests run only after it, so the process-wide memory figures are its own.
func TestDownload1GiBFlatMemory(t *testing.T) {
	const size = 1 << 30
	const budget = 16 << 20
	const seed = 42

	// The expected digest, computed with a fixed buffer before measuring.
	h := sha256.New()
	if _, err := io.CopyBuffer(h, io.LimitReader(newGen(seed, size), size), make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	want := hex.EncodeToString(h.Sum(nil))

	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { serveGen(w, r, seed, size, fixedTime) })

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	peak := before.HeapInuse
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // sample the live heap while the download runs
		defer close(done)
		var ms runtime.MemStats
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				mu.Lock()
				peak = max(peak, ms.HeapInuse)
				mu.Unlock()
			}
		}
	}()
	start := time.Now()
	res, err := Download(context.Background(), srv.URL+"/1GiB.bin", []string{"sha256"}, "", Options{})
	elapsed := time.Since(start)
	close(stop)
	<-done
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if res.Size != size || res.Digests["sha256"] != want {
		t.Fatalf("size %d digest %s, want %d %s", res.Size, res.Digests["sha256"], int64(size), want)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	mu.Lock()
	heapGrowth := int64(peak) - int64(before.HeapInuse)
	mu.Unlock()
	t.Logf("1 GiB in %v (%.0f MB/s); allocated %s in total, peak live heap +%s, %d GCs",
		elapsed.Round(time.Millisecond), float64(size)/elapsed.Seconds()/1e6,
		formatSize(int64(allocated)), formatSize(max(heapGrowth, 0)), after.NumGC-before.NumGC)
	if allocated > budget {
		t.Errorf("allocated %s while downloading 1 GiB, want under %s: memory is not flat", formatSize(int64(allocated)), formatSize(budget))
	}
	if heapGrowth > budget {
		t.Errorf("live heap grew by %s, want under %s", formatSize(heapGrowth), formatSize(budget))
	}
}

// BenchmarkDownload measures loopback download + sha256 throughput over a 256 MiB body.
// The body is a 1 MiB generated block repeated, so the server costs little.
func BenchmarkDownload(b *testing.B) {
	const size = 256 << 20
	block := genBytes(b, 1, 1<<20)
	srv := newServer(b, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", fixedTime, &repeatReader{block: block, size: size})
	})
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := Download(context.Background(), srv.URL+"/bench.bin", []string{"sha256"}, "", Options{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Size != size {
			b.Fatalf("size %d", res.Size)
		}
	}
}

// repeatReader is a seekable body made of one block repeated up to size.
type repeatReader struct {
	block     []byte
	size, off int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if rem := r.size - r.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n := copy(p, r.block[r.off%int64(len(r.block)):])
	r.off += int64(n)
	return n, nil
}

func (r *repeatReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	}
	r.off = offset
	return offset, nil
}
