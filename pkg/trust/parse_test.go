package trust_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/testsigstore"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

func decodeStdB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
func encodeStdB64(b []byte) string          { return base64.StdEncoding.EncodeToString(b) }

// withMediaType returns the bundle JSON with its mediaType replaced.
func withMediaType(t *testing.T, bundleJSON []byte, mediaType string) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(bundleJSON, &doc); err != nil {
		t.Fatal(err)
	}
	doc["mediaType"] = mediaType
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// editBundle returns the bundle JSON after f changed it.
func editBundle(t *testing.T, bundleJSON []byte, f func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(bundleJSON, &doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func firstEntry(doc map[string]any) map[string]any {
	return doc["verificationMaterial"].(map[string]any)["tlogEntries"].([]any)[0].(map[string]any)
}

// withoutEntryField drops a field of the first log entry and, unless
// mediaType is "", sets the media type.
func withoutEntryField(t *testing.T, bundleJSON []byte, field, mediaType string) []byte {
	t.Helper()
	return editBundle(t, bundleJSON, func(doc map[string]any) {
		delete(firstEntry(doc), field)
		if mediaType != "" {
			doc["mediaType"] = mediaType
		}
	})
}

// withEntryBody replaces the first log entry's canonicalized body (base64).
func withEntryBody(t *testing.T, bundleJSON []byte, body string) []byte {
	t.Helper()
	return editBundle(t, bundleJSON, func(doc map[string]any) { firstEntry(doc)["canonicalizedBody"] = body })
}

// withCertificateChain turns the bundle's certificate into a one-certificate
// chain, which v0.3 bundles may not carry.
func withCertificateChain(t *testing.T, bundleJSON []byte) []byte {
	t.Helper()
	return editBundle(t, bundleJSON, func(doc map[string]any) {
		vm := doc["verificationMaterial"].(map[string]any)
		cert := vm["certificate"]
		delete(vm, "certificate")
		vm["x509CertificateChain"] = map[string]any{"certificates": []any{cert}}
	})
}

func TestParseBundle(t *testing.T) {
	e := testEnv(t)
	// A syntactically valid bundle padded with spaces past the limit.
	oversize := append(bytes.Repeat([]byte(" "), trust.MaxBundleSize+1-len(e.blobBundle)), e.blobBundle...)
	atLimit := append(bytes.Repeat([]byte(" "), trust.MaxBundleSize-len(e.blobBundle)), e.blobBundle...)

	tests := []struct {
		name          string
		data          []byte
		wantErr       string // "" : must parse
		wantMediaType string
	}{
		{name: "message signature bundle", data: e.blobBundle, wantMediaType: testsigstore.BundleMediaType},
		{name: "dsse bundle", data: e.attestBundle, wantMediaType: testsigstore.BundleMediaType},
		{name: "key bundle", data: e.keyBundle, wantMediaType: testsigstore.BundleMediaType},
		{name: "exactly MaxBundleSize", data: atLimit, wantMediaType: testsigstore.BundleMediaType},
		{name: "unknown fields are ignored", data: append([]byte(`{"vmafxExtra":1,`), e.blobBundle[1:]...), wantMediaType: testsigstore.BundleMediaType},
		{name: "nil", data: nil, wantErr: "bundle is empty"},
		{name: "empty", data: []byte{}, wantErr: "bundle is empty"},
		{name: "MaxBundleSize+1", data: oversize, wantErr: "more than the"},
		{name: "not JSON", data: []byte("-----BEGIN CERTIFICATE-----"), wantErr: "not valid Sigstore bundle JSON"},
		{name: "JSON array", data: []byte(`[1,2]`), wantErr: "not valid Sigstore bundle JSON"},
		{name: "empty object", data: []byte(`{}`), wantErr: "invalid bundle"},
		{name: "unknown media type", data: withMediaType(t, e.blobBundle, "application/vnd.example.bundle+json"), wantErr: "invalid bundle"},
		{name: "future bundle version", data: withMediaType(t, e.blobBundle, "application/vnd.dev.sigstore.bundle.v9.9+json"), wantErr: "invalid bundle"},
		{name: "media type missing", data: withMediaType(t, e.blobBundle, ""), wantErr: "invalid bundle"},
		// The rules on log entries (applied after NewBundle validated the rest).
		{name: "v0.3 entry with a promise but no proof", data: withoutEntryField(t, e.blobBundle, "inclusionProof", ""), wantErr: "inclusion proof missing"},
		{name: "v0.2 entry with a promise but no proof", data: withoutEntryField(t, e.blobBundle, "inclusionProof", "application/vnd.dev.sigstore.bundle+json;version=0.2"), wantErr: "inclusion proof missing"},
		{name: "v0.1 entry with a proof but no promise", data: withoutEntryField(t, e.blobBundle, "inclusionPromise", "application/vnd.dev.sigstore.bundle+json;version=0.1"), wantErr: "inclusion promises missing"},
		{name: "v0.1 entry with a promise but no proof", data: withoutEntryField(t, e.blobBundle, "inclusionProof", "application/vnd.dev.sigstore.bundle+json;version=0.1"), wantMediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1"},
		{name: "v0.1.0 entry with a proof but no promise", data: withoutEntryField(t, e.blobBundle, "inclusionPromise", "application/vnd.dev.sigstore.bundle.v0.1.0+json"), wantErr: "inclusion promises missing"},
		{name: "v0.1.0 entry with a promise but no proof", data: withoutEntryField(t, e.blobBundle, "inclusionProof", "application/vnd.dev.sigstore.bundle.v0.1.0+json"), wantMediaType: "application/vnd.dev.sigstore.bundle.v0.1.0+json"},
		{name: "v0.3 entry with a proof but no promise", data: withoutEntryField(t, e.blobBundle, "inclusionPromise", ""), wantMediaType: testsigstore.BundleMediaType},
		{name: "entry that is not a Rekor entry", data: withEntryBody(t, e.blobBundle, "bm90IGFuIGVudHJ5"), wantErr: "invalid bundle"},
		// And NewBundle's own rules still hold.
		{name: "v0.3 with a certificate chain", data: withCertificateChain(t, e.blobBundle), wantErr: "X.509 certificate chain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := trust.ParseBundle(tt.data)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("parsed, want error containing %q", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseBundle: %v", err)
			}
			if got := b.GetMediaType(); got != tt.wantMediaType {
				t.Errorf("media type %q, want %q", got, tt.wantMediaType)
			}
		})
	}
}

func TestParseDigest(t *testing.T) {
	hex64 := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		in      string
		want    trust.Digest
		wantErr string // "" : must parse
	}{
		{in: "sha256:" + hex64, want: trust.Digest{Algorithm: "sha256", Hex: hex64}},
		{in: "SHA256:" + strings.ToUpper(hex64), want: trust.Digest{Algorithm: "sha256", Hex: hex64}},
		{in: "sha384:" + strings.Repeat("ab", 48), want: trust.Digest{Algorithm: "sha384", Hex: strings.Repeat("ab", 48)}},
		{in: "sha512:" + strings.Repeat("cd", 64), want: trust.Digest{Algorithm: "sha512", Hex: strings.Repeat("cd", 64)}},
		{in: "", wantErr: "want <algorithm>:<hex>"},
		{in: hex64, wantErr: "want <algorithm>:<hex>"},
		{in: "md5:" + strings.Repeat("ab", 16), wantErr: `"md5" is not one of sha256, sha384, sha512`},
		{in: "sha1:" + strings.Repeat("ab", 20), wantErr: "is not one of"},
		{in: ":" + hex64, wantErr: "is not one of"},
		{in: "sha256:", wantErr: "want 64 hex characters"},
		{in: "sha256:" + hex64[:63], wantErr: "want 64 hex characters"},
		{in: "sha256:" + hex64[:62], wantErr: "want 64 hex characters"},
		{in: "sha256:" + hex64 + "00", wantErr: "want 64 hex characters"},
		{in: "sha256:" + strings.Repeat("g", 64), wantErr: "want 64 hex characters"},
		{in: "sha256: " + hex64[1:], wantErr: "want 64 hex characters"},
		{in: "sha384:" + hex64, wantErr: "want 96 hex characters"},
		{in: "sha512:" + hex64, wantErr: "want 128 hex characters"},
		{in: "sha256:" + hex64 + ":x", wantErr: "want 64 hex characters"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := trust.ParseDigest(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseDigest(%q) = %v, want error containing %q", tt.in, got, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDigest(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseDigest(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.want.Algorithm+":"+tt.want.Hex {
				t.Errorf("String() = %q", got.String())
			}
		})
	}
}
