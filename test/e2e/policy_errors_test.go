//go:build unix

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// policyPreamble declares an identity and one valid blob whose file and
// bundle are named pipes: anything that tried to read either (a plugin
// verifying, the host hashing) would block, and the run would not end
// promptly; opening them for writing afterwards proves no reader came.
const policyPreamble = `identity "release" {
  issuer  = "https://token.actions.githubusercontent.com"
  subject = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1"
}

blob "fifo" {
  path     = "app.fifo"
  bundle   = "bundle.fifo"
  identity = identity.release
}

`

// malformedPolicies: each has one error, where § marks the offending token.
var malformedPolicies = []struct {
	name    string
	src     string
	summary string // the diagnostic's summary
}{
	{
		name: "syntax error",
		src: policyPreamble + `blob "bad" {
  path   = "a"
  bundle = §= "b"
}
`,
		summary: "Invalid expression",
	},
	{
		name: "unknown attribute",
		src: policyPreamble + `blob "bad" {
  path     = "a"
  §colour   = "blue"
  identity = identity.release
}
`,
		summary: "Unsupported argument",
	},
	{
		name: "wrong type",
		src: policyPreamble + `blob "bad" {
  path     = §["a", "b"]
  identity = identity.release
}
`,
		summary: "Incorrect attribute value type",
	},
	{
		name: "undefined variable",
		src: `variable "version" {
  default = "1.0.0"
}

` + policyPreamble + `blob "bad" {
  path     = "app-${var§.nope}.tar.gz"
  identity = identity.release
}
`,
		summary: "Unsupported attribute",
	},
	{
		name: "undefined identity",
		src: policyPreamble + `blob "bad" {
  path     = "a"
  identity = §identity.nope
}
`,
		summary: "Reference to undeclared identity",
	},
	{
		name: "artifact with no identity",
		src: policyPreamble + `§blob "bad" {
  path = "a"
}
`,
		summary: "No identity or key",
	},
	{
		name: "unknown block type",
		src: policyPreamble + `§bolb "bad" {
  path = "a"
}
`,
		summary: "Unsupported block type",
	},
}

// markPolicy removes § and returns the source, the 1-based line and column
// of the marked token, and that line's text.
func markPolicy(t *testing.T, src string) (string, int, int, string) {
	t.Helper()
	i := strings.Index(src, "§")
	if i < 0 {
		t.Fatal("no § in test policy")
	}
	before := src[:i]
	clean := before + src[i+len("§"):]
	line := strings.Count(before, "\n") + 1
	col := i - (strings.LastIndex(before, "\n") + 1) + 1
	return clean, line, col, strings.Split(clean, "\n")[line-1]
}

func makeFifos(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, name := range []string{"app.fifo", "bundle.fifo"} {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatalf("mkfifo: %v", err)
		}
		out = append(out, p)
	}
	return out
}

// assertNeverOpened: opening a FIFO for writing without blocking fails
// with ENXIO while no reader has it open. Together with the run having
// ended promptly (a reader would have blocked it), nothing read the files.
func assertNeverOpened(t *testing.T, fifos []string) {
	t.Helper()
	for _, p := range fifos {
		f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			f.Close()
			t.Errorf("%s has a reader: something opened it to verify", filepath.Base(p))
			continue
		}
		if !errors.Is(err, syscall.ENXIO) {
			t.Errorf("%s: %v, want ENXIO (no reader)", filepath.Base(p), err)
		}
	}
}

// TestPolicyMalformedExits2 is the acceptance test: a malformed policy
// exits 2 naming the file, the line and the offending source, prints no
// report, and no plugin verifies anything.
func TestPolicyMalformedExits2(t *testing.T) {
	for _, tc := range malformedPolicies {
		// --timeout: were the pipes read, check would end with exit 3
		// after 20 s instead of hanging until runCLI's limit.
		for _, args := range [][]string{{"check", "--timeout", "20s"}, {"policy", "validate"}} {
			t.Run(tc.name+"/"+args[0]+" "+args[1], func(t *testing.T) {
				dir := t.TempDir()
				src, line, _, lineText := markPolicy(t, tc.src)
				policy := writeFile(t, dir, "policy.hcl", src)
				fifos := makeFifos(t, dir)
				start := time.Now()
				res := runCLI(t, nil, append(args, policy)...)
				elapsed := time.Since(start)
				if res.code != 2 {
					t.Errorf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
				}
				if elapsed > time.Minute {
					t.Errorf("took %s: something waited on the pipes", elapsed)
				}
				if res.stdout != "" {
					t.Errorf("stdout is not empty (no report may be printed):\n%s", res.stdout)
				}
				// hcl's diagnostic writer: "Error: SUMMARY", "on FILE line N, in …:",
				// then the snippet with its line number.
				for _, want := range []string{
					"Error: " + tc.summary,
					fmt.Sprintf("on %s line %d", policy, line),
					fmt.Sprintf("%d: %s", line, lineText),
				} {
					if !strings.Contains(res.stderr, want) {
						t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
					}
				}
				if strings.Count(res.stderr, "Error: ") != 1 {
					t.Errorf("want exactly one error (no cascades):\n%s", res.stderr)
				}
				assertNeverOpened(t, fifos)
			})
		}
	}
}

// TestPolicyErrorsNameColumn: the issue asks for file:line:col. hcl's text
// writer prints "on FILE line N" and a snippet but no column, so the CLI
// must add it (e.g. FILE:LINE,COL as hcl.Range.String() prints it).
func TestPolicyErrorsNameColumn(t *testing.T) {
	for _, tc := range malformedPolicies {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src, line, col, _ := markPolicy(t, tc.src)
			policy := writeFile(t, dir, "policy.hcl", src)
			makeFifos(t, dir)
			res := runCLI(t, nil, "policy", "validate", policy)
			re := regexp.MustCompile(regexp.QuoteMeta(policy) + fmt.Sprintf(`:%d[,:]%d\b`, line, col))
			if res.code != 2 || !re.MatchString(res.stderr) {
				t.Errorf("exit %d; stderr lacks %s:%d,%d (file:line,col):\n%s", res.code, policy, line, col, res.stderr)
			}
		})
	}
}

// TestPolicyErrorsJSON: with --format json a malformed policy still exits 2
// and prints the people's diagnostics on stderr, and stdout has the JSON
// report: no results, zero counts, exit code 2, and the diagnostic with its
// file, line and column, so a tool reading only stdout learns why nothing
// was verified.
func TestPolicyErrorsJSON(t *testing.T) {
	for _, tc := range malformedPolicies {
		for _, format := range [][]string{{"-o", "json"}, {"--format", "json"}} {
			t.Run(tc.name+"/"+strings.Join(format, " "), func(t *testing.T) {
				dir := t.TempDir()
				src, line, col, _ := markPolicy(t, tc.src)
				policy := writeFile(t, dir, "policy.hcl", src)
				fifos := makeFifos(t, dir)
				res := runCLI(t, nil, append([]string{"check", "--timeout", "20s", policy}, format...)...)
				if res.code != 2 {
					t.Errorf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
				}
				if !strings.Contains(res.stderr, "Error: "+tc.summary) {
					t.Errorf("stderr lacks the diagnostic %q:\n%s", tc.summary, res.stderr)
				}
				var doc struct {
					SchemaVersion int    `json:"schema_version"`
					Policy        string `json:"policy"`
					Summary       struct {
						Total, Passed, Failed, Errored int
						ExitCode                       int `json:"exit_code"`
					} `json:"summary"`
					Results json.RawMessage `json:"results"`
					Errors  []struct {
						File     string `json:"file"`
						Line     int    `json:"line"`
						Column   int    `json:"column"`
						Severity string `json:"severity"`
						Summary  string `json:"summary"`
						Detail   string `json:"detail"`
					} `json:"errors"`
				}
				if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
					t.Fatalf("stdout is not a JSON report: %v\nstdout:\n%s\nstderr:\n%s", err, res.stdout, res.stderr)
				}
				if doc.SchemaVersion != 1 || doc.Policy != policy {
					t.Errorf("schema_version %d, policy %q; want 1, %q", doc.SchemaVersion, doc.Policy, policy)
				}
				if s := doc.Summary; s.Total != 0 || s.Passed != 0 || s.Failed != 0 || s.Errored != 0 || s.ExitCode != 2 {
					t.Errorf("summary %+v, want zero counts and exit_code 2", s)
				}
				if string(doc.Results) != "[]" {
					t.Errorf("results = %s, want []", doc.Results)
				}
				if len(doc.Errors) != 1 {
					t.Fatalf("%d errors, want 1:\n%s", len(doc.Errors), res.stdout)
				}
				e := doc.Errors[0]
				if e.File != policy || e.Line != line || e.Column != col || e.Severity != "error" || e.Summary != tc.summary || e.Detail == "" {
					t.Errorf("error %+v, want file %s, line %d, column %d, severity error, summary %q and a detail", e, policy, line, col, tc.summary)
				}
				assertNeverOpened(t, fifos)
			})
		}
	}
}

// TestPolicyErrorsJSONWithoutPlace: a problem with no place in a file (a
// --var for a variable the policy does not declare) is reported in the
// policy's file, at line and column 0.
func TestPolicyErrorsJSONWithoutPlace(t *testing.T) {
	dir := t.TempDir()
	policy := writeFile(t, dir, "policy.hcl", policyPreamble)
	makeFifos(t, dir)
	res := runCLI(t, nil, "check", policy, "-o", "json", "--var", "verison=2")
	if res.code != 2 {
		t.Errorf("exit %d, want 2\nstderr:\n%s", res.code, res.stderr)
	}
	var doc struct {
		Errors []map[string]any `json:"errors"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("stdout is not a JSON report: %v\nstdout:\n%s\nstderr:\n%s", err, res.stdout, res.stderr)
	}
	want := map[string]any{"file": policy, "line": 0.0, "column": 0.0, "severity": "error", "summary": "Undeclared variable"}
	if len(doc.Errors) != 1 {
		t.Fatalf("errors = %v, want one", doc.Errors)
	}
	for k, v := range want {
		if doc.Errors[0][k] != v {
			t.Errorf("errors[0].%s = %#v, want %#v", k, doc.Errors[0][k], v)
		}
	}
	if d, _ := doc.Errors[0]["detail"].(string); !strings.Contains(d, `"verison"`) {
		t.Errorf("errors[0].detail = %q, want it to name the variable", d)
	}
}

// TestRelativePolicyPathInDiagnostics: diagnostics name the file as the user
// gave it.
func TestRelativePolicyPathInDiagnostics(t *testing.T) {
	dir := t.TempDir()
	src, line, _, lineText := markPolicy(t, malformedPolicies[1].src)
	writeFile(t, dir, "policy.hcl", src)
	makeFifos(t, dir)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, filepath.Join(dir, "policy.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, nil, "policy", "validate", rel)
	if want := fmt.Sprintf("on %s line %d", rel, line); res.code != 2 || !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, lineText) {
		t.Errorf("exit %d; stderr lacks %q:\n%s", res.code, want, res.stderr)
	}
}

const unformattedPolicy = `identity "release" {
issuer = "https://token.actions.githubusercontent.com"
    subject="https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1"
}
blob "app" {
  path = "app.tar.gz"
  identity   =   identity.release
}
`

const formattedPolicy = `identity "release" {
  issuer  = "https://token.actions.githubusercontent.com"
  subject = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1"
}
blob "app" {
  path     = "app.tar.gz"
  identity = identity.release
}
`

func TestPolicyFmt(t *testing.T) {
	dir := t.TempDir()
	policy := writeFile(t, dir, "policy.hcl", unformattedPolicy)

	res := runCLI(t, nil, "policy", "fmt", "--check", policy)
	if res.code != 1 {
		t.Errorf("fmt --check on an unformatted file: exit %d, want 1\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, policy) {
		t.Errorf("fmt --check does not name the file:\n%s", res.stderr)
	}
	if got := readPolicy(t, policy); got != unformattedPolicy {
		t.Fatalf("fmt --check changed the file:\n%s", got)
	}
	// The flag after the file works too.
	if res := runCLI(t, nil, "policy", "fmt", policy, "--check"); res.code != 1 {
		t.Errorf("fmt FILE --check: exit %d, want 1\n%s", res.code, res.stderr)
	}
	if got := readPolicy(t, policy); got != unformattedPolicy {
		t.Fatalf("fmt FILE --check changed the file:\n%s", got)
	}

	res = runCLI(t, nil, "policy", "fmt", "--diff", policy)
	if res.code != 0 || res.stdout != formattedPolicy {
		t.Errorf("fmt --diff: exit %d, stdout:\n%s", res.code, res.stdout)
	}
	if got := readPolicy(t, policy); got != unformattedPolicy {
		t.Fatalf("fmt --diff changed the file:\n%s", got)
	}

	res = runCLI(t, nil, "policy", "fmt", policy)
	if res.code != 0 {
		t.Fatalf("fmt: exit %d\n%s", res.code, res.stderr)
	}
	if got := readPolicy(t, policy); got != formattedPolicy {
		t.Errorf("fmt wrote:\n%s\nwant:\n%s", got, formattedPolicy)
	}
	if res := runCLI(t, nil, "policy", "fmt", "--check", policy); res.code != 0 {
		t.Errorf("fmt --check on a formatted file: exit %d\n%s", res.code, res.stderr)
	}

	broken := writeFile(t, dir, "broken.hcl", "blob \"x\" {\n  path = = 1\n")
	if res := runCLI(t, nil, "policy", "fmt", broken); res.code != 2 {
		t.Errorf("fmt on a file with a syntax error: exit %d, want 2\n%s", res.code, res.stderr)
	}
	if got := readPolicy(t, broken); got != "blob \"x\" {\n  path = = 1\n" {
		t.Errorf("fmt rewrote a broken file:\n%s", got)
	}
}

// TestPolicyFlagsAfterArguments: flags after the positional argument work
// (urfave/cli alone would take them as more arguments).
func TestPolicyFlagsAfterArguments(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "key.pub", testPublicKeyPEM(t))
	// One artifact whose file name comes from the variable; it has no
	// bundle, so it fails (exit 1) naming the file the variable produced.
	policy := writeFile(t, dir, "policy.hcl", `variable "version" {
  type = string
}
trust_root "k" {
  public_key = "key.pub"
}
blob "app" {
  path = "app-${var.version}.bin"
}
`)
	writeFile(t, dir, "app-1.0.0.bin", "x")
	res := runCLI(t, nil, "check", policy, "--var", "version=1.0.0", "--format", "json")
	if res.code != 1 {
		t.Fatalf("check POLICY --var … --format json: exit %d\n%s", res.code, res.stderr)
	}
	rep := parseReport(t, res)
	if rep.SchemaVersion != 1 || rep.Summary.Total != 1 || rep.Summary.ExitCode != 1 || !strings.Contains(rep.Results[0].Reason, "app-1.0.0.bin") {
		t.Errorf("report %+v", rep)
	}
	res = runCLI(t, nil, "check", policy, "-o", "json", "--var=version=1.0.0")
	if res.code != 1 {
		t.Fatalf("check POLICY -o json --var=…: exit %d\n%s", res.code, res.stderr)
	}
	parseReport(t, res)

	res = runCLI(t, nil, "policy", "validate", policy, "--var", "version=1.0.0")
	if res.code != 0 || !strings.Contains(res.stdout, "valid") {
		t.Errorf("policy validate POLICY --var …: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// Without the variable the same policy is an error: the flag above was
	// really read.
	res = runCLI(t, nil, "policy", "validate", policy)
	if res.code != 2 || !strings.Contains(res.stderr, "No value for required variable") {
		t.Errorf("policy validate without --var: exit %d\n%s", res.code, res.stderr)
	}
	// A --var for an undeclared variable, after the file, is an error.
	res = runCLI(t, nil, "check", policy, "--var", "version=1", "--var", "verison=2")
	if res.code != 2 || !strings.Contains(res.stderr, `"verison"`) || res.stdout != "" {
		t.Errorf("undeclared --var: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
}

func readPolicy(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
