package trust

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// isLegacyByMap is IsLegacyBlobBundle by encoding/json alone.
func isLegacyByMap(data []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(data, &probe) != nil {
		return false
	}
	_, sig := probe["base64Signature"]
	_, media := probe["mediaType"]
	return sig && !media
}

// legacyEnvelopeByValid is legacyEnvelope by encoding/json alone.
func legacyEnvelopeByValid(b64 []byte) ([]byte, bool) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b64)))
	if err != nil {
		return nil, false
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		return nil, false
	}
	return raw, true
}

// dsseJSON is the struct parseDSSEEnvelope decodes an envelope into.
type dsseJSON struct {
	PayloadType string `json:"payloadType"`
	Payload     string `json:"payload"`
	Signatures  []struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	} `json:"signatures"`
}

// sameAsUnmarshal asserts that unmarshalCutting decodes data into a new
// value of v's type as json.Unmarshal does, the cut string (field) set to
// the text it returns.
func sameAsUnmarshal[T any](t *testing.T, data []byte, name string, field func(*T) *string) {
	t.Helper()
	var want, got T
	wantErr := json.Unmarshal(data, &want)
	text, err := unmarshalCutting(data, &got, name)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("error %v, encoding/json's %v: %.200q", err, wantErr, data)
	}
	if err != nil {
		return
	}
	if text != nil {
		if *field(&got) != "" {
			t.Fatalf("the cut field holds %q", *field(&got))
		}
		*field(&got) = string(text)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v, encoding/json %+v: %.200q", got, want, data)
	}
}

func legacyField(lb *legacyBlobBundle) *string { return &lb.Base64Signature }
func payloadField(d *dsseJSON) *string         { return &d.Payload }

func TestLegacyDecodingAgreesWithEncodingJSON(t *testing.T) {
	defer func(n int) { minCutPayload = n }(minCutPayload)
	minCutPayload = 0
	legacy := []string{
		`{"base64Signature":"eyJhIjoxfQ==","cert":"c","rekorBundle":{"a":[1]},"rfc3161Timestamp":{"SignedRFC3161Timestamp":"AAE="}}`,
		`{"BASE64SIGNATURE":"eyJhIjoxfQ=="}`,
		"{\"base64\u017fignature\":\"eyJhIjoxfQ==\"}", // ſ folds to s, as encoding/json matches it
		`{"base64Signature":"a","base64signature":"b"}`,
		`{"base64Signature":"e\u0079J"}`,
		`{"base64Signature":null}`,
		`{"base64Signature":1}`,
		`{"base64Signature":"a","cert":1}`,
		"{\"base64Signature\":\"a\",\"cert\":\"\xff\"}",
		`{"base64Signature":"a","mediaType":"m"}`,
		`{"\u0062ase64Signature":"a"}`,
		`{"base64Signature":"a"`,
		`{"base64Signature":"a"}x`,
		`[]`, `null`, ``, `{}`, ` {"base64Signature" : "a" } `,
	}
	for _, doc := range legacy {
		sameAsUnmarshal(t, []byte(doc), "base64Signature", legacyField)
		if got, want := IsLegacyBlobBundle([]byte(doc)), isLegacyByMap([]byte(doc)); got != want {
			t.Errorf("IsLegacyBlobBundle = %v, encoding/json says %v: %q", got, want, doc)
		}
	}
	for _, doc := range []string{
		`{"payloadType":"t","payload":"e30=","signatures":[{"keyid":"","sig":"AA=="}]}`,
		`{"PAYLOAD":"e30=","payloadType":"t"}`,
		`{"payload":"e30=","Payload":"e30="}`,
		`{"payloadtype":"t","payload":"e30="}`,
		`{"payload":"e30","signatures":[{"sig":1}]}`,
		`{"payload":"e3\/0"}`,
	} {
		sameAsUnmarshal(t, []byte(doc), "payload", payloadField)
	}
	for _, env := range []string{`{"a":1}`, ` {"a":1} `, `{"a":1`, `[1]`, "{\"a\":\"\xff\"}", `{"a":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`, ``} {
		b64 := []byte(base64.StdEncoding.EncodeToString([]byte(env)))
		got, ok := legacyEnvelope(b64)
		want, wantOK := legacyEnvelopeByValid(b64)
		if ok != wantOK || !bytes.Equal(got, want) {
			t.Errorf("legacyEnvelope(%q) = %q, %v; encoding/json: %q, %v", env, got, ok, want, wantOK)
		}
	}
}

// FuzzLegacyDecoding: the legacy bundle's and the DSSE envelope's fast
// decoding agree with encoding/json on any input.
func FuzzLegacyDecoding(f *testing.F) {
	for _, seed := range []string{
		`{"base64Signature":"eyJhIjoxfQ==","cert":"c","rekorBundle":{"a":[1]}}`, `{"BASE64SIGNATURE":"a","mediaType":1}`,
		`{"payloadType":"t","payload":"e30=","signatures":[{"keyid":"","sig":"AA=="}]}`, `{"Payload":"a","payload":"b"}`,
	} {
		f.Add([]byte(seed))
	}
	defer func(n int) { minCutPayload = n }(minCutPayload)
	minCutPayload = 0
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsUnmarshal(t, data, "base64Signature", legacyField)
		sameAsUnmarshal(t, data, "payload", payloadField)
		if got, want := IsLegacyBlobBundle(data), isLegacyByMap(data); got != want {
			t.Fatalf("IsLegacyBlobBundle = %v, encoding/json says %v", got, want)
		}
		got, ok := legacyEnvelope(data)
		want, wantOK := legacyEnvelopeByValid(data)
		if ok != wantOK || !bytes.Equal(got, want) {
			t.Fatalf("legacyEnvelope = %q, %v; encoding/json: %q, %v", got, ok, want, wantOK)
		}
	})
}

// TestMarshalBundle: a bundle with a large DSSE payload marshals to JSON
// that protojson reads back as the bundle, whether the payload's text is
// given or encoded, and when the bundle's other bytes hold the marker's
// base64 too.
func TestMarshalBundle(t *testing.T) {
	payload := bytes.Repeat([]byte("statement "), minCutPayload/5)
	env := &protodsse.Envelope{Payload: payload, PayloadType: "application/vnd.in-toto+json", Signatures: []*protodsse.Signature{{Sig: []byte{1, 2}}}}
	b := &protobundle.Bundle{
		MediaType:            "application/vnd.dev.sigstore.bundle+json;version=0.1",
		VerificationMaterial: &protobundle.VerificationMaterial{Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{}}},
		Content:              &protobundle.Bundle_DsseEnvelope{DsseEnvelope: env},
	}
	check := func(t *testing.T, text []byte) {
		t.Helper()
		out, err := marshalBundle(b, env, text)
		if err != nil {
			t.Fatal(err)
		}
		var got protobundle.Bundle
		if err := protojson.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&got, b) {
			t.Fatal("the marshalled bundle reads back as another")
		}
		if !bytes.Equal(env.Payload, payload) {
			t.Fatal("marshalBundle changed the envelope")
		}
	}
	t.Run("text given", func(t *testing.T) { check(t, []byte(base64.StdEncoding.EncodeToString(payload))) })
	t.Run("text encoded", func(t *testing.T) { check(t, nil) })
	t.Run("marker elsewhere", func(t *testing.T) {
		b.VerificationMaterial.TlogEntries = []*protorekor.TransparencyLogEntry{{CanonicalizedBody: payloadMarker}}
		defer func() { b.VerificationMaterial.TlogEntries = nil }()
		check(t, nil)
	})
}
