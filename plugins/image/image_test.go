package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
	"github.com/vmafx/vmafx-trust/internal/testsigstore"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
	"github.com/vmafx/vmafx-trust/plugins/image/imagetest"
)

const (
	signerSAN = "https://github.com/vmafx/vmafx/.github/workflows/images.yml@refs/tags/v1.4.0"
	ghIssuer  = "https://token.actions.githubusercontent.com"
	spdxType  = "https://spdx.dev/Document"
	slsaType  = "https://slsa.dev/provenance/v1"
)

// env is one in-memory Sigstore with its trusted root.
type env struct {
	ss   *testsigstore.Sigstore
	root []byte
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ss, err := testsigstore.New()
	if err != nil {
		t.Fatal(err)
	}
	root, err := ss.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	return &env{ss: ss, root: root}
}

func (e *env) request(t *testing.T, attrs map[string]any, subject string) *sdk.Request {
	t.Helper()
	raw, err := json.Marshal(attrs)
	if err != nil {
		t.Fatal(err)
	}
	return &sdk.Request{
		Kind: "image", Name: "test", Attributes: raw, Require: 1,
		Identities: []sdk.Identity{{Name: "images", Subject: subject, Issuer: ghIssuer}},
		TrustRoot:  &sdk.TrustRoot{Name: "ts", TrustedRootJSON: e.root},
		Deadline:   time.Now().Add(time.Minute),
	}
}

// sign returns a keyless signature bundle in cosign v3's form: a DSSE
// statement with the sign/v1 predicate whose subject is digest.
func (e *env) signStatement(t *testing.T, digest string) []byte {
	t.Helper()
	b, err := e.ss.Attest(signerSAN, ghIssuer, imagetest.Statement("image", digest, CosignSignPredicate, nil))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *env) attest(t *testing.T, digest, predicateType string) []byte {
	t.Helper()
	b, err := e.ss.Attest(signerSAN, ghIssuer, imagetest.Statement("image", digest, predicateType, map[string]any{"x": 1}))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// legacySig attaches a keyless cosign .sig layer for digest in repo.
func (e *env) legacySig(t *testing.T, repo, dockerRef, digest string) {
	t.Helper()
	payload := imagetest.SimpleSigningPayload(dockerRef, digest)
	b, err := e.ss.SignBlob(signerSAN, ghIssuer, payload)
	if err != nil {
		t.Fatal(err)
	}
	l, err := imagetest.SplitBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	imagetest.AttachLegacy(t, repo, digest, ".sig", imagetest.Layer{Data: payload, Annotations: l.Annotations()})
}

// legacyAtt attaches a keyless cosign .att layer.
func (e *env) legacyAtt(t *testing.T, repo, digest, predicateType string) {
	t.Helper()
	l, err := imagetest.SplitBundle(e.attest(t, digest, predicateType))
	if err != nil {
		t.Fatal(err)
	}
	ann := l.Annotations()
	ann["dev.cosignproject.cosign/signature"] = ""
	ann["predicateType"] = predicateType
	imagetest.AttachLegacy(t, repo, digest, ".att", imagetest.Layer{Data: l.Envelope, Annotations: ann})
}

func verify(t *testing.T, p *Plugin, req *sdk.Request) *sdk.Result {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), req.Deadline)
	defer cancel()
	res, err := p.Verify(ctx, req)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return res
}

// hostCheck verifies the evidence of a passing result (and sub-results) as
// the host does, so a test pass means what a run's pass means.
func hostCheck(t *testing.T, req *sdk.Request, res *sdk.Result) {
	t.Helper()
	m, err := trust.NewMaterial(req.TrustRoot.Name, req.TrustRoot.TrustedRootJSON, req.TrustRoot.PublicKeysPEM)
	if err != nil {
		t.Fatal(err)
	}
	var ids []trust.Identity
	for _, id := range req.Identities {
		ids = append(ids, trust.Identity(id))
	}
	check := func(part string, evs []sdk.Evidence) {
		if len(evs) == 0 {
			t.Errorf("%s: pass with no evidence", part)
		}
		for _, ev := range evs {
			if _, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: ev.Bundle, Digest: trust.Digest{Algorithm: ev.SubjectDigest.Algorithm, Hex: ev.SubjectDigest.Hex}, Identities: ids, UseKey: req.UseKey, Requirements: trust.Requirements(req.Requirements), MaxSize: sdk.MaxMessageSize}); err != nil {
				t.Errorf("%s: evidence %s does not verify: %v", part, ev.Source, err)
			}
		}
	}
	if len(res.SubResults) == 0 {
		check("result", res.Evidence)
	}
	for _, s := range res.SubResults {
		if s.Status == sdk.StatusPass {
			check(s.Name, s.Evidence)
		}
	}
}

func wantPass(t *testing.T, req *sdk.Request, res *sdk.Result) {
	t.Helper()
	if res.Status != sdk.StatusPass {
		t.Fatalf("status %s, want pass: %s\nchecks: %+v", res.Status, res.Reason, res.Checks)
	}
	hostCheck(t, req, res)
}

func wantFail(t *testing.T, res *sdk.Result, subs ...string) {
	t.Helper()
	if res.Status != sdk.StatusFail {
		t.Fatalf("status %s, want fail (reason %q)", res.Status, res.Reason)
	}
	for _, s := range subs {
		if !strings.Contains(res.Reason, s) {
			t.Errorf("reason %q lacks %q", res.Reason, s)
		}
	}
}

// TestReferrersKeyless: a keyless signature (cosign v3's sign/v1 statement)
// and an SBOM attestation attached as OCI 1.1 referrers verify against the
// test Sigstore; a wrong identity fails with expected-vs-found.
func TestReferrersKeyless(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/cpu"
	digest := imagetest.PushRandom(t, repo+":1.4.0")
	subj := imagetest.Subject(t, repo, digest)
	imagetest.AttachBundle(t, repo, subj, e.signStatement(t, digest), CosignSignPredicate, false)
	imagetest.AttachBundle(t, repo, subj, e.attest(t, digest, spdxType), spdxType, false)

	p := New()
	req := e.request(t, map[string]any{"ref": repo + ":1.4.0", "attestations": []string{"spdxjson"}}, signerSAN)
	res := verify(t, p, req)
	wantPass(t, req, res)
	if len(res.Evidence) != 2 {
		t.Errorf("%d evidence, want signature + SBOM", len(res.Evidence))
	}
	for _, ev := range res.Evidence {
		if ev.SubjectDigest.String() != digest {
			t.Errorf("evidence %s binds %s, want the image %s", ev.Source, ev.SubjectDigest, digest)
		}
	}

	req = e.request(t, map[string]any{"ref": repo + "@" + digest}, "https://github.com/evil/x/.github/workflows/r.yml@refs/heads/main")
	res = verify(t, p, req)
	wantFail(t, res, "subject: expected https://github.com/evil/x/", "found "+signerSAN)
	explained := false
	for _, c := range res.Checks {
		if c.Name == "identity" && strings.Contains(c.Detail, "the certificate contained") {
			explained = true
		}
	}
	if !explained {
		t.Errorf("no identity explanation in checks: %+v", res.Checks)
	}
}

// TestFallbackTagKeyless: the same on a registry without the referrers
// API, through the tag-schema fallback index sha256-<hex>; and a message
// signature over the manifest digest counts as a signature.
func TestFallbackTagKeyless(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, false)
	repo := reg.Addr + "/vmafx/mcp"
	digest := imagetest.PushRandom(t, repo+":v1")
	subj := imagetest.Subject(t, repo, digest)
	// A message signature over the manifest bytes: its digest is the image's.
	raw := manifestBytes(t, repo, digest)
	sig, err := e.ss.SignBlob(signerSAN, ghIssuer, raw)
	if err != nil {
		t.Fatal(err)
	}
	imagetest.AttachBundle(t, repo, subj, sig, "", true)
	imagetest.AttachBundle(t, repo, subj, e.attest(t, digest, slsaType), slsaType, true)

	req := e.request(t, map[string]any{"ref": repo + ":v1", "attestations": []string{slsaType}}, signerSAN)
	res := verify(t, New(), req)
	wantPass(t, req, res)
	if !strings.Contains(fmt.Sprint(res.Checks), "signature: ") {
		t.Errorf("checks %+v", res.Checks)
	}
}

func manifestBytes(t *testing.T, repo, digest string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+strings.Replace(repo, "/", "/v2/", 1)+"/manifests/"+digest, nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if imagetest.Digest(b) != digest {
		t.Fatalf("manifest bytes hash to %s, not %s", imagetest.Digest(b), digest)
	}
	return b
}

// TestLegacyKeyless: keyless cosign .sig and .att layers (made from test
// Sigstore bundles, converted to cosign's annotations) verify; the .sig
// evidence binds sha256(payload), the .att evidence the image digest.
func TestLegacyKeyless(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, false)
	repo := reg.Addr + "/vmafx/cuda"
	digest := imagetest.PushRandom(t, repo+":v1")
	e.legacySig(t, repo, repo, digest)
	e.legacyAtt(t, repo, digest, spdxType)

	req := e.request(t, map[string]any{"ref": repo + ":v1", "attestations": []string{spdxType}}, signerSAN)
	res := verify(t, New(), req)
	wantPass(t, req, res)
	payloadDigest := imagetest.Digest(imagetest.SimpleSigningPayload(repo, digest))
	if len(res.Evidence) != 2 || res.Evidence[0].SubjectDigest.String() != payloadDigest || res.Evidence[1].SubjectDigest.String() != digest {
		t.Errorf("evidence subjects: %+v", res.Evidence)
	}
}

// TestCopiedMaterialFails: a valid signature or attestation of image A
// moved onto image B's legacy tags fails on the digest binding.
func TestCopiedMaterialFails(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, false)
	repo := reg.Addr + "/vmafx/rocm"
	a := imagetest.PushRandom(t, repo+":a")
	b := imagetest.PushRandom(t, repo+":b")
	e.legacySig(t, repo, repo, a)
	e.legacyAtt(t, repo, a, spdxType)
	imagetest.CopyTag(t, repo, imagetest.LegacyTag(a, ".sig"), imagetest.LegacyTag(b, ".sig"))

	p := New()
	res := verify(t, p, e.request(t, map[string]any{"ref": repo + ":b"}, signerSAN))
	wantFail(t, res, "digest mismatch", "docker-manifest-digest "+a, "the image is "+b)

	// B properly signed, but its .att is A's.
	e.legacySig(t, repo, repo, b)
	imagetest.CopyTag(t, repo, imagetest.LegacyTag(a, ".att"), imagetest.LegacyTag(b, ".att"))
	res = verify(t, New(), e.request(t, map[string]any{"ref": repo + ":b", "attestations": []string{spdxType}}, signerSAN))
	wantFail(t, res, "subject mismatch", "names sha256:"+strings.TrimPrefix(a, "sha256:"))
}

// TestOnlyAttestationIsNotSigned: an image carrying only an SBOM
// attestation is not signed; verify-attestation semantics accept it.
func TestOnlyAttestationIsNotSigned(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/oneapi"
	digest := imagetest.PushRandom(t, repo+":v1")
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, digest), e.attest(t, digest, spdxType), spdxType, false)

	p := New()
	res := verify(t, p, e.request(t, map[string]any{"ref": repo + ":v1"}, signerSAN))
	wantFail(t, res, "no signature", "found only attestations ("+spdxType+")")
	res = verify(t, p, e.request(t, map[string]any{"ref": repo + ":v1", "attestations": []string{spdxType}}, signerSAN))
	wantFail(t, res, "no signature")

	req := e.request(t, map[string]any{"ref": repo + ":v1", "signature": false, "attestations": []string{spdxType}}, signerSAN)
	wantPass(t, req, verify(t, p, req))
	req = e.request(t, map[string]any{"ref": repo + ":v1", "signature": false}, signerSAN)
	wantPass(t, req, verify(t, p, req))
	res = verify(t, p, e.request(t, map[string]any{"ref": repo + ":v1", "signature": false, "attestations": []string{"cyclonedx"}}, signerSAN))
	wantFail(t, res, "no https://cyclonedx.org/bom attestation", "found: "+spdxType)
}

// TestPredicateTypeFamilies: a required unversioned SBOM type is met by a
// versioned attestation (GitHub's attest-sbom writes
// https://spdx.dev/Document/v2.3), attached to the image or inherited from
// its index; an attestation of another type does not meet it, and a
// versioned requirement is not met by another version.
func TestPredicateTypeFamilies(t *testing.T) {
	const spdx23 = spdxType + "/v2.3"
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/sbom"
	sbom := imagetest.PushRandom(t, repo+":sbom")
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, sbom), e.attest(t, sbom, spdx23), spdx23, false)
	prov := imagetest.PushRandom(t, repo+":prov")
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, prov), e.attest(t, prov, slsaType), slsaType, false)
	index, children := imagetest.PushIndex(t, repo+":index", "linux/amd64")
	e.legacyAtt(t, repo, index, spdx23)

	p := New()
	tests := []struct {
		name  string
		ref   string
		attrs map[string]any
		pass  bool
		subs  []string // in the reason (fail) or the checks (pass)
	}{
		{name: "spdxjson meets v2.3", ref: ":sbom", attrs: map[string]any{"attestations": []string{"spdxjson"}}, pass: true,
			subs: []string{spdxType + " (as " + spdx23 + ")"}},
		{name: "family URI meets v2.3", ref: ":sbom", attrs: map[string]any{"attestations": []string{spdxType}}, pass: true},
		{name: "v2.3 meets itself", ref: ":sbom", attrs: map[string]any{"attestations": []string{spdx23}}, pass: true},
		{name: "v2.2 is not v2.3", ref: ":sbom", attrs: map[string]any{"attestations": []string{spdxType + "/v2.2"}},
			subs: []string{"no " + spdxType + "/v2.2 attestation", "found: " + spdx23}},
		{name: "cyclonedx is not SPDX", ref: ":sbom", attrs: map[string]any{"attestations": []string{"cyclonedx"}},
			subs: []string{"no https://cyclonedx.org/bom attestation", "found: " + spdx23}},
		{name: "provenance is not an SBOM", ref: ":prov", attrs: map[string]any{"attestations": []string{"spdxjson"}},
			subs: []string{"no " + spdxType + " attestation", "found: " + slsaType}},
		{name: "provenance meets provenance", ref: ":prov", attrs: map[string]any{"attestations": []string{"slsaprovenance1"}}, pass: true},
		{name: "inherited from the index", ref: ":index", attrs: map[string]any{"platforms": "linux/amd64", "attestations": []string{"spdxjson"}}, pass: true,
			subs: []string{"attached to the index"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := map[string]any{"ref": repo + tt.ref, "signature": false}
			for k, v := range tt.attrs {
				attrs[k] = v
			}
			req := e.request(t, attrs, signerSAN)
			res := verify(t, p, req)
			if !tt.pass {
				wantFail(t, res, tt.subs...)
				return
			}
			wantPass(t, req, res)
			checks := fmt.Sprint(res.Checks)
			for _, s := range res.SubResults {
				checks += fmt.Sprint(s.Checks)
			}
			for _, s := range tt.subs {
				if !strings.Contains(checks, s) {
					t.Errorf("checks lack %q: %s", s, checks)
				}
			}
			if tt.ref == ":index" {
				if len(res.SubResults) != 2 || res.SubResults[1].Name != "linux/amd64" || len(res.SubResults[1].Evidence) != 1 || res.SubResults[1].Evidence[0].SubjectDigest.String() != index {
					t.Errorf("linux/amd64 (%s) is not covered by the index's attestation: %+v", children["linux/amd64"], res.SubResults)
				}
			}
		})
	}
}

// TestLargeAttestationBundle: an SBOM attestation bundle past trust's
// default bound (32 MiB) is read under the attestation bound, as a referrer
// and as a cosign .att envelope, and verifies.
func TestLargeAttestationBundle(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/large"
	pad := func(doc []byte) []byte { return append(bytes.Repeat([]byte(" "), trust.MaxBundleSize+1), doc...) }

	referred := imagetest.PushRandom(t, repo+":referrer")
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, referred), pad(e.attest(t, referred, spdxType)), spdxType, false)
	tagged := imagetest.PushRandom(t, repo+":att")
	l, err := imagetest.SplitBundle(e.attest(t, tagged, spdxType))
	if err != nil {
		t.Fatal(err)
	}
	imagetest.AttachLegacy(t, repo, tagged, ".att", imagetest.Layer{Data: pad(l.Envelope), Annotations: l.Annotations()})

	p := New()
	for _, tag := range []string{":referrer", ":att"} {
		req := e.request(t, map[string]any{"ref": repo + tag, "signature": false, "attestations": []string{"spdxjson"}}, signerSAN)
		res := verify(t, p, req)
		wantPass(t, req, res)
		if len(res.Evidence) != 1 {
			t.Errorf("%s: %d pieces of evidence, want 1", tag, len(res.Evidence))
		}
	}
}

// TestPlatforms: a two-platform index with the index and linux/amd64
// signed: "all" fails and names linux/arm64; the index alone and
// linux/amd64 alone pass; an absent platform fails.
func TestPlatforms(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/cpu"
	index, children := imagetest.PushIndex(t, repo+":1.4.0", "linux/amd64", "linux/arm64")
	e.legacySig(t, repo, repo, index)
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, children["linux/amd64"]), e.signStatement(t, children["linux/amd64"]), CosignSignPredicate, false)
	// The SBOM is attested on the index only: it covers both platforms.
	e.legacyAtt(t, repo, index, spdxType)

	p := New()
	req := e.request(t, map[string]any{"ref": repo + ":1.4.0", "platforms": "all", "attestations": []string{spdxType}}, signerSAN)
	res := verify(t, p, req)
	wantFail(t, res, "linux/arm64: no signature for "+children["linux/arm64"])
	got := map[string]sdk.Status{}
	for _, s := range res.SubResults {
		got[s.Name] = s.Status
	}
	want := map[string]sdk.Status{"index": sdk.StatusPass, "linux/amd64": sdk.StatusPass, "linux/arm64": sdk.StatusFail}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	hostCheck(t, req, res)

	for _, sel := range []string{"index", "linux/amd64", ""} {
		req := e.request(t, map[string]any{"ref": repo + ":1.4.0", "platforms": sel, "attestations": []string{spdxType}}, signerSAN)
		res := verify(t, p, req)
		wantPass(t, req, res)
		if sel == "linux/amd64" && len(res.SubResults) != 2 {
			t.Errorf("platforms %q: %d rows, want index + linux/amd64", sel, len(res.SubResults))
		}
	}
	res = verify(t, p, e.request(t, map[string]any{"ref": repo + ":1.4.0", "platforms": "linux/amd64,linux/s390x"}, signerSAN))
	wantFail(t, res, "linux/s390x: platform linux/s390x is not in the index", "linux/amd64, linux/arm64")
}

// TestMissingChild: an index listing a manifest the registry does not have
// fails for that platform.
func TestMissingChild(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/cpu"
	index, children := imagetest.PushIndex(t, repo+":multi", "linux/amd64", "linux/arm64")
	child := children["linux/amd64"]
	imagetest.DeleteManifest(t, repo, children["linux/arm64"])
	e.legacySig(t, repo, repo, index)
	e.legacySig(t, repo, repo, child)
	res := verify(t, New(), e.request(t, map[string]any{"ref": repo + ":multi", "platforms": "all"}, signerSAN))
	wantFail(t, res, "linux/arm64: the index lists "+short(children["linux/arm64"])+" for linux/arm64, but "+repo+" does not have it")
}

// TestReferenceChecks: docker-reference mismatch, digest pinning, offline.
func TestReferenceChecks(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, false)
	repo := reg.Addr + "/mirror/cpu"
	digest := imagetest.PushRandom(t, repo+":v1")
	e.legacySig(t, repo, "ghcr.io/vmafx/cpu", digest)

	p := New()
	res := verify(t, p, e.request(t, map[string]any{"ref": repo + ":v1"}, signerSAN))
	wantFail(t, res, "docker-reference: expected "+repo+", found ghcr.io/vmafx/cpu")
	req := e.request(t, map[string]any{"ref": repo + ":v1", "allow_reference_mismatch": true}, signerSAN)
	wantPass(t, req, verify(t, p, req))

	res = verify(t, p, e.request(t, map[string]any{"ref": repo + ":v1", "require_digest": true}, signerSAN))
	wantFail(t, res, "not pinned by digest")
	req = e.request(t, map[string]any{"ref": repo + "@" + digest, "require_digest": true, "allow_reference_mismatch": true}, signerSAN)
	wantPass(t, req, verify(t, p, req))

	req = e.request(t, map[string]any{"ref": "registry.example.com/vmafx/cpu:v1"}, signerSAN)
	req.Offline = true
	if res := verify(t, p, req); res.Status != sdk.StatusError || !strings.Contains(res.Reason, "--offline") {
		t.Errorf("offline network registry: %s %q", res.Status, res.Reason)
	}
	res = verify(t, p, e.request(t, map[string]any{"ref": repo + ":nope"}, signerSAN))
	wantFail(t, res, "no such image")
}

// TestFetchesOnce: three policy blocks naming the same image (by tag and by
// digest, concurrently) fetch every manifest, referrers list and blob once.
func TestFetchesOnce(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/cpu"
	index, children := imagetest.PushIndex(t, repo+":1.4.0", "linux/amd64", "linux/arm64")
	for _, d := range []string{index, children["linux/amd64"], children["linux/arm64"]} {
		e.legacySig(t, repo, repo, d)
	}
	e.legacyAtt(t, repo, index, spdxType)
	reg.Reset()

	p := New()
	refs := []string{repo + ":1.4.0", repo + "@" + index, repo + ":1.4.0"}
	var wg sync.WaitGroup
	for _, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := e.request(t, map[string]any{"ref": ref, "platforms": "all", "attestations": []string{spdxType}}, signerSAN)
			res, err := p.Verify(context.Background(), req)
			if err != nil || res.Status != sdk.StatusPass {
				t.Errorf("%s: %v %s %s", ref, err, res.Status, res.Reason)
			}
		}()
	}
	wg.Wait()
	counts := reg.Counts()
	for k, n := range counts {
		if strings.HasPrefix(k, "GET /v2/") && k != "GET /v2/" && n > 1 {
			t.Errorf("%s fetched %d times", k, n)
		}
	}
	// The plugin counts also the TLS probe of the loopback registry.
	if p.Requests() < int64(sum(counts)) {
		t.Errorf("registry saw %d requests, plugin counted %d", sum(counts), p.Requests())
	}
	t.Logf("%d requests for 3 blocks x 3 parts: %v", sum(counts), counts)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestHostileRegistry: an oversized manifest, malformed JSON and a server
// slower than the deadline are errors (could not check), never a pass, and
// never a hang.
func TestHostileRegistry(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"oversized manifest", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Content-Length", fmt.Sprint(64<<20))
			_, _ = w.Write([]byte("{"))
		}, "more than the 4194304 allowed"},
		{"oversized manifest without length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			chunk := []byte(strings.Repeat(" ", 1<<20))
			for range 6 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, "response too large"},
		{"malformed JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			_, _ = w.Write([]byte(`{"schemaVersion": 2, "layers": [`))
		}, "not valid JSON"},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
		}, "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v2/" {
					return
				}
				tt.handler(w, r)
			}))
			defer srv.Close()
			host := strings.TrimPrefix(srv.URL, "http://")
			req := e.request(t, map[string]any{"ref": host + "/vmafx/cpu:v1"}, signerSAN)
			req.Deadline = time.Now().Add(2 * time.Second)
			start := time.Now()
			res := verify(t, New(), req)
			if res.Status != sdk.StatusError || !strings.Contains(res.Reason, tt.want) {
				t.Errorf("status %s reason %q, want error containing %q", res.Status, res.Reason, tt.want)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

// TestRedirectDropsCredentials: a registry that needs credentials and
// redirects blob downloads to another host: the other host gets no
// Authorization header, and verification still works.
func TestRedirectDropsCredentials(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, false)
	repo := reg.Addr + "/vmafx/cpu"
	digest := imagetest.PushRandom(t, repo+":v1")
	e.legacySig(t, repo, "", digest)

	var mu sync.Mutex
	var leaked []string
	blobs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if a := r.Header.Get("Authorization"); a != "" {
			leaked = append(leaked, a)
		}
		mu.Unlock()
		resp, err := http.Get("http://" + reg.Addr + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	defer blobs.Close()
	target, _ := url.Parse("http://" + reg.Addr)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "ci" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if strings.Contains(r.URL.Path, "/blobs/") {
			// "localhost" vs 127.0.0.1: another host to net/http.
			http.Redirect(w, r, strings.Replace(blobs.URL, "127.0.0.1", "localhost", 1)+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	t.Setenv(EnvRegistryUsername, "ci")
	t.Setenv(EnvRegistryPassword, "s3cret")
	host := strings.TrimPrefix(front.URL, "http://")
	req := e.request(t, map[string]any{"ref": host + "/vmafx/cpu:v1", "allow_reference_mismatch": true}, signerSAN)
	res := verify(t, New(), req)
	wantPass(t, req, res)
	if len(leaked) > 0 {
		t.Errorf("credentials followed the redirect to another host: %v", leaked)
	}
}

// TestGuardReusesConnections: a response closed unread (go-containerregistry
// closes a 404's body without reading it) leaves its keep-alive connection
// for the next request when its body is declared small, and is not read on
// for a large or undeclared one.
func TestGuardReusesConnections(t *testing.T) {
	tests := []struct {
		path      string
		wantReuse bool
	}{
		{"/v2/vmafx/cpu/referrers/sha256:aa", true}, // 404 with error JSON
		{"/v2/vmafx/cpu/blobs/small", true},         // 100 bytes declared
		{"/v2/vmafx/cpu/blobs/large", false},        // 1 MiB declared: not read for reuse
		{"/v2/vmafx/cpu/blobs/chunked", false},      // no declared length
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/vmafx/cpu/blobs/small":
			_, _ = w.Write(make([]byte, 100))
		case "/v2/vmafx/cpu/blobs/large":
			_, _ = w.Write(make([]byte, 1<<20))
		case "/v2/vmafx/cpu/blobs/chunked":
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte("a few bytes"))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}`))
		}
	}))
	defer srv.Close()
	g := &guard{base: newHTTPTransport(false)}
	get := func(path string) (reused bool) {
		t.Helper()
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
		})
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		resp, err := g.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close() // unread
		return reused
	}
	for _, tt := range tests {
		get("/v2/") // a connection in the pool
		get(tt.path)
		if reused := get("/v2/"); reused != tt.wantReuse {
			t.Errorf("%s closed unread: next request reused its connection: %v, want %v", tt.path, reused, tt.wantReuse)
		}
	}
}

// TestGuardDropsNotFoundBodies: a 404 to a manifest or blob request reaches
// go-containerregistry without its body (and still as a 404: not found),
// keeping its connection; other answers keep theirs, whose messages users
// see.
func TestGuardDropsNotFoundBodies(t *testing.T) {
	const errJSON = `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/denied"):
			w.WriteHeader(http.StatusForbidden)
		case r.URL.Path == "/v2/":
			w.WriteHeader(http.StatusOK)
		case strings.HasSuffix(r.URL.Path, "/huge"): // an error page larger than any manifest
			w.Header().Set("Content-Length", fmt.Sprint(8<<20))
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write(make([]byte, 8<<20))
			return
		default:
			w.WriteHeader(http.StatusNotFound)
		}
		_, _ = w.Write([]byte(errJSON))
	}))
	defer srv.Close()
	g := &guard{base: newHTTPTransport(false)}
	tests := []struct {
		path     string
		wantBody string
	}{
		{"/v2/vmafx/cpu/manifests/sha256-aa.sig", ""},
		{"/v2/vmafx/cpu/blobs/sha256:aa", ""},
		{"/v2/vmafx/cpu/referrers/sha256:aa", errJSON}, // go-containerregistry reads no body here
		{"/v2/vmafx/cpu/manifests/denied", errJSON},    // 403: its message is the error users see
	}
	for _, tt := range tests {
		var reused bool
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
		})
		for range 2 {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+tt.path, nil)
			resp, err := g.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(body) != tt.wantBody {
				t.Errorf("%s: body %q (%v), want %q", tt.path, body, err, tt.wantBody)
			}
		}
		if !reused {
			t.Errorf("%s: the second request did not reuse the connection", tt.path)
		}
	}

	// Through go-containerregistry, a missing tag is still not found.
	p := New()
	pl, err := remote.NewPuller(remote.WithTransport(g))
	if err != nil {
		t.Fatal(err)
	}
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/vmafx/cpu")
	if err != nil {
		t.Fatal(err)
	}
	st := &registryStore{p: p, puller: pl, repo: repo}
	if _, err := st.get(context.Background(), "sha256-aa.sig"); !errors.Is(err, errNotFound) {
		t.Errorf("missing tag: %v, want %v", err, errNotFound)
	}
	if _, err := st.get(context.Background(), "huge"); !errors.Is(err, errNotFound) {
		t.Errorf("missing tag with a large error page: %v, want %v", err, errNotFound)
	}
	if _, err := st.get(context.Background(), "denied"); err == nil || !strings.Contains(err.Error(), "manifest unknown") {
		t.Errorf("denied tag: %v, want the registry's message", err)
	}
}

// TestGuardRefusesPlainHTTP: plain HTTP only to loopback, unless insecure.
func TestGuardRefusesPlainHTTP(t *testing.T) {
	g := &guard{base: http.DefaultTransport}
	for _, u := range []string{"http://registry.example.com/v2/", "http://10.0.0.1:5000/v2/", "http://[fe80::1]/v2/"} {
		req, _ := http.NewRequest("GET", u, nil)
		if _, err := g.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "refusing plain HTTP") {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "[::1]"} {
		if !isLoopback(h) {
			t.Errorf("%s is loopback", h)
		}
	}
}

// TestFixtureCosignLegacy runs the cosign-legacy and image-attestation
// cases of ../shared/fixtures/real: an OCI layout with a keyless .att
// (offline), a keyless .sig manifest in a layout built from its blobs and
// pushed to a registry, and a new-format attestation bundle attached as a
// referrer; each reaches its expected outcome.
func TestFixtureCosignLegacy(t *testing.T) {
	dir := realfixtures.Dir(t)
	var cases []struct {
		ID, Kind, Format, Bundle, Expected string
		ArtifactDigest                     string `json:"artifact_digest"`
		TrustedRoot                        string `json:"trusted_root"`
		ExpectedIdentity                   struct {
			SAN, Issuer string
			Claims      map[string]string
		} `json:"expected_identity"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	reg := imagetest.NewRegistry(t, true)
	n := 0
	for _, c := range cases {
		if c.Kind != "cosign-legacy" && c.Kind != "image-attestation" {
			continue
		}
		n++
		t.Run(c.ID, func(t *testing.T) {
			root, err := os.ReadFile(filepath.Join(dir, c.TrustedRoot))
			if err != nil {
				t.Fatal(err)
			}
			id := sdk.Identity{Name: "expected", Subject: c.ExpectedIdentity.SAN, Issuer: c.ExpectedIdentity.Issuer}
			if uri := c.ExpectedIdentity.Claims["sourceRepositoryURI"]; uri != "" {
				id.Extensions = map[string]string{"source_repository_uri": uri}
			}
			attrs := map[string]any{}
			switch c.Format {
			case "cosign-legacy-oci-layout":
				attrs["ref"] = "oci-layout://" + filepath.Join(dir, c.Bundle) + "@" + c.ArtifactDigest
				attrs["signature"] = false // an attestation-only image: verify-attestation
			case "cosign-legacy-signature-manifest":
				layout := t.TempDir()
				sigDir := filepath.Dir(filepath.Join(dir, c.Bundle))
				manifest, err := os.ReadFile(filepath.Join(dir, c.Bundle))
				if err != nil {
					t.Fatal(err)
				}
				var blobs [][]byte
				entries, _ := os.ReadDir(filepath.Join(sigDir, "blobs", "sha256"))
				for _, en := range entries {
					b, _ := os.ReadFile(filepath.Join(sigDir, "blobs", "sha256", en.Name()))
					blobs = append(blobs, b)
				}
				imagetest.WriteLayout(t, layout, append(blobs, manifest), imagetest.Descriptor{
					MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: imagetest.Digest(manifest), Size: int64(len(manifest)),
					Annotations: map[string]string{"org.opencontainers.image.ref.name": imagetest.LegacyTag(c.ArtifactDigest, ".sig")},
				})
				attrs["ref"] = "oci-layout://" + layout + "@" + c.ArtifactDigest
			case "sigstore-bundle":
				b, err := os.ReadFile(filepath.Join(dir, c.Bundle))
				if err != nil {
					t.Fatal(err)
				}
				repo := reg.Addr + "/fixture/" + strings.ReplaceAll(filepath.Base(c.ID), "_", "-")
				imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, c.ArtifactDigest), b, "https://cosign.sigstore.dev/attestation/v1", false)
				attrs["ref"] = repo + "@" + c.ArtifactDigest
				attrs["signature"] = false
				attrs["attestations"] = []string{"custom"}
			default:
				t.Fatalf("format %s", c.Format)
			}
			raw, _ := json.Marshal(attrs)
			req := &sdk.Request{Kind: "image", Name: c.ID, Attributes: raw, Require: 1, Identities: []sdk.Identity{id},
				TrustRoot: &sdk.TrustRoot{Name: "fixture", TrustedRootJSON: root}, Offline: true, Deadline: time.Now().Add(time.Minute)}
			res := verify(t, New(), req)
			switch c.Expected {
			case "pass":
				wantPass(t, req, res)
			case "fail":
				if res.Status != sdk.StatusFail {
					t.Fatalf("status %s, want fail", res.Status)
				}
				t.Logf("failed as expected: %s", res.Reason)
			}
		})
	}
	if n != 5 {
		t.Errorf("ran %d image cases, want 5", n)
	}
}

// TestLegacyTagsReadWithReferrers: the cosign .sig tag the policy needs is
// read while the referrers are still being listed, not after: the registry
// holds the referrers request back until the .sig manifest is asked for
// (or 5 s pass), and the image must verify with the .sig request seen
// first. A policy that needs no attestations does not read .att ahead.
func TestLegacyTagsReadWithReferrers(t *testing.T) {
	for _, referrersAPI := range []bool{false, true} {
		t.Run(fmt.Sprintf("referrers API %v", referrersAPI), func(t *testing.T) {
			e := newEnv(t)
			reg := imagetest.NewRegistry(t, referrersAPI)
			repo := reg.Addr + "/vmafx/cpu"
			digest := imagetest.PushRandom(t, repo+":v1")
			e.legacySig(t, repo, repo, digest)
			sigPath := "/v2/vmafx/cpu/manifests/" + imagetest.LegacyTag(digest, ".sig")
			attPath := "/v2/vmafx/cpu/manifests/" + imagetest.LegacyTag(digest, ".att")
			sigAsked := make(chan struct{})
			var once sync.Once
			var heldUntilSig atomic.Bool
			reg.Gate(func(r *http.Request) {
				switch {
				case r.URL.Path == sigPath:
					once.Do(func() { close(sigAsked) })
				case strings.Contains(r.URL.Path, "/referrers/"):
					select {
					case <-sigAsked:
						heldUntilSig.Store(true)
					case <-time.After(5 * time.Second):
					}
				}
			})
			reg.Reset()
			req := e.request(t, map[string]any{"ref": repo + "@" + digest}, signerSAN)
			wantPass(t, req, verify(t, New(), req))
			counts := reg.Counts()
			if referrersAPI && counts["GET /v2/vmafx/cpu/referrers/"+digest] != 1 {
				t.Fatalf("referrers API not asked: %v", counts)
			}
			if !heldUntilSig.Load() {
				t.Errorf("the .sig tag was not read while the referrers were listed: %v", counts)
			}
			if counts["GET "+attPath] != 0 {
				t.Errorf(".att read though the policy needs no attestation: %v", counts)
			}
		})
	}
}

// TestUnneededPrefetchIsCancelled: when the referrers satisfy the policy,
// the legacy tags read ahead are not waited for: the registry holds those
// requests until the client gives up on them, and the image must still
// verify, promptly, with no warning from the unused reads.
func TestUnneededPrefetchIsCancelled(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/cpu"
	digest := imagetest.PushRandom(t, repo+":1.4.0")
	subj := imagetest.Subject(t, repo, digest)
	imagetest.AttachBundle(t, repo, subj, e.signStatement(t, digest), CosignSignPredicate, false)
	imagetest.AttachBundle(t, repo, subj, e.attest(t, digest, spdxType), spdxType, false)
	release := make(chan struct{})
	defer close(release)
	var held atomic.Int32
	reg.Gate(func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".sig") || strings.HasSuffix(r.URL.Path, ".att") {
			held.Add(1)
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	})
	req := e.request(t, map[string]any{"ref": repo + "@" + digest, "attestations": []string{"spdxjson"}}, signerSAN)
	done := make(chan *sdk.Result, 1)
	go func() { done <- verify(t, New(), req) }()
	select {
	case res := <-done:
		wantPass(t, req, res)
		if len(res.Diagnostics) != 0 {
			t.Errorf("diagnostics from unused reads: %+v", res.Diagnostics)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the verdict waits for legacy tags it does not use")
	}
	if held.Load() == 0 {
		t.Error("no legacy tag was read ahead; the test proves nothing")
	}
}
