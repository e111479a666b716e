package trust_test

import (
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
	"github.com/vmafx/vmafx-trust/internal/testsigstore"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// legacyPieces splits a testsigstore bundle into what cosign stores in an
// `.att` layer: the DSSE envelope as JSON, the certificate as PEM and the
// tlog entry as cosign's rekor bundle.
func legacyPieces(t testing.TB, bundleJSON []byte) (envelope, certPEM, rekorBundle []byte) {
	t.Helper()
	l, err := testsigstore.SplitLegacy(bundleJSON)
	if err != nil {
		t.Fatal(err)
	}
	return l.Envelope, []byte(l.Certificate), []byte(l.RekorBundle)
}

// TestBundleFromDetachedDSSE: an attestation taken apart into cosign's
// legacy `.att` pieces and reassembled verifies, bound to the statement's
// subject; another digest, a changed payload or a wrong signer fails.
func TestBundleFromDetachedDSSE(t *testing.T) {
	e := testEnv(t)
	m := mustMaterial(t, "ts", e.rootJSON)
	envelope, certPEM, rekorBundle := legacyPieces(t, e.attestBundle)
	subject := sha256Digest(e.attested)
	id := trust.Identity{Name: "release", Subject: tsGHSubject, Issuer: tsGHIssuer}

	b, err := trust.BundleFromDetached(trust.Detached{DSSEEnvelope: envelope, CertificatePEM: certPEM, RekorBundleJSON: rekorBundle}, subject)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"dsseEnvelope"`) || !strings.Contains(string(b), "version=0.1") {
		t.Fatalf("not a v0.1 DSSE bundle: %s", b)
	}
	out, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: b, Digest: subject, Identities: []trust.Identity{id}})
	if err != nil {
		t.Fatalf("reassembled attestation does not verify: %v", err)
	}
	if out.PredicateType != e.attestPredType {
		t.Errorf("predicate type %q, want %q", out.PredicateType, e.attestPredType)
	}

	// Another digest is not a subject of the statement.
	_, err = trust.VerifyBundle(m, trust.BundleCheck{Bundle: b, Digest: sha256Digest([]byte("other")), Identities: []trust.Identity{id}})
	wantErrContains(t, err, "digest")

	// A changed payload breaks the signature (and the tlog entry).
	var env map[string]any
	_ = json.Unmarshal(envelope, &env)
	payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	payload[len(payload)/2] ^= 0x01
	env["payload"] = base64.StdEncoding.EncodeToString(payload)
	tampered, _ := json.Marshal(env)
	tb, err := trust.BundleFromDetached(trust.Detached{DSSEEnvelope: tampered, CertificatePEM: certPEM, RekorBundleJSON: rekorBundle}, subject)
	if err == nil {
		_, err = trust.VerifyBundle(m, trust.BundleCheck{Bundle: tb, Digest: subject, Identities: []trust.Identity{id}})
	}
	if err == nil {
		t.Error("tampered payload verified")
	}

	// Wrong signer identity.
	_, err = trust.VerifyBundle(m, trust.BundleCheck{Bundle: b, Digest: subject, Identities: []trust.Identity{{Name: "other", Subject: "https://github.com/evil/x/.github/workflows/r.yml@refs/heads/main", Issuer: tsGHIssuer}}})
	wantErrContains(t, err, "subject")
}

func TestBundleFromDetachedDSSERejectsBadEnvelopes(t *testing.T) {
	d := trust.Digest{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	for name, env := range map[string]string{
		"not JSON":        `{`,
		"no payloadType":  `{"payload":"e30=","signatures":[{"sig":"AAAA"}]}`,
		"empty payload":   `{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":[{"sig":"AAAA"}]}`,
		"no signatures":   `{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`,
		"bad sig base64":  `{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"!!"}]}`,
		"bad payload b64": `{"payloadType":"application/vnd.in-toto+json","payload":"!!","signatures":[{"sig":"AAAA"}]}`,
	} {
		if _, err := trust.BundleFromDetached(trust.Detached{DSSEEnvelope: []byte(env)}, d); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestBundleFromDetachedDSSERealAtt: the `.att` layer of a real keyless
// cosign attestation (slsa-github-generator's container generator, public
// good, Rekor dsse entry) verifies through the converter against its image
// index digest, and not against another digest.
func TestBundleFromDetachedDSSERealAtt(t *testing.T) {
	dir := realfixtures.Dir(t)
	layout := filepath.Join("cosign-legacy", "slsa-container-v2.1.0", "oci-layout", "blobs", "sha256")
	var manifest struct {
		Layers []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(readFixture(t, dir, filepath.Join(layout, "21454caf3a160dfbe6359f0501aa8401c6c0f2c7a8b71380ea21f8c4b48b64fe")), &manifest); err != nil {
		t.Fatal(err)
	}
	l := manifest.Layers[0]
	envelope := readFixture(t, dir, filepath.Join(layout, strings.TrimPrefix(l.Digest, "sha256:")))
	det := trust.Detached{
		DSSEEnvelope:    envelope,
		CertificatePEM:  []byte(l.Annotations["dev.sigstore.cosign/certificate"]),
		ChainPEM:        []byte(l.Annotations["dev.sigstore.cosign/chain"]),
		RekorBundleJSON: []byte(l.Annotations["dev.sigstore.cosign/bundle"]),
	}
	index := trust.Digest{Algorithm: "sha256", Hex: "234e2c830c2fb31ac5671789d22adfe44d30c3ee831d01beae5e237841a13122"}
	b, err := trust.BundleFromDetached(det, index)
	if err != nil {
		t.Fatal(err)
	}
	m := mustMaterial(t, "public-good", readFixture(t, dir, filepath.Join("trusted-roots", "sigstore-public-good.json")))
	id := trust.Identity{
		Name:       "generator",
		Subject:    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0",
		Issuer:     "https://token.actions.githubusercontent.com",
		Extensions: map[string]string{"source_repository_uri": "https://github.com/slsa-framework/example-package"},
	}
	out, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: b, Digest: index, Identities: []trust.Identity{id}})
	if err != nil {
		t.Fatalf("real .att layer does not verify: %v", err)
	}
	if out.PredicateType != "https://slsa.dev/provenance/v0.2" || !hasPrefixIn(out.TimeSources, "Tlog ") {
		t.Errorf("predicate %q, time sources %v", out.PredicateType, out.TimeSources)
	}
	child := trust.Digest{Algorithm: "sha256", Hex: "d1fc0de9c6a33e502c488221644de1736c53d8ddb59b0e41b4946fb26af50e69"}
	if _, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: b, Digest: child, Identities: []trust.Identity{id}}); err == nil {
		t.Error("verified against a digest that is not the statement's subject")
	}
}
