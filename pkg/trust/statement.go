package trust

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// StatementHeader is an in-toto statement without its predicate: what
// binds it to artifacts and names what it says.
type StatementHeader struct {
	Type          string
	PredicateType string
	Subject       []*intoto.ResourceDescriptor
}

// StatementHeader decodes the in-toto statement of a DSSE bundle as
// Statement does, and accepts and refuses exactly the payloads Statement
// does, but builds no predicate: for an SBOM attestation of tens of MiB it
// costs one pass over the payload instead of a tree of several times its
// size.
func (c *Claims) StatementHeader() (*StatementHeader, error) {
	if c.Envelope == nil {
		return nil, errors.New("the bundle holds a plain message signature, not a DSSE envelope")
	}
	if c.Envelope.GetPayloadType() != InTotoPayloadType {
		return nil, fmt.Errorf("DSSE payload type %q is not an in-toto statement (%s)", c.Envelope.GetPayloadType(), InTotoPayloadType)
	}
	h, _, err := decodeStatementHeader(c.Envelope.GetPayload())
	return h, err
}

// decodeStatementHeader reads an in-toto statement's header with
// protojson's verdict on the whole statement (as it decodes into
// intoto.Statement). The predicate is checked by jsonScan and everything
// else decoded by protojson from a copy of the statement whose predicate is
// {}; a statement jsonScan does not vouch for is decoded whole by protojson,
// which then decides (fast reports which way it went).
//
// One difference is deliberate: the predicate may be any JSON value, not
// only an object (google.protobuf.Struct). cosign attest --type spdx signs
// SPDX tag-value text as a JSON string, and the in-toto libraries' strict
// decoding would refuse every such attestation although its signature and
// subjects verify; what the predicate says is for the plugin that reads it.
func decodeStatementHeader(payload []byte) (h *StatementHeader, fast bool, err error) {
	if h := statementHeaderFast(payload); h != nil {
		return h, true, nil
	}
	var st intoto.Statement
	if err := protojson.Unmarshal(withoutPredicate(payload), &st); err != nil {
		return nil, false, err
	}
	return &StatementHeader{Type: st.GetType(), PredicateType: st.GetPredicateType(), Subject: st.GetSubject()}, false, nil
}

// withoutPredicate is the statement with a predicate that is not an object
// set to null, for protojson; anything else (not a JSON object, a
// duplicate predicate) is returned as it is, for protojson to refuse.
func withoutPredicate(payload []byte) []byte {
	var members map[string]json.RawMessage
	if json.Unmarshal(payload, &members) != nil {
		return payload
	}
	p, ok := members["predicate"]
	if !ok || bytes.HasPrefix(bytes.TrimSpace(p), []byte("{")) || bytes.Count(payload, []byte(`"predicate"`)) > 1 {
		return payload
	}
	members["predicate"] = json.RawMessage("null")
	out, err := json.Marshal(members)
	if err != nil {
		return payload
	}
	return out
}

// statementHeaderFast is decodeStatementHeader's fast path: nil unless the
// statement is an object whose keys have no escapes, whose predicate is
// null or an object jsonScan vouches for as a google.protobuf.Struct, whose
// other members jsonScan scans, and the rest of which protojson accepts.
func statementHeaderFast(payload []byte) *StatementHeader {
	s := &jsonScan{data: payload}
	// The statement without its predicate: its other members as written.
	head := make([]byte, 0, 512)
	head = append(head, '{')
	predicates := 0
	ok := s.members(func(key []byte) bool {
		if len(head) > 1 {
			head = append(head, ',')
		}
		head = append(append(append(head, '"'), key...), '"', ':')
		if string(key) != "predicate" {
			start := s.pos
			if !s.value(1) {
				return false
			}
			head = append(head, payload[start:s.pos]...)
			return true
		}
		predicates++
		head = append(head, "null"...)
		if s.peek() != '{' {
			// Any other JSON value: cosign attest --type spdx signs SPDX
			// tag-value text as a string predicate (see
			// decodeStatementHeader).
			return s.value(2)
		}
		s.values = true
		ok := s.object(2)
		s.values = false
		return ok
	})
	if s.space(); !ok || s.pos != len(payload) || predicates > 1 {
		return nil
	}
	head = append(head, '}')
	var st intoto.Statement
	if protojson.Unmarshal(head, &st) != nil {
		return nil
	}
	return &StatementHeader{Type: st.GetType(), PredicateType: st.GetPredicateType(), Subject: st.GetSubject()}
}

// The limits sigstore-go's verify package puts on a statement it binds to
// an artifact (maxAllowedSubjects, maxAllowedSubjectDigests).
const (
	maxBoundSubjects       = 1024
	maxBoundSubjectDigests = 32
)

// bindDigest checks that subjects name the digest (alg, raw bytes), as
// sigstore-go's verifyEnvelopeWithArtifactDigests does, refusing what it
// refuses with its words: too many subjects or digests, any subject digest
// that is not hex, no subject digest of alg, none equal to digest.
func bindDigest(subjects []*intoto.ResourceDescriptor, alg string, digest []byte) error {
	if len(subjects) > maxBoundSubjects {
		return fmt.Errorf("too many subjects: %d > %d", len(subjects), maxBoundSubjects)
	}
	for _, s := range subjects {
		if len(s.GetDigest()) > maxBoundSubjectDigests {
			return fmt.Errorf("too many digests: %d > %d", len(s.GetDigest()), maxBoundSubjectDigests)
		}
	}
	byAlg := map[string][][]byte{}
	for _, s := range subjects {
		for a, hx := range s.GetDigest() {
			raw, err := hex.DecodeString(hx)
			if err != nil {
				return fmt.Errorf("could not verify artifact: unable to decode subject digest: %w", err)
			}
			byAlg[a] = append(byAlg[a], raw)
		}
	}
	named, ok := byAlg[alg]
	if !ok {
		return errors.New("provided artifact digests does not match digests in statement")
	}
	for _, d := range named {
		if bytes.Equal(d, digest) {
			return nil
		}
	}
	return errors.New("provided artifact digest does not match any digest in statement")
}

// summarizeSubjects decodes a statement's subjects as sigstore-go's
// summarizeStatement does, with encoding/json, for the statements whose
// subjects protojson's decoding is not known to match.
func summarizeSubjects(payload []byte) ([]*intoto.ResourceDescriptor, error) {
	var lite struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(payload, &lite); err != nil {
		return nil, fmt.Errorf("could not verify artifact: unable to extract statement from envelope: parsing in-toto statement: %w", err)
	}
	out := make([]*intoto.ResourceDescriptor, 0, len(lite.Subject))
	for _, s := range lite.Subject {
		out = append(out, &intoto.ResourceDescriptor{Name: s.Name, Digest: s.Digest})
	}
	return out, nil
}
