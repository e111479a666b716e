package report_test

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/host"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// writeJSON writes the JSON report of results.
func writeJSON(w io.Writer, policy, version string, results []*host.Result, now time.Time) error {
	return report.JSON{}.Write(w, report.New(report.Meta{ToolVersion: version, Policy: policy, GeneratedAt: now}, results))
}

// writeText writes the text report of results with writer t.
func writeText(w io.Writer, results []*host.Result, t report.Text) error {
	return t.Write(w, report.New(report.Meta{}, results))
}

func res(name string, s sdk.Status) *host.Result {
	return &host.Result{Kind: "blob", Name: name, Plugin: "blob", Status: s, Checks: []sdk.Check{}}
}

func TestSummarize(t *testing.T) {
	p, f, e, u := sdk.StatusPass, sdk.StatusFail, sdk.StatusError, sdk.StatusUnknown
	tests := []struct {
		name     string
		statuses []sdk.Status
		want     report.Summary
	}{
		{name: "empty", statuses: nil, want: report.Summary{ExitCode: report.ExitOK}},
		{name: "all pass", statuses: []sdk.Status{p, p, p}, want: report.Summary{Total: 3, Passed: 3, ExitCode: 0}},
		{name: "one fail", statuses: []sdk.Status{p, f, p}, want: report.Summary{Total: 3, Passed: 2, Failed: 1, ExitCode: 1}},
		{name: "fail wins over error", statuses: []sdk.Status{e, f, p, e}, want: report.Summary{Total: 4, Passed: 1, Failed: 1, Errored: 2, ExitCode: 1}},
		{name: "only errors", statuses: []sdk.Status{e, e}, want: report.Summary{Total: 2, Errored: 2, ExitCode: 3}},
		{name: "pass and error", statuses: []sdk.Status{p, e}, want: report.Summary{Total: 2, Passed: 1, Errored: 1, ExitCode: 3}},
		{name: "unknown counts as error", statuses: []sdk.Status{p, u}, want: report.Summary{Total: 2, Passed: 1, Errored: 1, ExitCode: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rs []*host.Result
			for i, s := range tt.statuses {
				rs = append(rs, res(string(rune('a'+i)), s))
			}
			if got := report.Summarize(rs); got != tt.want {
				t.Errorf("Summarize = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestExitCodeConstants(t *testing.T) {
	// docs/policy.md documents these numbers; scripts depend on them.
	for _, c := range []struct{ got, want int }{
		{report.ExitOK, 0}, {report.ExitFailed, 1}, {report.ExitUsage, 2}, {report.ExitUnchecked, 3},
	} {
		if c.got != c.want {
			t.Errorf("exit code %d, want %d", c.got, c.want)
		}
	}
}

func sampleResults() []*host.Result {
	pass := &host.Result{
		Kind: "blob", Name: "libvmaf", Plugin: "blob", Status: sdk.StatusPass,
		Signer:     "https://github.com/vmafx/vmafx/.github/workflows/release.yml@refs/tags/v1.4.0",
		SignerInfo: &trust.Signer{Subject: "https://github.com/vmafx/vmafx/.github/workflows/release.yml@refs/tags/v1.4.0", Issuer: "https://token.actions.githubusercontent.com", Extensions: map[string]string{"source_repository_uri": "https://github.com/vmafx/vmafx"}},
		Checks:     []sdk.Check{{Name: "digest", OK: true, Detail: "sha256:abc matches"}, {Name: "host verification", OK: true, Detail: "1 piece(s) verified"}},
		Evidence: []host.EvidenceReport{{
			Source: "dist/libvmaf.so.sigstore.json", MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
			SubjectDigest: "sha256:abc", Verified: true, Signer: "https://github.com/vmafx/…", Matched: []string{"release"},
			TimeSources: []string{"Tlog 2026-01-01T00:00:00Z"},
		}},
		DurationMS: 3,
	}
	fail := &host.Result{
		Kind: "blob", Name: "vmaf-cli", Part: "linux/amd64", Plugin: "blob", Status: sdk.StatusFail,
		Reason: "certificate identity mismatch:\n  expected  release\n  found     someone",
		Checks: []sdk.Check{
			{Name: "digest", OK: true, Detail: "sha256:def matches"},
			{Name: "identity", OK: false, Detail: "expected: release.yml\nfound: evil.yml"},
		},
		Warnings: []string{"INSECURE: transparency-log evidence is not required"},
	}
	errored := &host.Result{
		Kind: "blob", Name: "models", Plugin: "blob", Status: sdk.StatusError,
		Reason: "plugin \"blob\" crashed", Checks: []sdk.Check{{Name: "fetch", OK: false, Detail: "connection reset"}},
	}
	return []*host.Result{pass, fail, errored}
}

func TestJSON(t *testing.T) {
	now := time.Date(2026, 11, 24, 17, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name        string
		results     []*host.Result
		wantSummary map[string]any
		wantN       int
	}{
		{
			name:        "mixed",
			results:     sampleResults(),
			wantSummary: map[string]any{"total": 3.0, "passed": 1.0, "failed": 1.0, "errored": 1.0, "exit_code": 1.0},
			wantN:       3,
		},
		{
			name:        "nil results give an empty array",
			results:     nil,
			wantSummary: map[string]any{"total": 0.0, "passed": 0.0, "failed": 0.0, "errored": 0.0, "exit_code": 0.0},
			wantN:       0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeJSON(&buf, "policy.hcl", "v0.1.0", tt.results, now); err != nil {
				t.Fatalf("JSON: %v", err)
			}
			var doc map[string]any
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("invalid JSON %s: %v", buf.String(), err)
			}
			top := map[string]any{
				"schema_version": 1.0, "tool": "vmafx-trust", "tool_version": "v0.1.0",
				"policy": "policy.hcl", "generated_at": "2026-11-24T16:00:00Z",
			}
			for k, want := range top {
				if doc[k] != want {
					t.Errorf("%s = %#v, want %#v", k, doc[k], want)
				}
			}
			sum, _ := doc["summary"].(map[string]any)
			for k, want := range tt.wantSummary {
				if sum[k] != want {
					t.Errorf("summary.%s = %#v, want %#v", k, sum[k], want)
				}
			}
			results, ok := doc["results"].([]any)
			if !ok {
				t.Fatalf("results = %#v, want an array", doc["results"])
			}
			if len(results) != tt.wantN {
				t.Fatalf("len(results) = %d, want %d", len(results), tt.wantN)
			}
		})
	}
}

func TestJSONResultFields(t *testing.T) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, "p.hcl", "dev", sampleResults(), time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	pass, fail, errored := doc.Results[0], doc.Results[1], doc.Results[2]
	checks := []struct {
		what      string
		got, want any
	}{
		{"kind", pass["kind"], "blob"},
		{"name", pass["name"], "libvmaf"},
		{"plugin", pass["plugin"], "blob"},
		{"status pass", pass["status"], "pass"},
		{"status fail", fail["status"], "fail"},
		{"status error", errored["status"], "error"},
		{"part", fail["part"], "linux/amd64"},
		{"signer", pass["signer"], "https://github.com/vmafx/vmafx/.github/workflows/release.yml@refs/tags/v1.4.0"},
		{"duration_ms", pass["duration_ms"], 3.0},
		{"reason", errored["reason"], `plugin "blob" crashed`},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
	sd, _ := pass["signer_details"].(map[string]any)
	if sd["subject"] == nil || sd["issuer"] != "https://token.actions.githubusercontent.com" {
		t.Errorf("signer_details = %#v", pass["signer_details"])
	}
	if ext, _ := sd["extensions"].(map[string]any); ext["source_repository_uri"] != "https://github.com/vmafx/vmafx" {
		t.Errorf("signer_details.extensions = %#v", sd["extensions"])
	}
	cs, _ := pass["checks"].([]any)
	if len(cs) != 2 {
		t.Fatalf("checks = %#v", pass["checks"])
	}
	if c0, _ := cs[0].(map[string]any); c0["name"] != "digest" || c0["ok"] != true || c0["detail"] != "sha256:abc matches" {
		t.Errorf("checks[0] = %#v", cs[0])
	}
	evs, _ := pass["evidence"].([]any)
	if len(evs) != 1 {
		t.Fatalf("evidence = %#v", pass["evidence"])
	}
	ev, _ := evs[0].(map[string]any)
	for k, want := range map[string]any{
		"source": "dist/libvmaf.so.sigstore.json", "media_type": "application/vnd.dev.sigstore.bundle.v0.3+json",
		"subject_digest": "sha256:abc", "verified": true, "signer": "https://github.com/vmafx/…",
	} {
		if ev[k] != want {
			t.Errorf("evidence.%s = %#v, want %#v", k, ev[k], want)
		}
	}
	if m, _ := ev["matched_identities"].([]any); len(m) != 1 || m[0] != "release" {
		t.Errorf("evidence.matched_identities = %#v", ev["matched_identities"])
	}
	if ts, _ := ev["time_sources"].([]any); len(ts) != 1 {
		t.Errorf("evidence.time_sources = %#v", ev["time_sources"])
	}
	if w, _ := fail["warnings"].([]any); len(w) != 1 {
		t.Errorf("warnings = %#v", fail["warnings"])
	}
	// An error result with no checks still has a checks array, never null.
	var buf2 bytes.Buffer
	if err := writeJSON(&buf2, "p.hcl", "dev", []*host.Result{res("x", sdk.StatusError)}, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf2.String(), `"checks": []`) {
		t.Errorf("checks of an empty result not rendered as []: %s", buf2.String())
	}
}

func text(t *testing.T, rs []*host.Result, opts report.Text) string {
	t.Helper()
	var buf bytes.Buffer
	if err := writeText(&buf, rs, opts); err != nil {
		t.Fatalf("Text: %v", err)
	}
	return buf.String()
}

func TestText(t *testing.T) {
	tests := []struct {
		name    string
		results []*host.Result
		opts    report.Text
		want    []string
		notWant []string
	}{
		{
			name:    "no colour",
			results: sampleResults(),
			opts:    report.Text{},
			want: []string{
				"ARTIFACT", "KIND", "STATUS", "SIGNER", "REASON",
				"PASS", "FAIL", "ERROR",
				"vmaf-cli [linux/amd64]",
				// Multi-line reasons are one line in the table.
				"certificate identity mismatch: expected release found someone",
				"summary: 3 artifact(s): 1 verified, 1 failed, 1 could not be checked",
				// Failing artifacts list their checks; multi-line details keep their lines.
				"blob.vmaf-cli[linux/amd64] (fail):",
				"FAIL identity",
				"found: evil.yml",
				"blob.models (error):",
				"FAIL fetch",
				"warning: blob.vmaf-cli[linux/amd64]: INSECURE",
			},
			notWant: []string{"\x1b[", "blob.libvmaf (pass):", "sha256:abc matches"},
		},
		{
			name:    "colour",
			results: sampleResults(),
			opts:    report.Text{Color: true},
			want:    []string{"\x1b[32mPASS\x1b[0m", "\x1b[31mFAIL\x1b[0m", "\x1b[33mERROR\x1b[0m"},
		},
		{
			name:    "verbose lists passing checks",
			results: sampleResults(),
			opts:    report.Text{Verbose: true},
			want:    []string{"blob.libvmaf (pass):", "ok   digest", "sha256:abc matches", "host verification"},
			notWant: []string{"\x1b["},
		},
		{
			name:    "all pass",
			results: []*host.Result{sampleResults()[0]},
			want:    []string{"libvmaf", "PASS", "summary: 1 artifact(s): 1 verified, 0 failed, 0 could not be checked"},
			notWant: []string{"(pass):", "digest", "FAIL"},
		},
		{
			name:    "empty",
			results: nil,
			want:    []string{"ARTIFACT", "summary: 0 artifact(s): 0 verified, 0 failed, 0 could not be checked"},
		},
		{
			name:    "missing signer and reason shown as dash",
			results: []*host.Result{res("bare", sdk.StatusError)},
			want:    []string{"bare", "ERROR", "-"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := text(t, tt.results, tt.opts)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output contains %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestTextRowsInOrder(t *testing.T) {
	out := text(t, sampleResults(), report.Text{})
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "ARTIFACT") {
		t.Fatalf("first line %q is not the header", lines[0])
	}
	for i, want := range []string{"libvmaf ", "vmaf-cli [linux/amd64] ", "models "} {
		if !strings.HasPrefix(lines[i+1], want) {
			t.Errorf("row %d = %q, want it to start with %q", i+1, lines[i+1], want)
		}
	}
	if !strings.HasSuffix(strings.TrimRight(out, "\n"), "could not be checked") {
		t.Errorf("summary is not the last line:\n%s", out)
	}
	// The failing artifact's checks appear in order.
	d := strings.Index(out, "ok   digest")
	i := strings.Index(out, "FAIL identity")
	if d < 0 || i < 0 || d > i {
		t.Errorf("checks of the failing artifact out of order:\n%s", out)
	}
}

// TestTextNeutralisesControlSequences: text from artifacts and plugins (a
// certificate subject, a reason, a check's detail, a warning) cannot reach
// the terminal as control sequences: a failing artifact cannot repaint its
// row as a pass.
func TestTextNeutralisesControlSequences(t *testing.T) {
	r := res("libvmaf", sdk.StatusFail)
	r.Signer = "https://github.com/evil/\u202enuR\u202c"
	r.Reason = "bad signature\r\x1b[2K\x1b[32mPASS\x1b[0m"
	r.Checks = []sdk.Check{{Name: "sig\x1b[8m", OK: false, Detail: "expected x\nfound \x1b]0;pwned\x07y"}}
	r.Warnings = []string{"careful \x1b[1A"}
	for _, color := range []bool{false, true} {
		var out bytes.Buffer
		if err := writeText(&out, []*host.Result{r}, report.Text{Color: color, Verbose: true}); err != nil {
			t.Fatal(err)
		}
		text := out.String()
		if color {
			// Only the verdict's own colour codes remain.
			text = strings.ReplaceAll(strings.ReplaceAll(text, "\x1b[31mFAIL\x1b[0m", "FAIL"), "\x1b[0m", "")
		}
		for _, bad := range []string{"\x1b", "\r", "\a", "\u202e"} {
			if strings.Contains(text, bad) {
				t.Fatalf("color=%v: output carries %q:\n%s", color, bad, out.String())
			}
		}
		for _, want := range []string{`\x1b[32mPASS`, `\u202enuR`, "found \\x1b]0;pwned\\x07y"} {
			if !strings.Contains(text, want) {
				t.Errorf("color=%v: output lacks the escaped %q:\n%s", color, want, text)
			}
		}
	}
}

// countingWriter counts Write calls.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.Buffer.Write(p)
}

// TestTextWritesOnce: the table reaches its writer (stdout) in one write, not
// a system call per cell, and says the same as written piecemeal.
func TestTextWritesOnce(t *testing.T) {
	var rows []*host.Result
	for i := range 50 {
		rows = append(rows, res(strings.Repeat("x", i%7+1)+"-artifact", sdk.StatusPass))
	}
	rows = append(rows, sampleResults()...)
	w := &countingWriter{}
	if err := writeText(w, rows, report.Text{Verbose: true}); err != nil {
		t.Fatal(err)
	}
	if w.writes != 1 {
		t.Errorf("%d writes, want 1", w.writes)
	}
	if got := strings.Count(w.String(), "\n"); got < len(rows)+2 {
		t.Errorf("%d lines for %d rows:\n%s", got, len(rows), w.String())
	}
}
