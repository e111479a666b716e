package trust_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"

	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// TestVerifyBundleKeyAlgorithms: key-signed message signatures of every key
// type a release may use verify — with the transparency log (against the
// trusted root and the key) and without it (the key alone, insecure
// ignore_tlog) — and fail with the wrong digest or another key.
func TestVerifyBundleKeyAlgorithms(t *testing.T) {
	e := testEnv(t)
	data := []byte("release bytes signed with a long-lived key")
	digestFor := func(alg string, b []byte) trust.Digest {
		switch alg {
		case "sha384":
			s := sha512.Sum384(b)
			return trust.Digest{Algorithm: alg, Hex: hex.EncodeToString(s[:])}
		case "sha512":
			s := sha512.Sum512(b)
			return trust.Digest{Algorithm: alg, Hex: hex.EncodeToString(s[:])}
		}
		s := sha256.Sum256(b)
		return trust.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
	}
	algs := []struct {
		name   string
		alg    protocommon.PublicKeyDetails
		digest string
	}{
		{"ECDSA P-256", protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, "sha256"},
		{"ECDSA P-384", protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384, "sha384"},
		{"ECDSA P-521", protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512, "sha512"},
		{"RSA 2048", protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256, "sha256"},
		{"RSA 3072", protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_3072_SHA256, "sha256"},
		{"Ed25519ph", protocommon.PublicKeyDetails_PKIX_ED25519_PH, "sha512"},
	}
	for _, a := range algs {
		t.Run(a.name, func(t *testing.T) {
			bundle, pub, err := e.s.SignBlobWithKey(data, a.alg)
			if err != nil {
				t.Fatal(err)
			}
			_, otherPub, err := e.s.SignBlobWithKey(data, a.alg)
			if err != nil {
				t.Fatal(err)
			}
			c, err := trust.PeekBundle(bundle)
			if err != nil {
				t.Fatal(err)
			}
			if c.MessageDigest == nil || c.MessageDigest.Algorithm != a.digest {
				t.Fatalf("bundle signs %v, want a %s digest", c.MessageDigest, a.digest)
			}
			good := digestFor(a.digest, data)
			bad := digestFor(a.digest, []byte("other bytes"))
			withLog := mustMaterial(t, "root+key", e.rootJSON, pub)
			keyOnly := mustMaterial(t, "key", nil, pub)
			other := mustMaterial(t, "other key", e.rootJSON, otherPub)
			ignoreTlog := trust.Requirements{IgnoreTlog: true}

			cases := []struct {
				name string
				m    *trust.Material
				d    trust.Digest
				req  trust.Requirements
				pass bool
			}{
				{"with the log", withLog, good, trust.Requirements{}, true},
				{"key only, ignoring the log", keyOnly, good, ignoreTlog, true},
				{"with the log, wrong digest", withLog, bad, trust.Requirements{}, false},
				{"key only, wrong digest", keyOnly, bad, ignoreTlog, false},
				{"another key", other, good, trust.Requirements{}, false},
			}
			for _, tc := range cases {
				out, err := trust.VerifyBundle(tc.m, trust.BundleCheck{Bundle: bundle, Digest: tc.d, UseKey: true, Requirements: tc.req})
				if tc.pass {
					if err != nil {
						t.Errorf("%s: %v", tc.name, err)
					} else if out.Signer == nil || out.Signer.KeyID != tc.m.Keys[0].ID {
						t.Errorf("%s: signer %+v", tc.name, out.Signer)
					}
					continue
				}
				if err == nil {
					t.Errorf("%s: passed", tc.name)
				}
			}
		})
	}
}

// TestVerifyBundleEd25519WholeFileSignature: an Ed25519 key with a message
// signature over anything but a SHA-512 digest (a pure Ed25519 signature of
// the whole file, say) fails with the reason, not a bare signature error.
func TestVerifyBundleEd25519WholeFileSignature(t *testing.T) {
	e := testEnv(t)
	data := []byte("release bytes")
	bundle, pub, err := e.s.SignBlobWithKey(data, protocommon.PublicKeyDetails_PKIX_ED25519_PH)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(bundle, &doc); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	md := doc["messageSignature"].(map[string]any)["messageDigest"].(map[string]any)
	md["algorithm"] = "SHA2_256"
	md["digest"] = base64.StdEncoding.EncodeToString(sum[:])
	relabelled, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	m := mustMaterial(t, "key", nil, pub)
	_, err = trust.VerifyBundle(m, trust.BundleCheck{
		Bundle: relabelled, Digest: trust.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])},
		UseKey: true, Requirements: trust.Requirements{IgnoreTlog: true},
	})
	wantErrContains(t, err, "Ed25519 key", "Ed25519ph over SHA-512", "signs a sha256 digest")
}

// TestVerifyBundleKeyAttestations: DSSE attestations signed with a key —
// pure Ed25519 over the envelope, as DSSE specifies, and ECDSA — verify with
// that key (timestamped, no log entry) and fail with another.
func TestVerifyBundleKeyAttestations(t *testing.T) {
	e := testEnv(t)
	subject := []byte("the attested file")
	st := inTotoStatement("file", sha256Digest(subject), "https://slsa.dev/provenance/v1")
	for _, alg := range []protocommon.PublicKeyDetails{protocommon.PublicKeyDetails_PKIX_ED25519, protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256} {
		t.Run(alg.String(), func(t *testing.T) {
			bundle, pub, err := e.s.AttestWithKey(st, alg)
			if err != nil {
				t.Fatal(err)
			}
			_, otherPub, err := e.s.AttestWithKey(st, alg)
			if err != nil {
				t.Fatal(err)
			}
			one := 1
			req := trust.Requirements{IgnoreTlog: true, TimestampThreshold: &one}
			out, err := trust.VerifyBundle(mustMaterial(t, "root+key", e.rootJSON, pub), trust.BundleCheck{Bundle: bundle, Digest: sha256Digest(subject), UseKey: true, Requirements: req})
			if err != nil {
				t.Fatalf("with its key: %v", err)
			}
			if out.PredicateType != "https://slsa.dev/provenance/v1" || len(out.TimeSources) != 1 || !strings.HasPrefix(out.TimeSources[0], "TimestampAuthority ") {
				t.Errorf("outcome %+v: want the predicate and the TSA's time", out)
			}
			if _, err := trust.VerifyBundle(mustMaterial(t, "other", e.rootJSON, otherPub), trust.BundleCheck{Bundle: bundle, Digest: sha256Digest(subject), UseKey: true, Requirements: req}); err == nil {
				t.Error("verified with another key")
			}
			if _, err := trust.VerifyBundle(mustMaterial(t, "root+key", e.rootJSON, pub), trust.BundleCheck{Bundle: bundle, Digest: sha256Digest([]byte("another file")), UseKey: true, Requirements: req}); err == nil {
				t.Error("verified for a file the statement does not name")
			}
		})
	}
}
