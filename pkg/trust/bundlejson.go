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

// minCutPayload is the smallest DSSE payload text decodeBundleFast takes
// out of the bundle; below it protojson's own decoding costs little. (A
// variable for the fuzz test, which takes payloads of any size.)
var minCutPayload = 64 << 10

// decodeBundleFast decodes a bundle whose DSSE payload is large without
// protojson reading the payload: protojson copies the payload's text into a
// string before decoding its base64, which for an SBOM attestation is tens
// of MiB and a third of the parse. It returns nil, for protojson to decode
// the bundle (and to decide and explain), unless the bundle is an object
// jsonScan vouches for, with one dsseEnvelope (or dsse_envelope) member
// whose one payload member is a string without escapes of at least
// minCutPayload bytes.
//
// protojson then decodes a copy of the bundle whose payload is "", and the
// payload's text is decoded here as protojson decodes a bytes field: a
// string without escapes is its own text, and its base64 alphabet and
// padding are chosen as protojson.unmarshalBytes chooses them.
func decodeBundleFast(data []byte) (*protobundle.Bundle, []byte) {
	start, end, ok := findDSSEPayload(data)
	if !ok || end-start < minCutPayload {
		return nil, nil
	}
	text := data[start:end]
	rest := make([]byte, 0, len(data)-len(text))
	rest = append(append(rest, data[:start]...), data[end:]...)
	var pb protobundle.Bundle
	if (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(rest, &pb) != nil || pb.GetDsseEnvelope() == nil {
		return nil, nil
	}
	payload, canonical, ok := decodeBytesField(text)
	if !ok {
		return nil, nil
	}
	pb.GetDsseEnvelope().Payload = payload
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
	if bytes.ContainsAny(text, "-_") {
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

// findDSSEPayload finds the payload string of the bundle's DSSE envelope:
// the span of its text between the quotes. ok is false unless data is an
// object jsonScan vouches for, whose keys have no escapes, with exactly
// one envelope member holding exactly one payload member, a string
// without escapes.
func findDSSEPayload(data []byte) (start, end int, ok bool) {
	s := &jsonScan{data: data}
	found := 0
	member := func(each func(key []byte) bool) bool {
		if s.peek() != '{' {
			return false
		}
		s.pos++
		if s.peek() == '}' {
			s.pos++
			return true
		}
		for {
			if s.peek() != '"' {
				return false
			}
			s.pos++
			k := s.pos
			if escaped, ok := s.str(); !ok || escaped {
				return false
			}
			key := data[k : s.pos-1]
			if s.peek() != ':' {
				return false
			}
			s.pos++
			if !each(key) {
				return false
			}
			switch s.peek() {
			case ',':
				s.pos++
			case '}':
				s.pos++
				return true
			default:
				return false
			}
		}
	}
	envelopes := 0
	ok = member(func(key []byte) bool {
		if k := string(key); k != "dsseEnvelope" && k != "dsse_envelope" {
			return s.value(1)
		}
		envelopes++
		if s.peek() != '{' {
			return s.value(1)
		}
		return member(func(key []byte) bool {
			if string(key) != "payload" || s.peek() != '"' {
				return s.value(2)
			}
			found++
			s.pos++
			start = s.pos
			escaped, ok := s.str()
			end = s.pos - 1
			return ok && !escaped
		})
	})
	if s.space(); !ok || s.pos != len(data) || envelopes != 1 || found != 1 {
		return 0, 0, false
	}
	return start, end, true
}
