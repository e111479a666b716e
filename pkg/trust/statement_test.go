package trust

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	intoto "github.com/in-toto/attestation/go/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

const testDigest = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"

// stmt is an in-toto statement whose predicate (JSON text) is pred.
func stmt(pred string) string {
	return `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"` + testDigest + `"}}],"predicateType":"https://cyclonedx.org/bom","predicate":` + pred + `}`
}

// nested is depth arrays around a value, as a predicate member.
func nested(open, close string, depth int, inner string) string {
	return `{"a":` + strings.Repeat(open, depth) + inner + strings.Repeat(close, depth) + `}`
}

// sameAsProtojson asserts that decodeStatementHeader accepts payload exactly
// when protojson decodes it into an intoto.Statement, with the same
// header, and returns whether the fast path decided.
func sameAsProtojson(t *testing.T, payload []byte) (accepted, fast bool) {
	t.Helper()
	var want intoto.Statement
	wantErr := protojson.Unmarshal(predicateAsNull(payload), &want)
	h, fast, err := decodeStatementHeader(payload)
	switch {
	case wantErr != nil && err == nil:
		t.Fatalf("accepted what protojson refuses (%v): %.200q", wantErr, payload)
	case wantErr == nil && err != nil:
		t.Fatalf("refused what protojson accepts (%v): %.200q", err, payload)
	case err != nil:
		if fast {
			t.Fatalf("the fast path refused %.200q", payload)
		}
		if err.Error() != wantErr.Error() {
			t.Fatalf("error %q, protojson's %q", err, wantErr)
		}
		return false, fast
	}
	if h.Type != want.GetType() || h.PredicateType != want.GetPredicateType() || len(h.Subject) != len(want.GetSubject()) {
		t.Fatalf("header %+v, protojson's %v", h, &want)
	}
	for i, s := range want.GetSubject() {
		if !proto.Equal(s, h.Subject[i]) {
			t.Fatalf("subject %d: %v, protojson's %v", i, h.Subject[i], s)
		}
	}
	if fast {
		// VerifyBundle binds the subjects the fast path decoded where
		// sigstore-go binds those encoding/json decodes: they must agree.
		lite, err := summarizeSubjects(payload)
		if err != nil {
			t.Fatalf("the fast path accepted what encoding/json refuses (%v): %.200q", err, payload)
		}
		if len(lite) != len(h.Subject) {
			t.Fatalf("%d subjects, encoding/json's %d", len(h.Subject), len(lite))
		}
		for i, s := range lite {
			if s.GetName() != h.Subject[i].GetName() || !maps.Equal(s.GetDigest(), h.Subject[i].GetDigest()) {
				t.Fatalf("subject %d: %v, encoding/json's %v", i, h.Subject[i], s)
			}
		}
	}
	return true, fast
}

func TestStatementHeaderAgreesWithProtojson(t *testing.T) {
	big := func(dup bool) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range 100 {
			fmt.Fprintf(&b, `"k%d":%d,`, i, i)
		}
		if dup {
			b.WriteString(`"k77":0,`)
		}
		b.WriteString(`"last":true}`)
		return b.String()
	}
	tests := []struct {
		name    string
		payload string
		accept  bool
		slow    bool // protojson decides (the fast path does not vouch)
	}{
		{name: "statement", payload: stmt(`{"bomFormat":"CycloneDX","components":[{"name":"a","version":"1"}],"version":1}`), accept: true},
		{name: "empty predicate", payload: stmt(`{}`), accept: true},
		{name: "null predicate", payload: stmt(`null`), accept: true},
		{name: "no predicate", payload: `{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":[]}`, accept: true},
		{name: "empty statement", payload: `{}`, accept: true},
		{name: "whitespace everywhere", payload: " \t\r\n{ \"_type\" : \"t\" ,\n\"predicate\" : { \"a\" : [ 1 , 2.5e3 , -0 , true , false , null , \"s\" ] } }\n ", accept: true},
		{name: "predicate first", payload: `{"predicate":{"a":1},"predicateType":"p","subject":[{"digest":{"sha256":"ab"}}]}`, accept: true},
		{name: "proto field names", payload: `{"predicate_type":"p","subject":[{"name":"n","download_location":"https://x","media_type":"m","digest":{"sha256":"ab","sha512":"cd"}}]}`, accept: true},
		{name: "subject fields", payload: `{"subject":[{"name":"n","uri":"u","content":"aGk=","downloadLocation":"d","mediaType":"m","annotations":{"a":[1,{"b":null}]}}],"predicate":{}}`, accept: true},
		{name: "subject content URL-safe unpadded", payload: `{"subject":[{"content":"-_8"}]}`, accept: true},
		{name: "wrong _type", payload: `{"_type":"https://example.com/NotAStatement","subject":[],"predicate":{}}`, accept: true},
		{name: "missing subject", payload: `{"_type":"https://in-toto.io/Statement/v1","predicateType":"p","predicate":{}}`, accept: true},
		{name: "null subject", payload: `{"subject":null,"predicate":{}}`, accept: true},
		{name: "null _type", payload: `{"_type":null,"predicate":{}}`, accept: true},
		{name: "escapes in predicate strings", payload: stmt(`{"a":"\"\\\/\b\f\n\r\t\u0000\u00e9\ud83d\ude00"}`), accept: true},
		{name: "UTF-8 in predicate", payload: stmt(`{"名前":"värde ✓ 😀 \uFFFD �"}`), accept: true},
		{name: "escapes in a subject name", payload: `{"subject":[{"name":"a\u00e9\n"}],"predicate":{}}`, accept: true},
		{name: "object of many keys", payload: stmt(big(false)), accept: true},
		{name: "equal keys in sibling objects", payload: stmt(`{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}`), accept: true},
		{name: "numbers", payload: stmt(`{"a":[0,-0,1.5,-1.5e-3,1E+2,1e-400,123456789012345678901234567890,` + strings.Repeat("9", 300) + `]}`), accept: true},
		{name: "900 levels", payload: stmt(nested("[", "]", 900, "1")), accept: true},

		// Refused by both.
		{name: "empty", payload: ``},
		{name: "not JSON", payload: `not json`},
		{name: "array", payload: `[]`},
		{name: "null", payload: `null`},
		{name: "string", payload: `"x"`},
		{name: "truncated", payload: stmt(`{"a":[1,2`)},
		{name: "trailing garbage", payload: stmt(`{}`) + `x`},
		{name: "two values", payload: stmt(`{}`) + `{}`},
		{name: "trailing comma in object", payload: `{"_type":"t",}`},
		{name: "trailing comma in predicate", payload: stmt(`{"a":1,}`)},
		{name: "trailing comma in array", payload: stmt(`{"a":[1,]}`)},
		{name: "missing colon", payload: `{"_type" "t"}`},
		{name: "missing comma", payload: stmt(`{"a":1 "b":2}`)},
		{name: "single quotes", payload: stmt(`{'a':1}`)},
		{name: "comment", payload: stmt(`{"a":1 /* c */}`)},
		{name: "BOM", payload: "\ufeff" + stmt(`{}`)},
		{name: "unknown field", payload: `{"_type":"t","predicate":{},"extra":1}`},
		{name: "case variant of a field", payload: `{"Subject":[],"predicate":{}}`},
		{name: "unknown subject field", payload: `{"subject":[{"name":"n","extra":1}]}`},
		{name: "duplicate _type", payload: `{"_type":"a","_type":"a","predicate":{}}`},
		{name: "duplicate predicateType", payload: `{"predicateType":"a","predicate_type":"a","predicate":{}}`},
		{name: "duplicate predicate", payload: `{"predicate":{},"predicate":{}}`},
		{name: "duplicate predicate, one null", payload: `{"predicate":null,"predicate":{"a":1}}`},
		{name: "duplicate subject", payload: `{"subject":[],"subject":[]}`},
		{name: "duplicate key in predicate", payload: stmt(`{"a":1,"b":2,"a":1}`)},
		{name: "duplicate nested key", payload: stmt(`{"a":{"b":[{"c":1,"c":2}]}}`)},
		{name: "duplicate key in an object of many keys", payload: stmt(big(true))},
		{name: "duplicate key spelt with an escape", payload: stmt(`{"a":1,"\u0061":2}`)},
		{name: "duplicate digest algorithm", payload: `{"subject":[{"digest":{"sha256":"ab","sha256":"cd"}}]}`},
		{name: "duplicate annotation", payload: `{"subject":[{"annotations":{"a":1,"a":2}}]}`},
		{name: "predicate array", payload: stmt(`[]`), accept: true},
		{name: "predicate string", payload: stmt(`"x"`), accept: true},
		{name: "predicate string, tag-value", payload: stmt(`"SPDXVersion: SPDX-2.2\nDataLicense: CC0-1.0\n"`), accept: true},
		{name: "predicate number", payload: stmt(`1`), accept: true},
		{name: "predicate true", payload: stmt(`true`), accept: true},
		{name: "predicate array, not JSON", payload: stmt(`[1,]`)},
		{name: "predicate string, unterminated", payload: stmt(`"x`)},
		{name: "_type number", payload: `{"_type":1}`},
		{name: "subject object", payload: `{"subject":{}}`},
		{name: "null subject element", payload: `{"subject":[null]}`},
		{name: "digest number", payload: `{"subject":[{"digest":{"sha256":1}}]}`},
		{name: "null digest value", payload: `{"subject":[{"digest":{"sha256":null}}]}`},
		{name: "subject content not base64", payload: `{"subject":[{"content":"!!"}]}`},
		{name: "number overflows float64", payload: stmt(`{"a":1e400}`)},
		{name: "long number overflows float64", payload: stmt(`{"a":` + strings.Repeat("9", 400) + `}`)},
		{name: "negative number overflows float64", payload: stmt(`{"a":[-1.5e309]}`)},
		{name: "leading zero", payload: stmt(`{"a":01}`)},
		{name: "leading plus", payload: stmt(`{"a":+1}`)},
		{name: "bare minus", payload: stmt(`{"a":-}`)},
		{name: "dot without digits", payload: stmt(`{"a":1.}`)},
		{name: "exponent without digits", payload: stmt(`{"a":1e}`)},
		{name: "exponent sign without digits", payload: stmt(`{"a":1e+}`)},
		{name: "hex number", payload: stmt(`{"a":0x10}`)},
		{name: "NaN", payload: stmt(`{"a":NaN}`)},
		{name: "literal cut short", payload: stmt(`{"a":tru}`)},
		{name: "literal run on", payload: stmt(`{"a":truex}`)},
		{name: "capitalised literal", payload: stmt(`{"a":True}`)},
		{name: "invalid UTF-8 in predicate", payload: stmt("{\"a\":\"\xff\"}")},
		{name: "invalid UTF-8 in predicate key", payload: stmt("{\"\xc3\":1}")},
		{name: "UTF-8 surrogate in predicate", payload: stmt("{\"a\":\"\xed\xa0\x80\"}")},
		{name: "overlong UTF-8 in predicate", payload: stmt("{\"a\":\"\xc0\xaf\"}")},
		{name: "invalid UTF-8 in subject name", payload: "{\"subject\":[{\"name\":\"\xff\"}]}"},
		{name: "control character in string", payload: stmt("{\"a\":\"\x01\"}")},
		{name: "newline in string", payload: stmt("{\"a\":\"\n\"}")},
		{name: "lone high surrogate", payload: stmt(`{"a":"\ud800"}`)},
		{name: "lone low surrogate", payload: stmt(`{"a":"\udc00x"}`)},
		{name: "reversed surrogates", payload: stmt(`{"a":"\ude00\ud83d"}`)},
		{name: "high surrogate then letter escape", payload: stmt(`{"a":"\ud83d\n"}`)},
		{name: "bad escape", payload: stmt(`{"a":"\x"}`)},
		{name: "short unicode escape", payload: stmt(`{"a":"\u12"}`)},
		{name: "non-hex unicode escape", payload: stmt(`{"a":"\u12g4"}`)},
		{name: "unterminated string", payload: stmt(`{"a":"abc`)},
		{name: "unquoted key", payload: stmt(`{a:1}`)},
		{name: "key not a string", payload: stmt(`{1:1}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			accepted, fast := sameAsProtojson(t, []byte(tt.payload))
			if accepted != tt.accept {
				t.Fatalf("accepted = %v, want %v", accepted, tt.accept)
			}
			if accepted && fast == tt.slow {
				t.Fatalf("fast path = %v, want %v", fast, !tt.slow)
			}
		})
	}
}

// TestStatementHeaderTruncated: every proper prefix of a statement is
// refused, as protojson refuses it.
func TestStatementHeaderTruncated(t *testing.T) {
	full := stmt(`{"a":[1,-2.5e3,true,false,null,"s\u00e9\ud83d\ude00"],"b":{"c":{}},"d":[]}`)
	if accepted, fast := sameAsProtojson(t, []byte(full)); !accepted || !fast {
		t.Fatalf("the whole statement: accepted %v, fast %v", accepted, fast)
	}
	for n := range len(full) {
		if accepted, _ := sameAsProtojson(t, []byte(full[:n])); accepted {
			t.Fatalf("accepted the first %d bytes", n)
		}
	}
}

// TestStatementHeaderDeepNesting: nesting beyond what the fast path vouches
// for is left to protojson, which accepts a predicate nested to its
// recursion limit and refuses one level more, in objects and in arrays.
func TestStatementHeaderDeepNesting(t *testing.T) {
	if testing.Short() {
		t.Skip("protojson on 10,000 levels")
	}
	for _, c := range []struct{ open, close, inner string }{{"[", "]", "1"}, {`{"a":`, "}", "1"}, {"[", "]", "[]"}, {`{"a":`, "}", "{}"}} {
		var accepted []int
		for _, depth := range []int{scanMaxDepth - 3, scanMaxDepth, 9995, 9996, 9997, 9998} {
			ok, fast := sameAsProtojson(t, []byte(stmt(nested(c.open, c.close, depth, c.inner))))
			if ok {
				accepted = append(accepted, depth)
			}
			if fast != (depth < scanMaxDepth-2) {
				t.Errorf("%s at %d levels: fast path %v", c.open, depth, fast)
			}
		}
		if len(accepted) < 3 || len(accepted) == 6 {
			t.Errorf("%s…%s: accepted at %v levels; the limit is not among those tried", c.open, c.inner, accepted)
		}
	}
}

// TestClaimsStatementHeader: StatementHeader reads what Statement reads,
// refuses what it refuses, and says why in the same words.
func TestClaimsStatementHeader(t *testing.T) {
	envelope := func(payloadType, payload string) *Claims {
		return &Claims{Envelope: &protodsse.Envelope{PayloadType: payloadType, Payload: []byte(payload)}}
	}
	for _, c := range []*Claims{
		{MessageDigest: &Digest{Algorithm: "sha256", Hex: testDigest}},
		envelope("text/plain", stmt(`{}`)),
		envelope(InTotoPayloadType, stmt(`{"a":1,"a":2}`)),
		envelope(InTotoPayloadType, `{`),
	} {
		_, want := c.Statement()
		_, err := c.StatementHeader()
		if want == nil || err == nil || err.Error() != want.Error() {
			t.Errorf("StatementHeader error %v, Statement's %v", err, want)
		}
	}
	h, err := envelope(InTotoPayloadType, stmt(`{"components":[]}`)).StatementHeader()
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != "https://in-toto.io/Statement/v1" || h.PredicateType != "https://cyclonedx.org/bom" || len(h.Subject) != 1 ||
		h.Subject[0].GetName() != "app" || h.Subject[0].GetDigest()["sha256"] != testDigest {
		t.Fatalf("header %+v", h)
	}
}

// FuzzStatementHeader: on any payload, decodeStatementHeader agrees with
// protojson decoding an intoto.Statement, a predicate that is no object
// read as null (predicateAsNull).
func FuzzStatementHeader(f *testing.F) {
	for _, seed := range []string{
		stmt(`{"a":[1,-2.5e3,true,false,null,"s\u00e9\ud83d\ude00"],"b":{"c":{}}}`),
		stmt(`{"a":1,"a":2}`), stmt(`null`), stmt(`[]`), stmt(`{"a":1e400}`),
		`{"predicate_type":"p","subject":[{"name":"n","digest":{"sha256":"ab"},"annotations":{"x":[{}]},"content":"aGk="}]}`,
		`{"subject":[null]}`, `{}`, ``, `[`, `{"predicate":{"\u0061":1,"a":2}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		sameAsProtojson(t, payload)
	})
}

// TestPlainRun: the word-at-a-time scan stops at exactly the first byte a
// string does not hold as it is, wherever it is in a word.
func TestPlainRun(t *testing.T) {
	for c := range 256 {
		for n := range 20 {
			for p := range n {
				d := []byte(strings.Repeat("a", n))
				d[p] = byte(c)
				want := n
				if !strPlain[c] {
					want = p
				}
				for from := 0; from <= p; from++ {
					if got := plainRun(d, from); got != want {
						t.Fatalf("byte %#x at %d of %d, from %d: %d, want %d", c, p, n, from, got, want)
					}
				}
			}
		}
	}
	// A special byte after another: the first one wins.
	if got := plainRun([]byte(`abc"\ def`), 0); got != 3 {
		t.Fatalf("got %d", got)
	}
}

// predicateAsNull is the statement as decodeStatementHeader means to read
// it: a predicate that is a JSON value other than an object stands for no
// predicate (cosign attest --type spdx signs tag-value text as a string).
// Written with encoding/json, apart from the scanner under test.
func predicateAsNull(payload []byte) []byte {
	var members map[string]json.RawMessage
	if json.Unmarshal(payload, &members) != nil || bytes.Count(payload, []byte(`"predicate"`)) > 1 {
		return payload
	}
	p, ok := members["predicate"]
	if !ok || len(p) == 0 || p[0] == '{' {
		return payload
	}
	members["predicate"] = json.RawMessage("null")
	out, _ := json.Marshal(members)
	return out
}
