package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
	"github.com/vmafx/vmafx-trust/plugins/pypi"
	"github.com/vmafx/vmafx-trust/plugins/pypi/pypitest"
)

// pypiReport is the JSON report with each row's part (the file).
type pypiReport struct {
	Summary struct {
		Total, Passed, Failed, Errored int
	} `json:"summary"`
	Results []struct {
		Kind, Name, Part, Plugin, Status, Signer, Reason string
	} `json:"results"`
}

func parsePyPIReport(t *testing.T, res result) pypiReport {
	t.Helper()
	var r pypiReport
	if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
		t.Fatalf("report is not JSON (exit %d): %v\nstdout:\n%s\nstderr:\n%s", res.code, err, res.stdout, res.stderr)
	}
	return r
}

// pypiFixtureCase is a pypi case of the real fixtures.
type pypiFixtureCase struct{ realfixtures.PyPICase }

func loadPyPICases(t *testing.T, dir string) []pypiFixtureCase {
	var out []pypiFixtureCase
	for _, c := range realfixtures.PyPICases(t, dir) {
		out = append(out, pypiFixtureCase{c})
	}
	return out
}

func (c pypiFixtureCase) project(t *testing.T) string {
	t.Helper()
	p, _, err := pypi.DistributionName(c.FileName())
	if err != nil {
		t.Fatalf("%s: %v", c.ID, err)
	}
	return p
}

// pypiFixturePolicy declares every case as a pypi block in the digest form,
// as a user with a lock file's --hash pins would.
func pypiFixturePolicy(t *testing.T, fixtures string, cases []pypiFixtureCase) string {
	t.Helper()
	var b strings.Builder
	q := strconv.Quote
	for i, c := range cases {
		name := fmt.Sprintf("c%03d", i)
		fmt.Fprintf(&b, "trust_root %q {\n  trusted_root = %s\n}\n", name, q(filepath.Join(fixtures, c.TrustedRoot)))
		identity := ""
		if c.ExpectedIdentity.Publisher == nil {
			fmt.Fprintf(&b, "identity %q {\n  subject = %s\n  issuer = %s\n}\n", name, q(c.ExpectedIdentity.SAN), q(c.ExpectedIdentity.Issuer))
			identity = fmt.Sprintf("  identity = identity.%s\n", name)
		}
		fmt.Fprintf(&b, "pypi %q {\n  project = %s\n  trust_root = trust_root.%s\n%s", name, q(c.project(t)), name, identity)
		fmt.Fprintf(&b, "  provenance = %s\n  file {\n    name = %s\n    sha256 = %s\n  }\n", q(filepath.Join(fixtures, c.Bundle)), q(c.FileName()), q(strings.TrimPrefix(c.ArtifactDigest, "sha256:")))
		if c.ExpectedIdentity.Publisher != nil {
			kind := strings.ToLower(c.PublisherField("kind"))
			fmt.Fprintf(&b, "  publisher {\n    kind = %s\n    repository = %s\n", q(kind), q(c.PublisherField("repository")))
			if kind == "gitlab" {
				fmt.Fprintf(&b, "    workflow_filepath = %s\n", q(c.PublisherField("workflow_filepath")))
			} else {
				fmt.Fprintf(&b, "    workflow = %s\n", q(c.PublisherField("workflow")))
			}
			b.WriteString("  }\n")
		}
		b.WriteString("}\n\n")
	}
	return writeFile(t, t.TempDir(), "policy.hcl", b.String())
}

// TestPyPIFixtureCasesThroughCheck: every pypi case of cases.json reaches its
// expected outcome through `check`, offline against its trusted root.
func TestPyPIFixtureCasesThroughCheck(t *testing.T) {
	fixtures := realfixtures.Dir(t)
	cases := loadPyPICases(t, fixtures)
	res := runCLI(t, nil, "check", pypiFixturePolicy(t, fixtures, cases), "--offline", "--format", "json")
	rep := parsePyPIReport(t, res)
	if len(rep.Results) != len(cases) {
		t.Fatalf("%d rows for %d cases; stderr:\n%s", len(rep.Results), len(cases), res.stderr)
	}
	for i, c := range cases {
		r := rep.Results[i]
		if r.Name != fmt.Sprintf("c%03d", i) || r.Part != c.FileName() || r.Plugin != "pypi" {
			t.Fatalf("row %d is %s[%s] by %s, want c%03d[%s] by pypi", i, r.Name, r.Part, r.Plugin, i, c.FileName())
		}
		if r.Status != c.Expected {
			t.Errorf("%s: %s, want %s (%s); reason: %s", c.ID, r.Status, c.Expected, c.Reason, r.Reason)
		}
		if r.Status == "fail" && !strings.Contains(r.Reason, c.FileName()) && !strings.Contains(r.Reason, filepath.Base(c.Bundle)) {
			t.Errorf("%s: reason names neither the file nor its provenance: %s", c.ID, r.Reason)
		}
	}
	if res.code != 1 {
		t.Errorf("exit %d, want 1 (some cases must fail)", res.code)
	}
}

// TestPyPIFixtureCasesThroughVerb: the same cases as `pypi verify` command
// lines (--name/--sha256 with --provenance).
func TestPyPIFixtureCasesThroughVerb(t *testing.T) {
	fixtures := realfixtures.Dir(t)
	for _, c := range loadPyPICases(t, fixtures) {
		args := []string{"pypi", "verify", "--name", c.FileName(), "--sha256", c.ArtifactDigest,
			"--provenance", filepath.Join(fixtures, c.Bundle), "--trusted-root", filepath.Join(fixtures, c.TrustedRoot), "--offline"}
		if c.ExpectedIdentity.Publisher != nil {
			wf := c.PublisherField("workflow")
			if wf == "" {
				wf = c.PublisherField("workflow_filepath")
			}
			args = append(args, "--kind", strings.ToLower(c.PublisherField("kind")), "--repository", c.PublisherField("repository"), "--workflow", wf)
		} else {
			args = append(args, "--certificate-identity", c.ExpectedIdentity.SAN, "--certificate-oidc-issuer", c.ExpectedIdentity.Issuer)
		}
		res := runCLI(t, nil, args...)
		want := map[string]int{"pass": 0, "fail": 1}[c.Expected]
		if res.code != want {
			t.Errorf("%s: exit %d, want %d (%s)\nstdout: %s\nstderr: %s", c.ID, res.code, want, c.Reason, res.stdout, res.stderr)
		}
	}
}

// pypiIndexRelease is vmaf-mcp 1.4.0 on a local index: four files signed as
// lusoris/vmaf's release.yml, provenance declaring environment "pypi".
type pypiIndexRelease struct {
	files []*pypitest.File
	ix    *pypitest.Index
	root  string // trusted_root.json
}

var vmafCI = pypitest.CI{Kind: "github", Repository: "lusoris/vmaf", Workflow: "release.yml", Ref: "refs/tags/v1.4.0"}

func newPyPIIndexRelease(t *testing.T, signedBy func(name string) pypitest.CI, declared func(ci pypitest.CI) pypi.Publisher) *pypiIndexRelease {
	t.Helper()
	s, err := pypitest.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	r := &pypiIndexRelease{root: writeFile(t, t.TempDir(), "trusted_root.json", string(s.TrustedRootJSON))}
	for i, name := range []string{
		"vmaf_mcp-1.4.0.tar.gz", "vmaf_mcp-1.4.0-py3-none-any.whl",
		"vmaf_mcp-1.4.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "vmaf_mcp-1.4.0-cp312-cp312-win_amd64.whl",
	} {
		data := bytes.Repeat([]byte(fmt.Sprintf("%s %d\n", name, i)), 500)
		ci := vmafCI
		if signedBy != nil {
			ci = signedBy(name)
		}
		att, err := s.Attestation(ci, pypitest.Statement(name, data))
		if err != nil {
			t.Fatal(err)
		}
		pub := pypitest.GitHubPublisher(ci, "pypi")
		if declared != nil {
			pub = declared(ci)
		}
		r.files = append(r.files, &pypitest.File{Name: name, Data: data, Provenance: pypitest.Provenance(pub, att)})
	}
	r.ix = pypitest.NewIndex("vmaf-mcp", "1.4.0", r.files...)
	t.Cleanup(r.ix.Close)
	return r
}

// verb is `pypi verify vmaf-mcp==1.4.0` against the local index, with the
// vmafx publisher unless publisher flags are given.
func (r *pypiIndexRelease) verb(t *testing.T, publisher ...string) result {
	t.Helper()
	if len(publisher) == 0 {
		publisher = []string{"--repository", "lusoris/vmaf", "--workflow", "release.yml", "--environment", "pypi"}
	}
	args := append([]string{"pypi", "verify", "vmaf-mcp==1.4.0", "--index", r.ix.URL, "--trusted-root", r.root, "--format", "json"}, publisher...)
	return runCLI(t, nil, args...)
}

func rowsByFile(t *testing.T, res result) map[string]struct{ Status, Reason string } {
	t.Helper()
	out := map[string]struct{ Status, Reason string }{}
	for _, r := range parsePyPIReport(t, res).Results {
		out[r.Part] = struct{ Status, Reason string }{r.Status, r.Reason}
	}
	return out
}

func TestPyPIIndexReleaseVerifies(t *testing.T) {
	r := newPyPIIndexRelease(t, nil, nil)
	res := r.verb(t)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rows := rowsByFile(t, res)
	if len(rows) != len(r.files) {
		t.Fatalf("%d rows for %d files: %v", len(rows), len(r.files), rows)
	}
	for _, f := range r.files {
		if rows[f.Name].Status != "pass" {
			t.Errorf("%s: %+v", f.Name, rows[f.Name])
		}
		if n := r.ix.Requests(r.ix.FilePath(f.Name)); n != 1 {
			t.Errorf("%s downloaded %d times, want once", f.Name, n)
		}
	}

	// The same release through `check`, in the documented policy form: the
	// publisher block is the identity.
	policy := writeFile(t, t.TempDir(), "policy.hcl", fmt.Sprintf(`
variable "version" { type = string }
trust_root "local" { trusted_root = %q }
pypi "vmaf-mcp" {
  version = var.version
  index   = %q
  files   = ["*.whl", "*.tar.gz"]
  publisher {
    kind        = "github"
    repository  = "lusoris/vmaf"
    workflow    = "release.yml"
    environment = "pypi"
  }
}
`, r.root, r.ix.URL))
	res = runCLI(t, nil, "check", policy, "--var", "version=1.4.0", "--format", "json")
	rep := parsePyPIReport(t, res)
	if res.code != 0 || rep.Summary.Passed != len(r.files) || rep.Summary.Total != len(r.files) {
		t.Fatalf("check: exit %d, %+v\n%s", res.code, rep.Summary, res.stderr)
	}
}

func TestPyPIIndexFailures(t *testing.T) {
	other := []byte("other bytes")
	sum := sha256.Sum256(other)
	otherSHA := hex.EncodeToString(sum[:])
	bad := "vmaf_mcp-1.4.0-py3-none-any.whl"
	for _, tc := range []struct {
		name   string
		mutate func(r *pypiIndexRelease)
		code   int
		status string
		reason []string
	}{
		{"missing provenance", func(r *pypiIndexRelease) { r.files[1].Provenance = nil }, 1, "fail", []string{bad + " has no provenance"}},
		{"bytes differ from the subject digest", func(r *pypiIndexRelease) { r.ix.Serve(bad, other); r.ix.List(bad, otherSHA) }, 1, "fail",
			[]string{"subject digest: expected sha256:" + otherSHA}},
		{"index hash disagrees", func(r *pypiIndexRelease) { r.ix.List(bad, strings.Repeat("0", 64)) }, 1, "fail",
			[]string{"index hash: expected sha256:" + strings.Repeat("0", 64)}},
		{"provenance temporarily unavailable (403)", func(r *pypiIndexRelease) { r.ix.Status(r.ix.ProvenancePath(bad), http.StatusForbidden) }, 3, "error",
			[]string{"403"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newPyPIIndexRelease(t, nil, nil)
			tc.mutate(r)
			res := r.verb(t)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", res.code, tc.code, res.stdout, res.stderr)
			}
			rows := rowsByFile(t, res)
			for _, f := range r.files {
				want := "pass"
				if f.Name == bad {
					want = tc.status
				}
				if rows[f.Name].Status != want {
					t.Errorf("%s: %s (%s), want %s", f.Name, rows[f.Name].Status, rows[f.Name].Reason, want)
				}
			}
			for _, s := range tc.reason {
				if !strings.Contains(rows[bad].Reason, s) {
					t.Errorf("reason %q does not say %q", rows[bad].Reason, s)
				}
			}
		})
	}
}

func TestPyPIWrongPublisher(t *testing.T) {
	gitlab := pypitest.CI{Kind: "gitlab", Repository: "lusoris/vmaf", Workflow: ".gitlab-ci.yml", Ref: "refs/tags/v1.4.0"}
	for _, tc := range []struct {
		name     string
		signedBy pypitest.CI
		declared func(pypitest.CI) pypi.Publisher
		flags    []string
		reason   string
	}{
		{"another repository", vmafCI, nil, []string{"--repository", "lusoris/vmafx", "--workflow", "release.yml"},
			"repository (Source Repository URI): expected https://github.com/lusoris/vmafx, found https://github.com/lusoris/vmaf"},
		{"another workflow", vmafCI, nil, []string{"--repository", "lusoris/vmaf", "--workflow", "publish.yml"},
			"workflow (Build Config URI): expected https://github.com/lusoris/vmaf/.github/workflows/publish.yml@refs/tags/v1.4.0, found https://github.com/lusoris/vmaf/.github/workflows/release.yml@refs/tags/v1.4.0"},
		{"another environment", vmafCI, nil, []string{"--repository", "lusoris/vmaf", "--workflow", "release.yml", "--environment", "release"},
			"environment: expected release, found pypi"},
		{"GitLab provenance against a GitHub policy", gitlab, func(ci pypitest.CI) pypi.Publisher {
			return pypi.Publisher{Kind: "GitLab", Repository: ci.Repository, WorkflowFilepath: ci.Workflow}
		}, []string{"--repository", "lusoris/vmaf", "--workflow", "release.yml"},
			"issuer: expected https://token.actions.githubusercontent.com, found https://gitlab.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newPyPIIndexRelease(t, func(string) pypitest.CI { return tc.signedBy }, tc.declared)
			res := r.verb(t, tc.flags...)
			if res.code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			for name, row := range rowsByFile(t, res) {
				if row.Status != "fail" || !strings.Contains(row.Reason, tc.reason) {
					t.Errorf("%s: %s: %s\nwant it to say %q", name, row.Status, row.Reason, tc.reason)
				}
			}
		})
	}
}

// TestPyPIRealProvenanceFromIntegrityAPI: the digest form fetches a genuine
// PyPI provenance object (sigstore 3.6.1) from the local index's Integrity
// API and verifies it against the public-good root.
func TestPyPIRealProvenanceFromIntegrityAPI(t *testing.T) {
	fixtures := realfixtures.Dir(t)
	prov, err := os.ReadFile(filepath.Join(fixtures, "pypi", "sigstore-3.6.1.tar.gz.provenance"))
	if err != nil {
		t.Fatal(err)
	}
	ix := pypitest.NewIndex("sigstore", "3.6.1", &pypitest.File{Name: "sigstore-3.6.1.tar.gz", Provenance: prov})
	defer ix.Close()
	args := []string{"pypi", "verify", "--name", "sigstore-3.6.1.tar.gz", "--sha256", "ee60fdc9236fd6709271ad53b44027461360c3fde155d2af15482e4c451ff865",
		"--index", ix.URL, "--trusted-root", filepath.Join(fixtures, "trusted-roots", "sigstore-public-good.json"), "--kind", "github"}
	res := runCLI(t, nil, append(args, "--repository", "sigstore/sigstore-python", "--workflow", "release.yml")...)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if ix.Requests(ix.ProvenancePath("sigstore-3.6.1.tar.gz")) != 1 {
		t.Error("the Integrity API was not asked")
	}
	res = runCLI(t, nil, append(args, "--repository", "trailofbits/pypi-attestations", "--workflow", "release.yml")...)
	if res.code != 1 || !strings.Contains(res.stdout, "expected https://github.com/trailofbits/pypi-attestations, found https://github.com/sigstore/sigstore-python") {
		t.Fatalf("exit %d, want 1 with expected-vs-found\n%s", res.code, res.stdout)
	}
}

func TestPyPIVerbLocalFilesAndUsage(t *testing.T) {
	r := newPyPIIndexRelease(t, nil, nil)
	dir := t.TempDir()
	var files []string
	for _, f := range r.files {
		files = append(files, writeFile(t, dir, f.Name, string(f.Data)))
		writeFile(t, dir, f.Name+".provenance", string(f.Provenance))
	}
	args := append([]string{"pypi", "verify"}, files...)
	args = append(args, "--trusted-root", r.root, "--offline", "--repository", "lusoris/vmaf", "--workflow", "release.yml", "--environment", "pypi")
	if res := runCLI(t, nil, args...); res.code != 0 {
		t.Fatalf("local files: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	// Offline, the index form cannot be checked.
	res := runCLI(t, nil, "pypi", "verify", "vmaf-mcp==1.4.0", "--index", r.ix.URL, "--trusted-root", r.root, "--offline", "--repository", "lusoris/vmaf", "--workflow", "release.yml")
	if res.code != 3 || !strings.Contains(res.stdout, "offline") {
		t.Fatalf("offline index form: exit %d, want 3\n%s", res.code, res.stdout)
	}
	for _, bad := range [][]string{
		{"pypi", "verify", "vmaf-mcp==1.4.0"},                                                      // no publisher
		{"pypi", "verify", "vmaf-mcp==1.4.0", "--kind", "activestate", "--repository", "a/b"},      // unknown kind
		{"pypi", "verify", "--name", "x-1.0.tar.gz", "--repository", "a/b", "--workflow", "r.yml"}, // no --sha256
		{"pypi", "verify", "README.md", "--repository", "a/b", "--workflow", "r.yml"},              // not a distribution
	} {
		if res := runCLI(t, nil, bad...); res.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", bad, res.code, res.stderr)
		}
	}
}

// BenchmarkPyPIRelease30 runs `pypi verify` on a 30-file release (1 MiB
// each) served on 127.0.0.1: the whole binary, plugin process included.
// It reports files/s and the peak RSS of the host and its plugins.
func BenchmarkPyPIRelease30(b *testing.B) {
	s, err := pypitest.NewSigner()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	root := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(root, s.TrustedRootJSON, 0o644); err != nil {
		b.Fatal(err)
	}
	var files []*pypitest.File
	for i := range 30 {
		name := fmt.Sprintf("vmaf_mcp-1.4.0-cp3%d-cp3%d-manylinux_2_17_x86_64.whl", 10+i, 10+i)
		if i == 0 {
			name = "vmaf_mcp-1.4.0.tar.gz"
		}
		data := bytes.Repeat([]byte{byte(i)}, 1<<20)
		att, err := s.Attestation(vmafCI, pypitest.Statement(name, data))
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, &pypitest.File{Name: name, Data: data, Provenance: pypitest.Provenance(pypitest.GitHubPublisher(vmafCI, "pypi"), att)})
	}
	ix := pypitest.NewIndex("vmaf-mcp", "1.4.0", files...)
	defer ix.Close()
	var maxRSS int64
	b.ResetTimer()
	for range b.N {
		cmd := exec.Command(binary, "pypi", "verify", "vmaf-mcp==1.4.0", "--index", ix.URL, "--trusted-root", root,
			"--repository", "lusoris/vmaf", "--workflow", "release.yml", "--environment", "pypi")
		cmd.Env = append(os.Environ(), "VMAFX_TRUST_PLUGIN_PATH="+b.TempDir())
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			maxRSS = max(maxRSS, ru.Maxrss)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(30*b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(maxRSS)/1024, "peak-RSS-MiB")
}
