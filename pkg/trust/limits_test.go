package trust_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// padTo prefixes doc with spaces (valid JSON whitespace) to n bytes.
func padTo(doc []byte, n int) []byte {
	return append(bytes.Repeat([]byte(" "), n-len(doc)), doc...)
}

// TestBundleSizeLimits: each reader takes the bound it is given (0: the
// default), refuses one byte more, and refuses bounds outside 1 to
// MaxBundleSizeLimit; an attestation larger than the default bound verifies
// under the attestation bound.
func TestBundleSizeLimits(t *testing.T) {
	e := testEnv(t)
	m := mustMaterial(t, "ts", e.rootJSON)
	subject := sha256Digest(e.attested)
	id := trust.Identity{Name: "release", Subject: tsGHSubject, Issuer: tsGHIssuer}
	envelope, certPEM, rekorBundle := legacyPieces(t, e.attestBundle)
	legacyDoc := legacyAttestJSON(t, envelope, certPEM, rekorBundle)

	readers := map[string]struct {
		doc  []byte
		read func(doc []byte, maxSize int) error
	}{
		"PeekBundleWithin": {e.attestBundle, func(doc []byte, maxSize int) error {
			_, err := trust.PeekBundleWithin(doc, maxSize)
			return err
		}},
		"VerifyBundle": {e.attestBundle, func(doc []byte, maxSize int) error {
			_, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: doc, Digest: subject, Identities: []trust.Identity{id}, MaxSize: maxSize})
			return err
		}},
		"BundleFromLegacyWithin": {legacyDoc, func(doc []byte, maxSize int) error {
			_, err := trust.BundleFromLegacyWithin(doc, subject, maxSize)
			return err
		}},
		"BundleFromDetached envelope": {envelope, func(doc []byte, maxSize int) error {
			_, err := trust.BundleFromDetached(trust.Detached{DSSEEnvelope: doc, CertificatePEM: certPEM, RekorBundleJSON: rekorBundle, MaxSize: maxSize}, subject)
			return err
		}},
	}
	for name, r := range readers {
		limit := len(r.doc) + 1000
		tests := []struct {
			name    string
			size    int // padded to; 0: as is
			maxSize int
			wantErr string
		}{
			{name: "at the bound", size: limit, maxSize: limit},
			{name: "one byte over", size: limit + 1, maxSize: limit, wantErr: fmt.Sprintf("bytes, more than the %d allowed", limit)},
			{name: "default bound", maxSize: 0},
			{name: "over the default bound", size: trust.MaxBundleSize + 1, maxSize: 0, wantErr: fmt.Sprintf("more than the %d allowed", trust.MaxBundleSize)},
			{name: "negative bound", maxSize: -1, wantErr: "is not between 1 and"},
			{name: "bound over the limit", maxSize: trust.MaxBundleSizeLimit + 1, wantErr: "is not between 1 and"},
		}
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				doc := r.doc
				if tt.size > 0 {
					doc = padTo(doc, tt.size)
				}
				err := r.read(doc, tt.maxSize)
				if tt.wantErr != "" {
					wantErrContains(t, err, tt.wantErr)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
			})
		}
	}

	// Past the default bound, within the attestation bound: verifies.
	big := padTo(e.attestBundle, trust.MaxBundleSize+1)
	if _, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: big, Digest: subject, Identities: []trust.Identity{id}, MaxSize: trust.MaxAttestationBundleSize}); err != nil {
		t.Errorf("a %d-byte attestation under MaxAttestationBundleSize: %v", len(big), err)
	}
	bigLegacy := padTo(legacyDoc, trust.MaxBundleSize+1)
	b, err := trust.BundleFromLegacyWithin(bigLegacy, subject, trust.MaxAttestationBundleSize)
	if err != nil {
		t.Fatalf("a %d-byte legacy attestation under MaxAttestationBundleSize: %v", len(bigLegacy), err)
	}
	if _, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: b, Digest: subject, Identities: []trust.Identity{id}}); err != nil {
		t.Errorf("converted: %v", err)
	}
	if _, err := trust.BundleFromLegacy(bigLegacy, subject); err == nil {
		t.Error("BundleFromLegacy read past MaxBundleSize")
	}
}
