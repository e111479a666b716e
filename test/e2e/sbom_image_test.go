package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
	"github.com/vmafx/vmafx-trust/plugins/image/imagetest"
)

// TestSBOMImageCosign: images attested by the real cosign CLI with SBOMs
// of each type cosign knows (spdxjson, spdx tag-value, cyclonedx), in
// Debian's docker-registry, checked by sbom blocks that refer to the image
// blocks: each passes and names its format; an image signed but with no
// SBOM, an SBOM signed by another key and an image that fails its own
// verification fail the sbom row, each with its reason.
func TestSBOMImageCosign(t *testing.T) {
	cosign := cosignBinary(t)
	reg := imagetest.DockerRegistry(t)
	keys := cosignKeyDir(t, cosign)
	other := cosignKeyDir(t, cosign)
	unsigned := filepath.Join(realfixtures.Dir(t), "sbom", "unsigned")
	repo := reg + "/vmafx/sbom"
	types := []struct {
		tag, typ, predicate, format string
	}{
		{"spdxjson", "spdxjson", filepath.Join(unsigned, "guac", "alpine-spdx.json"), "SPDX 2.2 (JSON)"},
		{"spdx", "spdx", writeFile(t, t.TempDir(), "bom.spdx", spdxTagValueDoc), "SPDX 2.3 (tag-value)"},
		{"cyclonedx", "cyclonedx", writeFile(t, t.TempDir(), "bom.cdx.json", cycloneDXDoc), "CycloneDX 1.5 (JSON)"},
		// The real distroless SBOM names the distroless image's digest as
		// its root: attached to another image, it fails (below).
		{"distroless", "cyclonedx", filepath.Join(unsigned, "guac", "distroless-cyclonedx.json"), "CycloneDX 1.4 (JSON)"},
	}
	digests := map[string]string{}
	for _, ty := range types {
		d := imagetest.PushRandom(t, repo+":"+ty.tag)
		digests[ty.tag] = d
		runCosign(t, cosign, keys, cosignArgs("sign", "--key", "cosign.key", repo+"@"+d)...)
		runCosign(t, cosign, keys, cosignArgs("attest", "--key", "cosign.key", "--type", ty.typ, "--predicate", ty.predicate, repo+"@"+d)...)
	}
	noSBOM := imagetest.PushRandom(t, repo+":no-sbom")
	runCosign(t, cosign, keys, cosignArgs("sign", "--key", "cosign.key", repo+"@"+noSBOM)...)
	runCosign(t, cosign, keys, cosignArgs("attest", "--key", "cosign.key", "--type", "slsaprovenance", "--predicate", "provenance.json", repo+"@"+noSBOM)...)
	otherKey := imagetest.PushRandom(t, repo+":other-key")
	runCosign(t, cosign, keys, cosignArgs("sign", "--key", "cosign.key", repo+"@"+otherKey)...)
	runCosign(t, cosign, other, cosignArgs("attest", "--key", "cosign.key", "--type", "spdxjson", "--predicate", types[0].predicate, repo+"@"+otherKey)...)
	unsignedImage := imagetest.PushRandom(t, repo+":unsigned")

	dir := t.TempDir()
	writeFile(t, dir, "cosign.pub", mustRead(t, filepath.Join(keys, "cosign.pub")))
	var b strings.Builder
	b.WriteString("trust_root \"release-key\" {\n  public_key = \"cosign.pub\"\n}\n")
	block := func(name, tag, extra string) {
		fmt.Fprintf(&b, `
image %[1]q {
  ref = %[2]q
  verification {
    insecure_ignore_tlog = true
  }
}
sbom %[1]q {
  image = image.%[1]s
  %[3]s
  verification {
    insecure_ignore_tlog = true
  }
}
`, name, repo+":"+tag, extra)
	}
	for _, ty := range types {
		block(ty.tag, ty.tag, "content {\n    min_components = 1\n  }")
	}
	passing := types[:3]
	block("no-sbom", "no-sbom", "")
	block("other-key", "other-key", "")
	block("unsigned", "unsigned", "")
	block("wrong-format", "cyclonedx", `format = "spdx"`)
	policy := writeFile(t, dir, "policy.hcl", b.String())

	res := runCLI(t, nil, "check", policy, "--format", "json", "-v")
	wantExit(t, res, 1, "check")
	rows := map[string]imageRow{}
	for _, r := range imageRows(t, res) {
		rows[r.Kind+"."+r.Name] = r
	}
	for _, ty := range passing {
		r := rows["sbom."+ty.tag]
		if r.Status != "pass" || !hasCheck(r, "format", ty.format) {
			t.Errorf("sbom.%s: %s %q, want a pass whose format check says %q: %+v", ty.tag, r.Status, r.Reason, ty.format, r.Checks)
		}
	}
	for name, want := range map[string]string{
		"no-sbom":      "no https://spdx.dev/Document or https://cyclonedx.org/bom or https://cyclonedx.org/schema attestation",
		"other-key":    "https://spdx.dev/Document",
		"unsigned":     "image = image.unsigned, which did not pass",
		"wrong-format": "no https://spdx.dev/Document attestation",
		"distroless":   "the SBOM's root names sha256:6ad5b696af3ca05a048bd29bf0f623040462638cb0b29c8d702cbb2805687388, not the subject's",
	} {
		r := rows["sbom."+name]
		if r.Status != "fail" || !strings.Contains(r.Reason, want) {
			t.Errorf("sbom.%s: %s %q, want a fail whose reason contains %q", name, r.Status, r.Reason, want)
		}
	}
	if r := rows["image.other-key"]; r.Status != "pass" {
		t.Errorf("image.other-key: %s %q: the image itself is signed with the release key", r.Status, r.Reason)
	}
	_ = unsignedImage

	// The same through the command line: the image's SBOM attestations,
	// by tag, with a content rule.
	keyFlags := []string{"--key", filepath.Join(keys, "cosign.pub"), "--insecure-ignore-tlog"}
	res = runCLI(t, nil, append([]string{"sbom", "verify", repo + ":cyclonedx", "--type", "cyclonedx", "--min-components", "1", "-o", "json"}, keyFlags...)...)
	wantExit(t, res, 0, "sbom verify cyclonedx")
	res = runCLI(t, nil, append([]string{"sbom", "verify", repo + ":no-sbom", "-o", "json"}, keyFlags...)...)
	wantExit(t, res, 1, "sbom verify no-sbom")
	res = runCLI(t, nil, append([]string{"sbom", "verify", repo + ":cyclonedx", "--min-components", "100000", "-o", "json"}, keyFlags...)...)
	wantExit(t, res, 1, "sbom verify min-components")
	if !strings.Contains(res.stdout, "min_components") {
		t.Errorf("min-components failure does not name the rule:\n%s", res.stdout)
	}
}

// hasCheck reports whether r has a passing check name whose detail
// contains detail.
func hasCheck(r imageRow, name, detail string) bool {
	for _, c := range r.Checks {
		if c.Name == name && c.OK && strings.Contains(c.Detail, detail) {
			return true
		}
	}
	return false
}

// cycloneDXDoc is a small CycloneDX SBOM with components and no root
// digest, as a build tool writes one for an image it has not pushed yet.
const cycloneDXDoc = `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
"metadata":{"timestamp":"2026-11-01T00:00:00Z","component":{"type":"container","name":"vmafx"}},
"components":[
 {"type":"library","name":"libvmaf","version":"3.0.0","purl":"pkg:generic/libvmaf@3.0.0","licenses":[{"license":{"id":"BSD-2-Clause-Patent"}}]},
 {"type":"library","name":"requests","version":"2.32.5","purl":"pkg:pypi/requests@2.32.5","licenses":[{"expression":"Apache-2.0"}]}
]}`

// spdxTagValueDoc is a small SPDX tag-value SBOM (what cosign attest
// --type spdx signs as a JSON string) describing a package that names no
// digest.
const spdxTagValueDoc = `SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: vmafx
DocumentNamespace: https://example.com/vmafx-tv
Creator: Tool: test
Created: 2026-11-01T00:00:00Z

PackageName: libvmaf
SPDXID: SPDXRef-libvmaf
PackageVersion: 3.0.0
PackageDownloadLocation: NOASSERTION
PackageLicenseConcluded: BSD-2-Clause-Patent
ExternalRef: PACKAGE-MANAGER purl pkg:generic/libvmaf@3.0.0

Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-libvmaf
`
