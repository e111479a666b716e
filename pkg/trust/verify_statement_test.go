package trust_test

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// sigstoreVerdict is what sigstore-go alone decides about an attestation
// bundle bound to digest, verified as VerifyBundle verifies the test
// Sigstore's bundles: one log entry, one observer timestamp, the digest.
func sigstoreVerdict(t *testing.T, rootJSON, bundleJSON []byte, digest trust.Digest) error {
	t.Helper()
	tr, err := root.NewTrustedRootFromJSON(rootJSON)
	if err != nil {
		t.Fatal(err)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		return err
	}
	v, err := verify.NewVerifier(tr, verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1))
	if err != nil {
		t.Fatal(err)
	}
	d, err := hex.DecodeString(digest.Hex)
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest(digest.Algorithm, d), verify.WithoutIdentitiesUnsafe()))
	return err
}

// TestVerifyBundleStatements: signed statements that are odd, malformed or
// bound in unusual ways verify with VerifyBundle exactly when sigstore-go
// verifies them by itself (decoding the whole statement with protojson and
// binding the digest), and the predicate type comes out of the statement.
func TestVerifyBundleStatements(t *testing.T) {
	e := testEnv(t)
	m := mustMaterial(t, "ts", e.rootJSON)
	ids := []trust.Identity{{Name: "release", Issuer: tsGHIssuer, Subject: tsGHSubject}}
	d := sha256Digest([]byte("the attested file"))
	subject := `{"name":"f","digest":{"sha256":"` + d.Hex + `"}}`
	st := func(subjects, pred string) string {
		return `{"_type":"https://in-toto.io/Statement/v1","subject":[` + subjects + `],"predicateType":"https://cyclonedx.org/bom","predicate":` + pred + `}`
	}
	many := func(n int, each string) string {
		return strings.TrimSuffix(strings.Repeat(each+",", n), ",")
	}
	digests := func(n int) string {
		var b strings.Builder
		for i := range n - 1 {
			fmt.Fprintf(&b, `"alg%d":"00",`, i)
		}
		return `{"name":"f","digest":{` + b.String() + `"sha256":"` + d.Hex + `"}}`
	}
	annotated := func(depth int) string {
		return `{"annotations":{"a":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}}`
	}
	tests := []struct {
		name      string
		statement string
		accept    bool
	}{
		{"statement", st(subject, `{"components":[{"name":"a"}],"version":1}`), true},
		{"null predicate", st(subject, `null`), true},
		{"wrong _type", strings.Replace(st(subject, `{}`), "https://in-toto.io/Statement/v1", "https://example.com/other", 1), true},
		{"the subject among others", st(`{"name":"a","digest":{"sha256":"`+strings.Repeat("0", 64)+`"}},`+subject, `{}`), true},
		{"upper-case hex in the statement", st(`{"name":"f","digest":{"sha256":"`+strings.ToUpper(d.Hex)+`"}}`, `{}`), true},
		{"1024 subjects", st(many(1023, `{"digest":{"sha256":"00"}}`)+","+subject, `{}`), true},
		{"32 digests", st(digests(32), `{}`), true},
		{"predicate nested past the fast path", st(subject, `{"a":`+strings.Repeat("[", 1200)+strings.Repeat("]", 1200)+`}`), true},
		{"escaped key in the predicate", st(subject, `{"\u0061":1,"b":2}`), true},
		// protojson accepts annotations nested a level deeper than
		// encoding/json does (sigstore-go decodes a statement with both).
		{"annotations nested to encoding/json's limit", st(annotated(9996)+","+subject, `{}`), true},

		{"no subject", `{"_type":"https://in-toto.io/Statement/v1","predicateType":"p","predicate":{}}`, false},
		{"another subject only", st(`{"digest":{"sha256":"`+strings.Repeat("0", 64)+`"}}`, `{}`), false},
		{"upper-case algorithm", st(`{"digest":{"SHA256":"`+d.Hex+`"}}`, `{}`), false},
		{"undecodable hex in another subject", st(`{"digest":{"sha256":"zz"}},`+subject, `{}`), false},
		{"1025 subjects", st(many(1024, `{"digest":{"sha256":"00"}}`)+","+subject, `{}`), false},
		{"33 digests", st(digests(33), `{}`), false},
		{"duplicate key in the predicate", st(subject, `{"a":1,"a":1}`), false},
		{"duplicate key spelt with an escape", st(subject, `{"a":1,"\u0061":1}`), false},
		{"number past float64 in the predicate", st(subject, `{"a":1e999}`), false},
		{"lone surrogate in the predicate", st(subject, `{"a":"\udc00"}`), false},
		{"invalid UTF-8 in the predicate", st(subject, "{\"a\":\"\xff\"}"), false},
		{"predicate array", st(subject, `[]`), false},
		{"unknown field", strings.TrimSuffix(st(subject, `{}`), "}") + `,"x":1}`, false},
		{"case variant of subject", strings.Replace(st(subject, `{}`), `"subject"`, `"Subject"`, 1), false},
		{"duplicate subject", strings.Replace(st(subject, `{}`), `"subject"`, `"subject":[],"subject"`, 1), false},
		{"duplicate digest algorithm", st(`{"digest":{"sha256":"`+d.Hex+`","sha256":"`+d.Hex+`"}}`, `{}`), false},
		{"truncated", strings.TrimSuffix(st(subject, `{}`), "}"), false},
		{"trailing garbage", st(subject, `{}`) + "x", false},
		{"annotations nested past encoding/json's limit", st(annotated(9997)+","+subject, `{}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := e.s.Attest(tsGHSubject, tsGHIssuer, []byte(tt.statement))
			if err != nil {
				t.Fatal(err)
			}
			want := sigstoreVerdict(t, e.rootJSON, b, d)
			out, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: b, Digest: d, Identities: ids})
			if strings.HasPrefix(tt.name, "predicate array") {
				// The one deliberate difference: a predicate that is no
				// JSON object (cosign attest --type spdx signs tag-value
				// text as a string) verifies; sigstore-go's strict
				// decoding refuses it.
				if want == nil || err != nil {
					t.Fatalf("sigstore-go's verdict %v, VerifyBundle's %v; want sigstore-go to refuse and VerifyBundle to accept", want, err)
				}
				return
			}
			switch {
			case (want == nil) != tt.accept:
				t.Fatalf("sigstore-go's verdict %v; the test expects accepted = %v", want, tt.accept)
			case want == nil && err != nil:
				t.Fatalf("VerifyBundle refuses what sigstore-go accepts: %v", err)
			case want != nil && err == nil:
				t.Fatalf("VerifyBundle accepts what sigstore-go refuses: %v", want)
			case err == nil && out.PredicateType != "https://cyclonedx.org/bom" && tt.name != "no subject":
				t.Fatalf("predicate type %q", out.PredicateType)
			}
			if err != nil {
				t.Logf("refused: %v", err)
			}
		})
	}
}
