package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
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
