package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChecksumsAndKOfN(t *testing.T) {
	r := newRelease(t)
	const qaSAN = "https://github.com/acme/app/.github/workflows/qa.yml@refs/tags/v1.0.0"
	app := r.sign(t, "app.tar.gz", "app bytes", releaseSAN, githubIssuer)
	writeFile(t, r.dir, "dist/tool", "tool bytes")
	writeFile(t, r.dir, "dist/unlisted", "not in the sums")
	sums := fmt.Sprintf("%s  app.tar.gz\n%s *tool\n%s  changed\n", sha256Hex(t, app), sha256Hex(t, filepath.Join(r.dir, "dist/tool")), strings.Repeat("0", 64))
	r.sign(t, "SHA256SUMS", sums, releaseSAN, githubIssuer)
	writeFile(t, r.dir, "dist/changed", "bytes that differ from the listing")
	r.sign(t, "OTHERSUMS", sums, "https://github.com/acme/other/.github/workflows/release.yml@refs/tags/v1.0.0", githubIssuer)
	// A second signature on app.tar.gz by the QA workflow.
	qa, err := r.ss.SignBlob(qaSAN, githubIssuer, []byte("app bytes"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, r.dir, "dist/app.tar.gz.qa.sigstore.json", string(qa))

	policy := writeFile(t, r.dir, "policy.hcl", releasePolicy+`
identity "qa" {
  issuer  = "https://token.actions.githubusercontent.com"
  subject = "`+qaSAN+`"
}
blob "tool" {
  path      = "dist/tool"
  checksums = "dist/SHA256SUMS"
  identity  = identity.release
}
blob "unlisted" {
  path      = "dist/unlisted"
  checksums = "dist/SHA256SUMS"
  identity  = identity.release
}
blob "changed" {
  path      = "dist/changed"
  checksums = "dist/SHA256SUMS"
  identity  = identity.release
}
blob "sums-by-other" {
  path             = "dist/tool"
  checksums        = "dist/SHA256SUMS"
  checksums_bundle = "dist/OTHERSUMS.sigstore.json"
  identity         = identity.release
}
blob "two-signers" {
  path       = "dist/app.tar.gz"
  bundles    = ["dist/app.tar.gz.sigstore.json", "dist/app.tar.gz.qa.sigstore.json"]
  identities = [identity.release, identity.qa]
  require    = 2
}
blob "one-of-two-signers" {
  path       = "dist/app.tar.gz"
  bundle     = "dist/app.tar.gz.sigstore.json"
  identities = [identity.release, identity.qa]
  require    = 2
}
identity "any_acme" {
  issuer         = "https://token.actions.githubusercontent.com"
  subject_regexp = "https://github.com/acme/.*"
}
blob "overlapping-identities" {
  path       = "dist/app.tar.gz"
  bundle     = "dist/app.tar.gz.sigstore.json"
  identities = [identity.release, identity.any_acme]
  require    = 2
}
blob "checksums-not-provenance" {
  path      = "dist/tool"
  checksums = "dist/SHA256SUMS"
  identity  = identity.release
  attestation {
    predicate_type = "https://slsa.dev/provenance/v1"
  }
}
blob "either-signer" {
  path       = "dist/app.tar.gz"
  bundle     = "dist/app.tar.gz.qa.sigstore.json"
  identities = [identity.release, identity.qa]
}
`)
	res := runCLI(t, nil, "check", policy, "--offline", "--format", "json")
	want := map[string][]string{
		"tool":               {"pass"},
		"unlisted":           {"fail", "unlisted is not listed"},
		"changed":            {"fail", "lists changed with sha256:0000", "but the file's digest is sha256:"},
		"sums-by-other":      {"fail", "found https://github.com/acme/other/"},
		"two-signers":        {"pass"},
		"one-of-two-signers": {"fail", "require = 2 identities, each by a different signer, but the evidence matched 1"},
		"either-signer":      {"pass"},
		// One signer matching two identities is still one signer.
		"overlapping-identities": {"fail", "each by a different signer"},
		// A signed checksums file is no attestation of the file.
		"checksums-not-provenance": {"fail", "no bundle given"},
	}
	rep := parseReport(t, res)
	if len(rep.Results) != len(want) {
		t.Fatalf("%d results, want %d; stderr %s", len(rep.Results), len(want), res.stderr)
	}
	for _, row := range rep.Results {
		w := want[row.Name]
		if row.Status != w[0] {
			t.Errorf("%s: %s (%s), want %s", row.Name, row.Status, row.Reason, w[0])
			continue
		}
		for _, sub := range w[1:] {
			if !strings.Contains(row.Reason, sub) {
				t.Errorf("%s: reason %q lacks %q", row.Name, row.Reason, sub)
			}
		}
	}

	// The checksums file itself tampered after signing: its signature fails.
	if err := os.WriteFile(filepath.Join(r.dir, "dist/SHA256SUMS"), []byte(sums+"# appended\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = runCLI(t, nil, "check", policy, "--offline", "--format", "json")
	for _, row := range parseReport(t, res).Results {
		if row.Name == "tool" && row.Status != "fail" {
			t.Errorf("tool with a tampered SHA256SUMS: %s, want fail", row.Status)
		}
	}
}
