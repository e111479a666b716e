package trust

import (
	"testing"
)

// FuzzParseBundle: arbitrary bytes never panic the bundle parser or the
// legacy converters.
func FuzzParseBundle(f *testing.F) {
	for _, seed := range []string{
		`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`,
		`{"base64Signature":"MEUCIQ==","cert":"","rekorBundle":{"SignedEntryTimestamp":"AA==","Payload":{"body":"e30=","integratedTime":1,"logIndex":1,"logID":"00"}}}`,
		`{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":[]}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	d := Digest{Algorithm: "sha256", Hex: "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseBundle(data)
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
