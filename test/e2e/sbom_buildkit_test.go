package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/plugins/image"
	"github.com/vmafx/vmafx-trust/plugins/image/imagetest"
)

// TestSBOMBuildKit: `docker buildx build --sbom=true` keeps unsigned SBOM
// statements in attestation manifests the index lists. Through an sbom
// block they count only while the index's signature verifies against the
// sbom block's own identity: an index the image workflow signed, but the
// SBOM signer did not, fails and says why; once the SBOM signer signs the
// index too, every platform passes and the index needs no SBOM of its own.
func TestSBOMBuildKit(t *testing.T) {
	rel := newRelease(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/buildkit"
	const sbomSigner = "https://github.com/vmafx/vmafx/.github/workflows/sbom.yml@refs/tags/v1.4.0"
	sbomFor := func(d string) []byte { return imagetest.Statement("image", d, ghSPDX, spdxPredicate) }
	index, platforms := imagetest.PushBuildKitIndex(t, repo, "1.4.0", sbomFor, "linux/amd64", "linux/arm64")
	sign := func(san, digest string) {
		b, err := rel.ss.Attest(san, ghActions, imagetest.Statement("image", digest, image.CosignSignPredicate, nil))
		if err != nil {
			t.Fatal(err)
		}
		imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, digest), b, image.CosignSignPredicate, false)
	}
	for _, d := range []string{index, platforms["linux/amd64"], platforms["linux/arm64"]} {
		sign(sbomWorkflow, d)
	}
	policy := writeFile(t, rel.dir, "policy.hcl", fmt.Sprintf(`trust_root "test" {
  trusted_root = "trusted_root.json"
}
identity "images" {
  issuer  = %[3]q
  subject = %[2]q
}
identity "sboms" {
  issuer  = %[3]q
  subject = %[4]q
}
image "app" {
  ref       = %[1]q
  platforms = "all"
  identity  = identity.images
}
sbom "app" {
  image    = image.app
  identity = identity.sboms
  content {
    packages = ["libvmaf"]
  }
}
`, repo+":1.4.0", sbomWorkflow, ghActions, sbomSigner))

	res := runCLI(t, nil, "check", policy, "--offline", "-o", "json")
	wantExit(t, res, 1, "index not signed by the SBOM signer")
	for _, r := range imageRows(t, res) {
		switch {
		case r.Kind == "image" && r.Status != "pass":
			t.Errorf("image[%s]: %s %q", r.Part, r.Status, r.Reason)
		case r.Kind == "sbom" && r.Part != "" && (r.Status != "fail" || !strings.Contains(r.Reason, "BuildKit attestations were found") || !strings.Contains(r.Reason, "the index signature does not verify")):
			t.Errorf("sbom[%s]: %s %q, want a fail saying the BuildKit SBOM is not signed through the index", r.Part, r.Status, r.Reason)
		}
	}

	sign(sbomSigner, index)
	res = runCLI(t, nil, "check", policy, "--offline", "-o", "json", "-v")
	wantExit(t, res, 0, "index signed by the SBOM signer")
	parts := map[string]bool{}
	for _, r := range imageRows(t, res) {
		if r.Kind != "sbom" {
			continue
		}
		parts[r.Part] = true
		if !hasCheck(r, "attestation", "signed through the index") || !hasCheck(r, "content: packages", "") {
			t.Errorf("sbom[%s]: checks %+v, want the BuildKit statement vouched for by the index signature and the packages rule", r.Part, r.Checks)
		}
	}
	if !parts["linux/amd64"] || !parts["linux/arm64"] || parts["index"] {
		t.Errorf("sbom rows %v, want one per platform and none for the index", parts)
	}
}
