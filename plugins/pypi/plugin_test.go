package pypi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
	"github.com/vmafx/vmafx-trust/plugins/pypi"
	"github.com/vmafx/vmafx-trust/plugins/pypi/pypitest"
)

var (
	signerOnce sync.Once
	signer     *pypitest.Signer
	signerErr  error
)

// testSigner is shared: one in-memory Sigstore signs every test release.
func testSigner(t *testing.T) *pypitest.Signer {
	t.Helper()
	signerOnce.Do(func() { signer, signerErr = pypitest.NewSigner() })
	if signerErr != nil {
		t.Fatal(signerErr)
	}
	return signer
}

var vmafCI = pypitest.CI{Kind: "github", Repository: "lusoris/vmaf", Workflow: "release.yml", Ref: "refs/tags/v1.4.0"}

// release is vmaf-mcp 1.4.0 with n files, published by vmafCI in
// environment "pypi".
type release struct {
	files []*pypitest.File
	ix    *pypitest.Index
}

func fileNames(n int) []string {
	names := []string{"vmaf_mcp-1.4.0.tar.gz", "vmaf_mcp-1.4.0-py3-none-any.whl"}
	for i := 0; len(names) < n; i++ {
		names = append(names, fmt.Sprintf("vmaf_mcp-1.4.0-cp3%d-cp3%d-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 10+i, 10+i))
	}
	return names[:n]
}

func newRelease(t *testing.T, n int) *release {
	t.Helper()
	s := testSigner(t)
	r := &release{}
	for i, name := range fileNames(n) {
		data := bytes.Repeat([]byte(fmt.Sprintf("%s %d\n", name, i)), 1000+i)
		att, err := s.Attestation(vmafCI, pypitest.Statement(name, data))
		if err != nil {
			t.Fatal(err)
		}
		r.files = append(r.files, &pypitest.File{Name: name, Data: data, Provenance: pypitest.Provenance(pypitest.GitHubPublisher(vmafCI, "pypi"), att)})
	}
	r.ix = pypitest.NewIndex("vmaf-mcp", "1.4.0", r.files...)
	t.Cleanup(r.ix.Close)
	return r
}

var vmafPublisher = map[string]any{"kind": "github", "repository": "lusoris/vmaf", "workflow": "release.yml", "environment": "pypi"}

// request is what the host sends for attrs, with the identity it derives
// from the publisher block.
func request(t *testing.T, name string, attrs map[string]any) (*sdk.Request, []trust.Identity) {
	t.Helper()
	req := &sdk.Request{Kind: "pypi", Name: name, Require: 1, TrustRoot: &sdk.TrustRoot{Name: "test", TrustedRootJSON: testSigner(t).TrustedRootJSON}}
	var ids []trust.Identity
	if pub, ok := attrs["publisher"].(map[string]any); ok {
		id, err := policy.TrustedPublisherIdentity(pub)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		req.Identities = append(req.Identities, sdk.Identity(id))
	}
	raw, err := json.Marshal(attrs)
	if err != nil {
		t.Fatal(err)
	}
	req.Attributes = raw
	return req, ids
}

func verify(t *testing.T, req *sdk.Request) *sdk.Result {
	t.Helper()
	res, err := pypi.New().Verify(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// rows returns each file's verdict as the host would report it (the host's
// own evidence verification included).
func rows(t *testing.T, req *sdk.Request, ids []trust.Identity, res *sdk.Result) map[string]sdk.SubResult {
	t.Helper()
	if res.Status != sdk.StatusPass {
		t.Fatalf("release-level %s: %s", res.Status, res.Reason)
	}
	m, err := trust.NewMaterial("test", req.TrustRoot.TrustedRootJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]sdk.SubResult{}
	for _, s := range res.SubResults {
		if s.Status == sdk.StatusPass {
			if len(s.Evidence) == 0 {
				t.Fatalf("%s passes without evidence", s.Name)
			}
			for _, ev := range s.Evidence {
				if _, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: ev.Bundle, Digest: trust.Digest{Algorithm: ev.SubjectDigest.Algorithm, Hex: ev.SubjectDigest.Hex}, Identities: ids}); err != nil {
					s.Status, s.Reason = sdk.StatusFail, "host: "+err.Error()
				}
			}
		}
		out[s.Name] = s
	}
	return out
}

func wantRow(t *testing.T, rs map[string]sdk.SubResult, name string, status sdk.Status, reason ...string) {
	t.Helper()
	r, ok := rs[name]
	if !ok {
		t.Fatalf("no row for %s", name)
	}
	if r.Status != status {
		t.Fatalf("%s: %s (%s), want %s", name, r.Status, r.Reason, status)
	}
	t.Logf("%s: %s: %s", name, r.Status, r.Reason)
	for _, s := range reason {
		if !strings.Contains(r.Reason, s) {
			t.Errorf("%s: reason %q does not say %q", name, r.Reason, s)
		}
	}
}

func indexAttrs(ix *pypitest.Index) map[string]any {
	return map[string]any{"version": "1.4.0", "index": ix.URL, "publisher": vmafPublisher}
}

func TestIndexReleaseVerifies(t *testing.T) {
	r := newRelease(t, 3)
	req, ids := request(t, "vmaf-mcp", indexAttrs(r.ix))
	res := verify(t, req)
	rs := rows(t, req, ids, res)
	if len(rs) != 3 {
		t.Fatalf("%d rows, want 3 (the 0.0.1 file must not be picked up)", len(rs))
	}
	for _, f := range r.files {
		wantRow(t, rs, f.Name, sdk.StatusPass)
		row := rs[f.Name]
		if row.Evidence[0].SubjectDigest.Hex != f.SHA256() {
			t.Errorf("%s: evidence binds %s, want the file's sha256 %s", f.Name, row.Evidence[0].SubjectDigest.Hex, f.SHA256())
		}
		if n := r.ix.Requests(r.ix.FilePath(f.Name)); n != 1 {
			t.Errorf("%s downloaded %d times, want once", f.Name, n)
		}
		if a := r.ix.Accept(r.ix.ProvenancePath(f.Name)); a != pypi.IntegrityJSONType {
			t.Errorf("provenance requested with Accept %q", a)
		}
	}
	if a := r.ix.Accept(r.ix.ProjectPath()); a != pypi.SimpleJSONType {
		t.Errorf("project page requested with Accept %q", a)
	}
}

func TestIndexIntegrityAPIFallback(t *testing.T) {
	r := newRelease(t, 2)
	r.ix.OmitProvenanceKey()
	req, ids := request(t, "vmaf-mcp", indexAttrs(r.ix))
	rs := rows(t, req, ids, verify(t, req))
	for _, f := range r.files {
		wantRow(t, rs, f.Name, sdk.StatusPass)
		if r.ix.Requests(r.ix.ProvenancePath(f.Name)) != 1 {
			t.Errorf("%s: the Integrity API was not asked", f.Name)
		}
	}
}

func TestIndexFailures(t *testing.T) {
	other := []byte("not the attested bytes")
	tests := []struct {
		name   string
		mutate func(r *release)
		status sdk.Status
		reason []string
	}{
		{"missing provenance", func(r *release) { r.files[1].Provenance = nil }, sdk.StatusFail,
			[]string{"vmaf_mcp-1.4.0-py3-none-any.whl has no provenance", "404"}},
		{"bytes differ from the subject digest", func(r *release) {
			r.ix.Serve(r.files[1].Name, other)
			r.ix.List(r.files[1].Name, sha256Hex(other))
		}, sdk.StatusFail, []string{"subject digest: expected sha256:" + sha256Hex(other)}},
		{"index hash disagrees", func(r *release) { r.ix.List(r.files[1].Name, strings.Repeat("ab", 32)) }, sdk.StatusFail,
			[]string{"index hash: expected sha256:" + strings.Repeat("ab", 32)}},
		{"provenance forbidden (403)", func(r *release) { r.ix.Status(r.ix.ProvenancePath(r.files[1].Name), http.StatusForbidden) }, sdk.StatusError,
			[]string{"403", "temporarily unavailable"}},
		{"file gone (404)", func(r *release) { r.ix.Status(r.ix.FilePath(r.files[1].Name), http.StatusNotFound) }, sdk.StatusFail,
			[]string{"listed but not served"}},
		{"oversized provenance", func(r *release) {
			r.files[1].Provenance = append([]byte(`{"version":1,"attestation_bundles":[],"pad":"`), bytes.Repeat([]byte("x"), pypi.MaxProvenanceSize)...)
		}, sdk.StatusFail, []string{"exceeds"}},
		{"truncated provenance", func(r *release) { r.files[1].Provenance = r.files[1].Provenance[:len(r.files[1].Provenance)/2] }, sdk.StatusFail,
			[]string{"not valid JSON"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRelease(t, 3)
			tc.mutate(r)
			req, ids := request(t, "vmaf-mcp", indexAttrs(r.ix))
			rs := rows(t, req, ids, verify(t, req))
			wantRow(t, rs, r.files[0].Name, sdk.StatusPass)
			wantRow(t, rs, r.files[2].Name, sdk.StatusPass)
			wantRow(t, rs, r.files[1].Name, tc.status, tc.reason...)
		})
	}
}

func TestIndexReleaseLevelFailures(t *testing.T) {
	r := newRelease(t, 2)
	for _, tc := range []struct {
		name    string
		attrs   map[string]any
		offline bool
		status  sdk.Status
		reason  string
	}{
		{"unknown project", map[string]any{"project": "nope", "version": "1.4.0", "index": r.ix.URL, "publisher": vmafPublisher}, false, sdk.StatusFail, "project nope is not on"},
		{"unknown version", map[string]any{"version": "9.9.9", "index": r.ix.URL, "publisher": vmafPublisher}, false, sdk.StatusFail, "lists no file for vmaf-mcp 9.9.9"},
		{"pattern matches nothing", map[string]any{"version": "1.4.0", "index": r.ix.URL, "files": []string{"*.whl", "*.zip"}, "publisher": vmafPublisher}, false, sdk.StatusFail, `matches "*.zip"`},
		{"offline", indexAttrs(r.ix), true, sdk.StatusError, "offline"},
		{"no version", map[string]any{"index": r.ix.URL, "publisher": vmafPublisher}, false, sdk.StatusFail, "version is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := request(t, "vmaf-mcp", tc.attrs)
			req.Offline = tc.offline
			res := verify(t, req)
			if res.Status != tc.status || !strings.Contains(res.Reason, tc.reason) {
				t.Fatalf("%s (%s), want %s saying %q", res.Status, res.Reason, tc.status, tc.reason)
			}
		})
	}
	// The files filter selects a subset.
	req, ids := request(t, "vmaf-mcp", map[string]any{"version": "1.4.0", "index": r.ix.URL, "files": []string{"*.whl"}, "publisher": vmafPublisher})
	rs := rows(t, req, ids, verify(t, req))
	if len(rs) != 1 {
		t.Fatalf("files = [*.whl] selected %d files", len(rs))
	}
	wantRow(t, rs, "vmaf_mcp-1.4.0-py3-none-any.whl", sdk.StatusPass)
}

func TestWrongPublisher(t *testing.T) {
	s := testSigner(t)
	name := "vmaf_mcp-1.4.0-py3-none-any.whl"
	data := []byte("wheel bytes")
	gitlabCI := pypitest.CI{Kind: "gitlab", Repository: "lusoris/vmaf", Workflow: ".gitlab-ci.yml", Ref: "refs/tags/v1.4.0"}
	tests := []struct {
		name     string
		signedBy pypitest.CI
		declared pypi.Publisher
		policy   map[string]any
		reason   []string
	}{
		{"another repository", pypitest.CI{Kind: "github", Repository: "evil/vmaf", Workflow: "release.yml"}, pypi.Publisher{Kind: "GitHub", Repository: "evil/vmaf", Workflow: "release.yml"}, vmafPublisher,
			[]string{"repository (Source Repository URI): expected https://github.com/lusoris/vmaf, found https://github.com/evil/vmaf"}},
		{"another workflow", pypitest.CI{Kind: "github", Repository: "lusoris/vmaf", Workflow: "nightly.yml"}, pypi.Publisher{Kind: "GitHub", Repository: "lusoris/vmaf", Workflow: "nightly.yml", Environment: "pypi"}, vmafPublisher,
			[]string{"workflow (Build Config URI): expected https://github.com/lusoris/vmaf/.github/workflows/release.yml@", "found https://github.com/lusoris/vmaf/.github/workflows/nightly.yml@"}},
		{"another environment", vmafCI, pypitest.GitHubPublisher(vmafCI, "testpypi"), vmafPublisher,
			[]string{"environment: expected pypi, found testpypi"}},
		{"no environment on the index", vmafCI, pypitest.GitHubPublisher(vmafCI, ""), vmafPublisher,
			[]string{"environment: expected pypi, found (none"}},
		{"GitLab provenance against a GitHub policy", gitlabCI, pypi.Publisher{Kind: "GitLab", Repository: "lusoris/vmaf", WorkflowFilepath: ".gitlab-ci.yml"}, vmafPublisher,
			[]string{"issuer: expected https://token.actions.githubusercontent.com, found https://gitlab.com"}},
		{"the index declares another publisher than the certificate", vmafCI, pypi.Publisher{Kind: "GitHub", Repository: "lusoris/other", Workflow: "release.yml", Environment: "pypi"}, vmafPublisher,
			[]string{"the index declares GitHub lusoris/other", "expected https://github.com/lusoris/other, found https://github.com/lusoris/vmaf"}},
		{"the index declares an unknown publisher kind", vmafCI, pypi.Publisher{Kind: "ActiveState", Repository: "lusoris/vmaf"}, vmafPublisher,
			[]string{`publisher kind "ActiveState" is not supported`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			att, err := s.Attestation(tc.signedBy, pypitest.Statement(name, data))
			if err != nil {
				t.Fatal(err)
			}
			ix := pypitest.NewIndex("vmaf-mcp", "1.4.0", &pypitest.File{Name: name, Data: data, Provenance: pypitest.Provenance(tc.declared, att)})
			defer ix.Close()
			req, ids := request(t, "vmaf-mcp", map[string]any{"version": "1.4.0", "index": ix.URL, "publisher": tc.policy})
			wantRow(t, rows(t, req, ids, verify(t, req)), name, sdk.StatusFail, tc.reason...)
		})
	}
}

// TestThirtyFiles verifies a release of 30 files: bounded concurrency, each
// file downloaded once.
func TestThirtyFiles(t *testing.T) {
	r := newRelease(t, 30)
	req, ids := request(t, "vmaf-mcp", indexAttrs(r.ix))
	start := time.Now()
	rs := rows(t, req, ids, verify(t, req))
	elapsed := time.Since(start)
	if len(rs) != 30 {
		t.Fatalf("%d rows", len(rs))
	}
	for _, f := range r.files {
		wantRow(t, rs, f.Name, sdk.StatusPass)
		if n := r.ix.Requests(r.ix.FilePath(f.Name)); n != 1 {
			t.Errorf("%s downloaded %d times", f.Name, n)
		}
	}
	t.Logf("30 files in %s (%.0f files/s)", elapsed, 30/elapsed.Seconds())
}

// localRelease writes a release's files and provenance into a directory.
func localRelease(t *testing.T, r *release) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range r.files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if f.Provenance != nil {
			if err := os.WriteFile(filepath.Join(dir, f.Name+".provenance"), f.Provenance, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func TestLocalRelease(t *testing.T) {
	r := newRelease(t, 3)
	dir := localRelease(t, r)
	req, ids := request(t, "vmaf-mcp", map[string]any{"version": "1.4.0", "dist": []string{filepath.Join(dir, "*")}, "publisher": vmafPublisher})
	req.Offline = true
	rs := rows(t, req, ids, verify(t, req))
	if len(rs) != 3 {
		t.Fatalf("%d rows: provenance files must not count as distributions", len(rs))
	}
	for _, f := range r.files {
		wantRow(t, rs, f.Name, sdk.StatusPass)
	}

	// A separate provenance directory, and one file with its provenance file.
	pdir := t.TempDir()
	for _, f := range r.files {
		os.Rename(filepath.Join(dir, f.Name+".provenance"), filepath.Join(pdir, f.Name+".provenance"))
	}
	req, ids = request(t, "vmaf-mcp", map[string]any{"dist": []string{filepath.Join(dir, "*.whl")}, "provenance": pdir, "publisher": vmafPublisher})
	rs = rows(t, req, ids, verify(t, req))
	wantRow(t, rs, r.files[1].Name, sdk.StatusPass)
	one := filepath.Join(dir, r.files[0].Name)
	req, ids = request(t, "vmaf-mcp", map[string]any{"dist": []string{one}, "provenance": filepath.Join(pdir, r.files[0].Name+".provenance"), "publisher": vmafPublisher})
	wantRow(t, rows(t, req, ids, verify(t, req)), r.files[0].Name, sdk.StatusPass)

	// No provenance next to the files: fails naming the file.
	req, ids = request(t, "vmaf-mcp", map[string]any{"dist": []string{one}, "publisher": vmafPublisher})
	wantRow(t, rows(t, req, ids, verify(t, req)), r.files[0].Name, sdk.StatusFail, "no provenance for "+r.files[0].Name)

	// A file of another version, and another project.
	req, ids = request(t, "vmaf-mcp", map[string]any{"version": "1.5.0", "dist": []string{one}, "provenance": pdir, "publisher": vmafPublisher})
	wantRow(t, rows(t, req, ids, verify(t, req)), r.files[0].Name, sdk.StatusFail, "is version 1.4.0, the policy names 1.5.0")
	req, ids = request(t, "other", map[string]any{"dist": []string{one}, "provenance": pdir, "publisher": vmafPublisher})
	wantRow(t, rows(t, req, ids, verify(t, req)), r.files[0].Name, sdk.StatusFail, "is a distribution of vmaf-mcp, not of other")

	// A dist pattern that matches nothing.
	req, _ = request(t, "vmaf-mcp", map[string]any{"dist": []string{filepath.Join(dir, "*.zip")}, "publisher": vmafPublisher})
	if res := verify(t, req); res.Status != sdk.StatusFail || !strings.Contains(res.Reason, "matches no file") {
		t.Fatalf("%s: %s", res.Status, res.Reason)
	}
}

// TestMalformedInputs: every malformed input is a clear failure, never a
// pass, never a panic.
func TestMalformedInputs(t *testing.T) {
	s := testSigner(t)
	name := "vmaf_mcp-1.4.0-py3-none-any.whl"
	data := []byte("wheel")
	good, err := s.Attestation(vmafCI, pypitest.Statement(name, data))
	if err != nil {
		t.Fatal(err)
	}
	twoSubjects, err := s.Attestation(vmafCI, []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[`+
		`{"name":"`+name+`","digest":{"sha256":"`+sha256Hex(data)+`"}},{"name":"other-1.0.tar.gz","digest":{"sha256":"`+sha256Hex(data)+`"}}],`+
		`"predicateType":"https://docs.pypi.org/attestations/publish/v1","predicate":null}`))
	if err != nil {
		t.Fatal(err)
	}
	otherPredicate, err := s.Attestation(vmafCI, bytes.Replace(pypitest.Statement(name, data), []byte(pypi.PublishPredicate), []byte("https://example.com/other/v1"), 1))
	if err != nil {
		t.Fatal(err)
	}
	var a map[string]any
	if err := json.Unmarshal(good, &a); err != nil {
		t.Fatal(err)
	}
	edit := func(f func(map[string]any)) []byte {
		var c map[string]any
		json.Unmarshal(good, &c)
		f(c)
		b, _ := json.Marshal(c)
		return b
	}
	pub := pypitest.GitHubPublisher(vmafCI, "pypi")
	tests := []struct {
		name, doc, reason string
		policy            map[string]any
	}{
		{"truncated provenance JSON", string(pypitest.Provenance(pub, good)[:200]), "not valid JSON", vmafPublisher},
		{"bad base64 statement", string(pypitest.Provenance(pub, edit(func(c map[string]any) { c["envelope"].(map[string]any)["statement"] = "!!!notbase64" }))), "envelope.statement is not valid base64", vmafPublisher},
		{"bad base64 certificate", string(pypitest.Provenance(pub, edit(func(c map[string]any) {
			c["verification_material"].(map[string]any)["certificate"] = "AAAA"
		}))), "not an X.509 certificate", vmafPublisher},
		{"no transparency entry", string(pypitest.Provenance(pub, edit(func(c map[string]any) {
			c["verification_material"].(map[string]any)["transparency_entries"] = []any{}
		}))), "transparency_entries is empty", vmafPublisher},
		{"attestation version 2", string(pypitest.Provenance(pub, edit(func(c map[string]any) { c["version"] = 2 }))), "version 2, want 1", vmafPublisher},
		{"tampered signature", string(pypitest.Provenance(pub, edit(func(c map[string]any) {
			c["envelope"].(map[string]any)["signature"] = base64.StdEncoding.EncodeToString([]byte("forged signature bytes"))
		}))), "does not match", vmafPublisher},
		{"two subjects", string(pypitest.Provenance(pub, twoSubjects)), "2 subjects; PEP 740 requires exactly one", vmafPublisher},
		{"unknown predicate type", string(pypitest.Provenance(pub, otherPredicate)), `predicate type "https://example.com/other/v1"`, vmafPublisher},
		{"empty provenance object", `{"version":1,"attestation_bundles":[]}`, "holds no attestation", vmafPublisher},
		{"provenance object version 2", `{"version":2,"attestation_bundles":[]}`, "version 2, want 1", vmafPublisher},
		{"not provenance at all", `{"hello":"world"}`, "neither a PEP 740 provenance object", vmafPublisher},
		{"bare attestation with environment required", string(good), "environment: expected pypi, found (absent)", vmafPublisher},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, name), data, 0o644)
			os.WriteFile(filepath.Join(dir, name+".provenance"), []byte(tc.doc), 0o644)
			req, ids := request(t, "vmaf-mcp", map[string]any{"dist": []string{filepath.Join(dir, name)}, "publisher": tc.policy})
			wantRow(t, rows(t, req, ids, verify(t, req)), name, sdk.StatusFail, tc.reason)
		})
	}

	// Policy-side mistakes fail the release before any file is read.
	for _, tc := range []struct {
		name   string
		attrs  map[string]any
		reason string
	}{
		{"unknown publisher kind", map[string]any{"version": "1.4.0", "publisher": map[string]any{"kind": "activestate", "repository": "a/b"}}, `publisher kind "activestate" is not supported`},
		{"dist and file", map[string]any{"dist": []string{"x"}, "file": []any{map[string]any{"name": name, "sha256": sha256Hex(data)}}}, "not both"},
		{"bad digest", map[string]any{"file": []any{map[string]any{"name": name, "sha256": "xyz"}}}, "not 64 hex digits"},
		{"bad files pattern", map[string]any{"version": "1.4.0", "files": []string{"["}}, "files pattern"},
		{"plain http index", map[string]any{"version": "1.4.0", "index": "ftp://example.com"}, "want an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, _ := json.Marshal(tc.attrs)
			req := &sdk.Request{Kind: "pypi", Name: "vmaf-mcp", Attributes: raw, Require: 1, TrustRoot: &sdk.TrustRoot{Name: "t", TrustedRootJSON: s.TrustedRootJSON}}
			res := verify(t, req)
			if res.Status != sdk.StatusFail || !strings.Contains(res.Reason, tc.reason) {
				t.Fatalf("%s (%s), want fail saying %q", res.Status, res.Reason, tc.reason)
			}
		})
	}
}

func TestGooglePublisher(t *testing.T) {
	s := testSigner(t)
	name := "vmaf_mcp-1.4.0.tar.gz"
	data := []byte("sdist")
	email := "release@vmaf.iam.gserviceaccount.com"
	b, err := s.BundleAs(email, "https://accounts.google.com", pypitest.Statement(name, data))
	if err != nil {
		t.Fatal(err)
	}
	att, err := pypi.AttestationFromBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, name), data, 0o644)
	os.WriteFile(filepath.Join(dir, name+".provenance"), pypitest.Provenance(pypi.Publisher{Kind: "Google", Email: email}, att), 0o644)
	for _, tc := range []struct {
		email  string
		status sdk.Status
	}{{email, sdk.StatusPass}, {"other@vmaf.iam.gserviceaccount.com", sdk.StatusFail}} {
		req, ids := request(t, "vmaf-mcp", map[string]any{"dist": []string{filepath.Join(dir, name)}, "publisher": map[string]any{"kind": "google", "email": tc.email}})
		if tc.status == sdk.StatusPass {
			wantRow(t, rows(t, req, ids, verify(t, req)), name, sdk.StatusPass)
		} else {
			wantRow(t, rows(t, req, ids, verify(t, req)), name, sdk.StatusFail, "e-mail (SAN): expected other@vmaf.iam.gserviceaccount.com, found "+email)
		}
	}
}

func TestContextCancelled(t *testing.T) {
	r := newRelease(t, 3)
	req, _ := request(t, "vmaf-mcp", indexAttrs(r.ix))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := pypi.New().Verify(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status == sdk.StatusPass {
		for _, s := range res.SubResults {
			if s.Status == sdk.StatusPass {
				t.Fatalf("%s passed with a cancelled context", s.Name)
			}
		}
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
