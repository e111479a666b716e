package trust

import (
	"testing"
)

// FuzzParseBundle: arbitrary bytes never panic the bundle parser, the
// plugins' PeekBundle or the legacy converters, and a bundle the full parser
// accepts reads the same through PeekBundle.
func FuzzParseBundle(f *testing.F) {
	for _, seed := range []string{
		`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`,
		`{"base64Signature":"MEUCIQ==","cert":"","rekorBundle":{"SignedEntryTimestamp":"AA==","Payload":{"body":"e30=","integratedTime":1,"logIndex":1,"logID":"00"}}}`,
		`{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":[]}`,
		// cosign attest-blob's legacy bundle: the DSSE envelope in base64Signature.
		`{"base64Signature":"eyJwYXlsb2FkVHlwZSI6ImFwcGxpY2F0aW9uL3ZuZC5pbi10b3RvK2pzb24iLCJwYXlsb2FkIjoiZTMwPSIsInNpZ25hdHVyZXMiOlt7InNpZyI6Ik1FVUNJUT09In1dfQ==","rekorBundle":{"SignedEntryTimestamp":"AA==","Payload":{"body":"eyJraW5kIjoiZHNzZSIsImFwaVZlcnNpb24iOiIwLjAuMSJ9","integratedTime":1,"logIndex":1,"logID":"00"}}}`,
		`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"messageSignature":{"signature":"AA=="}}`,
		`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AA=="},"signature":"AA=="}}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	d := Digest{Algorithm: "sha256", Hex: "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, parseErr := ParseBundle(data)
		c, peekErr := PeekBundle(data)
		if peekErr == nil {
			_, _ = c.Statement()
		}
		// PeekBundle is stricter in one place: a message signature must name
		// its digest (sigstore-go leaves that to verification, which fails).
		noDigest := parseErr == nil && b.GetMessageSignature() != nil && b.GetMessageSignature().GetMessageDigest() == nil
		if parseErr == nil && !noDigest {
			if peekErr != nil {
				t.Fatalf("ParseBundle accepts what PeekBundle refuses: %v", peekErr)
			}
			if c.MediaType != b.GetMediaType() || (c.MessageDigest != nil) != (b.GetMessageSignature() != nil) || (c.Envelope != nil) != (b.GetDsseEnvelope() != nil) {
				t.Fatalf("PeekBundle %+v disagrees with ParseBundle", c)
			}
		}
		if IsLegacyBlobBundle(data) {
			if b, err := BundleFromLegacy(data, d); err == nil {
				if _, err := ParseBundle(b); err != nil {
					t.Fatalf("converted legacy bundle does not parse: %v", err)
				}
			}
		}
		_, _ = BundleFromDetached(Detached{Signature: data, CertificatePEM: data}, d)
	})
}
