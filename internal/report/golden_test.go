package report_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/vmafx/vmafx-trust/internal/host"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenTime is the run's fixed clock, in a zone other than UTC: the report
// converts it.
var goldenTime = time.Date(2026, 11, 24, 17, 0, 0, 0, time.FixedZone("CET", 3600))

// goldenResults cover every field of a result: a pass with a certificate
// signer, an image's platforms as parts (one passing, one failing with
// warnings and a failed piece of evidence), a key-signed pass, and an
// artifact that could not be checked. Strings carry characters JSON escapes
// (quotes, <, >, &, a control character) and non-ASCII text.
func goldenResults() []*host.Result {
	const release = "https://github.com/vmafx/vmafx/.github/workflows/release.yml@refs/tags/v1.4.0"
	const issuer = "https://token.actions.githubusercontent.com"
	const image = "ghcr.io/vmafx/vmaf@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"
	pass := &host.Result{
		Kind: "blob", Name: "libvmaf", Plugin: "blob", Status: sdk.StatusPass,
		Signer: release,
		SignerInfo: &trust.Signer{Subject: release, Issuer: issuer, Extensions: map[string]string{
			"source_repository_uri": "https://github.com/vmafx/vmafx",
			"github_workflow_ref":   "refs/tags/v1.4.0",
			"runner_environment":    "github-hosted",
		}},
		Checks: []sdk.Check{
			{Name: "digest", OK: true, Detail: "sha256:abc matches"},
			{Name: "host verification", OK: true, Detail: "1 piece(s) of evidence verified against trust root \"public-good\""},
		},
		Evidence: []host.EvidenceReport{{
			Source: "dist/libvmaf.so.sigstore.json", MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
			SubjectDigest: "sha256:abc", Verified: true, Signer: release, Matched: []string{"release"},
			TimeSources: []string{"Tlog 2026-01-01T00:00:00Z", "TSA 2026-01-01T00:00:01Z"},
		}},
		DurationMS: 3,
	}
	amd64 := &host.Result{
		Kind: "image", Name: image, Part: "linux/amd64", Plugin: "image", Status: sdk.StatusPass,
		Signer:     release,
		SignerInfo: &trust.Signer{Subject: release, Issuer: issuer},
		Checks:     []sdk.Check{{Name: "manifest", OK: true, Detail: "platform linux/amd64"}, {Name: "host verification", OK: true}},
		Evidence: []host.EvidenceReport{{
			Source: "ghcr.io/vmafx/vmaf:sha256-4f53.att", MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
			SubjectDigest: "sha256:1111", Verified: true, Signer: release, Matched: []string{"release"},
			PredicateType: "https://slsa.dev/provenance/v1", TimeSources: []string{"Tlog 2026-01-01T00:00:00Z"},
		}},
		DurationMS: 41,
	}
	arm64 := &host.Result{
		Kind: "image", Name: image, Part: "linux/arm64", Plugin: "image", Status: sdk.StatusFail,
		Reason: "certificate identity mismatch:\n  expected  release.yml\n  found     evil.yml",
		Checks: []sdk.Check{
			{Name: "manifest", OK: true, Detail: "platform linux/arm64"},
			{Name: "identity", OK: false, Detail: "expected: subject release.yml\nfound:    subject evil.yml"},
		},
		Evidence: []host.EvidenceReport{{
			SubjectDigest: "sha256:2222", Verified: false,
			Error: "certificate identity mismatch",
		}},
		Warnings:   []string{"INSECURE: transparency-log evidence is not required", "the platform's manifest is listed twice"},
		DurationMS: 40,
	}
	keyed := &host.Result{
		Kind: "blob", Name: "vmaf-cli", Plugin: "blob", Status: sdk.StatusPass,
		Signer:     "key 9f86d081884c7d65",
		SignerInfo: &trust.Signer{KeyID: "9f86d081884c7d65"},
		Checks:     []sdk.Check{{Name: "signature", OK: true, Detail: "signed by key 9f86d081884c7d65"}},
		Evidence:   []host.EvidenceReport{{Source: "dist/vmaf-cli.sig", SubjectDigest: "sha256:3333", Verified: true, Signer: "key 9f86d081884c7d65"}},
		DurationMS: 1,
	}
	errored := &host.Result{
		Kind: "blob", Name: "modèles <v2> & co", Plugin: "blob", Status: sdk.StatusError,
		Reason: "plugin \"blob\" crashed: read tcp: connection reset\x1b[0m",
		Checks: []sdk.Check{{Name: "fetch", OK: false, Detail: "GET https://example.com/models.tar.gz?a=1&b=2: connection reset"}},
	}
	return []*host.Result{pass, amd64, arm64, keyed, errored}
}

// checkGolden compares got with testdata/name, or rewrites the file with
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (go test -update writes it): %v", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("%s differs from the output at line %d (go test -update rewrites it):\ngot:  %q\nwant: %q\nwhole output:\n%s", path, i+1, g, w, got)
			return
		}
	}
}

// goldenDiagnostics are a policy's problems: a syntax error, a warning in a
// variables file, and an error with no place in a file.
func goldenDiagnostics() hcl.Diagnostics {
	at := func(file string, line, col int) *hcl.Range {
		return &hcl.Range{Filename: file, Start: hcl.Pos{Line: line, Column: col}, End: hcl.Pos{Line: line, Column: col + 1}}
	}
	return hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Invalid expression", Detail: "Expected the start of an expression, but found an invalid expression token.", Subject: at("policy.hcl", 14, 12)},
		{Severity: hcl.DiagWarning, Summary: "Insecure requirement", Detail: "insecure_ignore_tlog accepts signatures <not> in a log & warns.\nSet it only for keys.", Subject: at("vars.hcl", 2, 3)},
		{Severity: hcl.DiagError, Summary: "No value for required variable", Detail: "The root module input variable \"version\" is not set, and has no default value."},
	}
}

func goldenMeta() report.Meta {
	return report.Meta{ToolVersion: "v1.4.0", Policy: "policy.hcl", GeneratedAt: goldenTime}
}

func TestGolden(t *testing.T) {
	results := report.New(goldenMeta(), goldenResults())
	empty := report.New(goldenMeta(), nil)
	policyErrors := report.PolicyErrors(goldenMeta(), goldenDiagnostics())
	tests := []struct {
		name   string
		writer report.Writer
		doc    *report.Document
	}{
		{name: "report.json", writer: report.JSON{}, doc: results},
		{name: "report-empty.json", writer: report.JSON{}, doc: empty},
		{name: "policy-errors.json", writer: report.JSON{}, doc: policyErrors},
		{name: "report.txt", writer: report.Text{}, doc: results},
		{name: "report-verbose.txt", writer: report.Text{Verbose: true}, doc: results},
		{name: "report-color.txt", writer: report.Text{Color: true}, doc: results},
		{name: "policy-errors.txt", writer: report.Text{}, doc: policyErrors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.writer.Write(&buf, tt.doc); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.name, buf.Bytes())
		})
	}
}
