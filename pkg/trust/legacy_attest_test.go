package trust_test

import (
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// legacyAttestJSON writes what `cosign attest-blob --bundle` writes without
// --new-bundle-format: the whole DSSE envelope, base64, as base64Signature;
// the certificate as base64 of PEM; the Rekor entry as cosign's rekor
// bundle (omitted when empty).
func legacyAttestJSON(t testing.TB, envelope, certPEM, rekorBundle []byte) []byte {
	t.Helper()
	doc := map[string]any{"base64Signature": base64.StdEncoding.EncodeToString(envelope)}
	if len(certPEM) > 0 {
		doc["cert"] = base64.StdEncoding.EncodeToString(certPEM)
	}
	if len(rekorBundle) > 0 {
		doc["rekorBundle"] = json.RawMessage(rekorBundle)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editEnvelope decodes a DSSE envelope (JSON), lets edit change it, and
// encodes it again.
func editEnvelope(t *testing.T, envelope []byte, edit func(env map[string]any)) []byte {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(envelope, &env); err != nil {
		t.Fatal(err)
	}
	edit(env)
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flipB64 flips one bit in the middle of the bytes a base64 string encodes.
func flipB64(t *testing.T, s string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x01
	return base64.StdEncoding.EncodeToString(raw)
}

// setEntryKind rewrites the kind of the Rekor entry in cosign's rekor
// bundle (which breaks its signed entry timestamp too).
func setEntryKind(t *testing.T, rekorBundle []byte, kind string) []byte {
	t.Helper()
	var rb map[string]any
	if err := json.Unmarshal(rekorBundle, &rb); err != nil {
		t.Fatal(err)
	}
	payload := rb["Payload"].(map[string]any)
	raw, err := base64.StdEncoding.DecodeString(payload["body"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	body["kind"] = kind
	raw, _ = json.Marshal(body)
	payload["body"] = base64.StdEncoding.EncodeToString(raw)
	out, _ := json.Marshal(rb)
	return out
}

// TestBundleFromLegacyAttestBlob: cosign's legacy attest-blob bundle (the
// DSSE envelope in base64Signature, a dsse Rekor entry) converts to a v0.1
// bundle holding the envelope, which verifies bound to the statement's
// subject; any byte of the envelope or a Rekor entry that does not record it
// makes it fail, in the conversion or in verification.
//
// It runs on a small statement and on one whose base64 exceeds what the
// converter and the bundle parser decode through their fast paths.
func TestBundleFromLegacyAttestBlob(t *testing.T) {
	e := testEnv(t)
	subject := sha256Digest(e.attested)
	padded := strings.Replace(string(inTotoStatement("vmaf", subject, e.attestPredType)),
		`"buildDefinition":`, `"padding":"`+strings.Repeat("0123456789", 20_000)+`","buildDefinition":`, 1)
	large, err := e.s.Attest(tsGHSubject, tsGHIssuer, []byte(padded))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		bundle []byte
	}{{"small statement", e.attestBundle}, {"large statement", large}} {
		t.Run(c.name, func(t *testing.T) { testBundleFromLegacyAttestBlob(t, e, c.bundle, subject) })
	}
}

func testBundleFromLegacyAttestBlob(t *testing.T, e *tsEnv, attestBundle []byte, subject trust.Digest) {
	m := mustMaterial(t, "ts", e.rootJSON)
	envelope, certPEM, rekorBundle := legacyPieces(t, attestBundle)
	id := trust.Identity{Name: "release", Subject: tsGHSubject, Issuer: tsGHIssuer}

	// Material of other signatures by the same signer: a sign-blob (a
	// hashedrekord entry) and another attestation (a dsse entry recording
	// another envelope).
	_, _, blobRekor := legacyPieces(t, e.blobBundle)
	blobSig, err := splitSignature(e.blobBundle)
	if err != nil {
		t.Fatal(err)
	}
	otherBundle, err := e.s.Attest(tsGHSubject, tsGHIssuer, inTotoStatement("vmaf", subject, "https://spdx.dev/Document/v2.3"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, otherRekor := legacyPieces(t, otherBundle)

	tests := []struct {
		name string
		doc  []byte
		// digest the bundle must bind (default: the subject).
		digest *trust.Digest
		// convertErr: the conversion refuses it, naming this; otherwise
		// verifyErr: verification fails naming this ("" = must pass).
		convertErr, verifyErr string
	}{
		{name: "intact", doc: legacyAttestJSON(t, envelope, certPEM, rekorBundle)},
		{name: "certificate as plain PEM", doc: func() []byte {
			var d map[string]any
			_ = json.Unmarshal(legacyAttestJSON(t, envelope, nil, rekorBundle), &d)
			d["cert"] = string(certPEM)
			b, _ := json.Marshal(d)
			return b
		}()},
		{name: "another digest", doc: legacyAttestJSON(t, envelope, certPEM, rekorBundle), digest: &trust.Digest{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}, verifyErr: "digest"},
		{name: "payload changed", doc: legacyAttestJSON(t, editEnvelope(t, envelope, func(env map[string]any) {
			env["payload"] = flipB64(t, env["payload"].(string))
		}), certPEM, rekorBundle), convertErr: "payload hash"},
		{name: "payload changed to name another subject", doc: legacyAttestJSON(t, editEnvelope(t, envelope, func(env map[string]any) {
			env["payload"] = base64.StdEncoding.EncodeToString(inTotoStatement("vmaf", sha256Digest([]byte("evil")), e.attestPredType))
		}), certPEM, rekorBundle), digest: ptr(sha256Digest([]byte("evil"))), convertErr: "payload hash"},
		{name: "payload type changed", doc: legacyAttestJSON(t, editEnvelope(t, envelope, func(env map[string]any) {
			env["payloadType"] = "application/json"
		}), certPEM, rekorBundle), verifyErr: "signature"},
		{name: "signature changed", doc: legacyAttestJSON(t, editEnvelope(t, envelope, func(env map[string]any) {
			sig := env["signatures"].([]any)[0].(map[string]any)
			sig["sig"] = flipB64(t, sig["sig"].(string))
		}), certPEM, rekorBundle), verifyErr: "signature"},
		{name: "entry kind swapped to hashedrekord", doc: legacyAttestJSON(t, envelope, certPEM, setEntryKind(t, rekorBundle, "hashedrekord")), convertErr: "hashedrekord entry, which does not record a DSSE envelope"},
		{name: "a sign-blob's hashedrekord entry", doc: legacyAttestJSON(t, envelope, certPEM, blobRekor), convertErr: "hashedrekord entry, which does not record a DSSE envelope"},
		{name: "another attestation's dsse entry", doc: legacyAttestJSON(t, envelope, certPEM, otherRekor), convertErr: "the entry is for another envelope"},
		{name: "a plain signature with a dsse entry", doc: func() []byte {
			b, _ := json.Marshal(map[string]any{"base64Signature": blobSig, "cert": base64.StdEncoding.EncodeToString(certPEM), "rekorBundle": json.RawMessage(rekorBundle)})
			return b
		}(), convertErr: "dsse entry, which does not record a signature over a digest"},
		{name: "JSON that is no DSSE envelope", doc: legacyAttestJSON(t, []byte(`{"payload":"e30="}`), certPEM, rekorBundle), convertErr: "DSSE envelope has no payloadType"},
		{name: "no Rekor entry", doc: legacyAttestJSON(t, envelope, certPEM, nil), verifyErr: "transparency log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !trust.IsLegacyBlobBundle(tt.doc) {
				t.Fatal("not recognised as cosign's legacy bundle")
			}
			digest := subject
			if tt.digest != nil {
				digest = *tt.digest
			}
			b, err := trust.BundleFromLegacy(tt.doc, digest)
			if tt.convertErr != "" {
				wantErrContains(t, err, tt.convertErr)
				return
			}
			if err != nil {
				t.Fatalf("conversion: %v", err)
			}
			claims, err := trust.PeekBundle(b)
			if err != nil {
				t.Fatal(err)
			}
			if claims.Envelope == nil || claims.MediaType != "application/vnd.dev.sigstore.bundle+json;version=0.1" {
				t.Fatalf("converted to %s with envelope %v, want a v0.1 DSSE bundle", claims.MediaType, claims.Envelope != nil)
			}
			out, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: b, Digest: digest, Identities: []trust.Identity{id}})
			if tt.verifyErr != "" {
				wantErrContains(t, err, tt.verifyErr)
				return
			}
			if err != nil {
				t.Fatalf("does not verify: %v", err)
			}
			if out.PredicateType != e.attestPredType || !hasPrefixIn(out.TimeSources, "Tlog ") {
				t.Errorf("predicate type %q, time sources %v", out.PredicateType, out.TimeSources)
			}
		})
	}
}

// splitSignature is the base64 message signature of a sign-blob bundle.
func splitSignature(bundleJSON []byte) (string, error) {
	var b struct {
		MessageSignature struct {
			Signature []byte `json:"signature"`
		} `json:"messageSignature"`
	}
	if err := json.Unmarshal(bundleJSON, &b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b.MessageSignature.Signature), nil
}

func ptr[T any](v T) *T { return &v }

// TestBundleFromLegacyAttestBlobReal: the three real `cosign attest-blob
// --bundle` files of the SBOM fixtures (keyless public-good, Rekor dsse
// entries) verify bound to their wheel's digest, as the predicate type they
// state; against another digest, another signer, the staging root, or with
// the other release's Rekor entry or certificate, they fail.
func TestBundleFromLegacyAttestBlobReal(t *testing.T) {
	dir := realfixtures.Dir(t)
	const (
		v401    = "sha256:f7d810ba24b6f953614c0e029cd6d408a84d722035ad5b0a4fb9359039c38c83"
		v400    = "sha256:4a8b9c7637265522e831381e75c05e68cc799fa2b94d67b611789b72dd04c21c"
		cdx     = "https://cyclonedx.org/bom"
		custom  = "https://cosign.sigstore.dev/attestation/v1"
		bundles = "sbom/wp732-ssc_assignment_1/"
	)
	good := mustMaterial(t, "public-good", readFixture(t, dir, filepath.Join("trusted-roots", "sigstore-public-good.json")))
	staging := mustMaterial(t, "staging", readFixture(t, dir, filepath.Join("trusted-roots", "sigstore-staging.json")))
	signer := trust.Identity{Name: "wp732", Subject: "wp732@nyu.edu", Issuer: "https://github.com/login/oauth"}
	legacy := func(file string) map[string]json.RawMessage {
		var d map[string]json.RawMessage
		if err := json.Unmarshal(readFixture(t, dir, bundles+file), &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	mix := func(base, from, field string) []byte {
		d := legacy(base)
		d[field] = legacy(from)[field]
		b, _ := json.Marshal(d)
		return b
	}
	tests := []struct {
		name       string
		doc        []byte
		digest     string
		m          *trust.Material
		id         *trust.Identity
		wantPred   string
		convertErr string
		verifyErr  string
	}{
		{name: "cdx 4.0.1", doc: readFixture(t, dir, bundles+"sbom-attestation.bundle"), digest: v401, wantPred: cdx},
		{name: "cdx 4.0.0", doc: readFixture(t, dir, bundles+"sbom-attestation.v4.0.0.bundle"), digest: v400, wantPred: cdx},
		{name: "custom 4.0.0", doc: readFixture(t, dir, bundles+"wp732-rekor-tools_attest.custom.bundle"), digest: v400, wantPred: custom},
		{name: "cdx 4.0.1 for the 4.0.0 wheel", doc: readFixture(t, dir, bundles+"sbom-attestation.bundle"), digest: v400, verifyErr: "digest"},
		{name: "cdx 4.0.1, another signer", doc: readFixture(t, dir, bundles+"sbom-attestation.bundle"), digest: v401,
			id: &trust.Identity{Name: "release", Subject: "release@example.com", Issuer: "https://github.com/login/oauth"}, verifyErr: "subject"},
		{name: "cdx 4.0.1, staging root", doc: readFixture(t, dir, bundles+"sbom-attestation.bundle"), digest: v401, m: staging, verifyErr: "transparency log"},
		{name: "cdx 4.0.1 with 4.0.0's Rekor entry", doc: mix("sbom-attestation.bundle", "sbom-attestation.v4.0.0.bundle", "rekorBundle"), digest: v401, convertErr: "the entry is for another envelope"},
		{name: "cdx 4.0.1 with 4.0.0's certificate", doc: mix("sbom-attestation.bundle", "sbom-attestation.v4.0.0.bundle", "cert"), digest: v401, verifyErr: "certificate does not match"},
		{name: "cdx 4.0.1 with the custom envelope", doc: mix("sbom-attestation.bundle", "wp732-rekor-tools_attest.custom.bundle", "base64Signature"), digest: v400, convertErr: "the entry is for another envelope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := trust.ParseDigest(tt.digest)
			if err != nil {
				t.Fatal(err)
			}
			b, err := trust.BundleFromLegacy(tt.doc, d)
			if tt.convertErr != "" {
				wantErrContains(t, err, tt.convertErr)
				return
			}
			if err != nil {
				t.Fatalf("conversion: %v", err)
			}
			m, id := good, signer
			if tt.m != nil {
				m = tt.m
			}
			if tt.id != nil {
				id = *tt.id
			}
			out, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: b, Digest: d, Identities: []trust.Identity{id}})
			if tt.verifyErr != "" {
				wantErrContains(t, err, tt.verifyErr)
				return
			}
			if err != nil {
				t.Fatalf("does not verify: %v", err)
			}
			if out.PredicateType != tt.wantPred || out.Signer.Subject != "wp732@nyu.edu" || !hasPrefixIn(out.TimeSources, "Tlog 2025-11-") {
				t.Errorf("predicate type %q, signer %+v, time sources %v", out.PredicateType, out.Signer, out.TimeSources)
			}
		})
	}
}
