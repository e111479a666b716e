package trust

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// sameBundleAsProtojson asserts that decodeBundle decodes data exactly as
// protojson does (the same protobuf, or the same error) and that a payload
// text it returns is the standard base64 of the payload; it reports whether
// the fast path decoded it.
func sameBundleAsProtojson(t *testing.T, data []byte) (fast bool) {
	t.Helper()
	var want protobundle.Bundle
	wantErr := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &want)
	got, text, err := decodeBundle(data, MaxBundleSizeLimit)
	fastPB, _ := decodeBundleFast(data)
	fast = fastPB != nil
	switch {
	case len(data) == 0:
		if err == nil {
			t.Fatal("accepted an empty bundle")
		}
		return fast
	case wantErr != nil && err == nil:
		t.Fatalf("accepted what protojson refuses (%v): %.300q", wantErr, data)
	case wantErr == nil && err != nil:
		t.Fatalf("refused what protojson accepts (%v): %.300q", err, data)
	case err != nil:
		if fast {
			t.Fatalf("the fast path decoded what protojson refuses: %.300q", data)
		}
		return fast
	}
	if !proto.Equal(got, &want) {
		t.Fatalf("decoded %.300v, protojson %.300v", got, &want)
	}
	if text != nil && string(text) != base64.StdEncoding.EncodeToString(got.GetDsseEnvelope().GetPayload()) {
		t.Fatalf("payload text %.100q is not the payload's standard base64", text)
	}
	return fast
}

// dsseBundle is bundle JSON around a DSSE envelope whose payload member is
// written as payloadJSON.
func dsseBundle(payloadJSON string) string {
	return `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"k"}},` +
		`"dsseEnvelope":{"payload":` + payloadJSON + `,"payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AAEC","keyid":""}]}}`
}

func TestDecodeBundleAgreesWithProtojson(t *testing.T) {
	payload := bytes.Repeat([]byte(`{"statement":"bytes"}`), minCutPayload/10)
	std := base64.StdEncoding.EncodeToString(payload)
	if std[0] != 'e' {
		t.Fatalf("payload text starts with %q", std[0])
	}
	q := func(s string) string { return `"` + s + `"` }
	tail := func(s string, c byte) string { return s[:len(s)-3] + string(c) + s[len(s)-2:] }
	notCanonical := std[:len(std)-4] + "AAB=" // bits set past the last byte
	if _, err := base64.StdEncoding.Strict().DecodeString(notCanonical); err == nil {
		t.Fatal("the non-canonical payload text is canonical")
	}
	tests := []struct {
		name   string
		bundle string
		fast   bool
	}{
		{name: "standard base64", bundle: dsseBundle(q(std)), fast: true},
		{name: "proto field name", bundle: strings.Replace(dsseBundle(q(std)), "dsseEnvelope", "dsse_envelope", 1), fast: true},
		{name: "payload last", bundle: `{"mediaType":"m","dsseEnvelope":{"payloadType":"t","payload":` + q(std) + `}}`, fast: true},
		{name: "unknown fields", bundle: `{"x":[1,{"y":"z"}],"mediaType":"m","dsseEnvelope":{"future":true,"payload":` + q(std) + `}}`, fast: true},
		{name: "whitespace", bundle: " {\n \"dsseEnvelope\" : { \"payload\" :\t" + q(std) + " } }\n", fast: true},
		{name: "URL alphabet", bundle: dsseBundle(q(strings.NewReplacer("+", "-", "/", "_").Replace(std))), fast: true},
		{name: "unpadded", bundle: dsseBundle(q(strings.TrimRight(base64.RawStdEncoding.EncodeToString(payload[:len(payload)-1]), "="))), fast: true},
		{name: "bits past the last byte", bundle: dsseBundle(q(notCanonical)), fast: true},
		{name: "short payload", bundle: dsseBundle(q("e30=")), fast: false},
		{name: "escaped character", bundle: dsseBundle(q(`\u0065` + std[1:])), fast: false},
		{name: "null payload", bundle: dsseBundle(`null`), fast: false},
		{name: "message signature", bundle: `{"mediaType":"m","messageSignature":{"signature":"AA=="}}`, fast: false},
		{name: "escaped key", bundle: `{"\u006dediaType":"m","dsseEnvelope":{"payload":` + q(std) + `}}`, fast: false},
		{name: "long unknown strings", bundle: `{"base64Signature":` + q(std) + `,"cert":"c","rekorBundle":{"x":` + q(std) + `},"y":` + q(std) + `}`, fast: true},
		{name: "long unknown string and a payload", bundle: `{"x":` + q(std) + `,"dsseEnvelope":{"payload":` + q(std) + `}}`, fast: true},
		{name: "long unknown string and a short payload", bundle: `{"x":` + q(std) + `,"dsseEnvelope":{"payload":"e30="}}`, fast: true},
		{name: "long media type", bundle: `{"mediaType":` + q(std) + `,"dsseEnvelope":{"payload":"e30="}}`, fast: false},
		{name: "long unknown string with an escape", bundle: `{"x":` + q(`\u0065`+std[1:]) + `}`, fast: false},
		{name: "extension name", bundle: `{"[dev.sigstore.x]":` + q(std) + `}`, fast: true},
		{name: "invalid UTF-8 in a long unknown string", bundle: `{"x":` + q(std[:100]+"\xff"+std[100:]) + `}`},
		{name: "lone surrogate in a long unknown string", bundle: `{"x":` + q(std[:100]+`\ud800`+std[100:]) + `}`},

		// Refused by both.
		{name: "invalid base64", bundle: dsseBundle(q(tail(std, '!')))},
		{name: "padding inside", bundle: dsseBundle(q("AA==" + std))},
		{name: "duplicate payload", bundle: strings.Replace(dsseBundle(q(std)), `"payloadType"`, `"payload":"e30=","payloadType"`, 1)},
		{name: "duplicate envelope", bundle: strings.TrimSuffix(dsseBundle(q(std)), "}") + `,"dsse_envelope":{}}`},
		{name: "envelope and message signature", bundle: strings.TrimSuffix(dsseBundle(q(std)), "}") + `,"messageSignature":{}}`},
		{name: "payload not a string", bundle: dsseBundle(`[` + q(std) + `]`)},
		{name: "unknown enum", bundle: `{"messageSignature":{"messageDigest":{"algorithm":"MD5"}},"dsseEnvelope":{"payload":` + q(std) + `}}`},
		{name: "trailing garbage", bundle: dsseBundle(q(std)) + "x"},
		{name: "truncated", bundle: dsseBundle(q(std))[:len(std)]},
		{name: "invalid UTF-8 elsewhere", bundle: strings.Replace(dsseBundle(q(std)), `"k"`, "\"\xff\"", 1)},
		{name: "control character in the payload", bundle: dsseBundle(q(std[:100] + "\n" + std[100:]))},
		{name: "carriage return in the payload", bundle: dsseBundle(q(std[:100] + "\r" + std[100:]))},
		{name: "tab in the payload", bundle: dsseBundle(q(std[:100] + "\t" + std[100:]))},
		{name: "escaped quote in the payload", bundle: dsseBundle(q(std[:100] + `\"` + std[100:]))},
		{name: "escaped newline in the payload", bundle: dsseBundle(q(std[:100] + `\n` + std[100:]))},
		{name: "non-ASCII in the payload", bundle: dsseBundle(q(std[:100] + "é" + std[100:]))},
		{name: "invalid UTF-8 in the payload", bundle: dsseBundle(q(std[:100] + "\xff" + std[100:]))},
		{name: "space in the payload", bundle: dsseBundle(q(std[:100] + " " + std[100:]))},
		{name: "unterminated payload", bundle: `{"dsseEnvelope":{"payload":"` + std},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fast := sameBundleAsProtojson(t, []byte(tt.bundle)); fast != tt.fast {
				t.Fatalf("fast path %v, want %v", fast, tt.fast)
			}
		})
	}
}

func TestDecodeBytesFieldCanonical(t *testing.T) {
	for n := range 10 {
		b := bytes.Repeat([]byte{0xa5}, n)
		text := base64.StdEncoding.EncodeToString(b)
		got, canonical, ok := decodeBytesField([]byte(text))
		if !ok || !canonical || !bytes.Equal(got, b) {
			t.Errorf("%d bytes: %x, canonical %v, ok %v", n, got, canonical, ok)
		}
		if n%3 == 0 {
			continue
		}
		// The last character before the padding, one bit up: the same
		// bytes, no longer the standard text.
		alt := []byte(text)
		i := bytes.IndexByte(alt, '=') - 1
		alt[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", alt[i])+1]
		got, canonical, ok = decodeBytesField(alt)
		if !ok || canonical || !bytes.Equal(got, b) {
			t.Errorf("%d bytes, %s: %x, canonical %v, ok %v", n, alt, got, canonical, ok)
		}
	}
}

// FuzzDecodeBundle: decodeBundle agrees with protojson on any input, with
// the fast path taking payloads of any size.
func FuzzDecodeBundle(f *testing.F) {
	for _, seed := range []string{
		dsseBundle(`"e30="`), dsseBundle(`"e30"`), dsseBundle(`"e-_="`), dsseBundle(`"e3\/="`), dsseBundle(`null`),
		`{"dsse_envelope":{"payload":"AAAA","payload":"AAAA"}}`, `{"dsseEnvelope":{}}`, `{}`, `[]`, ``,
	} {
		f.Add([]byte(seed))
	}
	defer func(n int) { minCutPayload = n }(minCutPayload)
	minCutPayload = 0
	f.Fuzz(func(t *testing.T, data []byte) {
		sameBundleAsProtojson(t, data)
	})
}
