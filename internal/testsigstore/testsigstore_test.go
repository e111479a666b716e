package testsigstore

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

const (
	ghSubject = "https://github.com/vmafx/vmafx/.github/workflows/release.yml@refs/tags/v1.4.0"
	ghIssuer  = "https://token.actions.githubusercontent.com"
	mailSubj  = "releaser@example.com"
	mailIss   = "https://accounts.example.com"
)

type kind int

const (
	kindBlob kind = iota
	kindAttest
	kindKey
)

// signed is what one table case produces.
type signed struct {
	bundleJSON []byte
	artifact   []byte // blob bytes (blob/key) or the attested subject's bytes
	publicKey  []byte // PEM, kindKey only
}

func newSigstore(t *testing.T) (*Sigstore, root.TrustedMaterial) {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := s.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := root.NewTrustedRootFromJSON(trJSON)
	if err != nil {
		t.Fatalf("trusted root does not parse: %v", err)
	}
	return s, tr
}

func statementFor(subjectName string, data []byte) []byte {
	sum := sha256.Sum256(data)
	st := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": subjectName, "digest": map[string]string{"sha256": hex.EncodeToString(sum[:])}}},
		"predicateType": "https://slsa.dev/provenance/v1",
		"predicate":     map[string]any{"buildDefinition": map[string]any{"buildType": "https://example.com/test"}},
	}
	b, err := json.Marshal(st)
	if err != nil {
		panic(err)
	}
	return b
}

func produce(t *testing.T, s *Sigstore, k kind, subject, issuer string) signed {
	t.Helper()
	data := []byte("vmafx test artifact\x00\x01\x02 " + subject)
	switch k {
	case kindBlob:
		b, err := s.SignBlob(subject, issuer, data)
		if err != nil {
			t.Fatal(err)
		}
		return signed{bundleJSON: b, artifact: data}
	case kindAttest:
		b, err := s.Attest(subject, issuer, statementFor("libvmaf.so", data))
		if err != nil {
			t.Fatal(err)
		}
		return signed{bundleJSON: b, artifact: data}
	case kindKey:
		b, pub, err := s.SignBlobKey(data)
		if err != nil {
			t.Fatal(err)
		}
		return signed{bundleJSON: b, artifact: data, publicKey: pub}
	}
	t.Fatalf("unknown kind %d", k)
	return signed{}
}

func loadBundle(t *testing.T, js []byte) *bundle.Bundle {
	t.Helper()
	var b bundle.Bundle
	if err := b.UnmarshalJSON(js); err != nil {
		t.Fatalf("bundle does not load: %v\n%s", err, js)
	}
	return &b
}

// check verifies b the way the project's verifier does: one tlog entry,
// one observer timestamp, no SCTs.
func check(tm root.TrustedMaterial, b *bundle.Bundle, artifact verify.ArtifactPolicyOption, id verify.PolicyOption) error {
	v, err := verify.NewVerifier(tm, verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1))
	if err != nil {
		return fmt.Errorf("new verifier: %w", err)
	}
	_, err = v.Verify(b, verify.NewPolicy(artifact, id))
	return err
}

func identity(t *testing.T, subject, issuer string) verify.PolicyOption {
	t.Helper()
	ci, err := verify.NewShortCertificateIdentity(issuer, "", subject, "")
	if err != nil {
		t.Fatal(err)
	}
	return verify.WithCertificateIdentity(ci)
}

// sigOnly runs only the cryptographic signature check of b (no tlog,
// timestamps or identity), over artifact for message signatures.
func sigOnly(b *bundle.Bundle, tm root.TrustedMaterial, artifact []byte) error {
	sc, err := b.SignatureContent()
	if err != nil {
		return err
	}
	vc, err := b.VerificationContent()
	if err != nil {
		return err
	}
	if artifact == nil {
		return verify.VerifySignature(sc, vc, tm)
	}
	return verify.VerifySignatureWithArtifacts(sc, vc, tm, []io.Reader{bytes.NewReader(artifact)})
}

func flipLast(b []byte) { b[len(b)-1] ^= 0x01 }

// mustFail reports an error if err is nil (verification wrongly passed) and
// logs the rejection reason otherwise.
func mustFail(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		t.Error(what)
		return
	}
	t.Logf("rejected as expected: %v", err)
}

func TestBundlesVerify(t *testing.T) {
	s, tr := newSigstore(t)

	tests := []struct {
		name            string
		kind            kind
		subject, issuer string
	}{
		{"blob/github-workflow-subject", kindBlob, ghSubject, ghIssuer},
		{"blob/email-subject", kindBlob, mailSubj, mailIss},
		{"attest/github-workflow-subject", kindAttest, ghSubject, ghIssuer},
		{"attest/email-subject", kindAttest, mailSubj, mailIss},
		{"key", kindKey, "", ""},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sg := produce(t, s, tc.kind, tc.subject, tc.issuer)

			// Shape checks on the serialised bundle.
			b := loadBundle(t, sg.bundleJSON)
			if b.GetMediaType() != BundleMediaType {
				t.Errorf("media type = %q", b.GetMediaType())
			}
			vm := b.GetVerificationMaterial()
			if len(vm.GetTlogEntries()) != 1 {
				t.Fatalf("want 1 tlog entry, got %d", len(vm.GetTlogEntries()))
			}
			tle := vm.GetTlogEntries()[0]
			if len(tle.GetInclusionPromise().GetSignedEntryTimestamp()) == 0 || tle.GetInclusionProof() == nil {
				t.Errorf("tlog entry lacks promise or proof")
			}
			if len(vm.GetTimestampVerificationData().GetRfc3161Timestamps()) != 1 {
				t.Errorf("want 1 RFC 3161 timestamp")
			}
			if vm.GetX509CertificateChain() != nil {
				t.Errorf("v0.3 bundle must not carry a certificate chain")
			}

			// How to verify this case, and how to break it.
			tm := tr
			artifactOK := func() verify.ArtifactPolicyOption { return verify.WithArtifact(bytes.NewReader(sg.artifact)) }
			var idOK verify.PolicyOption
			var idWrong []verify.PolicyOption
			switch tc.kind {
			case kindBlob, kindAttest:
				cert := vm.GetCertificate()
				if cert == nil {
					t.Fatal("no leaf certificate in bundle")
				}
				c, err := x509.ParseCertificate(cert.GetRawBytes())
				if err != nil {
					t.Fatal(err)
				}
				// Documented behaviour of ca.GenerateLeafCert: always an e-mail SAN.
				if len(c.EmailAddresses) != 1 || c.EmailAddresses[0] != tc.subject || len(c.URIs) != 0 {
					t.Errorf("SANs: email=%v uri=%v", c.EmailAddresses, c.URIs)
				}
				idOK = identity(t, tc.subject, tc.issuer)
				idWrong = []verify.PolicyOption{
					identity(t, tc.subject+"x", tc.issuer),
					identity(t, tc.subject, tc.issuer+"/other"),
				}
				if tc.kind == kindAttest {
					sum := sha256.Sum256(sg.artifact)
					artifactOK = func() verify.ArtifactPolicyOption { return verify.WithArtifactDigest("sha256", sum[:]) }
					if b.GetDsseEnvelope().GetPayloadType() != InTotoPayloadType {
						t.Errorf("payload type %q", b.GetDsseEnvelope().GetPayloadType())
					}
				}
			case kindKey:
				if vm.GetPublicKey() == nil {
					t.Fatal("key bundle has no public key identifier")
				}
				hint, err := KeyHint(sg.publicKey)
				if err != nil {
					t.Fatal(err)
				}
				if got := vm.GetPublicKey().GetHint(); got != hint {
					t.Errorf("hint = %q, want %q", got, hint)
				}
				tm, err = KeyTrustedMaterial(tr, sg.publicKey)
				if err != nil {
					t.Fatal(err)
				}
				idOK = verify.WithKey()
				// A different key registered under the same hint.
				_, otherPub, err := s.SignBlobKey([]byte("other"))
				if err != nil {
					t.Fatal(err)
				}
				wrongTM := withKeyUnderHint(t, tr, hint, otherPub)
				t.Run("wrong-key", func(t *testing.T) {
					mustFail(t, check(wrongTM, loadBundle(t, sg.bundleJSON), artifactOK(), idOK), "verified with the wrong key")
				})
				t.Run("cert-identity-on-key-bundle", func(t *testing.T) {
					mustFail(t, check(tm, loadBundle(t, sg.bundleJSON), artifactOK(), identity(t, ghSubject, ghIssuer)), "key bundle satisfied a certificate identity policy")
				})
			}

			if err := check(tm, b, artifactOK(), idOK); err != nil {
				t.Fatalf("fresh bundle does not verify: %v", err)
			}
			var art []byte
			if tc.kind != kindAttest {
				art = sg.artifact
			}
			if err := sigOnly(b, tm, art); err != nil {
				t.Fatalf("fresh bundle's signature does not verify on its own: %v", err)
			}

			t.Run("flipped-data", func(t *testing.T) {
				if tc.kind == kindAttest {
					// The attested data is the statement inside the envelope.
					bb := loadBundle(t, sg.bundleJSON)
					p := bb.GetDsseEnvelope().Payload
					p[len(p)/2] ^= 0x01
					mustFail(t, check(tm, bb, artifactOK(), idOK), "verified with a flipped statement byte")
					mustFail(t, sigOnly(bb, tm, nil), "DSSE signature accepted a flipped statement byte")
					// And a different subject artifact must not match either.
					bad := bytes.Clone(sg.artifact)
					flipLast(bad)
					sum := sha256.Sum256(bad)
					mustFail(t, check(tm, loadBundle(t, sg.bundleJSON), verify.WithArtifactDigest("sha256", sum[:]), idOK), "verified against a different artifact digest")
					return
				}
				bad := bytes.Clone(sg.artifact)
				bad[len(bad)/2] ^= 0x01
				mustFail(t, check(tm, loadBundle(t, sg.bundleJSON), verify.WithArtifact(bytes.NewReader(bad)), idOK), "verified with a flipped data byte")
				mustFail(t, sigOnly(loadBundle(t, sg.bundleJSON), tm, bad), "signature check accepted a flipped data byte")
			})

			t.Run("flipped-signature", func(t *testing.T) {
				bb := loadBundle(t, sg.bundleJSON)
				if env := bb.GetDsseEnvelope(); env != nil {
					flipLast(env.Signatures[0].Sig)
				} else {
					flipLast(bb.GetMessageSignature().Signature)
				}
				mustFail(t, check(tm, bb, artifactOK(), idOK), "verified with a flipped signature byte")
				// The full check above stops at the tlog (which recorded the
				// original signature); check the signature itself too.
				mustFail(t, sigOnly(bb, tm, art), "signature check accepted a flipped signature byte")
			})

			for i, id := range idWrong {
				t.Run(fmt.Sprintf("wrong-identity-%d", i), func(t *testing.T) {
					mustFail(t, check(tm, loadBundle(t, sg.bundleJSON), artifactOK(), id), "verified with a wrong identity")
				})
			}
		})
	}
}

// withKeyUnderHint registers pubPEM under hint (not its own hint).
func withKeyUnderHint(t *testing.T, base root.TrustedMaterial, hint string, pubPEM []byte) root.TrustedMaterial {
	t.Helper()
	tm, err := KeyTrustedMaterial(base, pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	own, err := KeyHint(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	return root.TrustedMaterialCollection{base, root.NewTrustedPublicKeyMaterial(func(id string) (root.TimeConstrainedVerifier, error) {
		if id != hint {
			return nil, fmt.Errorf("unknown key %q", id)
		}
		return tm.PublicKeyVerifier(own)
	})}
}

func TestTrustedRootJSON(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	js, err := s.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(js, &raw); err != nil {
		t.Fatal(err)
	}
	var mt string
	_ = json.Unmarshal(raw["mediaType"], &mt)
	if mt != root.TrustedRootMediaType01 {
		t.Errorf("mediaType = %q", mt)
	}
	if _, ok := raw["ctlogs"]; ok {
		t.Errorf("trusted root lists CT logs: %s", raw["ctlogs"])
	}
	tr, err := root.NewTrustedRootFromJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tr.CTLogs()); n != 0 {
		t.Errorf("%d CT logs", n)
	}
	if n := len(tr.RekorLogs()); n != 1 {
		t.Errorf("%d rekor logs", n)
	}
	if n := len(tr.FulcioCertificateAuthorities()); n != 1 {
		t.Errorf("%d CAs", n)
	}
	if n := len(tr.TimestampingAuthorities()); n != 1 {
		t.Errorf("%d TSAs", n)
	}
	again, err := s.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	_ = json.Unmarshal(js, &a)
	_ = json.Unmarshal(again, &b)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("TrustedRootJSON is not stable across calls")
	}
}

func TestKeyHint(t *testing.T) {
	if _, err := KeyHint([]byte("nope")); err == nil {
		t.Error("KeyHint accepted garbage")
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})
	if _, err := KeyHint(cert); err == nil || !strings.Contains(err.Error(), "PUBLIC KEY") {
		t.Errorf("KeyHint on a certificate block: %v", err)
	}
}

// A bundle from one Sigstore must not verify against another's root.
func TestForeignRoot(t *testing.T) {
	s1, _ := newSigstore(t)
	_, tr2 := newSigstore(t)
	js, err := s1.SignBlob(ghSubject, ghIssuer, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	mustFail(t, check(tr2, loadBundle(t, js), verify.WithArtifact(bytes.NewReader([]byte("x"))), identity(t, ghSubject, ghIssuer)), "verified against a foreign trusted root")
}
