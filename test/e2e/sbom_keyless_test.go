package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/plugins/image"
	"github.com/vmafx/vmafx-trust/plugins/image/imagetest"
)

const (
	sbomWorkflow = "https://github.com/vmafx/vmafx/.github/workflows/images.yml@refs/tags/v1.4.0"
	ghActions    = "https://token.actions.githubusercontent.com"
	// ghSPDX is the predicate type GitHub's attest-sbom writes.
	ghSPDX = "https://spdx.dev/Document/v2.3"
)

// spdxPredicate is a small SPDX 2.3 document: libvmaf, MIT or GPL.
var spdxPredicate = map[string]any{
	"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "vmafx", "dataLicense": "CC0-1.0",
	"documentNamespace": "https://example.com/vmafx",
	"creationInfo":      map[string]any{"created": "2026-11-01T00:00:00Z", "creators": []string{"Tool: syft"}},
	"packages": []any{
		map[string]any{"SPDXID": "SPDXRef-libvmaf", "name": "libvmaf", "versionInfo": "3.0.0", "downloadLocation": "NOASSERTION", "licenseConcluded": "MIT OR GPL-3.0-only",
			"externalRefs": []any{map[string]any{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:generic/libvmaf@3.0.0"}}},
	},
}

// TestSBOMKeylessMultiArch: a multi-platform index signed keyless by the
// release workflow (cosign's sign/v1 statements as OCI 1.1 referrers),
// with GitHub-style SBOM attestations (…/Document/v2.3) for the index and
// one platform: platforms = "all" gives one sbom row per part, and the
// platform without an SBOM fails and is named. Once GitHub's attestation
// API (a stand-in on loopback) serves that platform's SBOM, every row
// passes; an SBOM signed by another workflow does not count.
func TestSBOMKeylessMultiArch(t *testing.T) {
	rel := newRelease(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/multi"
	index, platforms := imagetest.PushIndex(t, repo+":1.4.0", "linux/amd64", "linux/arm64")
	bundle := func(san, digest, predicateType string, predicate any) []byte {
		b, err := rel.ss.Attest(san, ghActions, imagetest.Statement("image", digest, predicateType, predicate))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	attach := func(digest, predicateType string, b []byte) {
		imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, digest), b, predicateType, false)
	}
	for _, d := range []string{index, platforms["linux/amd64"], platforms["linux/arm64"]} {
		attach(d, image.CosignSignPredicate, bundle(sbomWorkflow, d, image.CosignSignPredicate, nil))
	}
	attach(index, ghSPDX, bundle(sbomWorkflow, index, ghSPDX, spdxPredicate))
	attach(platforms["linux/amd64"], ghSPDX, bundle(sbomWorkflow, platforms["linux/amd64"], ghSPDX, spdxPredicate))
	// Another workflow's SBOM of arm64, in the registry: not the signer.
	attach(platforms["linux/arm64"], ghSPDX, bundle("https://github.com/evil/x/.github/workflows/r.yml@refs/heads/main", platforms["linux/arm64"], ghSPDX, spdxPredicate))

	armSBOM := bundle(sbomWorkflow, platforms["linux/arm64"], ghSPDX, spdxPredicate)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/repos/vmafx/vmafx/attestations/"+platforms["linux/arm64"] {
			_ = json.NewEncoder(w).Encode(map[string]any{"attestations": []any{}})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"attestations": []any{map[string]any{"bundle": json.RawMessage(armSBOM), "repository_id": 1}}})
	}))
	defer api.Close()
	env := []string{image.EnvGitHubAPI + "=" + api.URL, "GH_TOKEN=", "GITHUB_TOKEN="}

	dir := rel.dir
	policyFor := func(ghRepo string) string {
		return writeFile(t, dir, "policy.hcl", fmt.Sprintf(`trust_root "test" {
  trusted_root = "trusted_root.json"
}
identity "images" {
  issuer  = %[3]q
  subject = %[2]q
}
image "multi" {
  ref       = %[1]q
  platforms = "all"
  identity  = identity.images
  %[4]s
}
sbom "multi" {
  image    = image.multi
  identity = identity.images
  format   = "spdx"
  content {
    allow_licenses = ["MIT"]
    packages       = ["pkg:generic/libvmaf >=3.0"]
  }
}
`, repo+":1.4.0", sbomWorkflow, ghActions, ghRepo))
	}

	res := runCLI(t, env, "check", policyFor(""), "--offline", "-o", "json")
	wantExit(t, res, 1, "arm64 without an SBOM")
	rows := map[string]imageRow{}
	for _, r := range imageRows(t, res) {
		rows[r.Kind+"["+r.Part+"]"] = r
	}
	for _, part := range []string{"index", "linux/amd64", "linux/arm64"} {
		if r := rows["image["+part+"]"]; r.Status != "pass" {
			t.Errorf("image[%s]: %s %q", part, r.Status, r.Reason)
		}
	}
	for _, part := range []string{"index", "linux/amd64"} {
		if r := rows["sbom["+part+"]"]; r.Status != "pass" || !hasCheck(r, "format", "SPDX 2.3 (JSON)") {
			t.Errorf("sbom[%s]: %s %q %+v", part, r.Status, r.Reason, r.Checks)
		}
	}
	arm := rows["sbom[linux/arm64]"]
	if arm.Status != "fail" || !strings.Contains(arm.Reason, platforms["linux/arm64"]) {
		t.Errorf("sbom[linux/arm64]: %s %q, want a fail naming its digest", arm.Status, arm.Reason)
	}
	if whole := rows["sbom[]"]; whole.Status != "fail" || !strings.Contains(whole.Reason, "linux/arm64") {
		t.Errorf("sbom: %s %q, want a fail naming linux/arm64", whole.Status, whole.Reason)
	}

	res = runCLI(t, env, "check", policyFor(`github_repository = "vmafx/vmafx"`), "--offline", "-o", "json")
	wantExit(t, res, 0, "arm64's SBOM from GitHub's attestation API")
	for _, r := range imageRows(t, res) {
		if r.Kind == "sbom" && r.Status != "pass" {
			t.Errorf("sbom[%s]: %s %q", r.Part, r.Status, r.Reason)
		}
	}

	// sbom show lists what verifies for the signer, part by part: the
	// other workflow's arm64 SBOM in the registry is not listed.
	signer := []string{"--trusted-root", filepath.Join(dir, "trusted_root.json"), "--certificate-identity", sbomWorkflow,
		"--certificate-oidc-issuer", ghActions, "--offline", "--all-platforms", "--github-repository", "vmafx/vmafx"}
	res = runCLI(t, env, append([]string{"sbom", "show", repo + "@" + index, "-o", "json"}, signer...)...)
	wantExit(t, res, 0, "sbom show of the image")
	var views []struct {
		Part, Digest, Format string
		Verified             bool
		Components           []struct{ Name, Purl, License string }
	}
	if err := json.Unmarshal([]byte(res.stdout), &views); err != nil {
		t.Fatalf("sbom show -o json: %v\n%s", err, res.stdout)
	}
	parts := map[string]string{}
	for _, v := range views {
		parts[v.Part] = v.Digest
		if !v.Verified || v.Format != "SPDX" || len(v.Components) != 1 || v.Components[0].Name != "libvmaf" || v.Components[0].License != "MIT OR GPL-3.0-only" {
			t.Errorf("view %+v", v)
		}
	}
	if len(views) != 3 || parts["index"] != index || parts["linux/amd64"] != platforms["linux/amd64"] || parts["linux/arm64"] != platforms["linux/arm64"] {
		t.Errorf("views of parts %v, want one each of the index and both platforms", parts)
	}
	res = runCLI(t, env, append([]string{"sbom", "show", repo + ":1.4.0"}, signer...)...)
	wantExit(t, res, 2, "sbom show of an image by tag")
}
