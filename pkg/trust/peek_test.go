package trust_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/pkg/trust"
)

func TestPeekBundle(t *testing.T) {
	e := testEnv(t)
	blobDigest := sha256Digest(e.blob)

	t.Run("message signature", func(t *testing.T) {
		c, err := trust.PeekBundle(e.blobBundle)
		if err != nil {
			t.Fatal(err)
		}
		if c.MessageDigest == nil || *c.MessageDigest != blobDigest {
			t.Fatalf("MessageDigest = %v, want %v", c.MessageDigest, blobDigest)
		}
		if c.Envelope != nil {
			t.Fatal("a message-signature bundle has an envelope")
		}
		if !strings.HasPrefix(c.MediaType, "application/vnd.dev.sigstore.bundle") {
			t.Fatalf("MediaType = %q", c.MediaType)
		}
		if _, err := c.Statement(); err == nil {
			t.Fatal("Statement of a message signature: no error")
		}
	})

	t.Run("DSSE statement", func(t *testing.T) {
		c, err := trust.PeekBundle(e.attestBundle)
		if err != nil {
			t.Fatal(err)
		}
		if c.MessageDigest != nil || c.Envelope == nil {
			t.Fatalf("claims = %+v, want an envelope only", c)
		}
		st, err := c.Statement()
		if err != nil {
			t.Fatal(err)
		}
		if st.GetPredicateType() != e.attestPredType {
			t.Fatalf("predicate type %q, want %q", st.GetPredicateType(), e.attestPredType)
		}
		want := sha256Digest(e.attested)
		if got := st.GetSubject()[0].GetDigest()["sha256"]; got != want.Hex {
			t.Fatalf("subject digest %s, want %s", got, want.Hex)
		}
	})

	// mutate rewrites the attestation bundle's JSON.
	mutate := func(t *testing.T, f func(m map[string]any)) []byte {
		t.Helper()
		return editBundle(t, e.attestBundle, f)
	}

	t.Run("DSSE payload that is not an in-toto statement", func(t *testing.T) {
		doc := mutate(t, func(m map[string]any) {
			m["dsseEnvelope"].(map[string]any)["payloadType"] = "text/plain"
		})
		c, err := trust.PeekBundle(doc)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Statement()
		wantErrContains(t, err, `"text/plain" is not an in-toto statement`)
	})

	t.Run("DSSE payload that is not JSON", func(t *testing.T) {
		doc := mutate(t, func(m map[string]any) {
			m["dsseEnvelope"].(map[string]any)["payload"] = "bm90IGpzb24=" // "not json"
		})
		c, err := trust.PeekBundle(doc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Statement(); err == nil {
			t.Fatal("a payload that is not JSON decoded")
		}
	})

	bad := []struct {
		name string
		doc  []byte
		want string
	}{
		{"empty", nil, "bundle is empty"},
		{"not JSON", []byte("{"), "not valid Sigstore bundle JSON"},
		{"unknown field type", []byte(`{"mediaType": 3}`), "not valid Sigstore bundle JSON"},
		{"no content", []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`), "neither a message signature nor a DSSE envelope"},
		{"message signature without digest", []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","messageSignature":{"signature":"AA=="}}`), "no digest"},
		{"one byte over the limit", bytes.Repeat([]byte(" "), trust.MaxBundleSize+1), "more than the"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			c, err := trust.PeekBundle(tc.doc)
			if c != nil {
				t.Fatalf("claims %+v for a bad bundle", c)
			}
			wantErrContains(t, err, tc.want)
		})
	}
}
