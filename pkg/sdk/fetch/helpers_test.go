package fetch

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// genReader is a seekable, deterministic pseudo-random body of any size, generated on the fly
// (splitmix64 of the 8-byte word index): nothing is held in memory.
type genReader struct {
	seed, size, off int64
}

func newGen(seed, size int64) *genReader { return &genReader{seed: seed, size: size} }

func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	n := len(p)
	if rem := g.size - g.off; int64(n) > rem {
		n = int(rem)
	}
	base := uint64(g.seed) << 40
	i := 0
	for i < n {
		pos := g.off + int64(i)
		w := mix64(base + uint64(pos/8))
		if b := pos % 8; b == 0 && n-i >= 8 {
			binary.LittleEndian.PutUint64(p[i:], w)
			i += 8
		} else {
			p[i] = byte(w >> (8 * b))
			i++
		}
	}
	g.off += int64(n)
	return n, nil
}

func (g *genReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += g.off
	case io.SeekEnd:
		offset += g.size
	}
	if offset < 0 {
		return 0, errors.New("negative offset")
	}
	g.off = offset
	return offset, nil
}

// genBytes materialises a small generated body.
func genBytes(t testing.TB, seed, size int64) []byte {
	t.Helper()
	b, err := io.ReadAll(newGen(seed, size))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// reqRecord is what a test server saw of one request.
type reqRecord struct {
	Method string
	Header http.Header
}

// server is an httptest server on 127.0.0.1 that records requests and hands each handler call
// its 0-based request number.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []reqRecord
}

func newServer(t testing.TB, h func(w http.ResponseWriter, r *http.Request, n int)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, reqRecord{Method: r.Method, Header: r.Header.Clone()})
		s.mu.Unlock()
		h(w, r, n)
	}))
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("test server not on 127.0.0.1: %s", s.URL)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

func (s *server) req(i int) reqRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= len(s.reqs) {
		return reqRecord{Header: http.Header{}}
	}
	return s.reqs[i]
}

var errDropped = errors.New("connection dropped by the test server")

// dropWriter passes limit body bytes through, then flushes, hijacks and closes the connection.
type dropWriter struct {
	http.ResponseWriter
	left    int64
	dropped bool
}

func (d *dropWriter) Write(p []byte) (int, error) {
	if d.dropped {
		return 0, errDropped
	}
	if int64(len(p)) <= d.left {
		n, err := d.ResponseWriter.Write(p)
		d.left -= int64(n)
		return n, err
	}
	n, _ := d.ResponseWriter.Write(p[:d.left])
	d.left = 0
	d.drop()
	return n, errDropped
}

func (d *dropWriter) drop() {
	d.dropped = true
	d.ResponseWriter.(http.Flusher).Flush()
	conn, _, err := d.ResponseWriter.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// serveGen serves a generated body with full Range / If-Range support (http.ServeContent).
// A zero mod time sends no Last-Modified.
func serveGen(w http.ResponseWriter, r *http.Request, seed, size int64, mod time.Time) {
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", mod, newGen(seed, size))
}

var fixedTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// roundTripFunc makes a Transport from a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// noNetwork is a client whose transport fails the test if it is ever used.
func noNetwork(t *testing.T) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected connection attempt to %s", r.URL.Host)
		return nil, errors.New("no network in this test")
	})}
}

// dirEntries lists a directory's names.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
