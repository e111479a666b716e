package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/testsigstore"
)

const (
	releaseSAN    = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.0.0"
	evilSAN       = "https://github.com/acme/app-evil/.github/workflows/release.yml@refs/tags/v1.0.0"
	githubIssuer  = "https://token.actions.githubusercontent.com"
	otherIssuer   = "https://gitlab.com"
	releasePolicy = `trust_root "local" {
  trusted_root = "trusted_root.json"
}

identity "release" {
  issuer         = "https://token.actions.githubusercontent.com"
  subject_regexp = "^https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/tags/v.*$"
}

identity "loose" {
  issuer         = "https://token.actions.githubusercontent.com"
  subject_regexp = "https://github.com/acme/app/"
}
`
)

// release is a signed example release in a temp dir.
type release struct {
	dir string
	ss  *testsigstore.Sigstore
}

func newRelease(t *testing.T) *release {
	t.Helper()
	ss, err := testsigstore.New()
	if err != nil {
		t.Fatal(err)
	}
	root, err := ss.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	r := &release{dir: t.TempDir(), ss: ss}
	writeFile(t, r.dir, "trusted_root.json", string(root))
	return r
}

// sign writes dist/<name> with content and its bundle signed as (san, issuer).
func (r *release) sign(t *testing.T, name, content, san, issuer string) string {
	t.Helper()
	p := writeFile(t, r.dir, "dist/"+name, content)
	b, err := r.ss.SignBlob(san, issuer, []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, r.dir, "dist/"+name+".sigstore.json", string(b))
	return p
}

func blobBlock(name, identity string) string {
	return fmt.Sprintf("blob %q {\n  path     = \"dist/%s\"\n  identity = identity.%s\n}\n", name, name, identity)
}

func TestBlobPassesWithDefaultBundlePath(t *testing.T) {
	r := newRelease(t)
	r.sign(t, "app.tar.gz", "the release", releaseSAN, githubIssuer)
	// The minimal documented form, exactly as written.
	policy := writeFile(t, r.dir, "policy.hcl", `trust_root "sigstore" { trusted_root = "trusted_root.json" }   # or {} for public-good via TUF
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
blob "app-default-bundle" {
  path     = "dist/app.tar.gz"
  identity = identity.release
}
`)
	res := runCLI(t, nil, "check", policy, "--offline", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d; stdout %s; stderr %s", res.code, res.stdout, res.stderr)
	}
	rep := parseReport(t, res)
	for _, row := range rep.Results {
		if row.Status != "pass" || row.Signer != releaseSAN {
			t.Errorf("%s: %s signer %q, want pass by %s", row.Name, row.Status, row.Signer, releaseSAN)
		}
	}
	// The text report names the artifact and the signer.
	res = runCLI(t, nil, "check", policy, "--offline")
	if res.code != 0 || !strings.Contains(res.stdout, "app-default-bundle") || !strings.Contains(res.stdout, "PASS") {
		t.Errorf("text report: exit %d\n%s", res.code, res.stdout)
	}
}

// TestBlobFailures: every way a blob must fail, each with a reason naming
// what differed.
func TestBlobFailures(t *testing.T) {
	r := newRelease(t)
	var blocks strings.Builder
	add := func(name, identity string) { blocks.WriteString(blobBlock(name, identity)) }

	r.sign(t, "wrong-san", "a", "https://github.com/acme/other/.github/workflows/release.yml@refs/tags/v1.0.0", githubIssuer)
	add("wrong-san", "release")
	r.sign(t, "wrong-issuer", "b", releaseSAN, otherIssuer)
	add("wrong-issuer", "release")
	// Only an unanchored regexp would match app-evil: the policy anchors it.
	r.sign(t, "evil", "c", evilSAN, githubIssuer)
	add("evil", "loose")

	p := r.sign(t, "tampered-file", "original bytes", releaseSAN, githubIssuer)
	if err := os.WriteFile(p, []byte("Original bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	add("tampered-file", "release")

	r.sign(t, "tampered-sig", "d", releaseSAN, githubIssuer)
	flipSignature(t, filepath.Join(r.dir, "dist", "tampered-sig.sigstore.json"))
	add("tampered-sig", "release")

	// A valid bundle, but of another file.
	r.sign(t, "other", "the other file", releaseSAN, githubIssuer)
	writeFile(t, r.dir, "dist/swapped", "this file")
	copyFile(t, filepath.Join(r.dir, "dist", "other.sigstore.json"), filepath.Join(r.dir, "dist", "swapped.sigstore.json"))
	add("swapped", "release")

	writeFile(t, r.dir, "dist/garbage", "e")
	writeFile(t, r.dir, "dist/garbage.sigstore.json", "not json at all")
	add("garbage", "release")

	r.sign(t, "truncated", "f", releaseSAN, githubIssuer)
	truncate(t, filepath.Join(r.dir, "dist", "truncated.sigstore.json"))
	add("truncated", "release")

	writeFile(t, r.dir, "dist/nobundle", "g")
	add("nobundle", "release")

	policy := writeFile(t, r.dir, "policy.hcl", releasePolicy+"\n"+blocks.String())
	res := runCLI(t, nil, "check", policy, "--offline", "--format", "json")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", res.code, res.stderr)
	}
	want := map[string][]string{
		"wrong-san":     {"subject", "expected", "found https://github.com/acme/other/"},
		"wrong-issuer":  {"issuer: expected " + githubIssuer, "found " + otherIssuer},
		"evil":          {"subject", "found " + evilSAN},
		"tampered-file": {"expected digest sha256:", "found sha256:"},
		"tampered-sig":  {"signature"},
		"swapped":       {"expected digest sha256:", "found sha256:"},
		"garbage":       {"garbage.sigstore.json", "not valid Sigstore bundle JSON"},
		"truncated":     {"truncated.sigstore.json", "not valid Sigstore bundle JSON"},
		"nobundle":      {"no bundle given", "nobundle.sigstore.json"},
	}
	rep := parseReport(t, res)
	if len(rep.Results) != len(want) {
		t.Fatalf("%d results, want %d", len(rep.Results), len(want))
	}
	for _, row := range rep.Results {
		if row.Status != "fail" {
			t.Errorf("%s: %s, want fail; reason %q", row.Name, row.Status, row.Reason)
			continue
		}
		for _, w := range want[row.Name] {
			if !strings.Contains(row.Reason, w) {
				t.Errorf("%s: reason %q does not contain %q", row.Name, row.Reason, w)
			}
		}
	}
}

// TestUnanchoredOptOutWarns: the author may opt out of anchoring; the match
// then passes (that is what they asked for) and the run warns.
func TestUnanchoredOptOutWarns(t *testing.T) {
	r := newRelease(t)
	r.sign(t, "evil", "c", evilSAN, githubIssuer)
	policy := writeFile(t, r.dir, "policy.hcl", `trust_root "local" {
  trusted_root = "trusted_root.json"
}
identity "loose" {
  issuer         = "https://token.actions.githubusercontent.com"
  subject_regexp = "github.com/acme/app"
  unanchored     = true
}
`+blobBlock("evil", "loose"))
	res := runCLI(t, nil, "check", policy, "--offline")
	if res.code != 0 {
		t.Fatalf("exit %d: %s %s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stderr, "Unanchored identity regexp") {
		t.Errorf("no warning about the unanchored regexp; stderr:\n%s", res.stderr)
	}
}

func TestInterspersedFlagsAndVariables(t *testing.T) {
	r := newRelease(t)
	r.sign(t, "app-1.2.3.tar.gz", "x", releaseSAN, githubIssuer)
	policy := writeFile(t, r.dir, "policy.hcl", `variable "version" {
  type = string
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.version))
    error_message = "version must be MAJOR.MINOR.PATCH"
  }
}
trust_root "local" {
  trusted_root = "trusted_root.json"
}
identity "release" {
  issuer  = "https://token.actions.githubusercontent.com"
  subject = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.0.0"
}
blob "app" {
  path     = "dist/app-${var.version}.tar.gz"
  identity = identity.release
}
`)
	// Flags after the positional argument, as cosign users write them.
	res := runCLI(t, nil, "check", policy, "--var", "version=1.2.3", "--offline", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if rep := parseReport(t, res); rep.Summary.Passed != 1 {
		t.Errorf("summary %+v", rep.Summary)
	}
	res = runCLI(t, []string{"VMAFX_TRUST_VAR_version=1.2.3"}, "check", policy, "--offline")
	if res.code != 0 {
		t.Errorf("variable from the environment: exit %d: %s", res.code, res.stderr)
	}
	res = runCLI(t, nil, "check", policy, "--var", "version=latest", "--offline")
	if res.code != 2 || !strings.Contains(res.stderr, "MAJOR.MINOR.PATCH") {
		t.Errorf("validation: exit %d, stderr %s", res.code, res.stderr)
	}
}

func TestOfflineWithEmptyCacheFailsClearly(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", "x")
	policy := writeFile(t, dir, "policy.hcl", `trust_root "public-good" {}
identity "me" {
  issuer  = "https://github.com/login/oauth"
  subject = "me@example.com"
}
blob "a" {
  path   = "a.txt"
  digest = ""
  identity = identity.me
}
`)
	// digest = "" conflicts with path only if non-empty; keep the policy valid.
	policy = writeFile(t, dir, "policy.hcl", strings.Replace(mustRead(t, policy), "  digest = \"\"\n", "  bundle = \"a.txt\"\n", 1))
	res := runCLI(t, nil, "check", policy, "--offline", "--format", "json")
	if res.code != 3 {
		t.Fatalf("exit %d, want 3; stdout %s stderr %s", res.code, res.stdout, res.stderr)
	}
	rep := parseReport(t, res)
	if len(rep.Results) != 1 || rep.Results[0].Status != "error" || !strings.Contains(rep.Results[0].Reason, "--offline") || !strings.Contains(rep.Results[0].Reason, "trusted-root fetch") {
		t.Errorf("want an error saying the cache is empty and how to fill it, got %+v", rep.Results)
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	if err := os.WriteFile(to, []byte(mustRead(t, from)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, p string) {
	t.Helper()
	b := mustRead(t, p)
	if err := os.WriteFile(p, []byte(b[:len(b)/2]), 0o644); err != nil {
		t.Fatal(err)
	}
}

// flipSignature flips one bit of the message signature inside a bundle.
func flipSignature(t *testing.T, p string) {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal([]byte(mustRead(t, p)), &b); err != nil {
		t.Fatal(err)
	}
	ms := b["messageSignature"].(map[string]any)
	sig, err := base64.StdEncoding.DecodeString(ms["signature"].(string))
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)/2] ^= 1
	ms["signature"] = base64.StdEncoding.EncodeToString(sig)
	out, _ := json.Marshal(b)
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExplainShowsCriteriaAndCertificate: like gh, a failed identity shows
// the criteria enforced next to what the certificate contained.
func TestExplainShowsCriteriaAndCertificate(t *testing.T) {
	r := newRelease(t)
	r.sign(t, "app", "x", evilSAN, githubIssuer)
	policy := writeFile(t, r.dir, "policy.hcl", releasePolicy+blobBlock("app", "release"))
	res := runCLI(t, nil, "check", policy, "--offline")
	if res.code != 1 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{
		"identity release enforced:",
		`- subject (SAN) must match /^(?:https://github\.com/acme/app/\.github/workflows/release\.yml@refs/tags/v.*)$/`,
		"- issuer must equal " + githubIssuer,
		"✗ subject: found " + evilSAN,
		"the certificate contained:",
		"- subject (SAN): " + evilSAN,
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, res.stdout)
		}
	}
}

// TestBuiltinPluginProcesses: built-ins are served in the host process by
// default and each in a process of its own with VMAFX_TRUST_ISOLATE_BUILTINS;
// either way a signed blob passes and a tampered one fails, and a value that
// is not a boolean is a usage error.
func TestBuiltinPluginProcesses(t *testing.T) {
	r := newRelease(t)
	r.sign(t, "app.tar.gz", "the release", releaseSAN, githubIssuer)
	r.sign(t, "tampered.tar.gz", "the release", releaseSAN, githubIssuer)
	writeFile(t, r.dir, "dist/tampered.tar.gz", "not the release")
	policy := writeFile(t, r.dir, "policy.hcl", `trust_root "sigstore" { trusted_root = "trusted_root.json" }
identity "release" {
  issuer  = "https://token.actions.githubusercontent.com"
  subject = "`+releaseSAN+`"
}
blob "app" {
  path     = "dist/app.tar.gz"
  identity = identity.release
}
blob "tampered" {
  path     = "dist/tampered.tar.gz"
  identity = identity.release
}
`)
	for _, tt := range []struct {
		env    []string
		source string
	}{
		{env: []string{"VMAFX_TRUST_ISOLATE_BUILTINS="}, source: "built-in (in process)"}, // unset, whatever the caller's environment says
		{env: []string{"VMAFX_TRUST_ISOLATE_BUILTINS=0"}, source: "built-in (in process)"},
		{env: []string{"VMAFX_TRUST_ISOLATE_BUILTINS=1"}, source: "built-in (own process)"},
		{env: []string{"VMAFX_TRUST_ISOLATE_BUILTINS=true"}, source: "built-in (own process)"},
	} {
		t.Run(strings.Join(tt.env, ","), func(t *testing.T) {
			res := runCLI(t, tt.env, "plugins", "list")
			if res.code != 0 {
				t.Fatalf("plugins list: exit %d\n%s", res.code, res.stderr)
			}
			for _, name := range []string{"blob", "image", "pypi"} {
				if !regexp.MustCompile(`(?m)^` + name + `\s.*\s` + regexp.QuoteMeta(tt.source) + `$`).MatchString(res.stdout) {
					t.Errorf("plugins list does not show %s as %q:\n%s", name, tt.source, res.stdout)
				}
			}
			res = runCLI(t, tt.env, "check", policy, "--offline", "--format", "json")
			if res.code != 1 {
				t.Fatalf("check: exit %d, want 1\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			got := map[string]string{}
			for _, row := range parseReport(t, res).Results {
				got[row.Name] = row.Status
			}
			if got["app"] != "pass" || got["tampered"] != "fail" || len(got) != 2 {
				t.Errorf("results %v, want app pass and tampered fail", got)
			}
		})
	}
	res := runCLI(t, []string{"VMAFX_TRUST_ISOLATE_BUILTINS=sometimes"}, "check", policy, "--offline")
	if res.code != 2 || !strings.Contains(res.stderr, `VMAFX_TRUST_ISOLATE_BUILTINS="sometimes"`) {
		t.Errorf("bad value: exit %d, stderr %q; want 2 naming the variable", res.code, res.stderr)
	}
}
