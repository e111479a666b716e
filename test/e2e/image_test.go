package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
	"github.com/vmafx/vmafx-trust/plugins/image/imagetest"
)

// imageRow is one row of the JSON report, with the part (platform).
type imageRow struct {
	Kind, Name, Part, Status, Signer, Reason string
	Checks                                   []struct {
		Name   string
		OK     bool
		Detail string
	}
}

func imageRows(t *testing.T, res result) []imageRow {
	t.Helper()
	var r struct {
		Results []imageRow `json:"results"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
		t.Fatalf("report is not JSON (exit %d): %v\nstdout:\n%s\nstderr:\n%s", res.code, err, res.stdout, res.stderr)
	}
	return r.Results
}

func wantExit(t *testing.T, res result, code int, what string) {
	t.Helper()
	if res.code != code {
		t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, res.code, code, res.stdout, res.stderr)
	}
}

// cosignKeyDir is a directory with a cosign key pair (cosign.key/.pub).
func cosignKeyDir(t *testing.T, cosign string) string {
	t.Helper()
	dir := t.TempDir()
	runCosign(t, cosign, dir, "generate-key-pair")
	writeFile(t, dir, "sbom.spdx.json", `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"vmafx","dataLicense":"CC0-1.0","documentNamespace":"https://example.com/vmafx","creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: test"]},"packages":[{"SPDXID":"SPDXRef-libvmaf","name":"libvmaf","downloadLocation":"NOASSERTION"}]}`)
	writeFile(t, dir, "provenance.json", `{"buildType":"https://example.com/build/v1","builder":{"id":"https://github.com/vmafx/vmafx/.github/workflows/images.yml@refs/tags/v1.4.0"},"invocation":{},"materials":[]}`)
	return dir
}

func cosignArgs(args ...string) []string {
	return append(args, "--yes", "--tlog-upload=false", "--allow-http-registry")
}

// TestImageCosignLegacy: images signed and attested by the real cosign CLI
// in its default (legacy .sig/.att tag) format, in Debian's docker-registry
// (distribution 2.8): verify, verify-attestation and a policy pass; a
// signature copied onto another image, an attestation of another digest
// and a missing predicate fail.
func TestImageCosignLegacy(t *testing.T) {
	cosign := cosignBinary(t)
	reg := imagetest.DockerRegistry(t)
	keys := cosignKeyDir(t, cosign)
	repo := reg + "/vmafx/cpu"
	a := imagetest.PushRandom(t, repo+":1.4.0")
	b := imagetest.PushRandom(t, repo+":other")
	runCosign(t, cosign, keys, cosignArgs("sign", "--key", "cosign.key", repo+"@"+a)...)
	runCosign(t, cosign, keys, cosignArgs("attest", "--key", "cosign.key", "--type", "spdxjson", "--predicate", "sbom.spdx.json", repo+"@"+a)...)
	runCosign(t, cosign, keys, cosignArgs("attest", "--key", "cosign.key", "--type", "slsaprovenance", "--predicate", "provenance.json", repo+"@"+a)...)
	pub := filepath.Join(keys, "cosign.pub")
	keyFlags := []string{"--key", pub, "--insecure-ignore-tlog"}

	res := runCLI(t, nil, append([]string{"verify", repo + ":1.4.0", "-o", "json"}, keyFlags...)...)
	wantExit(t, res, 0, "verify")
	if !strings.Contains(res.stderr, "Verified OK") {
		t.Errorf("no Verified OK: %s", res.stderr)
	}
	res = runCLI(t, nil, append([]string{"verify-attestation", repo + "@" + a, "--type", "spdxjson", "--type", "slsaprovenance", "-v"}, keyFlags...)...)
	wantExit(t, res, 0, "verify-attestation spdxjson+slsaprovenance")
	for _, want := range []string{"https://spdx.dev/Document: key", "https://slsa.dev/provenance/v0.2: key", ".att layer"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("verify-attestation -v lacks %q:\n%s", want, res.stdout)
		}
	}

	dir := t.TempDir()
	writeFile(t, dir, "cosign.pub", mustRead(t, pub))
	policy := writeFile(t, dir, "policy.hcl", fmt.Sprintf(`trust_root "release-key" {
  public_key = "cosign.pub"
}

image "cpu" {
  ref            = %[1]q
  attestations   = ["https://spdx.dev/Document", "slsaprovenance"]
  require_digest = false
  verification {
    insecure_ignore_tlog = true
  }
}

image "cpu-sbom-cyclonedx" {
  ref          = %[1]q
  attestations = ["cyclonedx"]
  verification {
    insecure_ignore_tlog = true
  }
}
`, repo+":1.4.0"))
	res = runCLI(t, nil, "check", policy, "--format", "json")
	wantExit(t, res, 1, "check")
	rows := imageRows(t, res)
	if len(rows) != 2 || rows[0].Status != "pass" || rows[1].Status != "fail" || !strings.Contains(rows[1].Reason, "no https://cyclonedx.org/bom attestation") {
		t.Fatalf("rows: %+v", rows)
	}

	// A's signature moved onto B's tag: the payload names A's digest.
	imagetest.CopyTag(t, repo, imagetest.LegacyTag(a, ".sig"), imagetest.LegacyTag(b, ".sig"))
	res = runCLI(t, nil, append([]string{"verify", repo + ":other", "-o", "json"}, keyFlags...)...)
	wantExit(t, res, 1, "copied signature")
	if r := imageRows(t, res)[0]; !strings.Contains(r.Reason, "digest mismatch") || !strings.Contains(r.Reason, a) {
		t.Errorf("copied signature: reason %q", r.Reason)
	}
	// B signed for real, but carrying A's attestations: subject mismatch.
	runCosign(t, cosign, keys, cosignArgs("sign", "--key", "cosign.key", repo+"@"+b)...)
	imagetest.CopyTag(t, repo, imagetest.LegacyTag(a, ".att"), imagetest.LegacyTag(b, ".att"))
	res = runCLI(t, nil, append([]string{"verify", repo + ":other", "-o", "json"}, keyFlags...)...)
	wantExit(t, res, 0, "B signed")
	res = runCLI(t, nil, append([]string{"verify-attestation", repo + ":other", "--type", "spdxjson", "-o", "json"}, keyFlags...)...)
	wantExit(t, res, 1, "attestation of another digest")
	if r := imageRows(t, res)[0]; !strings.Contains(r.Reason, "subject mismatch") {
		t.Errorf("copied attestation: reason %q", r.Reason)
	}
	// Without --insecure-ignore-tlog nothing proves when the key signed
	// (a trusted root with a Rekor log demands an entry).
	rel := newRelease(t)
	res = runCLI(t, nil, "verify", repo+":1.4.0", "--key", pub, "--trusted-root", filepath.Join(rel.dir, "trusted_root.json"), "--offline")
	wantExit(t, res, 1, "no tlog")
}

// TestImageCosignNewBundleFormat: cosign --new-bundle-format material as
// OCI 1.1 referrers (go-containerregistry's registry with the referrers
// API) and through the tag-schema fallback (docker-registry 2.8); an image
// that carries only an attestation is not signed.
func TestImageCosignNewBundleFormat(t *testing.T) {
	cosign := cosignBinary(t)
	keys := cosignKeyDir(t, cosign)
	pub := filepath.Join(keys, "cosign.pub")
	for _, tc := range []struct{ name, reg, how string }{
		{"referrers API", imagetest.NewRegistry(t, true).Addr, "referrer sha256:"},
		{"fallback tag", imagetest.DockerRegistry(t), "referrer sha256:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := tc.reg + "/vmafx/mcp"
			signed := imagetest.PushRandom(t, repo+":signed")
			only := imagetest.PushRandom(t, repo+":sbom-only")
			runCosign(t, cosign, keys, cosignArgs("sign", "--new-bundle-format", "--key", "cosign.key", repo+"@"+signed)...)
			for _, d := range []string{signed, only} {
				runCosign(t, cosign, keys, cosignArgs("attest", "--new-bundle-format", "--key", "cosign.key", "--type", "spdxjson", "--predicate", "sbom.spdx.json", repo+"@"+d)...)
			}
			res := runCLI(t, nil, "verify", repo+":signed", "--key", pub, "--insecure-ignore-tlog", "-v")
			wantExit(t, res, 0, "verify signed")
			if !strings.Contains(res.stdout, "https://sigstore.dev/cosign/sign/v1 statement") || !strings.Contains(res.stdout, tc.how) {
				t.Errorf("verify -v:\n%s", res.stdout)
			}
			res = runCLI(t, nil, "verify-attestation", repo+":signed", "--key", pub, "--insecure-ignore-tlog", "--type", "spdxjson")
			wantExit(t, res, 0, "verify-attestation signed")

			res = runCLI(t, nil, "verify", repo+":sbom-only", "--key", pub, "--insecure-ignore-tlog", "-o", "json")
			wantExit(t, res, 1, "verify sbom-only")
			if r := imageRows(t, res)[0]; !strings.Contains(r.Reason, "found only attestations (https://spdx.dev/Document)") {
				t.Errorf("sbom-only: reason %q", r.Reason)
			}
			res = runCLI(t, nil, "verify-attestation", repo+":sbom-only", "--key", pub, "--insecure-ignore-tlog", "--type", "spdxjson")
			wantExit(t, res, 0, "verify-attestation sbom-only")
		})
	}
}

// TestImageKeyless: bundles from the in-memory Sigstore (certificate, Rekor
// entry, timestamp) attached as referrers, through the fallback tag and as
// cosign's legacy layers verify against its trusted root; a wrong identity
// fails with expected-vs-found.
func TestImageKeyless(t *testing.T) {
	r := newRelease(t)
	root := filepath.Join(r.dir, "trusted_root.json")
	sign := func(digest string) []byte {
		b, err := r.ss.Attest(releaseSAN, githubIssuer, imagetest.Statement("image", digest, "https://sigstore.dev/cosign/sign/v1", nil))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	attest := func(digest string) []byte {
		b, err := r.ss.Attest(releaseSAN, githubIssuer, imagetest.Statement("image", digest, "https://slsa.dev/provenance/v1", map[string]any{"buildDefinition": map[string]any{"buildType": "x"}}))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	withReferrers := imagetest.NewRegistry(t, true)
	without := imagetest.NewRegistry(t, false)
	var refs []string

	repo := withReferrers.Addr + "/vmafx/cpu"
	d := imagetest.PushRandom(t, repo+":v1")
	subj := imagetest.Subject(t, repo, d)
	imagetest.AttachBundle(t, repo, subj, sign(d), "https://sigstore.dev/cosign/sign/v1", false)
	imagetest.AttachBundle(t, repo, subj, attest(d), "https://slsa.dev/provenance/v1", false)
	refs = append(refs, repo+":v1")

	repo = without.Addr + "/vmafx/cuda"
	d = imagetest.PushRandom(t, repo+":v1")
	subj = imagetest.Subject(t, repo, d)
	imagetest.AttachBundle(t, repo, subj, sign(d), "https://sigstore.dev/cosign/sign/v1", true)
	imagetest.AttachBundle(t, repo, subj, attest(d), "https://slsa.dev/provenance/v1", true)
	refs = append(refs, repo+":v1")

	repo = without.Addr + "/vmafx/rocm"
	d = imagetest.PushRandom(t, repo+":v1")
	payload := imagetest.SimpleSigningPayload(repo, d)
	sig, err := r.ss.SignBlob(releaseSAN, githubIssuer, payload)
	if err != nil {
		t.Fatal(err)
	}
	l, err := imagetest.SplitBundle(sig)
	if err != nil {
		t.Fatal(err)
	}
	imagetest.AttachLegacy(t, repo, d, ".sig", imagetest.Layer{Data: payload, Annotations: l.Annotations()})
	la, err := imagetest.SplitBundle(attest(d))
	if err != nil {
		t.Fatal(err)
	}
	ann := la.Annotations()
	ann["dev.cosignproject.cosign/signature"], ann["predicateType"] = "", "https://slsa.dev/provenance/v1"
	imagetest.AttachLegacy(t, repo, d, ".att", imagetest.Layer{Data: la.Envelope, Annotations: ann})
	refs = append(refs, repo+":v1")

	base := []string{"--certificate-oidc-issuer", githubIssuer, "--trusted-root", root, "--offline", "-o", "json"}
	res := runCLI(t, nil, append(append([]string{"verify"}, refs...), append([]string{"--certificate-identity", releaseSAN}, base...)...)...)
	wantExit(t, res, 0, "verify keyless")
	for _, row := range imageRows(t, res) {
		if row.Status != "pass" || row.Signer != releaseSAN {
			t.Errorf("%s: %s by %q", row.Name, row.Status, row.Signer)
		}
	}
	res = runCLI(t, nil, append(append([]string{"verify-attestation"}, refs...), append([]string{"--type", "slsaprovenance1", "--certificate-identity", releaseSAN}, base...)...)...)
	wantExit(t, res, 0, "verify-attestation keyless")

	res = runCLI(t, nil, "verify", refs[0], "--certificate-identity", evilSAN, "--certificate-oidc-issuer", githubIssuer, "--trusted-root", root, "--offline", "-v")
	wantExit(t, res, 1, "wrong identity")
	for _, want := range []string{"subject: expected " + evilSAN, "found " + releaseSAN, "the certificate contained"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("wrong identity output lacks %q:\n%s", want, res.stdout)
		}
	}
}

// TestImageAllPlatforms: a two-platform index where cosign signed the index
// and only linux/amd64: --all-platforms fails and names linux/arm64, one
// row per platform; the index alone and --platform linux/amd64 pass.
func TestImageAllPlatforms(t *testing.T) {
	cosign := cosignBinary(t)
	keys := cosignKeyDir(t, cosign)
	pub := filepath.Join(keys, "cosign.pub")
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/cpu"
	index, children := imagetest.PushIndex(t, repo+":1.4.0", "linux/amd64", "linux/arm64")
	runCosign(t, cosign, keys, cosignArgs("sign", "--key", "cosign.key", repo+"@"+index)...)
	runCosign(t, cosign, keys, cosignArgs("sign", "--key", "cosign.key", repo+"@"+children["linux/amd64"])...)
	key := []string{"--key", pub, "--insecure-ignore-tlog"}

	res := runCLI(t, nil, append([]string{"verify", repo + ":1.4.0", "--all-platforms", "-o", "json"}, key...)...)
	wantExit(t, res, 1, "--all-platforms")
	got := map[string]string{}
	for _, row := range imageRows(t, res) {
		got[row.Part] = row.Status
		if row.Part == "linux/arm64" && !strings.Contains(row.Reason, "no signature for "+children["linux/arm64"]) {
			t.Errorf("linux/arm64 reason %q", row.Reason)
		}
		if row.Part == "" && !strings.Contains(row.Reason, "linux/arm64: no signature") {
			t.Errorf("overall reason %q does not name the unsigned platform", row.Reason)
		}
	}
	if want := map[string]string{"index": "pass", "linux/amd64": "pass", "linux/arm64": "fail", "": "fail"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	res = runCLI(t, nil, append([]string{"verify", repo + ":1.4.0"}, key...)...)
	wantExit(t, res, 0, "index only")
	res = runCLI(t, nil, append([]string{"verify", repo + ":1.4.0", "--platform", "linux/amd64"}, key...)...)
	wantExit(t, res, 0, "--platform linux/amd64")
	res = runCLI(t, nil, append([]string{"verify", repo + ":1.4.0", "--platform", "linux/arm64"}, key...)...)
	wantExit(t, res, 1, "--platform linux/arm64")

	// The policy form, with platforms as a list (as a string it works too).
	dir := t.TempDir()
	writeFile(t, dir, "cosign.pub", mustRead(t, pub))
	for _, tc := range []struct {
		platforms string
		code      int
	}{
		{`["linux/amd64"]`, 0},
		{`["linux/amd64", "linux/arm64"]`, 1},
		{`"linux/amd64"`, 0},
	} {
		policy := writeFile(t, dir, "policy.hcl", fmt.Sprintf(`trust_root "k" {
  public_key = "cosign.pub"
}
image "cpu" {
  ref       = %q
  platforms = %s
  verification {
    insecure_ignore_tlog = true
  }
}
`, repo+":1.4.0", tc.platforms))
		res = runCLI(t, nil, "check", policy)
		if res.code != tc.code {
			t.Errorf("platforms = %s: exit %d, want %d\n%s%s", tc.platforms, res.code, tc.code, res.stdout, res.stderr)
		}
		if tc.code == 1 && !strings.Contains(res.stdout, "linux/arm64") {
			t.Errorf("platforms = %s: the report does not name linux/arm64:\n%s", tc.platforms, res.stdout)
		}
	}
}

// TestImageFetchesOnce: a policy naming one image three times (by tag and
// digest) makes one request per manifest, referrers list and blob.
func TestImageFetchesOnce(t *testing.T) {
	r := newRelease(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/cpu"
	d := imagetest.PushRandom(t, repo+":1.4.0")
	b, err := r.ss.Attest(releaseSAN, githubIssuer, imagetest.Statement("image", d, "https://sigstore.dev/cosign/sign/v1", nil))
	if err != nil {
		t.Fatal(err)
	}
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, d), b, "https://sigstore.dev/cosign/sign/v1", false)
	reg.Reset()
	var blocks strings.Builder
	for i, ref := range []string{repo + ":1.4.0", repo + "@" + d, repo + ":1.4.0"} {
		fmt.Fprintf(&blocks, "image %q {\n  ref      = %q\n  identity = identity.release\n}\n", fmt.Sprint("cpu", i), ref)
	}
	policy := writeFile(t, r.dir, "policy.hcl", releasePolicy+blocks.String())
	res := runCLI(t, nil, "check", policy, "--offline")
	wantExit(t, res, 0, "check")
	for k, n := range reg.Counts() {
		if k != "GET /v2/" && n > 1 {
			t.Errorf("%s requested %d times", k, n)
		}
	}
	t.Logf("requests: %v", reg.Counts())
}

// TestImageFixtureCases: the cosign-legacy and image-attestation cases of
// ../shared/fixtures/real reach their expected outcome through the CLI:
// the OCI layout offline, the .sig manifest pushed to a registry (its
// docker-reference names Docker Hub: a mirror needs
// --allow-reference-mismatch), the new-format bundle as a referrer.
func TestImageFixtureCases(t *testing.T) {
	fixtures := realfixtures.Dir(t)
	reg := imagetest.NewRegistry(t, true)
	n := 0
	for _, c := range loadCases(t, fixtures) {
		if c.Kind != "cosign-legacy" && c.Kind != "image-attestation" {
			continue
		}
		n++
		t.Run(c.ID, func(t *testing.T) {
			verb := "verify"
			var ref string
			var extra []string
			switch c.Format {
			case "cosign-legacy-oci-layout":
				verb, ref = "verify-attestation", "oci-layout://"+filepath.Join(fixtures, c.Bundle)+"@"+c.ArtifactDigest
				extra = []string{"--type", "slsaprovenance"}
			case "cosign-legacy-signature-manifest":
				repo := reg.Addr + "/salrashid123/server_image"
				manifest := []byte(mustRead(t, filepath.Join(fixtures, c.Bundle)))
				blobDir := filepath.Join(filepath.Dir(filepath.Join(fixtures, c.Bundle)), "blobs", "sha256")
				entries, _ := os.ReadDir(blobDir)
				for _, e := range entries {
					imagetest.PushBlob(t, repo, "application/octet-stream", []byte(mustRead(t, filepath.Join(blobDir, e.Name()))))
				}
				imagetest.PushManifest(t, repo+":"+imagetest.LegacyTag(c.ArtifactDigest, ".sig"), "application/vnd.oci.image.manifest.v1+json", manifest)
				ref = repo + "@" + c.ArtifactDigest
				// Without the flag the copy fails on docker-reference.
				strict := runCLI(t, nil, verifyImageArgs(fixtures, c, "verify", ref)...)
				wantExit(t, strict, 1, "docker-reference mismatch")
				if !strings.Contains(strict.stdout, "docker-reference: expected "+repo) && c.Expected == "pass" {
					t.Errorf("strict run:\n%s", strict.stdout)
				}
				extra = []string{"--allow-reference-mismatch"}
			case "sigstore-bundle":
				repo := reg.Addr + "/fixture/cosign-attest"
				imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, c.ArtifactDigest), []byte(mustRead(t, filepath.Join(fixtures, c.Bundle))), "https://cosign.sigstore.dev/attestation/v1", false)
				verb, ref = "verify-attestation", repo+"@"+c.ArtifactDigest
				extra = []string{"--type", "custom"}
			default:
				t.Fatalf("format %s", c.Format)
			}
			res := runCLI(t, nil, append(verifyImageArgs(fixtures, c, verb, ref), extra...)...)
			want := map[string]int{"pass": 0, "fail": 1}[c.Expected]
			wantExit(t, res, want, c.ID)
		})
	}
	if n != 5 {
		t.Errorf("%d image cases, want 5", n)
	}
}

func verifyImageArgs(fixtures string, c fixtureCase, verb, ref string) []string {
	args := []string{verb, ref, "--trusted-root", filepath.Join(fixtures, c.TrustedRoot), "--offline",
		"--certificate-identity", c.ExpectedIdentity.SAN, "--certificate-oidc-issuer", *c.ExpectedIdentity.Issuer}
	if uri := c.ExpectedIdentity.Claims["sourceRepositoryURI"]; uri != "" {
		args = append(args, "--repo", strings.TrimPrefix(uri, "https://github.com/"))
	}
	return args
}

// BenchmarkImageVerify: `vmafx-trust verify` of one key-signed
// image in a local registry against `cosign verify` of the same image
// (one), and one run of 20 images against 20 cosign runs (twenty). Each
// iteration runs both, taking turns going first, so that a machine that
// speeds up or slows down during the benchmark weighs on both alike; ns/op
// is vmafx-trust's (cosign runs with the timer stopped). speedup is the
// ratio of the two medians (a single stalled run moves it little),
// mean-speedup that of the means; requests/op counts registry requests.
// Needs the real cosign CLI to sign the images; skipped without it.
func BenchmarkImageVerify(b *testing.B) {
	cosign := os.Getenv("COSIGN")
	if cosign == "" {
		for _, p := range []string{"/tmp/cosign-bin/cosign", filepath.Join(repoRoot, "build", "tools", "cosign")} {
			if _, err := os.Stat(p); err == nil {
				cosign = p
			}
		}
	}
	if cosign == "" {
		b.Skip("cosign not found ($COSIGN, build/tools/cosign: make cosign)")
	}
	home := b.TempDir()
	cenv := append(os.Environ(), "HOME="+home, "TUF_ROOT="+filepath.Join(home, "tuf"), "COSIGN_PASSWORD=")
	run := func(args ...string) {
		cmd := exec.Command(cosign, args...)
		cmd.Dir, cmd.Env = home, cenv
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("generate-key-pair")
	reg := imagetest.NewRegistry(b, false)
	// signed returns n signed images, pushing and signing those it has not
	// yet (make bench runs the two sub-benchmarks separately).
	var refs []string
	signed := func(n int) []string {
		for i := len(refs); i < n; i++ {
			repo := fmt.Sprintf("%s/vmafx/img%02d", reg.Addr, i)
			d := imagetest.PushRandom(b, repo+":v1")
			run(cosignArgs("sign", "--key", "cosign.key", repo+"@"+d)...)
			refs = append(refs, repo+"@"+d)
		}
		return refs[:n]
	}
	pub := filepath.Join(home, "cosign.pub")
	venv := append(os.Environ(), "VMAFX_TRUST_PLUGIN_PATH="+home, "XDG_CONFIG_HOME="+home, "VMAFX_TRUST_CACHE_DIR="+filepath.Join(home, "cache"))
	vmafxRun := func(images []string) (bbRun, error) {
		return bbExec(venv, binary, append([]string{"verify", "--key", pub, "--insecure-ignore-tlog", "--offline"}, images...)...)
	}
	cosignRun := func(images []string) (bbRun, error) {
		var total bbRun
		for _, img := range images {
			cmd := bbCommand(cenv, cosign, "verify", "--key", pub, "--insecure-ignore-tlog", "--allow-http-registry", img)
			cmd.Dir = home
			start := time.Now()
			out, err := cmd.CombinedOutput()
			total.elapsed += time.Since(start)
			if err != nil {
				return total, fmt.Errorf("cosign verify %s: %v\n%s", img, err, out)
			}
		}
		return total, nil
	}
	compare := func(b *testing.B, images []string) {
		var vmafxTimes, cosignTimes []time.Duration
		var vmafxRequests, cosignRequests int
		measure := func(run func([]string) (bbRun, error), times *[]time.Duration, requests *int) {
			reg.Reset()
			r, err := run(images)
			if err != nil {
				b.Fatal(err)
			}
			*times = append(*times, r.elapsed)
			*requests += sum(reg.Counts())
		}
		for b.Loop() {
			// The two take turns going first, and cosign runs with the
			// timer stopped: ns/op is vmafx-trust's.
			cosignFirst := len(vmafxTimes)%2 == 1
			if cosignFirst {
				b.StopTimer()
				measure(cosignRun, &cosignTimes, &cosignRequests)
				b.StartTimer()
			}
			measure(vmafxRun, &vmafxTimes, &vmafxRequests)
			if !cosignFirst {
				b.StopTimer()
				measure(cosignRun, &cosignTimes, &cosignRequests)
				b.StartTimer()
			}
		}
		n := float64(len(vmafxTimes))
		vmafxMedian, cosignMedian := median(vmafxTimes), median(cosignTimes)
		b.ReportMetric(float64(vmafxMedian.Microseconds())/1000, "vmafx-median-ms")
		b.ReportMetric(float64(cosignMedian.Microseconds())/1000, "cosign-median-ms")
		b.ReportMetric(cosignMedian.Seconds()/vmafxMedian.Seconds(), "speedup")
		b.ReportMetric(total(cosignTimes).Seconds()/total(vmafxTimes).Seconds(), "mean-speedup")
		b.ReportMetric(float64(vmafxRequests)/n, "requests/op")
		b.ReportMetric(float64(cosignRequests)/n, "cosign-requests/op")
	}
	b.Run("one", func(b *testing.B) { compare(b, signed(1)) })
	b.Run("twenty", func(b *testing.B) { compare(b, signed(20)) })
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func total(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
