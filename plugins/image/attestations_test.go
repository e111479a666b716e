package image

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
	"github.com/vmafx/vmafx-trust/plugins/image/imagetest"
)

const (
	spdx23Type      = spdxType + "/v2.3"
	cyclonedxType   = "https://cyclonedx.org/bom"
	cyclonedx15Type = cyclonedxType + "/v1.5"
	otherSAN        = "https://github.com/evil/x/.github/workflows/r.yml@refs/heads/main"
)

// sbomQuery asks for SPDX or CycloneDX attestations of ref.
func sbomQuery(ref, platforms string) AttestationQuery {
	return AttestationQuery{Ref: ref, Platforms: platforms, PredicateTypes: []string{"spdxjson", "cyclonedx"}}
}

func attestations(t *testing.T, p *Plugin, req *sdk.Request, q AttestationQuery) []PartAttestations {
	t.Helper()
	parts, _, err := p.Attestations(context.Background(), req, q)
	if err != nil {
		t.Fatalf("Attestations: %v", err)
	}
	return parts
}

// statementFor is the statement e.attest and e.legacyAtt sign for digest.
func statementFor(digest, predicateType string) []byte {
	return imagetest.Statement("image", digest, predicateType, map[string]any{"x": 1})
}

// attestAs signs an attestation of digest as subject and returns the bundle
// and the statement it signs.
func (e *env) attestAs(t *testing.T, subject, digest, predicateType string) ([]byte, []byte) {
	t.Helper()
	stmt := statementFor(digest, predicateType)
	b, err := e.ss.Attest(subject, ghIssuer, stmt)
	if err != nil {
		t.Fatal(err)
	}
	return b, stmt
}

// checkFound verifies each found attestation's evidence as the host does,
// and checks that each is of a type asked for.
func checkFound(t *testing.T, req *sdk.Request, q AttestationQuery, pa PartAttestations) {
	t.Helper()
	m, err := trust.NewMaterial(req.TrustRoot.Name, req.TrustRoot.TrustedRootJSON, req.TrustRoot.PublicKeysPEM)
	if err != nil {
		t.Fatal(err)
	}
	var ids []trust.Identity
	for _, id := range req.Identities {
		ids = append(ids, trust.Identity(id))
	}
	for _, f := range pa.Found {
		ev := f.Evidence
		if _, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: ev.Bundle, Digest: trust.Digest{Algorithm: ev.SubjectDigest.Algorithm, Hex: ev.SubjectDigest.Hex}, Identities: ids, MaxSize: sdk.MaxMessageSize}); err != nil {
			t.Errorf("%s: evidence %s does not verify: %v", pa.Name, ev.Source, err)
		}
		ok := false
		for _, want := range q.PredicateTypes {
			ok = ok || trust.PredicateTypeMatches(trust.ExpandPredicateType(want), f.PredicateType)
		}
		if !ok {
			t.Errorf("%s: found %s, not a type asked for", pa.Name, f.PredicateType)
		}
	}
}

// attachSBOMTag writes cosign's deprecated sha256-<hex>.sbom tag: an SPDX
// document as an unsigned layer.
func attachSBOMTag(t *testing.T, repo, digest string) {
	t.Helper()
	cfg := imagetest.PushBlob(t, repo, string(types.OCIConfigJSON), []byte(`{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}`))
	layer := imagetest.PushBlob(t, repo, "text/spdx+json", []byte(`{"spdxVersion":"SPDX-2.3","name":"unsigned"}`))
	raw, _ := json.Marshal(imagetest.Manifest{SchemaVersion: 2, MediaType: string(types.OCIManifestSchema1), Config: cfg, Layers: []imagetest.Descriptor{layer}})
	imagetest.PushManifest(t, repo+":"+imagetest.LegacyTag(digest, ".sbom"), string(types.OCIManifestSchema1), raw)
}

// pushOneImageCases pushes the images of TestAttestationsOneImage by tag,
// and returns their digests and the statements of those that must pass.
func pushOneImageCases(t *testing.T, e *env, repo string) (map[string]string, map[string][]byte) {
	t.Helper()
	images := map[string]string{}
	statements := map[string][]byte{}
	push := func(tag string) string {
		d := imagetest.PushRandom(t, repo+":"+tag)
		images[tag] = d
		return d
	}
	d := push("spdx-referrer")
	bundle, stmt := e.attestAs(t, signerSAN, d, spdx23Type)
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, d), bundle, spdx23Type, false)
	statements["spdx-referrer"] = stmt
	d = push("cyclonedx-att")
	e.legacyAtt(t, repo, d, cyclonedx15Type)
	statements["cyclonedx-att"] = statementFor(d, cyclonedx15Type)
	d = push("provenance")
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, d), e.attest(t, d, slsaType), slsaType, false)
	d = push("other-identity")
	bundle, _ = e.attestAs(t, otherSAN, d, spdx23Type)
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, d), bundle, spdx23Type, false)
	d = push("sbom-tag")
	attachSBOMTag(t, repo, d)
	d = push("provenance-and-sbom-tag")
	e.legacyAtt(t, repo, d, slsaType)
	attachSBOMTag(t, repo, d)
	return images, statements
}

// TestAttestationsOneImage: an image's SBOM attestations are found as
// referrers and in cosign's .att tag, verified, and returned with the
// statement exactly as signed; provenance only, an SBOM signed by another
// identity, or an unsigned SBOM in the .sbom tag fail and say why.
func TestAttestationsOneImage(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/sbom"
	images, statements := pushOneImageCases(t, e, repo)
	tests := []struct {
		tag      string
		pass     bool
		want     []string // in the reason (fail) or the checks (pass)
		unsigned int
	}{
		{tag: "spdx-referrer", pass: true, want: []string{spdx23Type + ": " + signerSAN}},
		{tag: "cyclonedx-att", pass: true, want: []string{cyclonedx15Type, "….att layer 1"}},
		{tag: "provenance", want: []string{"no " + spdxType + " or " + cyclonedxType + " attestation for " + images["provenance"], "found instead: " + slsaType, "referrers API"}},
		{tag: "other-identity", want: []string{"attestation for " + images["other-identity"] + " verifies", "expected " + signerSAN, "found " + otherSAN}},
		{tag: "sbom-tag", unsigned: 1, want: []string{"….sbom", "found an unsigned SBOM in cosign's deprecated .sbom tag", "never counts", "text/spdx+json"}},
		{tag: "provenance-and-sbom-tag", unsigned: 1, want: []string{"found instead: " + slsaType, "unsigned SBOM"}},
	}
	p := New()
	for _, tt := range tests {
		t.Run(tt.tag, func(t *testing.T) {
			req := e.request(t, nil, signerSAN)
			q := sbomQuery(repo+"@"+images[tt.tag], "")
			parts := attestations(t, p, req, q)
			if len(parts) != 1 || parts[0].Name != "" || parts[0].Digest != images[tt.tag] {
				t.Fatalf("parts %+v, want the one image %s", parts, images[tt.tag])
			}
			pa := parts[0]
			if len(pa.Unsigned) != tt.unsigned {
				t.Errorf("unsigned %q, want %d", pa.Unsigned, tt.unsigned)
			}
			if !wantPart(t, req, q, pa, tt.pass, tt.want...) {
				return
			}
			if f := pa.Found[0]; !bytes.Equal(f.Statement, statements[tt.tag]) || f.ViaIndex != "" || f.Evidence.SubjectDigest.String() != images[tt.tag] {
				t.Errorf("found %s bound to %s (via %q), want the signed %s bound to the image", f.Statement, f.Evidence.SubjectDigest, f.ViaIndex, statements[tt.tag])
			}
		})
	}
}

// wantPart checks one part's verdict: a pass with one attestation found,
// verifying as the host verifies it, and want in its checks; or a fail
// with none found and want in its reason. It reports whether the part
// passed as wanted.
func wantPart(t *testing.T, req *sdk.Request, q AttestationQuery, pa PartAttestations, pass bool, want ...string) bool {
	t.Helper()
	got, status := pa.Reason, sdk.StatusFail
	found := 0
	if pass {
		got, status, found = fmtChecks(pa.Checks), sdk.StatusPass, 1
	}
	if pa.Status != status || len(pa.Found) != found {
		t.Errorf("%q: %s with %d found, want %s with %d: %s", pa.Name, pa.Status, len(pa.Found), status, found, pa.Reason)
		return false
	}
	for _, s := range want {
		if !strings.Contains(got, s) {
			t.Errorf("%q: %q lacks %q", pa.Name, got, s)
		}
	}
	checkFound(t, req, q, pa)
	return pass
}

// fmtChecks renders checks one a line, for matching and messages.
func fmtChecks(cs []sdk.Check) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.Name + ": " + c.Detail + "\n")
	}
	return b.String()
}

// TestAttestationsQuery: a query that cannot be asked is an error; an
// image that cannot be looked up is a part with status error or fail.
func TestAttestationsQuery(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/q"
	digest := imagetest.PushRandom(t, repo+":v1")
	absent := imagetest.Digest([]byte("absent"))
	tests := []struct {
		name    string
		q       AttestationQuery
		offline bool
		err     string     // the error returned
		status  sdk.Status // else the one part's status
		reason  string
	}{
		{name: "tag", q: sbomQuery(repo+":v1", ""), err: "pinned by digest"},
		{name: "bad ref", q: sbomQuery("http://"+repo+"@"+digest, ""), err: "no scheme"},
		{name: "bad platforms", q: sbomQuery(repo+"@"+digest, "linux"), err: "not os/arch"},
		{name: "no predicate types", q: AttestationQuery{Ref: repo + "@" + digest}, err: "no predicate types"},
		{name: "bad github repository", q: AttestationQuery{Ref: repo + "@" + digest, PredicateTypes: []string{spdxType}, GitHubRepository: "x"}, err: "want owner/name"},
		{name: "offline network registry", q: sbomQuery("registry.example.com/x@"+digest, ""), offline: true, status: sdk.StatusError, reason: "--offline"},
		{name: "absent image with platforms", q: sbomQuery(repo+"@"+absent, "all"), status: sdk.StatusFail, reason: "needs the manifest"},
	}
	p := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := e.request(t, nil, signerSAN)
			req.Offline = tt.offline
			parts, _, err := p.Attestations(context.Background(), req, tt.q)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(parts) != 1 || parts[0].Status != tt.status || !strings.Contains(parts[0].Reason, tt.reason) {
				t.Fatalf("parts %+v, want one %s containing %q", parts, tt.status, tt.reason)
			}
		})
	}
}

// TestAttestationsPlatforms: each part of a multi-arch index needs an SBOM
// of its own: the index's does not cover its platforms, and the platform
// without one fails, naming itself and its digest.
func TestAttestationsPlatforms(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/multi"
	index, children := imagetest.PushIndex(t, repo+":1.4.0", "linux/amd64", "linux/arm64")
	for _, d := range []string{index, children["linux/amd64"]} {
		imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, d), e.attest(t, d, spdx23Type), spdx23Type, false)
	}
	tests := []struct {
		platforms string
		want      map[string]sdk.Status
	}{
		{"all", map[string]sdk.Status{"index": sdk.StatusPass, "linux/amd64": sdk.StatusPass, "linux/arm64": sdk.StatusFail}},
		{"linux/arm64", map[string]sdk.Status{"index": sdk.StatusPass, "linux/arm64": sdk.StatusFail}},
		{"linux/amd64", map[string]sdk.Status{"index": sdk.StatusPass, "linux/amd64": sdk.StatusPass}},
		{"index", map[string]sdk.Status{"": sdk.StatusPass}},
	}
	p := New()
	for _, tt := range tests {
		t.Run(tt.platforms, func(t *testing.T) {
			req := e.request(t, nil, signerSAN)
			q := sbomQuery(repo+"@"+index, tt.platforms)
			parts := attestations(t, p, req, q)
			got := map[string]sdk.Status{}
			for _, pa := range parts {
				got[pa.Name] = pa.Status
				wantDigest := children[pa.Name]
				if pa.Name == "index" || pa.Name == "" {
					wantDigest = index
				}
				if pa.Digest != wantDigest {
					t.Errorf("%s: digest %s, want %s", pa.Name, pa.Digest, wantDigest)
				}
				checkFound(t, req, q, pa)
				if pa.Status == sdk.StatusFail {
					for _, s := range []string{"linux/arm64: no ", children["linux/arm64"], "looked in: referrers API"} {
						if !strings.Contains(pa.Reason, s) {
							t.Errorf("%s: reason %q lacks %q", pa.Name, pa.Reason, s)
						}
					}
				}
			}
			if len(got) != len(tt.want) || len(parts) != len(tt.want) {
				t.Fatalf("parts %v, want %v", got, tt.want)
			}
			for name, st := range tt.want {
				if got[name] != st {
					t.Errorf("%q: %s, want %s", name, got[name], st)
				}
			}
		})
	}
}

// pushBuildKitCases pushes the BuildKit indexes of TestAttestationsBuildKit
// and returns their digests by how they are signed.
func pushBuildKitCases(t *testing.T, e *env, repo string, sbomFor func(string) []byte) map[string]string {
	t.Helper()
	signedIdx, children := imagetest.PushBuildKitIndex(t, repo, "signed", sbomFor, "linux/amd64", "linux/arm64")
	if len(children) != 2 {
		t.Fatalf("children %v", children)
	}
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, signedIdx), e.signStatement(t, signedIdx), CosignSignPredicate, false)
	legacyIdx, _ := imagetest.PushBuildKitIndex(t, repo, "legacy-signed", sbomFor, "linux/amd64")
	e.legacySig(t, repo, repo, legacyIdx)
	unsignedIdx, _ := imagetest.PushBuildKitIndex(t, repo, "unsigned", sbomFor, "linux/amd64")
	otherIdx, _ := imagetest.PushBuildKitIndex(t, repo, "other", sbomFor, "linux/amd64")
	other, err := e.ss.Attest(otherSAN, ghIssuer, imagetest.Statement("image", otherIdx, CosignSignPredicate, nil))
	if err != nil {
		t.Fatal(err)
	}
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, otherIdx), other, CosignSignPredicate, false)
	wrongIdx, _ := imagetest.PushBuildKitIndex(t, repo, "wrong-subject", func(string) []byte { return sbomFor(imagetest.Digest([]byte("another image"))) }, "linux/amd64")
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, wrongIdx), e.signStatement(t, wrongIdx), CosignSignPredicate, false)
	return map[string]string{"signed": signedIdx, "legacy": legacyIdx, "unsigned": unsignedIdx, "other": otherIdx, "wrong": wrongIdx}
}

// TestAttestationsBuildKit: a platform's unsigned BuildKit SBOM statement
// counts through the index's verified signature, and only then: not when
// the index is unsigned or signed by another identity, nor when the
// statement names another digest, nor for the index itself.
func TestAttestationsBuildKit(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/buildkit"
	sbomFor := func(d string) []byte {
		return imagetest.Statement("image", d, spdx23Type, map[string]any{"spdxVersion": "SPDX-2.3"})
	}
	idx := pushBuildKitCases(t, e, repo, sbomFor)
	tests := []struct {
		name      string
		index     string
		platforms string
		pass      bool
		want      []string // in the platform's check details (pass) or reason (fail)
	}{
		{name: "signed index", index: idx["signed"], platforms: "all", pass: true,
			want: []string{"BuildKit attestation manifest sha256:", "signed through the index " + short(idx["signed"]) + " signature"}},
		{name: "index signed in the .sig tag", index: idx["legacy"], platforms: "linux/amd64", pass: true, want: []string{"signed through the index"}},
		{name: "unsigned index", index: idx["unsigned"], platforms: "all",
			want: []string{"BuildKit attestations were found", "the index signature does not verify", "no signature for " + idx["unsigned"]}},
		{name: "index signed by another identity", index: idx["other"], platforms: "all",
			want: []string{"BuildKit attestations were found", "the index signature does not verify", "expected " + signerSAN}},
		{name: "statement about another digest", index: idx["wrong"], platforms: "all",
			want: []string{"subject mismatch", "the platform is sha256:", "found instead: https://slsa.dev/provenance/v0.2 (BuildKit)"}},
	}
	p := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := e.request(t, nil, signerSAN)
			q := sbomQuery(repo+"@"+tt.index, tt.platforms)
			parts := attestations(t, p, req, q)
			if len(parts) < 2 || parts[0].Name != "index" {
				t.Fatalf("parts %+v, want the index and its platforms", parts)
			}
			if parts[0].Status != sdk.StatusFail || len(parts[0].Found) != 0 {
				t.Errorf("the index itself: %s with %d found, want fail: BuildKit statements are not about it", parts[0].Status, len(parts[0].Found))
			}
			for _, pa := range parts[1:] {
				if !wantPart(t, req, q, pa, tt.pass, tt.want...) {
					continue
				}
				if f := pa.Found[0]; f.ViaIndex != tt.index || f.PredicateType != spdx23Type || !bytes.Equal(f.Statement, sbomFor(pa.Digest)) {
					t.Errorf("%s: found %s via %q: %s", pa.Name, f.PredicateType, f.ViaIndex, f.Statement)
				}
			}
		})
	}

	// With platforms = "index", BuildKit statements are not the index's.
	req := e.request(t, nil, signerSAN)
	parts := attestations(t, p, req, sbomQuery(repo+"@"+idx["signed"], "index"))
	if len(parts) != 1 || parts[0].Status != sdk.StatusFail || strings.Contains(parts[0].Reason, "BuildKit") {
		t.Errorf("platforms = index: %+v, want one failing part that ignores BuildKit", parts)
	}
}

// TestAttestationsGitHubAPI: an SBOM GitHub's attestation API keeps for
// the digest counts; the same statement also attached as a referrer is
// returned once; another repository has none.
func TestAttestationsGitHubAPI(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/gh"
	digest := imagetest.PushRandom(t, repo+":v1")
	twice := imagetest.PushRandom(t, repo+":twice")
	sbom, stmt := e.attestAs(t, signerSAN, digest, spdx23Type)
	sbomTwice, _ := e.attestAs(t, signerSAN, twice, spdx23Type)
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, twice), sbomTwice, spdx23Type, false)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b []byte
		switch r.URL.Path {
		case "/repos/vmafx/vmafx/attestations/" + digest:
			b = sbom
		case "/repos/vmafx/vmafx/attestations/" + twice:
			b = sbomTwice
		default:
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"attestations": []any{map[string]any{"bundle": json.RawMessage(b)}}})
	}))
	defer api.Close()
	t.Setenv(EnvGitHubAPI, api.URL)

	tests := []struct {
		name, ref, ghRepo string
		pass              bool
		source            string // of the one attestation found
		reason            string
	}{
		{name: "GitHub only", ref: repo + "@" + digest, ghRepo: "vmafx/vmafx", pass: true, source: "GitHub attestation 1 of vmafx/vmafx"},
		{name: "GitHub and referrer", ref: repo + "@" + twice, ghRepo: "vmafx/vmafx", pass: true, source: "referrer sha256:"},
		{name: "another repository", ref: repo + "@" + digest, ghRepo: "vmafx/other", reason: "GitHub attestations API"},
	}
	p := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := e.request(t, nil, signerSAN)
			q := sbomQuery(tt.ref, "")
			q.GitHubRepository = tt.ghRepo
			parts := attestations(t, p, req, q)
			if len(parts) != 1 {
				t.Fatalf("%d parts", len(parts))
			}
			if !wantPart(t, req, q, parts[0], tt.pass, tt.reason) {
				return
			}
			if f := parts[0].Found[0]; !strings.HasPrefix(f.Source, tt.source) || (tt.name == "GitHub only" && !bytes.Equal(f.Statement, stmt)) {
				t.Errorf("found %s in %s, want the signed statement %s in %s", f.Statement, f.Source, stmt, tt.source)
			}
		})
	}
}

// TestAttestationsLayout: offline, an OCI layout relative to the policy
// holds an image and an SBOM attestation attached as a referrer.
func TestAttestationsLayout(t *testing.T) {
	e := newEnv(t)
	policyDir := t.TempDir()
	empty := []byte("{}")
	emptyDesc := imagetest.Descriptor{MediaType: imagetest.EmptyMediaType, Digest: imagetest.Digest(empty), Size: 2}
	img, _ := json.Marshal(imagetest.Manifest{SchemaVersion: 2, MediaType: string(types.OCIManifestSchema1), Config: emptyDesc, Layers: []imagetest.Descriptor{}})
	digest := imagetest.Digest(img)
	bundle, stmt := e.attestAs(t, signerSAN, digest, spdx23Type)
	subject := imagetest.Descriptor{MediaType: string(types.OCIManifestSchema1), Digest: digest, Size: int64(len(img))}
	ref, _ := json.Marshal(imagetest.Manifest{SchemaVersion: 2, MediaType: string(types.OCIManifestSchema1), ArtifactType: imagetest.BundleMediaType, Config: emptyDesc,
		Layers: []imagetest.Descriptor{{MediaType: imagetest.BundleMediaType, Digest: imagetest.Digest(bundle), Size: int64(len(bundle))}}, Subject: &subject})
	imagetest.WriteLayout(t, policyDir+"/layout", [][]byte{empty, img, bundle, ref},
		imagetest.Descriptor{MediaType: subject.MediaType, Digest: digest, Size: subject.Size, Annotations: map[string]string{"org.opencontainers.image.ref.name": "v1"}},
		imagetest.Descriptor{MediaType: string(types.OCIManifestSchema1), Digest: imagetest.Digest(ref), Size: int64(len(ref)), ArtifactType: imagetest.BundleMediaType})

	tests := []struct {
		name  string
		types []string
		pass  bool
	}{
		{"spdx", []string{"spdxjson"}, true},
		{"cyclonedx only", []string{"cyclonedx"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := e.request(t, nil, signerSAN)
			req.Offline, req.PolicyDir = true, policyDir
			q := AttestationQuery{Ref: "oci-layout://layout@" + digest, PredicateTypes: tt.types}
			parts := attestations(t, New(), req, q)
			if len(parts) != 1 {
				t.Fatalf("%d parts", len(parts))
			}
			pa := parts[0]
			if !tt.pass {
				if pa.Status != sdk.StatusFail || !strings.Contains(pa.Reason, "found instead: "+spdx23Type) {
					t.Errorf("%s %q, want fail naming %s", pa.Status, pa.Reason, spdx23Type)
				}
				return
			}
			if pa.Status != sdk.StatusPass || len(pa.Found) != 1 || !bytes.Equal(pa.Found[0].Statement, stmt) {
				t.Fatalf("%s %q with %d found", pa.Status, pa.Reason, len(pa.Found))
			}
			checkFound(t, req, q, pa)
		})
	}
}
