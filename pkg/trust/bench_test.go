package trust_test

import (
	"testing"

	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// BenchmarkVerifyBundle is the host's cost per piece of evidence: one
// keyless bundle (Fulcio-style certificate, transparency-log entry with
// inclusion proof and promise, RFC 3161 timestamp) verified against its
// trust root and an identity, as `check` does for every blob.
func BenchmarkVerifyBundle(b *testing.B) {
	e := testEnv(b)
	m, err := trust.NewMaterial("ts", e.rootJSON, nil)
	if err != nil {
		b.Fatal(err)
	}
	check := trust.BundleCheck{
		Bundle:     e.blobBundle,
		Digest:     sha256Digest(e.blob),
		Identities: []trust.Identity{{Name: "release", Issuer: tsGHIssuer, Subject: tsGHSubject}},
	}
	b.ReportAllocs()
	for b.Loop() {
		out, err := trust.VerifyBundle(m, check)
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Matched) != 1 {
			b.Fatalf("matched %v", out.Matched)
		}
	}
}

// BenchmarkPeekBundle is a plugin's cost to bind a bundle to its artifact.
func BenchmarkPeekBundle(b *testing.B) {
	e := testEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		c, err := trust.PeekBundle(e.blobBundle)
		if err != nil {
			b.Fatal(err)
		}
		if c.MessageDigest == nil {
			b.Fatal("no message digest")
		}
	}
}
