package trust

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// unmarshalBundle decodes bundle JSON into its protobuf, bounded to limit
// bytes; unknown fields are ignored, as newer bundle versions may add some.
func unmarshalBundle(data []byte, limit int) (*protobundle.Bundle, error) {
	pb, _, err := decodeBundle(data, limit)
	return pb, err
}

// decodeBundle is unmarshalBundle that also returns the text of a DSSE
// payload (its base64, as the bundle writes it) when that text is the
// standard padded base64 of the payload, which sigstore-go's envelope holds.
func decodeBundle(data []byte, limit int) (*protobundle.Bundle, []byte, error) {
	if len(data) > limit {
		return nil, nil, tooLarge("bundle", len(data), limit)
	}
	if len(data) == 0 {
		return nil, nil, errors.New("bundle is empty")
	}
	if pb, text := decodeBundleFast(data); pb != nil {
		return pb, text, nil
	}
	var pb protobundle.Bundle
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &pb); err != nil {
		return nil, nil, fmt.Errorf("bundle is not valid Sigstore bundle JSON: %w", err)
	}
	return &pb, nil, nil
}

// minCutPayload is the shortest string decodeBundleFast takes out of the
// bundle; below it protojson's own decoding costs little. (A variable for
// the fuzz test, which takes strings of any length.)
var minCutPayload = 64 << 10

// decodeBundleFast decodes a bundle without protojson reading its long
// strings: protojson copies a string into memory before decoding or
// skipping it, which for the base64 of an SBOM attestation is tens of MiB
// and a third of the parse. The strings taken out are the DSSE envelope's
// payload and the values of top-level members that are no field of a
// bundle (protojson skips those; cosign's legacy bundle, which the blob
// plugin peeks at before it recognises it, is one of them). It returns
// nil, for protojson to decode the bundle (and to decide and explain),
// unless the bundle is an object jsonScan vouches for, whose keys and long
// strings have no escapes, with at most one envelope and one payload in it.
//
// protojson then decodes a copy of the bundle in which those strings are
// "", and the payload's text is decoded here as protojson decodes a bytes
// field: a string without escapes is its own text, and its base64 alphabet
// and padding are chosen as protojson.unmarshalBytes chooses them.
func decodeBundleFast(data []byte) (*protobundle.Bundle, []byte) {
	cuts, payload, ok := bundleCuts(data)
	if !ok || len(cuts) == 0 {
		return nil, nil
	}
	size := len(data)
	for _, c := range cuts {
		size -= c.end - c.start
	}
	rest := make([]byte, 0, size)
	at := 0
	for _, c := range cuts {
		rest = append(rest, data[at:c.start]...)
		at = c.end
	}
	rest = append(rest, data[at:]...)
	var pb protobundle.Bundle
	if (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(rest, &pb) != nil {
		return nil, nil
	}
	if payload < 0 {
		return &pb, nil
	}
	text := data[cuts[payload].start:cuts[payload].end]
	decoded, canonical, ok := decodeBytesField(text)
	if !ok || pb.GetDsseEnvelope() == nil || bytes.IndexByte(text, '\n') >= 0 || bytes.IndexByte(text, '\r') >= 0 {
		return nil, nil
	}
	pb.GetDsseEnvelope().Payload = decoded
	if !canonical {
		text = nil
	}
	return &pb, text
}

// decodeBytesField decodes the text of a protobuf bytes field in JSON as
// protojson does: standard or URL alphabet (the URL one when the text has -
// or _), padded or not (not when its length is not a multiple of 4).
// canonical reports that the text is the standard padded base64 of the
// bytes, as base64.StdEncoding writes it.
func decodeBytesField(text []byte) (b []byte, canonical, ok bool) {
	enc := base64.StdEncoding
	if bytes.IndexByte(text, '-') >= 0 || bytes.IndexByte(text, '_') >= 0 { // bytes.ContainsAny(text, "-_"), at memchr's speed
		enc = base64.URLEncoding
	}
	if len(text)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	b = make([]byte, enc.DecodedLen(len(text)))
	n, err := enc.Decode(b, text)
	if err != nil {
		return nil, false, false
	}
	b = b[:n]
	// Standard padded base64 is canonical unless the bits after the last
	// byte are not zero (which Strict refuses); checking them is cheaper
	// than encoding the bytes again.
	if enc == base64.StdEncoding {
		canonical = canonicalTail(text)
	}
	return b, canonical, true
}

// canonicalTail reports that the last quantum of standard padded base64
// text leaves no bits set past the bytes it encodes.
func canonicalTail(text []byte) bool {
	if len(text) < 4 {
		return len(text) == 0
	}
	q := text[len(text)-4:]
	var dec [3]byte
	_, err := base64.StdEncoding.Strict().Decode(dec[:], q)
	return err == nil
}

// span is the text of a string, between its quotes.
type span struct{ start, end int }

// bundleFields are the fields of a bundle, by JSON and by proto name.
var bundleFields = (&protobundle.Bundle{}).ProtoReflect().Descriptor().Fields()

// bundleCuts finds the strings decodeBundleFast takes out of bundle JSON,
// in order: the DSSE envelope's payload (its index in cuts, or -1) and the
// long string values of top-level members that are no bundle field. ok is
// false unless data is an object jsonScan vouches for, whose keys have no
// escapes, with at most one envelope member holding at most one payload
// member, and whose strings cut have no escapes.
func bundleCuts(data []byte) (cuts []span, payload int, ok bool) {
	s := &jsonScan{data: data}
	payload = -1
	envelopes, payloads := 0, 0
	// cut scans a string value, taking it out when it is long.
	cut := func() bool {
		s.pos++
		start := s.pos
		escaped, ok := s.str()
		if ok && s.pos-1-start >= minCutPayload {
			cuts = append(cuts, span{start, s.pos - 1})
			return !escaped
		}
		return ok
	}
	ok = s.members(func(key []byte) bool {
		switch k := string(key); {
		case bundleFields.ByJSONName(k) == nil && bundleFields.ByTextName(k) == nil:
			if s.peek() == '"' {
				return cut()
			}
		case k == "dsseEnvelope" || k == "dsse_envelope":
			envelopes++
			if s.peek() == '{' {
				return s.members(func(key []byte) bool {
					if string(key) != "payload" || s.peek() != '"' {
						return s.value(2)
					}
					payloads++
					// A long payload is not scanned: decodeBundleFast
					// decodes all of it, which refuses every byte that is
					// not base64 (so any text up to a quote that decodes is
					// a string without escapes), but for line breaks,
					// which it refuses itself.
					if end := bytes.IndexByte(data[s.pos+1:], '"'); end >= minCutPayload {
						payload = len(cuts)
						cuts = append(cuts, span{s.pos + 1, s.pos + 1 + end})
						s.pos += end + 2
						return true
					}
					return cut()
				})
			}
		}
		return s.value(1)
	})
	if s.space(); !ok || s.pos != len(data) || envelopes > 1 || payloads > 1 {
		return nil, -1, false
	}
	return cuts, payload, true
}
