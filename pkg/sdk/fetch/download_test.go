package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDownloadDigests(t *testing.T) {
	t.Parallel()
	sizes := []int64{0, 1, 1000, chunkSize - 1, chunkSize, chunkSize + 1, 3<<20 + 7}
	for _, size := range sizes {
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("size=%d/keep=%v", size, keep), func(t *testing.T) {
				t.Parallel()
				body := genBytes(t, size, size)
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
					serveGen(w, r, size, size, time.Time{})
				})
				dir := ""
				if keep {
					dir = t.TempDir()
				}
				res, err := Download(context.Background(), srv.URL+"/blob", []string{"sha256", "sha384", "sha512"}, dir, Options{})
				if err != nil {
					t.Fatal(err)
				}
				s256, s384, s512 := sha256.Sum256(body), sha512.Sum384(body), sha512.Sum512(body)
				want := map[string]string{
					"sha256": hex.EncodeToString(s256[:]),
					"sha384": hex.EncodeToString(s384[:]),
					"sha512": hex.EncodeToString(s512[:]),
				}
				for alg, d := range want {
					if res.Digests[alg] != d {
						t.Errorf("%s = %s, want %s", alg, res.Digests[alg], d)
					}
				}
				if len(res.Digests) != 3 {
					t.Errorf("digests: %v", res.Digests)
				}
				if res.Size != size {
					t.Errorf("size = %d, want %d", res.Size, size)
				}
				if !keep {
					if res.Path != "" {
						t.Errorf("path = %q without keep", res.Path)
					}
					return
				}
				if filepath.Dir(res.Path) != dir {
					t.Errorf("path %q not in %q", res.Path, dir)
				}
				got, err := os.ReadFile(res.Path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, body) {
					t.Errorf("kept file differs from the served bytes (%d vs %d bytes)", len(got), len(body))
				}
				if n := len(dirEntries(t, dir)); n != 1 {
					t.Errorf("%d files in keep dir, want 1", n)
				}
			})
		}
	}
}

func TestDownloadAlgorithms(t *testing.T) {
	t.Parallel()
	body := genBytes(t, 7, 5000)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { serveGen(w, r, 7, 5000, time.Time{}) })
	tests := []struct {
		name    string
		algs    []string
		want    []string // digest keys
		wantErr string
	}{
		{"aliases deduplicated", []string{"SHA-256", "sha256", " sha256 "}, []string{"sha256"}, ""},
		{"none: size only", nil, nil, ""},
		{"sha512 only", []string{"sha512"}, []string{"sha512"}, ""},
		{"unknown", []string{"sha256", "md5"}, nil, `unsupported digest algorithm "md5"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.count()
			res, err := Download(context.Background(), srv.URL+"/x", tt.algs, "", Options{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if srv.count() != before {
					t.Error("a request was made despite the bad algorithm")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Digests) != len(tt.want) || res.Size != 5000 {
				t.Fatalf("digests %v size %d", res.Digests, res.Size)
			}
			for _, k := range tt.want {
				if _, ok := res.Digests[k]; !ok {
					t.Errorf("missing %s", k)
				}
			}
			if d, ok := res.Digests["sha256"]; ok && d != sha256Hex(body) {
				t.Error("sha256 wrong")
			}
		})
	}
}

func TestDownloadSizeLimit(t *testing.T) {
	t.Parallel()
	const limit = 1 << 20
	// announce: Content-Length sent; chunked: no Content-Length, streamed in 64 KiB writes.
	chunked := func(size int64) func(http.ResponseWriter, *http.Request, int) {
		return func(w http.ResponseWriter, r *http.Request, _ int) {
			w.(http.Flusher).Flush() // headers out now: chunked encoding
			io.CopyBuffer(w, io.LimitReader(newGen(1, size), size), make([]byte, 64<<10))
		}
	}
	withLength := func(size int64) func(http.ResponseWriter, *http.Request, int) {
		return func(w http.ResponseWriter, r *http.Request, _ int) { serveGen(w, r, 1, size, time.Time{}) }
	}
	// announces a huge body, sends a little, then holds the connection: only an up-front check returns.
	hugeAnnounced := func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Length", strconv.FormatInt(1<<40, 10))
		w.WriteHeader(200)
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
	tests := []struct {
		name     string
		h        func(http.ResponseWriter, *http.Request, int)
		size     int64
		tooLarge bool
		upFront  bool   // refused before reading any of the body
		wantMsg  string // in the error
	}{
		{"length at limit", withLength(limit), limit, false, false, ""},
		{"length limit-1", withLength(limit - 1), limit - 1, false, false, ""},
		{"length limit+1", withLength(limit + 1), 0, true, true, "body of 1 MiB (1048577 bytes) (Content-Length) exceeds the 1 MiB limit (raise it with max_size)"},
		{"length 1 TiB announced", hugeAnnounced, 0, true, true, "body of 1 TiB (Content-Length) exceeds the 1 MiB limit (raise it with max_size)"},
		{"chunked at limit", chunked(limit), limit, false, false, ""},
		{"chunked limit+1", chunked(limit + 1), 0, true, false, "body exceeds the 1 MiB limit (raise it with max_size)"},
		{"chunked 3x limit", chunked(3 * limit), 0, true, false, "body exceeds the 1 MiB limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.h)
			dir := t.TempDir()
			var maxSeen, calls atomic.Int64
			opts := Options{MaxSize: limit, Progress: func(done, total int64) {
				calls.Add(1)
				if done > maxSeen.Load() {
					maxSeen.Store(done)
				}
			}}
			start := time.Now()
			res, err := Download(context.Background(), srv.URL+"/big", []string{"sha256"}, dir, opts)
			if !tt.tooLarge {
				if err != nil {
					t.Fatal(err)
				}
				if res.Size != tt.size || res.Digests["sha256"] != sha256Hex(genBytes(t, 1, tt.size)) {
					t.Fatalf("size %d digest %s", res.Size, res.Digests["sha256"])
				}
				return
			}
			if err == nil {
				t.Fatalf("success (%d bytes) over the limit", res.Size)
			}
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), srv.URL+"/big") {
				t.Errorf("err = %q, want it to name the URL and say %q", err, tt.wantMsg)
			}
			if n := srv.count(); n != 1 {
				t.Errorf("%d requests: a size error must not be retried", n)
			}
			if m := maxSeen.Load(); m > limit {
				t.Errorf("accepted %d bytes, over the limit", m)
			}
			if tt.upFront {
				if calls.Load() != 0 {
					t.Errorf("body read (%d progress calls) before refusing an announced size", calls.Load())
				}
				if el := time.Since(start); el > 3*time.Second {
					t.Errorf("took %v: the announced size was not checked up front", el)
				}
			}
			if left := dirEntries(t, dir); len(left) != 0 {
				t.Errorf("files left behind: %v", left)
			}
		})
	}
}

func TestDownloadShortBody(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Length", "1000")
		w.Write(make([]byte, 500))
	})
	res, err := Download(context.Background(), srv.URL, []string{"sha256"}, "", Options{Retries: 1})
	if err == nil {
		t.Fatalf("short body accepted: %+v", res)
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
	for _, want := range []string{"server closed the connection after 500 B of 1000 B", "retried once"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want %q", err, want)
		}
	}
	if n := srv.count(); n != 2 {
		t.Errorf("%d requests, want 2 (one retry)", n)
	}
}

func TestDownloadStatus(t *testing.T) {
	t.Parallel()
	type step struct {
		code       int
		retryAfter string
	}
	tests := []struct {
		name      string
		steps     []step // answers before the body; past the end the body is served
		opts      Options
		wantErr   error  // kind; nil with wantFail means a plain error
		wantFail  bool   // an error is expected
		wantMsg   string // in the error
		wantReqs  int
		minTime   time.Duration
		maxTime   time.Duration
		wantState int // Error.Status
	}{
		{name: "404", steps: []step{{404, ""}}, wantErr: ErrNotFound, wantFail: true, wantMsg: "not found (server answered 404 Not Found)", wantReqs: 1, wantState: 404},
		{name: "410", steps: []step{{410, ""}}, wantErr: ErrNotFound, wantFail: true, wantReqs: 1, wantState: 410},
		{name: "403 not retried", steps: []step{{403, ""}}, wantFail: true, wantMsg: "server answered 403 Forbidden", wantReqs: 1, wantState: 403},
		{name: "400 not retried", steps: []step{{400, ""}}, wantFail: true, wantReqs: 1, wantState: 400},
		{name: "501 not retried", steps: []step{{501, ""}}, wantErr: ErrUnavailable, wantFail: true, wantReqs: 1, wantState: 501},
		{name: "503 then 200", steps: []step{{503, ""}}, wantReqs: 2, minTime: 150 * time.Millisecond},
		{name: "500 502 then 200", steps: []step{{500, ""}, {502, ""}}, wantReqs: 3, minTime: 550 * time.Millisecond},
		{name: "408 then 200", steps: []step{{408, ""}}, wantReqs: 2},
		{name: "503 throughout", steps: []step{{503, ""}, {503, ""}, {503, ""}, {503, ""}, {503, ""}}, wantErr: ErrUnavailable, wantFail: true,
			wantMsg: "server answered 503 Service Unavailable; retried 3 times", wantReqs: 4, minTime: 1350 * time.Millisecond, wantState: 503},
		{name: "retries disabled", steps: []step{{503, ""}}, opts: Options{Retries: -1}, wantErr: ErrUnavailable, wantFail: true,
			wantMsg: "not retried", wantReqs: 1},
		{name: "429 Retry-After 1 honoured", steps: []step{{429, "1"}}, wantReqs: 2, minTime: 950 * time.Millisecond},
		{name: "429 Retry-After capped", steps: []step{{429, "3600"}}, opts: Options{retryAfterCap: 300 * time.Millisecond}, wantReqs: 2,
			minTime: 250 * time.Millisecond, maxTime: 3 * time.Second},
		{name: "503 then 404", steps: []step{{503, ""}, {404, ""}}, wantErr: ErrNotFound, wantFail: true, wantMsg: "retried once", wantReqs: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n < len(tt.steps) {
					if ra := tt.steps[n].retryAfter; ra != "" {
						w.Header().Set("Retry-After", ra)
					}
					http.Error(w, "nope", tt.steps[n].code)
					return
				}
				serveGen(w, r, 3, 4096, time.Time{})
			})
			start := time.Now()
			res, err := Download(context.Background(), srv.URL+"/f", []string{"sha256"}, "", tt.opts)
			el := time.Since(start)
			if tt.wantFail {
				if err == nil {
					t.Fatal("success, want an error")
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v, want kind %v", err, tt.wantErr)
				}
				if tt.wantErr == nil && (errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNotFound)) {
					t.Errorf("err = %v has a kind it should not", err)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), srv.URL+"/f") {
					t.Errorf("err = %q, want the URL and %q", err, tt.wantMsg)
				}
				var fe *Error
				if tt.wantState != 0 && (!errors.As(err, &fe) || fe.Status != tt.wantState) {
					t.Errorf("status in error = %+v, want %d", fe, tt.wantState)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if res.Digests["sha256"] != sha256Hex(genBytes(t, 3, 4096)) {
					t.Error("digest wrong")
				}
			}
			if n := srv.count(); n != tt.wantReqs {
				t.Errorf("%d requests, want %d", n, tt.wantReqs)
			}
			if el < tt.minTime {
				t.Errorf("took %v, want at least %v (backoff / Retry-After)", el, tt.minTime)
			}
			if tt.maxTime > 0 && el > tt.maxTime {
				t.Errorf("took %v, want at most %v", el, tt.maxTime)
			}
		})
	}
}

func TestDownloadResume(t *testing.T) {
	t.Parallel()
	const size = 2<<20 + 123
	const cut = 700_001
	etag := `"v1"`
	dropFirst := func(serve func(w http.ResponseWriter, r *http.Request, n int)) func(http.ResponseWriter, *http.Request, int) {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 0 {
				w = &dropWriter{ResponseWriter: w, left: cut}
			}
			serve(w, r, n)
		}
	}
	withETag := func(tag string, mod time.Time) func(http.ResponseWriter, *http.Request, int) {
		return func(w http.ResponseWriter, r *http.Request, _ int) {
			if tag != "" {
				w.Header().Set("ETag", tag)
			}
			serveGen(w, r, 5, size, mod)
		}
	}
	tests := []struct {
		name        string
		h           func(http.ResponseWriter, *http.Request, int)
		opts        Options
		wantReqs    int
		wantRange   []string // Range header of each request
		wantIfRange []string
		maxTime     time.Duration
	}{
		{
			name:        "strong ETag: resumed with Range and If-Range",
			h:           dropFirst(withETag(etag, fixedTime)),
			wantReqs:    2,
			wantRange:   []string{"", "bytes=700001-"},
			wantIfRange: []string{"", etag},
		},
		{
			name:        "Last-Modified only: If-Range carries the date",
			h:           dropFirst(withETag("", fixedTime)),
			wantReqs:    2,
			wantRange:   []string{"", "bytes=700001-"},
			wantIfRange: []string{"", fixedTime.Format(http.TimeFormat)},
		},
		{
			name: "server ignores Range: restart from zero",
			h: dropFirst(func(w http.ResponseWriter, r *http.Request, n int) {
				r.Header.Del("Range")
				withETag(etag, fixedTime)(w, r, n)
			}),
			wantReqs:    2,
			wantRange:   []string{"", "bytes=700001-"},
			wantIfRange: []string{"", etag},
		},
		{
			name:        "weak ETag and no date: no Range, restart",
			h:           dropFirst(withETag(`W/"v1"`, time.Time{})),
			wantReqs:    2,
			wantRange:   []string{"", ""},
			wantIfRange: []string{"", ""},
		},
		{
			name: "no Accept-Ranges: no Range, restart",
			h: dropFirst(func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("ETag", etag)
				w.Header().Set("Content-Length", strconv.Itoa(size))
				io.Copy(w, newGen(5, size))
			}),
			wantReqs:  2,
			wantRange: []string{"", ""},
		},
		{
			name: "206 with a Content-Range that does not fit: restart from zero",
			h: dropFirst(func(w http.ResponseWriter, r *http.Request, n int) {
				if r.Header.Get("Range") != "" {
					w.Header().Set("ETag", etag)
					w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", size-1, size))
					w.Header().Set("Content-Length", strconv.Itoa(size))
					w.WriteHeader(http.StatusPartialContent)
					io.Copy(w, newGen(5, size))
					return
				}
				withETag(etag, fixedTime)(w, r, n)
			}),
			wantReqs:  3,
			wantRange: []string{"", "bytes=700001-", ""},
		},
		{
			name: "stalls once: idle timeout, then resumed",
			h: func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 0 {
					w.Header().Set("ETag", etag)
					w.Header().Set("Accept-Ranges", "bytes")
					w.Header().Set("Content-Length", strconv.Itoa(size))
					io.CopyN(w, newGen(5, size), cut)
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
					return
				}
				withETag(etag, fixedTime)(w, r, n)
			},
			opts:        Options{idleTimeout: 300 * time.Millisecond},
			maxTime:     5 * time.Second, // the server holds the connection for 10s
			wantReqs:    2,
			wantRange:   []string{"", "bytes=700001-"},
			wantIfRange: []string{"", etag},
		},
		{
			name: "drops every 1 MiB but progresses: retries not used up",
			h: func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("ETag", etag)
				serveGen(&dropWriter{ResponseWriter: w, left: 1 << 20}, r, 5, size, fixedTime)
			},
			opts:      Options{Retries: 1},
			wantReqs:  3, // 2 MiB + 123 in 1 MiB steps: two failures on one retry
			wantRange: []string{"", "bytes=1048576-", "bytes=2097152-"},
		},
	}
	body := genBytes(t, 5, size)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.h)
			dir := t.TempDir()
			var restarts atomic.Int64
			opts := tt.opts
			var last int64
			opts.Progress = func(done, total int64) {
				if done < last {
					restarts.Add(1)
				}
				last = done
			}
			start := time.Now()
			res, err := Download(context.Background(), srv.URL+"/blob", []string{"sha256", "sha512"}, dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			if el := time.Since(start); tt.maxTime > 0 && el > tt.maxTime {
				t.Errorf("took %v, want under %v", el, tt.maxTime)
			}
			s512 := sha512.Sum512(body)
			if res.Digests["sha256"] != sha256Hex(body) || res.Digests["sha512"] != hex.EncodeToString(s512[:]) || res.Size != size {
				t.Errorf("wrong result after resume/restart: size %d", res.Size)
			}
			got, err := os.ReadFile(res.Path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, body) {
				t.Errorf("kept file differs from the served bytes")
			}
			if n := srv.count(); n != tt.wantReqs {
				t.Errorf("%d requests, want %d", n, tt.wantReqs)
			}
			for i, want := range tt.wantRange {
				if got := srv.req(i).Header.Get("Range"); got != want {
					t.Errorf("request %d Range = %q, want %q", i, got, want)
				}
			}
			for i, want := range tt.wantIfRange {
				if got := srv.req(i).Header.Get("If-Range"); got != want {
					t.Errorf("request %d If-Range = %q, want %q", i, got, want)
				}
			}
			// A resumed download never goes back; a restart does.
			resumed := tt.wantRange[len(tt.wantRange)-1] != "" && !strings.Contains(tt.name, "restart")
			if resumed && restarts.Load() != 0 {
				t.Errorf("restarted %d times, want a resume", restarts.Load())
			}
			if !resumed && restarts.Load() == 0 {
				t.Errorf("no restart from zero")
			}
		})
	}
}

func TestDownloadGivesUp(t *testing.T) {
	t.Parallel()
	// Every answer is cut 100 KiB later: resumable, but never enough progress.
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("ETag", `"x"`)
		serveGen(&dropWriter{ResponseWriter: w, left: 100 << 10}, r, 9, 1<<20, fixedTime)
	})
	dir := t.TempDir()
	res, err := Download(context.Background(), srv.URL+"/always-drops", []string{"sha256"}, dir, Options{})
	if err == nil {
		t.Fatalf("success: %+v", res)
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
	want := "fetch " + srv.URL + "/always-drops: server closed the connection after 400 KiB of 1 MiB; retried 3 times"
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
	if n := srv.count(); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
	if left := dirEntries(t, dir); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

func TestDownloadCancel(t *testing.T) {
	t.Parallel()
	endless := func(w http.ResponseWriter, r *http.Request, _ int) {
		buf := make([]byte, 32<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	}
	stall := func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Length", "1000000")
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	unavailable := func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Retry-After", "5") // a long wait that the cancellation must cut short
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}
	tests := []struct {
		name    string
		h       func(http.ResponseWriter, *http.Request, int)
		timeout time.Duration // a deadline instead of a cancel from Progress
		cancelT time.Duration // cancel after this long instead of from Progress
		want    error
	}{
		{name: "cancelled mid-body", h: endless, want: context.Canceled},
		{name: "deadline while the server stalls", h: stall, timeout: 300 * time.Millisecond, want: context.DeadlineExceeded},
		{name: "cancelled during backoff", h: unavailable, cancelT: 300 * time.Millisecond, want: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.h)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var cancelledAt atomic.Int64
			opts := Options{}
			switch {
			case tt.timeout > 0:
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
				cancelledAt.Store(time.Now().Add(tt.timeout).UnixNano())
			case tt.cancelT > 0:
				time.AfterFunc(tt.cancelT, func() { cancelledAt.Store(time.Now().UnixNano()); cancel() })
			default:
				opts.Progress = func(done, total int64) {
					if done >= 1<<20 && cancelledAt.Load() == 0 {
						cancelledAt.Store(time.Now().UnixNano())
						cancel()
					}
				}
			}
			dir := t.TempDir()
			_, err := Download(ctx, srv.URL+"/slow", []string{"sha256"}, dir, opts)
			returned := time.Now()
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if errors.Is(err, ErrUnavailable) {
				t.Errorf("a cancellation is not ErrUnavailable: %v", err)
			}
			if !strings.Contains(err.Error(), srv.URL+"/slow") {
				t.Errorf("err = %q does not name the URL", err)
			}
			if at := cancelledAt.Load(); at == 0 {
				t.Fatal("never cancelled")
			} else if lag := returned.Sub(time.Unix(0, at)); lag > time.Second {
				t.Errorf("returned %v after the cancellation", lag)
			}
			if left := dirEntries(t, dir); len(left) != 0 {
				t.Errorf("files left behind: %v", left)
			}
		})
	}
}

func TestInsecure(t *testing.T) {
	t.Parallel()
	refused := []string{
		"http://example.com/a.tar.gz",
		"HTTP://EXAMPLE.COM/a",
		"http://10.0.0.1/a",
		"http://localhost.example.com/a",
		"http://127.0.0.1.nip.io/a",
		"http://[2001:db8::1]:8080/a",
	}
	for _, u := range refused {
		t.Run("refused "+u, func(t *testing.T) {
			t.Parallel()
			opts := Options{Client: noNetwork(t)}
			_, err := Download(context.Background(), u, []string{"sha256"}, "", opts)
			if !errors.Is(err, ErrInsecure) || !strings.Contains(err.Error(), "use https") {
				t.Errorf("Download: err = %v, want ErrInsecure", err)
			}
			if _, err := Get(context.Background(), u, 0, opts); !errors.Is(err, ErrInsecure) {
				t.Errorf("Get: err = %v, want ErrInsecure", err)
			}
			if _, err := Exists(context.Background(), u, opts); !errors.Is(err, ErrInsecure) {
				t.Errorf("Exists: err = %v, want ErrInsecure", err)
			}
		})
	}
	for _, u := range []string{"ftp://example.com/a", "file:///etc/passwd", "example.com/a", "https:///nohost"} {
		t.Run("unsupported "+u, func(t *testing.T) {
			t.Parallel()
			_, err := Download(context.Background(), u, []string{"sha256"}, "", Options{Client: noNetwork(t)})
			if err == nil || errors.Is(err, ErrInsecure) {
				t.Errorf("err = %v, want a plain error", err)
			}
		})
	}

	// Allowed: the transport is reached (and answers without any network).
	canned := func(calls *atomic.Int64) *http.Client {
		return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			calls.Add(1)
			return &http.Response{StatusCode: 200, Header: http.Header{}, ContentLength: 5,
				Body: io.NopCloser(strings.NewReader("hello")), Request: r}, nil
		})}
	}
	for _, tt := range []struct {
		url   string
		allow bool
	}{
		{"https://example.com/a", false},
		{"http://example.com/a", true},
		{"http://localhost:1/a", false},
		{"http://127.0.0.2:1/a", false},
		{"http://[::1]:1/a", false},
	} {
		t.Run("allowed "+tt.url, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int64
			res, err := Download(context.Background(), tt.url, []string{"sha256"}, "", Options{Client: canned(&calls), AllowHTTP: tt.allow})
			if err != nil {
				t.Fatal(err)
			}
			if calls.Load() != 1 || res.Digests["sha256"] != sha256Hex([]byte("hello")) {
				t.Errorf("calls %d digest %s", calls.Load(), res.Digests["sha256"])
			}
		})
	}

	t.Run("http to 127.0.0.1 server", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { io.WriteString(w, "hi") })
		b, err := Get(context.Background(), srv.URL, 0, Options{})
		if err != nil || string(b) != "hi" {
			t.Fatalf("%q %v", b, err)
		}
	})

	// Redirects obey the same rule; the refused hop is never contacted.
	onlyLoopback := func(t *testing.T) *http.Client {
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if h := r.URL.Hostname(); h != "127.0.0.1" {
				t.Errorf("connection attempt to %s", h)
				return nil, errors.New("refused by the test")
			}
			return tr.RoundTrip(r)
		})}
	}
	t.Run("redirect to plain http elsewhere", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			http.Redirect(w, r, "http://example.com/evil?sig=s3cr3t", http.StatusFound)
		})
		_, err := Download(context.Background(), srv.URL+"/a", []string{"sha256"}, "", Options{Client: onlyLoopback(t)})
		if !errors.Is(err, ErrInsecure) {
			t.Fatalf("err = %v, want ErrInsecure", err)
		}
		if !strings.Contains(err.Error(), "redirected to http://example.com/evil?sig=REDACTED") || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("err = %q", err)
		}
		if srv.count() != 1 {
			t.Errorf("%d requests, want 1 (not retried)", srv.count())
		}
	})
	t.Run("redirect within loopback", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			if r.URL.Path == "/a" {
				http.Redirect(w, r, "/b", http.StatusFound)
				return
			}
			io.WriteString(w, "moved")
		})
		b, err := Get(context.Background(), srv.URL+"/a", 0, Options{Client: onlyLoopback(t)})
		if err != nil || string(b) != "moved" {
			t.Fatalf("%q %v", b, err)
		}
	})
}

func TestErrorsRedactURL(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { http.NotFound(w, r) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := ln.Addr().String()
	ln.Close()
	secrets := []string{"s3cret", "abc123", "zzz", "frag"}
	tests := []struct {
		name, url, want string
		kind            error
		client          *http.Client
	}{
		{"404", strings.Replace(srv.URL, "http://", "http://alice:s3cret@", 1) + "/p/a.bin?token=abc123&sig=zzz#frag",
			strings.Replace(srv.URL, "http://", "http://REDACTED@", 1) + "/p/a.bin?token=REDACTED&sig=REDACTED: not found", ErrNotFound, nil},
		{"connection refused", "http://alice:s3cret@" + closedAddr + "/x?token=abc123",
			"http://REDACTED@" + closedAddr + "/x?token=REDACTED: request failed: connection refused", ErrUnavailable, nil},
		{"unparseable", "http://alice:s3cret@host:port/x?token=abc123", "invalid URL", nil, nil},
	}
	// A transport failure net/http reports as *url.Error, whose text repeats the URL.
	boom := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("boom")
	})}
	tests = append(tests, struct {
		name, url, want string
		kind            error
		client          *http.Client
	}{"transport error", "https://alice:s3cret@example.com/x?token=abc123#frag",
		"fetch https://REDACTED@example.com/x?token=REDACTED: request failed: boom", ErrUnavailable, boom})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Download(context.Background(), tt.url, []string{"sha256"}, "", Options{Retries: -1, Client: tt.client})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want %q", err, tt.want)
			}
			// Nothing in the chain, which a caller may print, holds a secret either.
			walk := []error{err}
			for len(walk) > 0 {
				e := walk[0]
				walk = walk[1:]
				for _, s := range secrets {
					if strings.Contains(e.Error(), s) {
						t.Errorf("%T %q in the chain of %q leaks %q", e, e, err, s)
					}
				}
				switch u := e.(type) {
				case interface{ Unwrap() error }:
					if w := u.Unwrap(); w != nil {
						walk = append(walk, w)
					}
				case interface{ Unwrap() []error }:
					walk = append(walk, u.Unwrap()...)
				}
			}
			if tt.kind != nil && !errors.Is(err, tt.kind) {
				t.Errorf("err = %v, want kind %v", err, tt.kind)
			}
		})
	}
}
