package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestURLSources: blobs and bundles served over HTTP on loopback verify; a
// server that drops the connection or sends more than the size limit leaves
// the artifact unchecked (exit 3), never passing; a missing file fails.
func TestURLSources(t *testing.T) {
	r := newRelease(t)
	content := strings.Repeat("downloadable release bytes\n", 40000) // ~1 MiB
	bundle, err := r.ss.SignBlob(releaseSAN, githubIssuer, []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	var drops atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/app.tar.gz", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(content)))
		_, _ = io.WriteString(w, content)
	})
	mux.HandleFunc("/app.tar.gz.sigstore.json", func(w http.ResponseWriter, req *http.Request) { _, _ = w.Write(bundle) })
	mux.HandleFunc("/dropping.tar.gz", func(w http.ResponseWriter, req *http.Request) {
		drops.Add(1)
		w.Header().Set("Content-Length", strconv.Itoa(len(content)))
		_, _ = io.WriteString(w, content[:len(content)/3])
		// Hijack and close mid-body.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
	})
	mux.HandleFunc("/dropping.tar.gz.sigstore.json", func(w http.ResponseWriter, req *http.Request) { _, _ = w.Write(bundle) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	policy := writeFile(t, r.dir, "policy.hcl", releasePolicy+`
blob "by-url" {
  path     = "`+srv.URL+`/app.tar.gz"
  identity = identity.release
}
blob "too-big" {
  path     = "`+srv.URL+`/app.tar.gz"
  max_size = 1000
  identity = identity.release
}
blob "missing" {
  path     = "`+srv.URL+`/nope.tar.gz"
  bundle   = "`+srv.URL+`/app.tar.gz.sigstore.json"
  identity = identity.release
}
`)
	res := runCLI(t, nil, "check", policy, "--format", "json", "--offline=false")
	want := map[string]string{"by-url": "pass", "too-big": "error", "missing": "fail"}
	rep := parseReport(t, res)
	for _, row := range rep.Results {
		if row.Status != want[row.Name] {
			t.Errorf("%s: %s (%s), want %s", row.Name, row.Status, row.Reason, want[row.Name])
		}
	}
	if res.code != 1 {
		t.Errorf("exit %d, want 1 (one failed)", res.code)
	}
	for _, row := range rep.Results {
		if row.Name == "too-big" && !strings.Contains(row.Reason, "limit") {
			t.Errorf("too-big: reason %q does not mention the limit", row.Reason)
		}
	}

	// A server that always drops the connection: could not be checked.
	drop := writeFile(t, r.dir, "drop.hcl", releasePolicy+`
blob "dropping" {
  path     = "`+srv.URL+`/dropping.tar.gz"
  identity = identity.release
}
`)
	res = runCLI(t, nil, "check", drop, "--format", "json")
	if res.code != 3 {
		t.Fatalf("dropping server: exit %d, want 3: %s %s", res.code, res.stdout, res.stderr)
	}
	if got := parseReport(t, res).Results[0]; got.Status != "error" || !strings.Contains(got.Reason, "closed the connection") {
		t.Errorf("dropping server: %s %q", got.Status, got.Reason)
	}
	if drops.Load() < 2 {
		t.Errorf("the download was not retried (%d requests)", drops.Load())
	}

	// --offline downloads nothing: unchecked.
	res = runCLI(t, nil, "check", policy, "--format", "json", "--offline")
	if res.code != 3 && res.code != 1 {
		t.Fatalf("offline: exit %d", res.code)
	}
	for _, row := range parseReport(t, res).Results {
		if row.Name == "by-url" && (row.Status != "error" || !strings.Contains(row.Reason, "--offline")) {
			t.Errorf("offline by-url: %s %q", row.Status, row.Reason)
		}
	}
}

// TestURLProgress: a large download shows a progress bar on stderr with
// --progress always (on a terminal, auto does the same), and nothing with
// never or when stderr is not a terminal (auto, here a pipe). The report on
// stdout is the same either way.
func TestURLProgress(t *testing.T) {
	r := newRelease(t)
	const size = 24 << 20
	content := strings.Repeat("large release payload\n", size/22+1)[:size]
	bundle, err := r.ss.SignBlob(releaseSAN, githubIssuer, []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/models.tar.gz", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(content)))
		// Slow enough for several progress reports: 24 chunks, 30 ms apart.
		for off := 0; off < len(content); off += 1 << 20 {
			_, _ = io.WriteString(w, content[off:off+1<<20])
			w.(http.Flusher).Flush()
			time.Sleep(30 * time.Millisecond)
		}
	})
	mux.HandleFunc("/models.tar.gz.sigstore.json", func(w http.ResponseWriter, req *http.Request) { _, _ = w.Write(bundle) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	policy := writeFile(t, r.dir, "policy.hcl", releasePolicy+`
blob "models" {
  path     = "`+srv.URL+`/models.tar.gz"
  identity = identity.release
}
`)
	for _, tc := range []struct {
		mode     string
		wantBar  bool
		wantCode int
	}{
		{mode: "always", wantBar: true},
		{mode: "never"},
		{mode: "auto"}, // stderr is a pipe
		{mode: "sometimes", wantCode: 2},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			res := runCLI(t, nil, "check", policy, "--progress", tc.mode)
			if res.code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s %s", res.code, tc.wantCode, res.stdout, res.stderr)
			}
			if tc.wantCode != 0 {
				if !strings.Contains(res.stderr, "want auto, always or never") {
					t.Fatalf("stderr %q does not explain --progress", res.stderr)
				}
				return
			}
			bar := strings.Contains(res.stderr, "downloading models.tar.gz")
			if bar != tc.wantBar {
				t.Fatalf("progress bar shown: %v, want %v; stderr %q", bar, tc.wantBar, res.stderr)
			}
			if !strings.Contains(res.stdout, "PASS") {
				t.Fatalf("report %q", res.stdout)
			}
			if !tc.wantBar {
				return
			}
			// Several redraws with growing figures, and the line erased at
			// the end, before the report.
			if n := strings.Count(res.stderr, "downloading models.tar.gz"); n < 2 {
				t.Errorf("%d progress lines, want several: %q", n, res.stderr)
			}
			if !strings.Contains(res.stderr, "/ 24.0 MiB") || !strings.HasSuffix(res.stderr, "\r\x1b[K") {
				t.Errorf("stderr %q: want the total and a final erase", res.stderr)
			}
		})
	}
}
