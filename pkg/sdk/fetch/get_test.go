package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestGet(t *testing.T) {
	t.Parallel()
	const limit = 4096
	doc := genBytes(t, 11, 3000)
	tests := []struct {
		name    string
		h       func(http.ResponseWriter, *http.Request, int)
		limit   int64
		opts    Options
		want    []byte
		kind    error
		wantMsg string
		reqs    int
	}{
		{name: "document", h: func(w http.ResponseWriter, r *http.Request, _ int) { w.Write(doc) }, limit: limit, want: doc, reqs: 1},
		{name: "empty", h: func(w http.ResponseWriter, r *http.Request, _ int) {}, limit: limit, want: []byte{}, reqs: 1},
		{name: "exactly the limit", h: func(w http.ResponseWriter, r *http.Request, _ int) { serveGen(w, r, 11, limit, time.Time{}) },
			limit: limit, want: genBytes(t, 11, limit), reqs: 1},
		{name: "Content-Length over the limit", h: func(w http.ResponseWriter, r *http.Request, _ int) { serveGen(w, r, 11, limit+1, time.Time{}) },
			limit: limit, kind: ErrTooLarge, wantMsg: "body of 4 KiB (4097 bytes) (Content-Length) exceeds the 4 KiB limit", reqs: 1},
		{name: "chunked over the limit", h: func(w http.ResponseWriter, r *http.Request, _ int) {
			w.(http.Flusher).Flush()
			io.Copy(w, newGen(11, 10*limit))
		}, limit: limit, kind: ErrTooLarge, wantMsg: "body exceeds the 4 KiB limit", reqs: 1},
		{name: "hint", h: func(w http.ResponseWriter, r *http.Request, _ int) { serveGen(w, r, 11, limit+1, time.Time{}) },
			limit: limit, opts: Options{LimitHint: "raise it with --max-bundle-size"}, kind: ErrTooLarge, wantMsg: "limit (raise it with --max-bundle-size)", reqs: 1},
		{name: "default limit", h: func(w http.ResponseWriter, r *http.Request, _ int) {
			w.Header().Set("Content-Length", strconv.FormatInt(DefaultGetLimit+1, 10))
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, kind: ErrTooLarge, wantMsg: "exceeds the 32 MiB limit", reqs: 1},
		{name: "404", h: func(w http.ResponseWriter, r *http.Request, _ int) { http.NotFound(w, r) }, limit: limit, kind: ErrNotFound, reqs: 1},
		{name: "dropped once, resumed", h: func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 0 {
				w = &dropWriter{ResponseWriter: w, left: 1000}
			}
			w.Header().Set("ETag", `"d"`)
			serveGen(w, r, 11, 3000, fixedTime)
		}, limit: limit, want: genBytes(t, 11, 3000), reqs: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.h)
			got, err := Get(context.Background(), srv.URL+"/doc", tt.limit, tt.opts)
			if tt.kind != nil {
				if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("err = %v, want %v with %q", err, tt.kind, tt.wantMsg)
				}
				if got != nil {
					t.Errorf("data returned with an error")
				}
				if tt.opts.LimitHint == "" && strings.Contains(err.Error(), "max_size") {
					t.Errorf("Get quotes Download's hint: %v", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if got == nil || !bytes.Equal(got, tt.want) {
					t.Errorf("got %d bytes, want %d", len(got), len(tt.want))
				}
			}
			if n := srv.count(); n != tt.reqs {
				t.Errorf("%d requests, want %d", n, tt.reqs)
			}
			if tt.name == "dropped once, resumed" && srv.req(1).Header.Get("Range") != "bytes=1000-" {
				t.Errorf("second request Range = %q", srv.req(1).Header.Get("Range"))
			}
		})
	}
}

func TestExists(t *testing.T) {
	t.Parallel()
	status := func(codes ...int) func(http.ResponseWriter, *http.Request, int) {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			w.WriteHeader(codes[min(n, len(codes)-1)])
		}
	}
	headRefused := func(getCode int) func(http.ResponseWriter, *http.Request, int) {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			if getCode == http.StatusPartialContent {
				serveGen(w, r, 1, 10000, time.Time{})
				return
			}
			w.WriteHeader(getCode)
		}
	}
	tests := []struct {
		name    string
		h       func(http.ResponseWriter, *http.Request, int)
		opts    Options
		want    bool
		kind    error
		fails   bool
		methods []string
		ranges  []string
	}{
		{name: "HEAD 200", h: status(200), want: true, methods: []string{"HEAD"}},
		{name: "HEAD 404", h: status(404), want: false, methods: []string{"HEAD"}},
		{name: "HEAD 410", h: status(410), want: false, methods: []string{"HEAD"}},
		{name: "HEAD 405, ranged GET 206", h: headRefused(206), want: true, methods: []string{"HEAD", "GET"}, ranges: []string{"", "bytes=0-0"}},
		{name: "HEAD 405, ranged GET 200", h: headRefused(200), want: true, methods: []string{"HEAD", "GET"}},
		{name: "HEAD 405, ranged GET 404", h: headRefused(404), want: false, methods: []string{"HEAD", "GET"}},
		{name: "HEAD 405, ranged GET 416 (empty file)", h: headRefused(416), want: true, methods: []string{"HEAD", "GET"}},
		{name: "403 to HEAD and GET", h: status(403), fails: true, methods: []string{"HEAD", "GET"}},
		{name: "HEAD 403 (pre-signed GET URL), ranged GET 206", h: func(w http.ResponseWriter, r *http.Request, n int) {
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			serveGen(w, r, 1, 10000, time.Time{})
		}, want: true, methods: []string{"HEAD", "GET"}, ranges: []string{"", "bytes=0-0"}},
		{name: "HEAD 401", h: status(401), fails: true, methods: []string{"HEAD"}},
		{name: "HEAD 503 then 200", h: status(503, 200), want: true, methods: []string{"HEAD", "HEAD"}},
		{name: "HEAD 503 throughout", h: status(503), opts: Options{Retries: 1}, fails: true, kind: ErrUnavailable, methods: []string{"HEAD", "HEAD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.h)
			got, err := Exists(context.Background(), srv.URL+"/a.sigstore.json", tt.opts)
			if tt.fails {
				if err == nil {
					t.Fatalf("no error (got %v)", got)
				}
				if tt.kind != nil && !errors.Is(err, tt.kind) {
					t.Errorf("err = %v, want %v", err, tt.kind)
				}
				if tt.kind == nil && (errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnavailable)) {
					t.Errorf("err = %v has a kind", err)
				}
				if !strings.Contains(err.Error(), srv.URL+"/a.sigstore.json") {
					t.Errorf("err = %q does not name the URL", err)
				}
			} else if err != nil || got != tt.want {
				t.Fatalf("Exists = %v, %v; want %v, nil", got, err, tt.want)
			}
			if n := srv.count(); n != len(tt.methods) {
				t.Errorf("%d requests, want %d", n, len(tt.methods))
			}
			for i, m := range tt.methods {
				if got := srv.req(i).Method; got != m {
					t.Errorf("request %d: %s, want %s", i, got, m)
				}
			}
			for i, r := range tt.ranges {
				if got := srv.req(i).Header.Get("Range"); got != r {
					t.Errorf("request %d Range = %q, want %q", i, got, r)
				}
			}
		})
	}
}

func TestIsURL(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"https://example.com/a":       true,
		"http://127.0.0.1:8080/a?b=c": true,
		"HTTPS://EXAMPLE.COM":         true,
		"https://u:p@example.com/x":   true,
		"ftp://example.com/a":         false,
		"file:///etc/passwd":          false,
		"/tmp/a.tar.gz":               false,
		"a.tar.gz":                    false,
		"C:\\dist\\a.tar.gz":          false,
		"sha256:abcd":                 false,
		"https://":                    false,
		"https:///path":               false,
		"":                            false,
		"http://[::1":                 false,
	} {
		if got := IsURL(s); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for h, want := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "::1": true, "localhost": true, "LOCALHOST.": true,
		"::ffff:127.0.0.1": true,
		"10.0.0.1":         false, "0.0.0.0": false, "example.com": false, "localhost.example.com": false,
		"127.0.0.1.nip.io": false, "::": false, "": false,
	} {
		if got := isLoopback(h); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://example.com/a/b.tar.gz":                     "https://example.com/a/b.tar.gz",
		"https://user:pw@example.com/a":                      "https://REDACTED@example.com/a",
		"https://tok@example.com/a":                          "https://REDACTED@example.com/a",
		"https://example.com/a?X-Amz-Signature=abc&X-Amz-X=": "https://example.com/a?X-Amz-Signature=REDACTED&X-Amz-X=REDACTED",
		"https://example.com/a?secret#frag":                  "https://example.com/a?REDACTED",
		"https://example.com/a?":                             "https://example.com/a",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := redact(u); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"http://u:pw@host:port/x?tok=1": "http://REDACTED@host:port/x",
		"http://host:port/x#y":          "http://host:port/x",
	} {
		if got := redactRaw(in); got != want {
			t.Errorf("redactRaw(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0 B", 1000: "1000 B", 1024: "1 KiB", 1536: "1.5 KiB", 100 << 20: "100 MiB", 512 << 20: "512 MiB",
		1 << 30: "1 GiB", 3 << 29: "1.5 GiB", 4 << 30: "4 GiB", 1 << 40: "1 TiB",
	} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{
		100 << 20: "100 MiB", 100<<20 + 1: "100 MiB (104857601 bytes)", 1536: "1.5 KiB", 1537: "1.5 KiB (1537 bytes)", 999: "999 B",
	} {
		if got := exactSize(n); got != want {
			t.Errorf("exactSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestBackoffAndRetryAfter(t *testing.T) {
	t.Parallel()
	want := []time.Duration{200, 400, 800, 1600, 3200, 5000, 5000, 5000}
	for i, w := range want {
		if got := backoff(i + 1); got != w*time.Millisecond {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	if got := backoff(1000); got != backoffCap {
		t.Errorf("backoff(1000) = %v", got)
	}
	for v, want := range map[string]time.Duration{
		"": -1, "1": time.Second, "0": 0, "-5": -1, "soon": -1, "120": 120 * time.Second,
		"Wed, 21 Oct 2015 07:28:00 GMT": 0, // in the past
	} {
		if got := parseRetryAfter(v); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
	future := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	if got := parseRetryAfter(future); got < 28*time.Second || got > 31*time.Second {
		t.Errorf("parseRetryAfter(date in 30s) = %v", got)
	}
}

func TestParseContentRange(t *testing.T) {
	t.Parallel()
	type r struct {
		first, last, size int64
		ok                bool
	}
	for in, want := range map[string]r{
		"bytes 100-199/200": {100, 199, 200, true},
		"bytes 0-0/1":       {0, 0, 1, true},
		"bytes 100-199/*":   {},
		"bytes 100-199/150": {},
		"bytes 200-100/300": {},
		"bytes -1-5/10":     {},
		"items 0-1/2":       {},
		"":                  {},
		"bytes 1-2":         {},
	} {
		f, l, s, ok := parseContentRange(in)
		if (r{f, l, s, ok}) != want {
			t.Errorf("parseContentRange(%q) = %v %v %v %v, want %+v", in, f, l, s, ok, want)
		}
	}
}
