package policy

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// testSchemas stands in for what the plugins' Describe returns.
var testSchemas = Schemas{
	"blob": {
		Kind: "blob",
		Attributes: []sdk.Attribute{
			{Name: "path", Type: sdk.TypePath},
			{Name: "digest", Type: sdk.TypeString},
			{Name: "bundle", Type: sdk.TypePath},
			{Name: "count", Type: sdk.TypeNumber},
			{Name: "tags", Type: sdk.TypeListString},
		},
		Blocks: []sdk.NestedBlock{{
			TypeName: "attestation",
			Nesting:  sdk.NestingList,
			Attributes: []sdk.Attribute{
				{Name: "predicate_type", Type: sdk.TypeString, Required: true},
			},
		}},
	},
	"image": {
		Kind:       "image",
		Attributes: []sdk.Attribute{{Name: "ref", Type: sdk.TypeString, Required: true}},
	},
}

const (
	releaseSAN = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1"
	// idRelease is an identity block the tests that are not about
	// identities use.
	idRelease = `identity "release" {
  issuer  = "https://token.actions.githubusercontent.com"
  subject = "` + releaseSAN + `"
}
`
)

// decodeSrc writes src as dir/policy.hcl, parses it under the name
// "policy.hcl" and decodes it with testSchemas. Parse diagnostics are
// returned as they are (Decode is not called then).
func decodeSrc(t *testing.T, dir, src string, in Inputs) (*Policy, hcl.Diagnostics) {
	t.Helper()
	abs := filepath.Join(dir, "policy.hcl")
	if err := os.WriteFile(abs, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f, diags := Parse("policy.hcl", abs, []byte(src))
	if diags.HasErrors() {
		return nil, diags
	}
	p, d := Decode(f, testSchemas, in)
	return p, append(diags, d...)
}

// mustDecode decodes src and fails on any error diagnostic.
func mustDecode(t *testing.T, dir, src string, in Inputs) (*Policy, hcl.Diagnostics) {
	t.Helper()
	p, diags := decodeSrc(t, dir, src, in)
	if diags.HasErrors() {
		t.Fatalf("unexpected errors:\n%s\npolicy:\n%s", diagText(diags), src)
	}
	if p == nil {
		t.Fatal("Decode returned no policy and no error")
	}
	return p, diags
}

func diagText(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		subj := "<no subject>"
		if d.Subject != nil {
			subj = d.Subject.String()
		}
		b.WriteString("  " + sev + " " + subj + ": " + d.Summary + ": " + d.Detail + "\n")
	}
	return b.String()
}

// mark removes the one "§" in src and returns the source and the position
// of the character that followed it: where a diagnostic must point.
func mark(t *testing.T, src string) (string, hcl.Pos) {
	t.Helper()
	i := strings.Index(src, "§")
	if i < 0 || strings.Count(src, "§") != 1 {
		t.Fatalf("test policy must contain exactly one § marker:\n%s", src)
	}
	before := src[:i]
	line := strings.Count(before, "\n") + 1
	col := i - (strings.LastIndex(before, "\n") + 1) + 1
	return before + src[i+len("§"):], hcl.Pos{Line: line, Column: col, Byte: i}
}

// wantDiagAt fails unless diags holds a diagnostic of the given severity
// whose summary contains summary and whose Subject starts at pos in
// policy.hcl. It returns that diagnostic.
func wantDiagAt(t *testing.T, diags hcl.Diagnostics, sev hcl.DiagnosticSeverity, summary string, pos hcl.Pos) *hcl.Diagnostic {
	t.Helper()
	for _, d := range diags {
		if d.Severity != sev || !strings.Contains(d.Summary, summary) {
			continue
		}
		if d.Subject == nil {
			continue
		}
		if d.Subject.Filename == "policy.hcl" && d.Subject.Start.Line == pos.Line && d.Subject.Start.Column == pos.Column {
			if d.Subject.Start.Byte != pos.Byte {
				t.Errorf("%q: Subject byte offset %d, want %d", summary, d.Subject.Start.Byte, pos.Byte)
			}
			return d
		}
	}
	t.Fatalf("no diagnostic %q at policy.hcl:%d,%d; got:\n%s", summary, pos.Line, pos.Column, diagText(diags))
	return nil
}

func findDiag(diags hcl.Diagnostics, sev hcl.DiagnosticSeverity, summary string) *hcl.Diagnostic {
	for _, d := range diags {
		if d.Severity == sev && strings.Contains(d.Summary, summary) {
			return d
		}
	}
	return nil
}

func artifact(t *testing.T, p *Policy, id string) *Artifact {
	t.Helper()
	for _, a := range p.Artifacts {
		if a.ID() == id {
			return a
		}
	}
	t.Fatalf("no artifact %s in %d artifacts", id, len(p.Artifacts))
	return nil
}

// TestIssueMinimalForm: the policy of the issue, exactly as written.
func TestIssueMinimalForm(t *testing.T) {
	dir := t.TempDir()
	src := `trust_root "sigstore" { trusted_root = "testdata/trusted_root.json" }   # or {} for public-good via TUF
identity "release" {
  issuer         = "https://token.actions.githubusercontent.com"
  subject_regexp = "^https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/tags/v.*$"  # or subject = "…"
}
blob "app" {
  path       = "dist/app.tar.gz"
  bundle     = "dist/app.tar.gz.sigstore.json"
  identity   = identity.release
  trust_root = trust_root.sigstore      # optional when exactly one trust_root exists
}
`
	p, diags := mustDecode(t, dir, src, Inputs{})
	if len(diags) != 0 {
		t.Errorf("unexpected diagnostics:\n%s", diagText(diags))
	}
	if len(p.TrustRoots) != 1 {
		t.Fatalf("trust roots: %d", len(p.TrustRoots))
	}
	tr := p.TrustRoots[0]
	if tr.Name != "sigstore" || tr.TrustedRoot != filepath.Join(dir, "testdata", "trusted_root.json") || tr.Implicit || len(tr.PublicKeys) != 0 {
		t.Errorf("trust root %+v", tr)
	}
	if len(p.Artifacts) != 1 {
		t.Fatalf("artifacts: %d", len(p.Artifacts))
	}
	a := p.Artifacts[0]
	if a.Kind != "blob" || a.Name != "app" || a.ID() != "blob.app" {
		t.Errorf("artifact %s %s", a.Kind, a.Name)
	}
	wantAttrs := map[string]any{
		"path":   filepath.Join(dir, "dist", "app.tar.gz"),
		"bundle": filepath.Join(dir, "dist", "app.tar.gz.sigstore.json"),
	}
	if !reflect.DeepEqual(a.Attributes, wantAttrs) {
		t.Errorf("attributes %#v, want %#v (host attributes must not leak into them)", a.Attributes, wantAttrs)
	}
	if a.TrustRoot != "sigstore" || a.Require != 1 || a.UseKey {
		t.Errorf("trust root %q, require %d, use key %v", a.TrustRoot, a.Require, a.UseKey)
	}
	if a.Range.Filename != "policy.hcl" || a.Range.Start.Line != 6 {
		t.Errorf("artifact range %s", a.Range)
	}
	if len(a.Identities) != 1 {
		t.Fatalf("identities %+v", a.Identities)
	}
	id := a.Identities[0]
	if id.Name != "release" || id.Issuer != trust.GitHubIssuer || id.Subject != "" {
		t.Errorf("identity %+v", id)
	}
	if want := `^(?:https://github\.com/acme/app/\.github/workflows/release\.yml@refs/tags/v.*)$`; id.SubjectRegexp != want {
		t.Errorf("subject_regexp %q, want %q", id.SubjectRegexp, want)
	}
	signer := func(san string) *trust.Signer { return &trust.Signer{Subject: san, Issuer: trust.GitHubIssuer} }
	if m := id.Match(signer("https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.3")); m != nil {
		t.Errorf("release signer rejected: %+v", m)
	}
	for _, san := range []string{
		"https://github.com/acme/app-evil/.github/workflows/release.yml@refs/tags/v1",
		"https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main",
	} {
		if id.Match(signer(san)) == nil {
			t.Errorf("%s accepted", san)
		}
	}
	// Without trust_root = …: the only one is used.
	src2 := strings.Replace(src, "  trust_root = trust_root.sigstore      # optional when exactly one trust_root exists\n", "", 1)
	p2, _ := mustDecode(t, dir, src2, Inputs{})
	if got := p2.Artifacts[0].TrustRoot; got != "sigstore" {
		t.Errorf("implicit single trust root: %q", got)
	}
}

func TestTrustRootSelection(t *testing.T) {
	blob := func(extra string) string {
		return "blob \"app\" {\n  path     = \"app\"\n  identity = identity.release\n" + extra + "}\n"
	}
	tests := []struct {
		name      string
		src       string
		wantRoot  string
		wantRoots []string
		implicit  bool
		errAt     string // summary of the expected error at §
	}{
		{name: "none means public-good", src: idRelease + blob(""), wantRoot: "public-good", wantRoots: []string{"public-good"}, implicit: true},
		{name: "exactly one is used", src: `trust_root "only" {}` + "\n" + idRelease + blob(""), wantRoot: "only", wantRoots: []string{"only"}},
		{name: "named among several", src: "trust_root \"a\" {}\ntrust_root \"b\" {}\n" + idRelease + blob("  trust_root = trust_root.b\n"), wantRoot: "b", wantRoots: []string{"a", "b"}},
		{name: "ambiguous", src: "trust_root \"a\" {}\ntrust_root \"b\" {}\n" + idRelease + "§" + blob(""), errAt: "Ambiguous trust root"},
		{name: "undeclared", src: "trust_root \"a\" {}\n" + idRelease + strings.Replace(blob("  trust_root = trust_root.c\n"), "trust_root.c", "§trust_root.c", 1), errAt: "Reference to undeclared trust root"},
		{name: "not a reference", src: "trust_root \"a\" {}\n" + idRelease + strings.Replace(blob("  trust_root = \"a\"\n"), `= "a"`, `= §"a"`, 1), errAt: "Invalid reference"},
		{name: "duplicate", src: "trust_root \"a\" {}\n§trust_root \"a\" {}\n" + idRelease + blob("  trust_root = trust_root.a\n"), errAt: "Duplicate trust root"},
		{name: "tuf_mirror without tuf_root", src: "§trust_root \"m\" { tuf_mirror = \"https://tuf.example\" }\n" + idRelease + blob(""), errAt: "Incomplete TUF mirror"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.errAt != "" {
				src, pos := mark(t, tc.src)
				p, diags := decodeSrc(t, dir, src, Inputs{})
				if p != nil {
					t.Errorf("policy returned despite errors")
				}
				wantDiagAt(t, diags, hcl.DiagError, tc.errAt, pos)
				return
			}
			p, _ := mustDecode(t, dir, tc.src, Inputs{})
			if got := p.Artifacts[0].TrustRoot; got != tc.wantRoot {
				t.Errorf("artifact trust root %q, want %q", got, tc.wantRoot)
			}
			var names []string
			for _, tr := range p.TrustRoots {
				names = append(names, tr.Name)
				if tr.Implicit != tc.implicit {
					t.Errorf("%s: implicit %v", tr.Name, tr.Implicit)
				}
				if tr.TrustedRoot != "" || len(tr.PublicKeys) != 0 || tr.TUFMirror != "" {
					t.Errorf("%s: want public-good (all empty), got %+v", tr.Name, tr)
				}
			}
			if !reflect.DeepEqual(names, tc.wantRoots) {
				t.Errorf("trust roots %v, want %v", names, tc.wantRoots)
			}
		})
	}
}

func TestTrustRootFiles(t *testing.T) {
	dir := t.TempDir()
	p, _ := mustDecode(t, dir, `trust_root "k" {
  public_key  = "keys/a.pub"
  public_keys = ["keys/b.pub", "/abs/c.pub"]
}
trust_root "t" {
  tuf_mirror = "https://tuf.example.com"
  tuf_root   = "root.json"
}
blob "signed-by-key" {
  path       = "a"
  trust_root = trust_root.k
}
`, Inputs{})
	k := p.TrustRoots[0]
	want := []string{filepath.Join(dir, "keys/a.pub"), filepath.Join(dir, "keys/b.pub"), "/abs/c.pub"}
	if !reflect.DeepEqual(k.PublicKeys, want) {
		t.Errorf("public keys %v, want %v", k.PublicKeys, want)
	}
	tuf := p.TrustRoots[1]
	if tuf.TUFMirror != "https://tuf.example.com" || tuf.TUFRoot != filepath.Join(dir, "root.json") {
		t.Errorf("tuf %+v", tuf)
	}
	a := p.Artifacts[0]
	if !a.UseKey || len(a.Identities) != 0 || a.TrustRoot != "k" {
		t.Errorf("key-verified artifact %+v", a)
	}
}

func TestVariables(t *testing.T) {
	// Each case's policy copies variables into artifact attributes, so the
	// decoded values are visible with their schema types.
	const strVar = `variable "version" {
  type    = string
  default = "0.0.0"
}
` + idRelease + `blob "app" {
  digest   = var.version
  identity = identity.release
}
`
	const typedVars = `variable "n" { type = number }
variable "l" { type = list(string) }
` + idRelease + `blob "app" {
  count    = var.n
  tags     = var.l
  identity = identity.release
}
`
	tests := []struct {
		name     string
		src      string
		in       func(t *testing.T, dir string) Inputs
		want     map[string]any // attributes of blob.app
		errAt    string         // summary of an error at § (when the policy has §)
		err      string         // summary of an error without source position
		errMatch string         // text the error's detail must contain
	}{
		{name: "default", src: strVar, want: map[string]any{"digest": "0.0.0"}},
		{name: "environment", src: strVar,
			in: func(*testing.T, string) Inputs {
				return Inputs{Env: []string{"HOME=/x", "VMAFX_TRUST_VAR_version=1.0.0"}}
			},
			want: map[string]any{"digest": "1.0.0"}},
		{name: "var-file beats environment", src: strVar,
			in: func(t *testing.T, dir string) Inputs {
				return Inputs{Env: []string{"VMAFX_TRUST_VAR_version=1.0.0"}, VarFiles: []string{writeVarFile(t, dir, "a.vars", `version = "2.0.0"`)}}
			},
			want: map[string]any{"digest": "2.0.0"}},
		{name: "later var-file beats earlier", src: strVar,
			in: func(t *testing.T, dir string) Inputs {
				return Inputs{VarFiles: []string{writeVarFile(t, dir, "a.vars", `version = "2.0.0"`), writeVarFile(t, dir, "b.vars", `version = "2.1.0"`)}}
			},
			want: map[string]any{"digest": "2.1.0"}},
		{name: "--var beats var-file and environment", src: strVar,
			in: func(t *testing.T, dir string) Inputs {
				return Inputs{Env: []string{"VMAFX_TRUST_VAR_version=1.0.0"}, VarFiles: []string{writeVarFile(t, dir, "a.vars", `version = "2.0.0"`)}, Vars: []string{"version=3.0.0"}}
			},
			want: map[string]any{"digest": "3.0.0"}},
		{name: "last --var wins", src: strVar,
			in:   func(*testing.T, string) Inputs { return Inputs{Vars: []string{"version=3.0.0", "version=3.0.1"}} },
			want: map[string]any{"digest": "3.0.1"}},
		{name: "--var string is literal", src: strVar,
			in:   func(*testing.T, string) Inputs { return Inputs{Vars: []string{`version=["not", "a list"]=x`}} },
			want: map[string]any{"digest": `["not", "a list"]=x`}},
		{name: "undeclared environment variable is ignored", src: strVar,
			in:   func(*testing.T, string) Inputs { return Inputs{Env: []string{"VMAFX_TRUST_VAR_other=1"}} },
			want: map[string]any{"digest": "0.0.0"}},
		{name: "number and list from --var are HCL", src: typedVars,
			in:   func(*testing.T, string) Inputs { return Inputs{Vars: []string{"n=3", `l=["a", "b"]`}} },
			want: map[string]any{"count": int64(3), "tags": []any{"a", "b"}}},
		{name: "number and list from the environment are HCL", src: typedVars,
			in: func(*testing.T, string) Inputs {
				return Inputs{Env: []string{"VMAFX_TRUST_VAR_n=2.5", `VMAFX_TRUST_VAR_l=["x"]`}}
			},
			want: map[string]any{"count": 2.5, "tags": []any{"x"}}},
		{name: "number and list from a var-file", src: typedVars,
			in: func(t *testing.T, dir string) Inputs {
				return Inputs{VarFiles: []string{writeVarFile(t, dir, "v.vars", "n = 7\nl = [\"p\", \"q\"]\n")}}
			},
			want: map[string]any{"count": int64(7), "tags": []any{"p", "q"}}},
		{name: "default converted to the type",
			src: `variable "n" {
  type    = number
  default = "12"
}
` + idRelease + "blob \"app\" {\n  count    = var.n\n  identity = identity.release\n}\n",
			want: map[string]any{"count": int64(12)}},
		{name: "required variable without a value",
			src:   "§variable \"version\" { type = string }\n" + idRelease + "blob \"app\" {\n  digest   = var.version\n  identity = identity.release\n}\n",
			errAt: "No value for required variable", errMatch: "VMAFX_TRUST_VAR_version"},
		{name: "--var for an undeclared variable", src: strVar,
			in:  func(*testing.T, string) Inputs { return Inputs{Vars: []string{"verison=1.0.0"}} },
			err: "Undeclared variable", errMatch: `"verison" (from --var verison)`},
		{name: "var-file value for an undeclared variable", src: strVar,
			in: func(t *testing.T, dir string) Inputs {
				return Inputs{VarFiles: []string{writeVarFile(t, dir, "a.vars", `nope = 1`)}}
			},
			err: "Undeclared variable", errMatch: `"nope"`},
		{name: "malformed --var", src: strVar,
			in:  func(*testing.T, string) Inputs { return Inputs{Vars: []string{"version"}} },
			err: "Invalid --var", errMatch: "want name=value"},
		{name: "--var of the wrong type",
			src:   "§variable \"n\" { type = number }\n" + idRelease + "blob \"app\" {\n  count    = var.n\n  identity = identity.release\n}\n",
			in:    func(*testing.T, string) Inputs { return Inputs{Vars: []string{`n="three"`}} },
			errAt: "Invalid value for variable", errMatch: "number"},
		{name: "default of the wrong type",
			src:   "variable \"n\" {\n  type    = number\n  default = §\"three\"\n}\n" + idRelease + "blob \"app\" {\n  count    = var.n\n  identity = identity.release\n}\n",
			errAt: "Invalid value for variable", errMatch: "number"},
		{name: "validation passes",
			src:  validated,
			in:   func(*testing.T, string) Inputs { return Inputs{Vars: []string{"version=1.4.0"}} },
			want: map[string]any{"digest": "1.4.0"}},
		{name: "validation fails (--var: points at the variable)",
			src:   strings.Replace(validated, `variable "version"`, `§variable "version"`, 1),
			in:    func(*testing.T, string) Inputs { return Inputs{Vars: []string{"version=latest"}} },
			errAt: "Invalid value for variable", errMatch: "var.version: version must be MAJOR.MINOR.PATCH"},
		{name: "validation fails (default: points at it)",
			src:   strings.Replace(validated, "type = string\n", "type = string\n  default = §\"1.x\"\n", 1),
			errAt: "Invalid value for variable", errMatch: "version must be MAJOR.MINOR.PATCH"},
		{name: "validation fails (var-file: points at the value there)",
			src: validated,
			in: func(t *testing.T, dir string) Inputs {
				return Inputs{VarFiles: []string{writeVarFile(t, dir, "a.vars", `version = "nope"`)}}
			},
			err: "Invalid value for variable", errMatch: "MAJOR.MINOR.PATCH"},
		{name: "validation condition that is not a bool",
			src:   "variable \"v\" {\n  default = \"x\"\n  validation {\n    condition     = §\"yes\"\n    error_message = \"m\"\n  }\n}\n",
			errAt: "Invalid validation condition"},
		{name: "duplicate variable",
			src:   "variable \"v\" { default = 1 }\n§variable \"v\" { default = 2 }\n",
			errAt: "Duplicate variable"},
		{name: "unknown type",
			src:   "variable \"v\" { type = §strang }\n",
			errAt: "Invalid type specification"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := Inputs{}
			if tc.in != nil {
				in = tc.in(t, dir)
			}
			src, pos := tc.src, hcl.Pos{}
			if strings.Contains(src, "§") {
				src, pos = mark(t, src)
			}
			if tc.errAt == "" && tc.err == "" {
				p, _ := mustDecode(t, dir, src, in)
				got := artifact(t, p, "blob.app").Attributes
				for k, v := range tc.want {
					if !reflect.DeepEqual(got[k], v) {
						t.Errorf("%s = %#v, want %#v", k, got[k], v)
					}
				}
				return
			}
			p, diags := decodeSrc(t, dir, src, in)
			if p != nil {
				t.Error("policy returned despite errors")
			}
			var d *hcl.Diagnostic
			if tc.errAt != "" {
				d = wantDiagAt(t, diags, hcl.DiagError, tc.errAt, pos)
			} else if d = findDiag(diags, hcl.DiagError, tc.err); d == nil {
				t.Fatalf("no %q error; got:\n%s", tc.err, diagText(diags))
			}
			if !strings.Contains(d.Detail, tc.errMatch) {
				t.Errorf("detail %q lacks %q", d.Detail, tc.errMatch)
			}
		})
	}
}

const validated = `variable "version" {
  type = string
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.version))
    error_message = "version must be MAJOR.MINOR.PATCH"
  }
}
` + idRelease + `blob "app" {
  digest   = var.version
  identity = identity.release
}
`

func writeVarFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLocals(t *testing.T) {
	dir := t.TempDir()
	// Declared out of dependency order on purpose.
	p, _ := mustDecode(t, dir, `variable "version" { default = "1.4.0" }
locals {
  url = "${local.base}/download/${local.tag}/app.tar.gz"
}
locals {
  tag  = "v${var.version}"
  base = "https://github.com/acme/app/releases"
  tags = [local.tag, upper(local.tag)]
}
`+idRelease+`blob "app" {
  digest   = local.url
  tags     = local.tags
  identity = identity.release
}
`, Inputs{})
	a := p.Artifacts[0]
	if got, want := a.Attributes["digest"], "https://github.com/acme/app/releases/download/v1.4.0/app.tar.gz"; got != want {
		t.Errorf("local.url = %v, want %v", got, want)
	}
	if got, want := a.Attributes["tags"], []any{"v1.4.0", "V1.4.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("local.tags = %v, want %v", got, want)
	}

	errs := []struct {
		name, src, summary string
	}{
		{"cycle", "locals {\n  a = §local.b\n  b = local.a\n}\n", "Unresolvable local"},
		{"self reference", "locals {\n  a = §\"${local.a}x\"\n}\n", "Unresolvable local"},
		{"undefined local", "locals {\n  a = §local.nope\n}\n", "Unresolvable local"},
		{"duplicate", "locals {\n  a = 1\n}\nlocals {\n  §a = 2\n}\n", "Duplicate local"},
		{"undefined variable", "locals {\n  a = var§.nope\n}\n", "Unsupported attribute"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			src, pos := mark(t, tc.src)
			_, diags := decodeSrc(t, t.TempDir(), src, Inputs{})
			wantDiagAt(t, diags, hcl.DiagError, tc.summary, pos)
		})
	}
}

func TestFunctions(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "ids"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ids", "san.txt"), []byte(releaseSAN+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		expr string
		want any
	}{
		{`format("%s-%d.tar.gz", "app", 3)`, "app-3.tar.gz"},
		{`join(",", ["a", "b", "c"])`, "a,b,c"},
		{`regex_escape("https://x.y/a+b(c)?")`, `https://x\.y/a\+b\(c\)\?`},
		{`sha256("abc")`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`trimspace(file("ids/san.txt"))`, releaseSAN},
		{`can(regex("^v", "1.0"))`, "false"},
		{`try(tonumber("x"), "fallback")`, "fallback"},
		{`startswith("refs/tags/v1", "refs/tags/")`, "true"},
		{`lower(replace("A-B", "-", "_"))`, "a_b"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			p, _ := mustDecode(t, dir, idRelease+"blob \"app\" {\n  digest   = "+tc.expr+"\n  identity = identity.release\n}\n", Inputs{})
			if got := p.Artifacts[0].Attributes["digest"]; got != tc.want {
				t.Errorf("%s = %#v, want %#v", tc.expr, got, tc.want)
			}
		})
	}
	// file() reads relative to the policy, and an identity can use it.
	p, _ := mustDecode(t, dir, `identity "from-file" {
  issuer  = "https://token.actions.githubusercontent.com"
  subject = trimspace(file("ids/san.txt"))
}
blob "app" {
  path     = "a"
  identity = identity.from-file
}
`, Inputs{})
	if got := p.Identities["from-file"].Subject; got != releaseSAN {
		t.Errorf("subject from file(): %q", got)
	}
	// regex_escape builds an anchored-by-default regexp from a literal.
	p, _ = mustDecode(t, dir, `identity "prefix" {
  issuer         = "https://token.actions.githubusercontent.com"
  subject_regexp = "${regex_escape("https://github.com/acme/app/")}.*"
}
`, Inputs{})
	id := p.Identities["prefix"].Identity
	if id.Match(&trust.Signer{Subject: releaseSAN, Issuer: trust.GitHubIssuer}) != nil {
		t.Errorf("regex_escape prefix rejects %s (regexp %s)", releaseSAN, id.SubjectRegexp)
	}
	if id.Match(&trust.Signer{Subject: "https://githubXcom/acme/app/x", Issuer: trust.GitHubIssuer}) == nil {
		t.Errorf("regex_escape did not escape the dots: %s", id.SubjectRegexp)
	}

	errs := []struct{ name, src, summary string }{
		{"missing file", idRelease + "blob \"app\" {\n  digest   = §file(\"nope.txt\")\n  identity = identity.release\n}\n", "Error in function call"},
		{"unknown function", idRelease + "blob \"app\" {\n  digest   = §nope(\"x\")\n  identity = identity.release\n}\n", "Call to unknown function"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			src, pos := mark(t, tc.src)
			_, diags := decodeSrc(t, dir, src, Inputs{})
			wantDiagAt(t, diags, hcl.DiagError, tc.summary, pos)
		})
	}
}

func TestFileFunctionSizeLimit(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big"), make([]byte, maxFileFunctionSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	src, pos := mark(t, idRelease+"blob \"app\" {\n  digest   = file(\"§big\")\n  identity = identity.release\n}\n")
	_, diags := decodeSrc(t, dir, src, Inputs{})
	d := wantDiagAt(t, diags, hcl.DiagError, "Invalid function argument", pos)
	if !strings.Contains(d.Detail, "larger than 1 MiB") {
		t.Errorf("detail %q", d.Detail)
	}
}

func TestSelf(t *testing.T) {
	dir := t.TempDir()
	p, _ := mustDecode(t, dir, idRelease+`blob "app" {
  bundle   = "${self.path}.sigstore.json"
  path     = "dist/app.tar.gz"
  digest   = "${self.count}"
  count    = 2
  identity = identity.release
}
`, Inputs{})
	a := p.Artifacts[0]
	if got, want := a.Attributes["bundle"], filepath.Join(dir, "dist", "app.tar.gz.sigstore.json"); got != want {
		t.Errorf("bundle %v, want %v", got, want)
	}
	if got := a.Attributes["digest"]; got != "2" {
		t.Errorf("digest %v", got)
	}
	src, pos := mark(t, idRelease+`blob "app" {
  bundle   = "${self§.nope}.sigstore.json"
  identity = identity.release
}
`)
	_, diags := decodeSrc(t, dir, src, Inputs{})
	wantDiagAt(t, diags, hcl.DiagError, "Unsupported attribute", pos)
}

func TestNestedBlocksAndTypes(t *testing.T) {
	dir := t.TempDir()
	p, _ := mustDecode(t, dir, idRelease+`blob "app" {
  path     = 42
  count    = "5"
  tags     = ["a", 1]
  identity = identity.release
  attestation {
    predicate_type = "https://slsa.dev/provenance/v1"
  }
  attestation {
    predicate_type = "https://spdx.dev/Document"
  }
}
`, Inputs{})
	a := p.Artifacts[0]
	want := map[string]any{
		"path":  filepath.Join(dir, "42"), // a number converts to a string, as in HCL
		"count": int64(5),
		"tags":  []any{"a", "1"},
		"attestation": []any{
			map[string]any{"predicate_type": "https://slsa.dev/provenance/v1"},
			map[string]any{"predicate_type": "https://spdx.dev/Document"},
		},
	}
	if !reflect.DeepEqual(a.Attributes, want) {
		t.Errorf("attributes\n%#v\nwant\n%#v", a.Attributes, want)
	}
}

func TestIdentitiesAndRequire(t *testing.T) {
	dir := t.TempDir()
	ids := `identity "a" {
  issuer  = "https://accounts.google.com"
  subject = "a@example.com"
}
identity "b" {
  issuer  = "https://accounts.google.com"
  subject = "b@example.com"
}
`
	p, _ := mustDecode(t, dir, ids+`blob "app" {
  path       = "x"
  identities = [identity.a, identity.b, identity.a]
  require    = 2
}
`, Inputs{})
	a := p.Artifacts[0]
	if len(a.Identities) != 2 || a.Identities[0].Name != "a" || a.Identities[1].Name != "b" || a.Require != 2 {
		t.Errorf("identities %+v require %d", a.Identities, a.Require)
	}
	for _, tc := range []struct{ name, body, summary string }{
		{"require above identities", "  identities = [identity.a, identity.b]\n  require    = §3\n", "Invalid require"},
		{"require zero", "  identity = identity.a\n  require  = §0\n", "Invalid require"},
		{"require fractional", "  identities = [identity.a, identity.b]\n  require    = §1.5\n", "Invalid require"},
		{"require not a number", "  identity = identity.a\n  require  = §\"all\"\n", "Incorrect attribute value type"},
		{"identity as a string", "  identity = §\"a\"\n", "Invalid reference"},
		{"identities entry undeclared", "  identities = [identity.a, §identity.c]\n", "Reference to undeclared identity"},
		{"identity of the wrong root", "  identity = §trust_root.a\n", "Invalid reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, pos := mark(t, ids+"blob \"app\" {\n  path = \"x\"\n"+tc.body+"}\n")
			_, diags := decodeSrc(t, dir, src, Inputs{})
			wantDiagAt(t, diags, hcl.DiagError, tc.summary, pos)
		})
	}
}

func TestGitHubShorthand(t *testing.T) {
	const caller = "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1"
	signer := func(subject string, ext map[string]string) *trust.Signer {
		return &trust.Signer{Subject: subject, Issuer: trust.GitHubIssuer, Extensions: ext}
	}
	tests := []struct {
		name          string
		body          string
		issuer        string
		subject       string // exact subject, or "" when a regexp is expected
		extensions    map[string]string
		extRegexps    []string // extension_regexps keys expected
		accept        []*trust.Signer
		reject        []*trust.Signer
		rejectMessage []string // a mismatch field expected for each reject
	}{
		{
			name: "repository workflow ref",
			body: `github {
    repository = "o/r"
    workflow   = "release.yml"
    ref        = "refs/tags/v1"
  }`,
			issuer:     trust.GitHubIssuer,
			subject:    caller,
			extensions: map[string]string{"source_repository_uri": "https://github.com/o/r", "source_repository_ref": "refs/tags/v1"},
			extRegexps: []string{"build_config_uri"},
			accept: []*trust.Signer{signer(caller, map[string]string{
				"source_repository_uri": "https://github.com/o/r", "source_repository_ref": "refs/tags/v1", "build_config_uri": caller,
			})},
			reject: []*trust.Signer{
				signer("https://github.com/o/r-evil/.github/workflows/release.yml@refs/tags/v1", map[string]string{
					"source_repository_uri": "https://github.com/o/r-evil", "source_repository_ref": "refs/tags/v1",
					"build_config_uri": "https://github.com/o/r-evil/.github/workflows/release.yml@refs/tags/v1",
				}),
				signer("https://github.com/o/r/.github/workflows/release.yml@refs/heads/main", map[string]string{
					"source_repository_uri": "https://github.com/o/r", "source_repository_ref": "refs/heads/main",
					"build_config_uri": "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main",
				}),
			},
			rejectMessage: []string{"subject", "source_repository_ref"},
		},
		{
			name: "explicit issuer and workflow path",
			body: `issuer = "https://token.actions.githubusercontent.com"
  github {
    repository = "o/r"
    workflow   = ".github/workflows/release.yml"
    ref        = "refs/tags/v1"
    runner     = "github-hosted"
  }`,
			issuer:     trust.GitHubIssuer,
			subject:    caller,
			extensions: map[string]string{"source_repository_uri": "https://github.com/o/r", "source_repository_ref": "refs/tags/v1", "runner_environment": "github-hosted"},
			extRegexps: []string{"build_config_uri"},
			reject: []*trust.Signer{signer(caller, map[string]string{
				"source_repository_uri": "https://github.com/o/r", "source_repository_ref": "refs/tags/v1",
				"build_config_uri": caller, "runner_environment": "self-hosted",
			})},
			rejectMessage: []string{"runner_environment"},
		},
		{
			name: "reusable signer workflow",
			body: `github {
    repository        = "o/r"
    ref               = "refs/tags/v1"
    signer_repository = "slsa/gen"
    signer_workflow   = "builder.yml"
    signer_ref        = "refs/tags/v2.1.0"
  }`,
			issuer:  trust.GitHubIssuer,
			subject: "https://github.com/slsa/gen/.github/workflows/builder.yml@refs/tags/v2.1.0",
			extensions: map[string]string{
				"source_repository_uri": "https://github.com/o/r", "source_repository_ref": "refs/tags/v1",
				"build_signer_uri": "https://github.com/slsa/gen/.github/workflows/builder.yml@refs/tags/v2.1.0",
			},
			accept: []*trust.Signer{signer("https://github.com/slsa/gen/.github/workflows/builder.yml@refs/tags/v2.1.0", map[string]string{
				"source_repository_uri": "https://github.com/o/r", "source_repository_ref": "refs/tags/v1",
				"build_signer_uri": "https://github.com/slsa/gen/.github/workflows/builder.yml@refs/tags/v2.1.0",
				"build_config_uri": caller,
			})},
			reject: []*trust.Signer{signer("https://github.com/slsa/gen/.github/workflows/builder.yml@refs/tags/v2.1.0", map[string]string{
				"source_repository_uri": "https://github.com/x/y", "source_repository_ref": "refs/tags/v1",
				"build_signer_uri": "https://github.com/slsa/gen/.github/workflows/builder.yml@refs/tags/v2.1.0",
			})},
			rejectMessage: []string{"source_repository_uri"},
		},
		{
			name: "reusable signer with the caller's workflow",
			body: `github {
    repository        = "o/r"
    workflow          = "release.yml"
    signer_repository = "slsa/gen"
    signer_workflow   = "builder.yml"
  }`,
			issuer:     trust.GitHubIssuer,
			extensions: map[string]string{"source_repository_uri": "https://github.com/o/r"},
			extRegexps: []string{"build_config_uri"},
			accept: []*trust.Signer{signer("https://github.com/slsa/gen/.github/workflows/builder.yml@refs/tags/v2.1.0", map[string]string{
				"source_repository_uri": "https://github.com/o/r", "build_config_uri": caller,
			})},
			reject: []*trust.Signer{
				// The caller's workflow is part of the identity even when a
				// reusable workflow signs.
				signer("https://github.com/slsa/gen/.github/workflows/builder.yml@refs/tags/v2.1.0", map[string]string{
					"source_repository_uri": "https://github.com/o/r", "build_config_uri": "https://github.com/o/r/.github/workflows/other.yml@refs/tags/v1",
				}),
				signer("https://github.com/slsa/gen-evil/.github/workflows/builder.yml@refs/tags/v2.1.0", map[string]string{
					"source_repository_uri": "https://github.com/o/r", "build_config_uri": caller,
				}),
			},
			rejectMessage: []string{"build_config_uri", "subject"},
		},
		{
			name: "no ref: anchored regexp",
			body: `github {
    repository = "o/r"
    workflow   = "release.yml"
  }`,
			issuer:     trust.GitHubIssuer,
			extensions: map[string]string{"source_repository_uri": "https://github.com/o/r"},
			extRegexps: []string{"build_config_uri"},
			accept: []*trust.Signer{signer("https://github.com/o/r/.github/workflows/release.yml@refs/heads/main", map[string]string{
				"source_repository_uri": "https://github.com/o/r", "build_config_uri": "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main",
			})},
			reject: []*trust.Signer{
				signer("https://github.com/o/r-evil/.github/workflows/release.yml@refs/heads/main", map[string]string{
					"source_repository_uri": "https://github.com/o/r", "build_config_uri": "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main",
				}),
				signer("xhttps://github.com/o/r/.github/workflows/release.yml@refs/heads/main", map[string]string{
					"source_repository_uri": "https://github.com/o/r", "build_config_uri": "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main",
				}),
			},
			rejectMessage: []string{"subject", "subject"},
		},
		{
			name: "repository only: any workflow, anchored",
			body: `github {
    repository = "o/r"
  }`,
			issuer:     trust.GitHubIssuer,
			extensions: map[string]string{"source_repository_uri": "https://github.com/o/r"},
			accept:     []*trust.Signer{signer("https://github.com/o/r/.github/workflows/any.yml@refs/heads/main", map[string]string{"source_repository_uri": "https://github.com/o/r"})},
			reject: []*trust.Signer{
				signer("https://github.com/o/r-evil/.github/workflows/any.yml@refs/heads/main", map[string]string{"source_repository_uri": "https://github.com/o/r"}),
				signer("https://github.com/o/r/.github/workflows/any.yml@refs/heads/main", map[string]string{"source_repository_uri": "https://github.com/o/r-evil"}),
			},
			rejectMessage: []string{"subject", "source_repository_uri"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, diags := mustDecode(t, t.TempDir(), "identity \"gh\" {\n  "+tc.body+"\n}\n", Inputs{})
			if len(diags) != 0 {
				t.Errorf("diagnostics:\n%s", diagText(diags))
			}
			id := p.Identities["gh"].Identity
			if id.Issuer != tc.issuer {
				t.Errorf("issuer %q", id.Issuer)
			}
			if tc.subject != "" {
				if id.Subject != tc.subject || id.SubjectRegexp != "" {
					t.Errorf("subject %q regexp %q, want exactly %q", id.Subject, id.SubjectRegexp, tc.subject)
				}
			} else if id.Subject != "" || !strings.HasPrefix(id.SubjectRegexp, "^") || !strings.HasSuffix(id.SubjectRegexp, "$") {
				t.Errorf("subject %q regexp %q, want an anchored regexp", id.Subject, id.SubjectRegexp)
			}
			if !reflect.DeepEqual(id.Extensions, tc.extensions) {
				t.Errorf("extensions %v, want %v", id.Extensions, tc.extensions)
			}
			var keys []string
			for k, re := range id.ExtensionRegexps {
				keys = append(keys, k)
				if !strings.HasPrefix(re, "^") || !strings.HasSuffix(re, "$") {
					t.Errorf("extension regexp %s = %q is not anchored", k, re)
				}
			}
			if len(keys) != len(tc.extRegexps) || (len(keys) == 1 && keys[0] != tc.extRegexps[0]) {
				t.Errorf("extension regexps %v, want %v", id.ExtensionRegexps, tc.extRegexps)
			}
			if err := id.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			for _, s := range tc.accept {
				if m := id.Match(s); m != nil {
					t.Errorf("rejects %s: %+v", s.Subject, m)
				}
			}
			for i, s := range tc.reject {
				m := id.Match(s)
				if m == nil {
					t.Errorf("accepts %s %v", s.Subject, s.Extensions)
					continue
				}
				found := false
				for _, mm := range m {
					found = found || mm.Field == tc.rejectMessage[i]
				}
				if !found {
					t.Errorf("reject %d: mismatches %+v, want one on %s", i, m, tc.rejectMessage[i])
				}
			}
		})
	}

	errs := []struct{ name, src, summary string }{
		{"github plus subject", "identity \"x\" {\n  subject = \"s\"\n  §github {\n    repository = \"o/r\"\n  }\n}\n", "Invalid github identity"},
		{"bad repository", "identity \"x\" {\n  §github {\n    repository = \"o\"\n  }\n}\n", "Invalid github identity"},
		{"bad runner", "identity \"x\" {\n  §github {\n    repository = \"o/r\"\n    runner = \"laptop\"\n  }\n}\n", "Invalid github identity"},
		{"signer_repository without signer_workflow", "identity \"x\" {\n  §github {\n    repository = \"o/r\"\n    signer_repository = \"s/w\"\n  }\n}\n", "Invalid github identity"},
		{"missing repository", "identity \"x\" {\n  github §{\n    workflow = \"release.yml\"\n  }\n}\n", "Missing required argument"},
		{"unknown github attribute", "identity \"x\" {\n  github {\n    repository = \"o/r\"\n    §branch = \"main\"\n  }\n}\n", "Unsupported argument"},
		{"two github blocks", "identity \"x\" {\n  github {\n    repository = \"o/r\"\n  }\n  §github {\n    repository = \"o/s\"\n  }\n}\n", "Duplicate github block"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			src, pos := mark(t, tc.src)
			_, diags := decodeSrc(t, t.TempDir(), src, Inputs{})
			wantDiagAt(t, diags, hcl.DiagError, tc.summary, pos)
		})
	}
}

func TestRegexpAnchoring(t *testing.T) {
	signer := func(san string) *trust.Signer { return &trust.Signer{Subject: san, Issuer: trust.GitHubIssuer} }
	const good = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1"
	tests := []struct {
		name, regexp, want string
		accept, reject     []string
	}{
		{
			name: "suffix wildcard", regexp: `https://github.com/acme/app/.*`, want: `^(?:https://github.com/acme/app/.*)$`,
			accept: []string{good},
			reject: []string{
				"https://github.com/acme/app-evil/.github/workflows/release.yml@refs/tags/v1",
				"xhttps://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1",
			},
		},
		{
			name: "repository prefix only", regexp: `https://github\.com/acme/app`, want: `^(?:https://github\.com/acme/app)$`,
			accept: []string{"https://github.com/acme/app"},
			reject: []string{"https://github.com/acme/app-evil/.github/workflows/release.yml@refs/tags/v1", good},
		},
		{
			name: "already anchored", regexp: `^https://github\.com/acme/app/.*$`, want: `^(?:https://github\.com/acme/app/.*)$`,
			accept: []string{good},
			reject: []string{"xhttps://github.com/acme/app/x"},
		},
		{
			name: "alternation is anchored as a whole", regexp: `^https://a\.example|https://b\.example$`, want: `^(?:https://a\.example|https://b\.example)$`,
			accept: []string{"https://a.example", "https://b.example"},
			reject: []string{"https://a.example.evil", "https://evil/https://b.example"},
		},
		{
			// A trailing escaped dollar is a literal, not an anchor.
			name: "escaped dollar", regexp: `^https://a\.example/\$`, want: `^(?:https://a\.example/\$)$`,
			accept: []string{"https://a.example/$"},
			reject: []string{"https://a.example/$x", "https://a.example/"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			re := strings.ReplaceAll(tc.regexp, `\`, `\\`)
			p, diags := mustDecode(t, t.TempDir(), "identity \"r\" {\n  issuer         = \""+trust.GitHubIssuer+"\"\n  subject_regexp = \""+re+"\"\n}\n", Inputs{})
			if len(diags) != 0 {
				t.Errorf("diagnostics for an anchored regexp:\n%s", diagText(diags))
			}
			id := p.Identities["r"].Identity
			if id.SubjectRegexp != tc.want {
				t.Errorf("subject_regexp %q, want %q", id.SubjectRegexp, tc.want)
			}
			for _, s := range tc.accept {
				if m := id.Match(signer(s)); m != nil {
					t.Errorf("rejects %s: %+v", s, m)
				}
			}
			for _, s := range tc.reject {
				if id.Match(signer(s)) == nil {
					t.Errorf("accepts %s", s)
				}
			}
		})
	}

	t.Run("unanchored opt-out warns", func(t *testing.T) {
		src, pos := mark(t, `§identity "loose" {
  issuer         = "https://token.actions.githubusercontent.com"
  subject_regexp = "https://github.com/acme/app"
  unanchored     = true
}
`)
		p, diags := mustDecode(t, t.TempDir(), src, Inputs{})
		d := wantDiagAt(t, diags, hcl.DiagWarning, "Unanchored identity regexp", pos)
		if !strings.Contains(d.Detail, `"loose"`) {
			t.Errorf("warning does not name the identity: %s", d.Detail)
		}
		id := p.Identities["loose"].Identity
		if id.SubjectRegexp != "https://github.com/acme/app" {
			t.Errorf("unanchored regexp rewritten: %q", id.SubjectRegexp)
		}
		if id.Match(signer("https://github.com/acme/app-evil/x")) != nil {
			t.Error("unanchored = true must match as written")
		}
	})
	t.Run("unanchored with exact matches only does not warn", func(t *testing.T) {
		_, diags := mustDecode(t, t.TempDir(), idRelease[:len(idRelease)-2]+"  unanchored = true\n}\n", Inputs{})
		if len(diags) != 0 {
			t.Errorf("diagnostics:\n%s", diagText(diags))
		}
	})
	t.Run("extensions", func(t *testing.T) {
		p, _ := mustDecode(t, t.TempDir(), `identity "ext" {
  issuer_regexp     = "https://token\\.actions\\.githubusercontent\\.com"
  subject           = "`+good+`"
  extensions        = { source_repository_uri = "https://github.com/acme/app", runner_environment = "github-hosted" }
  extension_regexps = { source_repository_ref = "refs/tags/v.*" }
}
`, Inputs{})
		id := p.Identities["ext"].Identity
		if want := map[string]string{"source_repository_uri": "https://github.com/acme/app", "runner_environment": "github-hosted"}; !reflect.DeepEqual(id.Extensions, want) {
			t.Errorf("extensions %v", id.Extensions)
		}
		if want := map[string]string{"source_repository_ref": "^(?:refs/tags/v.*)$"}; !reflect.DeepEqual(id.ExtensionRegexps, want) {
			t.Errorf("extension_regexps %v", id.ExtensionRegexps)
		}
		if id.IssuerRegexp != `^(?:https://token\.actions\.githubusercontent\.com)$` {
			t.Errorf("issuer_regexp %q", id.IssuerRegexp)
		}
		ok := &trust.Signer{Subject: good, Issuer: trust.GitHubIssuer, Extensions: map[string]string{
			"source_repository_uri": "https://github.com/acme/app", "runner_environment": "github-hosted", "source_repository_ref": "refs/tags/v1",
		}}
		if m := id.Match(ok); m != nil {
			t.Errorf("rejects: %+v", m)
		}
		bad := &trust.Signer{Subject: good, Issuer: trust.GitHubIssuer, Extensions: map[string]string{
			"source_repository_uri": "https://github.com/acme/app", "runner_environment": "github-hosted", "source_repository_ref": "xrefs/tags/v1",
		}}
		if id.Match(bad) == nil {
			t.Error("extension regexp not anchored")
		}
	})

	errs := []struct{ name, src, summary, detail string }{
		{"unknown extension", "identity \"x\" {\n  issuer     = \"i\"\n  subject    = \"s\"\n  extensions = §{ source_repo = \"x\" }\n}\n", "Unknown certificate extension", "source_repository_uri"},
		{"unknown extension regexp", "identity \"x\" {\n  issuer            = \"i\"\n  subject           = \"s\"\n  extension_regexps = §{ nope = \"x\" }\n}\n", "Unknown certificate extension", `"nope"`},
		{"bad regexp", "identity \"x\" {\n  issuer         = \"i\"\n  subject_regexp = §\"a(b\"\n}\n", "Invalid regular expression", "subject_regexp"},
		{"unanchored not a bool", "identity \"x\" {\n  issuer     = \"i\"\n  subject    = \"s\"\n  unanchored = §\"maybe\"\n}\n", "Incorrect attribute value type", "bool"},
		{"no subject", "§identity \"x\" {\n  issuer = \"i\"\n}\n", "Invalid identity", "subject"},
		{"no issuer", "§identity \"x\" {\n  subject = \"s\"\n}\n", "Invalid identity", "issuer"},
		{"subject and subject_regexp", "§identity \"x\" {\n  issuer         = \"i\"\n  subject        = \"s\"\n  subject_regexp = \"s.*\"\n}\n", "Invalid identity", "mutually exclusive"},
		{"duplicate identity", idRelease + "§" + idRelease, "Duplicate identity", `"release"`},
		{"unknown identity attribute", "identity \"x\" {\n  issuer  = \"i\"\n  subject = \"s\"\n  §san    = \"s\"\n}\n", "Unsupported argument", "san"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			src, pos := mark(t, tc.src)
			_, diags := decodeSrc(t, t.TempDir(), src, Inputs{})
			d := wantDiagAt(t, diags, hcl.DiagError, tc.summary, pos)
			if !strings.Contains(d.Detail, tc.detail) {
				t.Errorf("detail %q lacks %q", d.Detail, tc.detail)
			}
		})
	}
}

// TestPolicyErrors: every error points at the offending token (§).
func TestPolicyErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		summary string
		detail  string
	}{
		{
			name: "syntax error",
			src: idRelease + `blob "app" {
  path     = "a"
  bundle   = §= "b"
  identity = identity.release
}
`,
			summary: "Invalid expression",
		},
		{
			name:    "unclosed block",
			src:     idRelease + "blob \"app\" §{\n  path = \"a\"\n",
			summary: "Unclosed configuration block",
		},
		{
			name: "unknown attribute",
			src: idRelease + `blob "app" {
  path     = "a"
  §colour   = "blue"
  identity = identity.release
}
`,
			summary: "Unsupported argument",
			detail:  `"colour"`,
		},
		{
			name: "wrong type: list for a string",
			src: idRelease + `blob "app" {
  path     = §["a", "b"]
  identity = identity.release
}
`,
			summary: "Incorrect attribute value type",
			detail:  `"path"`,
		},
		{
			name: "wrong type: string for a number",
			src: idRelease + `blob "app" {
  path     = "a"
  count    = §"many"
  identity = identity.release
}
`,
			summary: "Incorrect attribute value type",
			detail:  "number",
		},
		{
			name: "wrong type: map for a list",
			src: idRelease + `blob "app" {
  path     = "a"
  tags     = §{ a = "b" }
  identity = identity.release
}
`,
			summary: "Incorrect attribute value type",
			detail:  `"tags"`,
		},
		{
			name: "null value",
			src: idRelease + `blob "app" {
  path     = §null
  identity = identity.release
}
`,
			summary: "Null attribute",
		},
		{
			name: "undefined variable",
			src: `variable "version" { default = "1" }
` + idRelease + `blob "app" {
  path     = "app-${var§.nope}.tar.gz"
  identity = identity.release
}
`,
			summary: "Unsupported attribute",
			detail:  `"nope"`,
		},
		{
			name: "undefined variable, none declared",
			src: idRelease + `blob "app" {
  path     = var§.nope
  identity = identity.release
}
`,
			summary: "Unsupported attribute",
			detail:  `"nope"`,
		},
		{
			name: "undefined identity",
			src: idRelease + `blob "app" {
  path     = "a"
  identity = §identity.nope
}
`,
			summary: "Reference to undeclared identity",
			detail:  `"nope"`,
		},
		{
			name: "no identity, keyless trust root",
			src: `trust_root "sigstore" {}
` + idRelease + `§blob "app" {
  path = "a"
}
`,
			summary: "No identity or key",
			detail:  `blob "app"`,
		},
		{
			name: "no identity, implicit public-good",
			src: `§blob "app" {
  path = "a"
}
`,
			summary: "No identity or key",
		},
		{
			name: "duplicate artifact",
			src: idRelease + `blob "app" {
  path     = "a"
  identity = identity.release
}
§blob "app" {
  path     = "b"
  identity = identity.release
}
`,
			summary: "Duplicate artifact",
		},
		{
			name: "unknown block type",
			src: idRelease + `§bolb "app" {
  path = "a"
}
`,
			summary: "Unsupported block type",
			detail:  "Known artifact kinds: blob, image",
		},
		{
			name: "artifact without a name",
			src: idRelease + `blob §{
  path = "a"
}
`,
			summary: "Missing name for blob",
		},
		{
			name: "require out of range",
			src: idRelease + `blob "app" {
  path     = "a"
  identity = identity.release
  require  = §2
}
`,
			summary: "Invalid require",
			detail:  "(1)",
		},
		{
			name: "missing required nested attribute",
			src: idRelease + `blob "app" {
  path     = "a"
  identity = identity.release
  attestation §{
  }
}
`,
			summary: "Missing required argument",
			detail:  `"predicate_type"`,
		},
		{
			name: "missing required attribute",
			src: idRelease + `image "app" §{
  identity = identity.release
}
`,
			summary: "Missing required argument",
			detail:  `"ref"`,
		},
		{
			name: "unknown nested attribute",
			src: idRelease + `blob "app" {
  path     = "a"
  identity = identity.release
  attestation {
    predicate_type = "x"
    §predicate      = "y"
  }
}
`,
			summary: "Unsupported argument",
		},
		{
			name: "wrong nested type",
			src: idRelease + `blob "app" {
  path     = "a"
  identity = identity.release
  attestation {
    predicate_type = §["x"]
  }
}
`,
			summary: "Incorrect attribute value type",
		},
		{
			name: "unknown function",
			src: idRelease + `blob "app" {
  path     = §md5("a")
  identity = identity.release
}
`,
			summary: "Call to unknown function",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, pos := mark(t, tc.src)
			p, diags := decodeSrc(t, t.TempDir(), src, Inputs{})
			if p != nil {
				t.Error("policy returned despite errors")
			}
			d := wantDiagAt(t, diags, hcl.DiagError, tc.summary, pos)
			if !strings.Contains(d.Detail, tc.detail) {
				t.Errorf("detail %q lacks %q", d.Detail, tc.detail)
			}
		})
	}
}

// TestLoad: the file name diagnostics show is the path given; relative
// paths in the policy resolve against its directory, not the working
// directory.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "policy.hcl")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(idRelease+"blob \"app\" {\n  path     = \"../dist/app\"\n  identity = identity.release\n  nope     = 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, diags := Load(path)
	if diags.HasErrors() {
		t.Fatalf("Load: %s", diagText(diags))
	}
	if f.Files()[path] == nil {
		t.Errorf("Files() lacks %s: the diagnostic writer could print no snippet", path)
	}
	_, diags = Decode(f, testSchemas, Inputs{})
	d := findDiag(diags, hcl.DiagError, "Unsupported argument")
	if d == nil || d.Subject.Filename != path || d.Subject.Start.Line != 8 || d.Subject.Start.Column != 3 {
		t.Fatalf("diagnostics:\n%s", diagText(diags))
	}
	src := strings.Replace(string(f.Files()[path].Bytes), "  nope     = 1\n", "", 1)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _ = Load(path)
	p, diags := Decode(f, testSchemas, Inputs{})
	if diags.HasErrors() {
		t.Fatal(diagText(diags))
	}
	if got, want := p.Artifacts[0].Attributes["path"], filepath.Join(dir, "dist", "app"); got != want {
		t.Errorf("path %v, want %v", got, want)
	}
	if _, diags := Load(filepath.Join(dir, "missing.hcl")); !diags.HasErrors() {
		t.Error("missing file: no error")
	}
}

func TestEmptyPolicy(t *testing.T) {
	p, diags := mustDecode(t, t.TempDir(), "# nothing to check\n", Inputs{})
	if len(diags) != 0 || len(p.Artifacts) != 0 || len(p.TrustRoots) != 0 {
		t.Errorf("empty policy: %+v %s", p, diagText(diags))
	}
}

// TestNoIdentityIsNotACascade: a bad identity reference is one error, not
// also "no identity"; an empty identities list is still "no identity".
func TestNoIdentityIsNotACascade(t *testing.T) {
	_, diags := decodeSrc(t, t.TempDir(), idRelease+"blob \"app\" {\n  path     = \"a\"\n  identity = identity.nope\n}\n", Inputs{})
	if findDiag(diags, hcl.DiagError, "Reference to undeclared identity") == nil {
		t.Fatalf("no undeclared-identity error:\n%s", diagText(diags))
	}
	if d := findDiag(diags, hcl.DiagError, "No identity or key"); d != nil {
		t.Errorf("cascading error: %s", diagText(hcl.Diagnostics{d}))
	}
	src, pos := mark(t, idRelease+"§blob \"app\" {\n  path       = \"a\"\n  identities = []\n}\n")
	_, diags = decodeSrc(t, t.TempDir(), src, Inputs{})
	wantDiagAt(t, diags, hcl.DiagError, "No identity or key", pos)
}

func TestBlockTypes(t *testing.T) {
	src := `
trust_root "a" { trusted_root = "r.json" }
identity "i" {
  issuer  = "x"
  subject = "y"
}
blob "one" { path = "a" }
image "cpu" { ref = "r" }
blob "two" { path = "b" }
`
	f, diags := Parse("p.hcl", "/d/p.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := f.BlockTypes()
	want := []string{"trust_root", "identity", "blob", "image"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("BlockTypes() = %v, want %v (distinct, in order)", got, want)
	}
	if bad, _ := Parse("p.hcl", "/d/p.hcl", []byte("blob {")); len(bad.BlockTypes()) != 0 {
		t.Fatal("a file that does not parse names block types")
	}
}

// TestRegexpsCompileAsWritten: a regular expression that compiles only once
// anchored (its own parentheses unbalanced until wrapped) would match any
// value; it is an error where it is written.
func TestRegexpsCompileAsWritten(t *testing.T) {
	for _, tt := range []struct{ name, body string }{
		{"subject_regexp", `subject_regexp = "dev@example\\.com)|(.*"`},
		{"issuer_regexp", "subject = \"s\"\n  issuer_regexp = \"https://i)|(.*\""},
		{"extension_regexps", "subject = \"s\"\n  extension_regexps = { source_repository_uri = \"x)|(.*\" }"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := "identity \"x\" {\n  issuer = \"https://i\"\n  " + tt.body + "\n}\n"
			if strings.Contains(tt.body, "issuer_regexp") {
				src = "identity \"x\" {\n  " + tt.body + "\n}\n"
			}
			_, diags := decodeSrc(t, t.TempDir(), src, Inputs{})
			if !diags.HasErrors() || !strings.Contains(diags.Error(), "Invalid regular expression") {
				t.Fatalf("accepted %q: %v", tt.body, diags)
			}
		})
	}
}
