package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/testsigstore"
)

// The example plugin's release identity, as in its README.
const (
	exampleIssuer  = "https://token.actions.githubusercontent.com"
	exampleSubject = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1"
	exampleImpost  = "https://github.com/mallory/app/.github/workflows/release.yml@refs/tags/v1"
)

const examplePolicyHead = `trust_root "demo" {
  trusted_root = "trusted_root.json"
}

identity "release" {
  issuer  = "https://token.actions.githubusercontent.com"
  subject = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1"
}
`

// exampleBuildPlugin builds examples/plugins/checksums as a user would and
// installs it on a fresh plugin path, which it returns.
func exampleBuildPlugin(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := goBuild(filepath.Join(dir, "vmafx-trust-plugin-checksums"), "./examples/plugins/checksums"); err != nil {
		t.Fatalf("building the example plugin: %v\n%s", err, out)
	}
	return dir
}

func exampleDigest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// exampleSignedSums writes a SHA256SUMS file (sha256sum's format) listing files in
// dir and its bundle SHA256SUMS.sigstore.json, signed as subject.
func exampleSignedSums(t *testing.T, ss *testsigstore.Sigstore, dir, subject string, files map[string]string, extra string) {
	t.Helper()
	var b strings.Builder
	for name, content := range files {
		fmt.Fprintf(&b, "%s  %s\n", exampleDigest(content), name)
	}
	b.WriteString(extra)
	writeFile(t, dir, "SHA256SUMS", b.String())
	bundle, err := ss.SignBlob(subject, exampleIssuer, []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "SHA256SUMS.sigstore.json", string(bundle))
}

// TestExampleChecksumsPlugin drives the example custom plugin through
// `vmafx-trust check`, on a release signed by the project's in-memory
// Sigstore (real bundles, real trusted root).
func TestExampleChecksumsPlugin(t *testing.T) {
	plugins := exampleBuildPlugin(t)
	env := []string{"VMAFX_TRUST_PLUGIN_PATH=" + plugins}

	ss, err := testsigstore.New()
	if err != nil {
		t.Fatal(err)
	}
	root, err := ss.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "trusted_root.json", string(root))

	// The release: three files listed in a SHA256SUMS signed by the release
	// identity, and one file that is not listed.
	release := map[string]string{
		"app.bin":     "the application, version 1",
		"lib.so":      "a library",
		"changed.bin": "bytes as released",
	}
	for name, content := range release {
		writeFile(t, dir, name, content)
	}
	exampleSignedSums(t, ss, dir, exampleSubject, release, "")
	writeFile(t, dir, "unlisted.bin", "not part of the release")
	// The file downloaded under another name; `name` looks it up.
	writeFile(t, dir, "downloads/app-v1.bin", release["app.bin"])
	// After signing, changed.bin is altered.
	writeFile(t, dir, "changed.bin", "bytes as released, plus a backdoor")

	// A SHA256SUMS listing app.bin correctly, but signed by someone else.
	exampleSignedSums(t, ss, filepath.Join(dir, "impostor"), exampleImpost, map[string]string{"app.bin": release["app.bin"]}, "")
	// A SHA256SUMS with a malformed second line, correctly signed.
	exampleSignedSums(t, ss, filepath.Join(dir, "malformed"), exampleSubject, map[string]string{"app.bin": release["app.bin"]}, "not a checksum line\n")

	// A SHA256SUMS nobody signed (no bundle next to it).
	writeFile(t, dir, "unsigned/SHA256SUMS", exampleDigest(release["app.bin"])+"  app.bin\n")

	t.Run("pass", func(t *testing.T) {
		policy := writeFile(t, dir, "pass.hcl", examplePolicyHead+`
checksum_file "app" {
  path     = "app.bin"
  sums     = "SHA256SUMS"
  identity = identity.release
}

checksum_file "lib" {
  path     = "lib.so"
  sums     = "SHA256SUMS"
  bundle   = "SHA256SUMS.sigstore.json"
  identity = identity.release
}

checksum_file "renamed" {
  path     = "downloads/app-v1.bin"
  name     = "app.bin"
  sums     = "SHA256SUMS"
  identity = identity.release
}
`)
		res := runCLI(t, env, "check", policy, "--offline", "--format", "json")
		if res.code != 0 {
			t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
		}
		rep := parseReport(t, res)
		if len(rep.Results) != 3 {
			t.Fatalf("%d results, want 3: %+v", len(rep.Results), rep.Results)
		}
		for _, r := range rep.Results {
			if r.Kind != "checksum_file" || r.Plugin != "checksums" || r.Status != "pass" || r.Signer != exampleSubject {
				t.Errorf("%s: kind %s plugin %s status %s signer %q (%s), want checksum_file/checksums/pass by %s",
					r.Name, r.Kind, r.Plugin, r.Status, r.Signer, r.Reason, exampleSubject)
			}
			// The plugin's own checks, then the host's re-verification.
			var names []string
			for _, c := range r.Checks {
				names = append(names, c.Name)
			}
			if got := strings.Join(names, ","); got != "digest,listed,signature,host verification" {
				t.Errorf("%s: checks %s", r.Name, got)
			}
		}
	})

	t.Run("failures", func(t *testing.T) {
		policy := writeFile(t, dir, "fail.hcl", examplePolicyHead+`
checksum_file "changed" {
  path     = "changed.bin"
  sums     = "SHA256SUMS"
  identity = identity.release
}

checksum_file "unlisted" {
  path     = "unlisted.bin"
  sums     = "SHA256SUMS"
  identity = identity.release
}

checksum_file "impostor" {
  path     = "app.bin"
  sums     = "impostor/SHA256SUMS"
  identity = identity.release
}

checksum_file "malformed" {
  path     = "app.bin"
  sums     = "malformed/SHA256SUMS"
  identity = identity.release
}

checksum_file "unsigned" {
  path     = "app.bin"
  sums     = "unsigned/SHA256SUMS"
  identity = identity.release
}

checksum_file "no-bundle" {
  path     = "app.bin"
  sums     = "SHA256SUMS"
  bundle   = "missing.sigstore.json"
  identity = identity.release
}
`)
		res := runCLI(t, env, "check", policy, "--offline", "--format", "json")
		if res.code != 1 {
			t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
		}
		want := map[string][]string{
			"changed": {
				"expected sha256:" + exampleDigest("bytes as released"),
				"found sha256:" + exampleDigest("bytes as released, plus a backdoor"),
			},
			"unlisted":  {`"unlisted.bin" is not listed in SHA256SUMS`},
			"impostor":  {"identity", exampleImpost},
			"malformed": {"line 2", "not a checksum line"},
			"unsigned":  {"no Sigstore bundle", "SHA256SUMS.sigstore.json does not exist"},
			"no-bundle": {"missing.sigstore.json"},
		}
		rep := parseReport(t, res)
		if len(rep.Results) != len(want) {
			t.Fatalf("%d results, want %d: %+v", len(rep.Results), len(want), rep.Results)
		}
		for _, r := range rep.Results {
			if r.Status != "fail" {
				t.Errorf("%s: %s (%s), want fail", r.Name, r.Status, r.Reason)
			}
			for _, w := range want[r.Name] {
				if !strings.Contains(r.Reason, w) {
					t.Errorf("%s: reason %q does not mention %q", r.Name, r.Reason, w)
				}
			}
		}
	})

	t.Run("plugins list", func(t *testing.T) {
		res := runCLI(t, env, "plugins", "list")
		if res.code != 0 {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		found := false
		for _, line := range strings.Split(res.stdout, "\n") {
			f := strings.Fields(line)
			if len(f) == 4 && f[0] == "checksums" && f[1] == "0.1.0" && f[2] == "checksum_file" {
				found = true
				if want := filepath.Join(plugins, "vmafx-trust-plugin-checksums"); f[3] != want {
					t.Errorf("source %s, want %s", f[3], want)
				}
			}
		}
		if !found {
			t.Errorf("plugins list does not show checksums 0.1.0 serving checksum_file:\n%s", res.stdout)
		}
		res = runCLI(t, env, "plugins", "describe", "checksums")
		if res.code != 0 {
			t.Fatalf("plugins describe: exit %d: %s", res.code, res.stderr)
		}
		for _, w := range []string{`kind "checksum_file"`, "sums", "required", "bundle", "optional"} {
			if !strings.Contains(res.stdout, w) {
				t.Errorf("plugins describe does not mention %q:\n%s", w, res.stdout)
			}
		}
	})
}

// TestExamplePluginIsSDKOnly keeps the example honest: it is what third
// parties copy, so it may import the public packages only.
func TestExamplePluginIsSDKOnly(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "examples", "plugins", "checksums", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example sources: %v", err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(src), "\n") {
			line = strings.TrimSpace(line)
			if strings.Contains(line, `"github.com/vmafx/vmafx-trust/`) &&
				!strings.Contains(line, `"github.com/vmafx/vmafx-trust/pkg/sdk"`) &&
				!strings.Contains(line, `"github.com/vmafx/vmafx-trust/pkg/trust"`) {
				t.Errorf("%s imports %s: the example may use pkg/sdk and pkg/trust only", filepath.Base(f), line)
			}
		}
	}
}
