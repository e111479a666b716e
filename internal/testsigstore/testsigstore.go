// Package testsigstore is a small, fully offline Sigstore for tests and
// demos. It wraps sigstore-go's in-memory ca.VirtualSigstore (a Fulcio-like
// CA, a Rekor-like transparency log key and an RFC 3161 timestamp authority)
// and turns what it produces into real, serialisable Sigstore bundles
// (media type application/vnd.dev.sigstore.bundle.v0.3+json) plus a matching
// trusted_root.json, so that code under test can exercise the same
// verification path it uses for production bundles.
//
// # Certificates
//
// Leaf certificates come from ca.GenerateLeafCert, which always puts the
// signing subject into an rfc822Name (e-mail) Subject Alternative Name — for
// an e-mail address and for a URI-like subject such as a GitHub Actions
// workflow ref alike. It never emits a URI SAN, unlike the real Fulcio, which
// issues a URI SAN for workflow identities. sigstore-go's certificate
// summary takes the first URI SAN, else the first e-mail SAN, so SAN
// matching by value or regexp still works with either kind of subject; code
// that looks only at x509.Certificate.URIs will not find the subject. The
// OIDC issuer is written to the legacy Fulcio issuer extension
// (1.3.6.1.4.1.57264.1.1). No other Fulcio extensions (source repository,
// workflow ref, …) are present. For those, NewWithClaimsCA adds a second CA
// whose leaves (AttestWithClaims) carry a URI SAN and the Fulcio claims given,
// as real Fulcio certificates for CI identities do.
//
// The CA issues no SCTs, and the trusted root produced by TrustedRootJSON
// lists no CT logs, so verifiers must not require SCTs.
//
// # Lifetime
//
// Everything is generated fresh by New and lives only in memory. The virtual
// TSA's leaf certificate is valid from 5 minutes before New until 5 minutes
// after it, and the virtual CA for about an hour, so sign within a few
// minutes of calling New. Verification does not depend on the wall clock:
// with observer timestamps (verify.WithObserverTimestamps) the chain is
// checked at the signing time, so bundles stay verifiable against their
// trusted root afterwards.
//
// # Transparency log entries
//
// Each bundle carries one Rekor v1 entry (hashedrekord 0.0.1 for message
// signatures, dsse 0.0.1 for attestations) with an inclusion promise (SET)
// and an inclusion proof. The VirtualSigstore can only produce inclusion
// proofs for a one-leaf tree, so every entry is logged at index 0 of its own
// tree of size 1, with a checkpoint signed by the virtual log key. Integrated
// times for certificate-based bundles are "now + 5 minutes", as the
// VirtualSigstore does, which lies inside the 10-minute leaf validity.
package testsigstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
)

// BundleMediaType is the media type of every bundle this package produces.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// InTotoPayloadType is the DSSE payload type used by Attest.
const InTotoPayloadType = "application/vnd.in-toto+json"

// Sigstore is an in-memory Sigstore instance. It is safe for concurrent use.
type Sigstore struct {
	vs *ca.VirtualSigstore

	// rekorLog describes the virtual log with its ID as the raw SHA-256 of
	// the log's public key (the VirtualSigstore's own RekorLogs() uses the
	// hex string's bytes, which would not round-trip through a trusted
	// root); rekorLogID is that ID hex-encoded.
	rekorLog   *root.TransparencyLog
	rekorLogID string

	// claims is the second CA of NewWithClaimsCA, nil otherwise.
	claims *claimsCA
}

// New creates a fresh virtual Sigstore with new keys.
func New() (*Sigstore, error) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		return nil, fmt.Errorf("testsigstore: creating virtual sigstore: %w", err)
	}
	logs := vs.RekorLogs()
	if len(logs) != 1 {
		return nil, fmt.Errorf("testsigstore: expected 1 virtual rekor log, got %d", len(logs))
	}
	var s *Sigstore
	for idHex, l := range logs {
		rawID, err := hex.DecodeString(idHex)
		if err != nil {
			return nil, fmt.Errorf("testsigstore: decoding rekor log ID: %w", err)
		}
		fixed := *l
		fixed.ID = rawID
		s = &Sigstore{vs: vs, rekorLog: &fixed, rekorLogID: idHex}
	}
	return s, nil
}

// VirtualSigstore returns the wrapped ca.VirtualSigstore, for tests that
// need lower-level access.
func (s *Sigstore) VirtualSigstore() *ca.VirtualSigstore { return s.vs }

// TrustedRoot returns the trusted root as a sigstore-go object: the virtual
// Fulcio CA, the Rekor log and the TSA, and no CT logs.
func (s *Sigstore) TrustedRoot() (*root.TrustedRoot, error) {
	cas := s.vs.FulcioCertificateAuthorities()
	if s.claims != nil {
		cas = append(cas, s.claims.ca)
	}
	return root.NewTrustedRoot(root.TrustedRootMediaType01,
		cas,
		map[string]*root.TransparencyLog{}, // no CT logs: the virtual CA issues no SCTs
		s.vs.TimestampingAuthorities(),
		map[string]*root.TransparencyLog{s.rekorLogID: s.rekorLog},
	)
}

// TrustedRootJSON returns a Sigstore trusted_root.json (media type
// application/vnd.dev.sigstore.trustedroot+json;version=0.1) holding the
// virtual Fulcio CA, Rekor log and TSA. It lists no CT logs, because the
// virtual CA issues no SCTs; verifiers that require an SCT whenever the root
// has CT logs therefore do not demand one.
func (s *Sigstore) TrustedRootJSON() ([]byte, error) {
	tr, err := s.TrustedRoot()
	if err != nil {
		return nil, fmt.Errorf("testsigstore: building trusted root: %w", err)
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("testsigstore: marshalling trusted root: %w", err)
	}
	return b, nil
}

// SignBlob signs data keylessly as (subject, issuer) and returns Sigstore
// bundle v0.3 JSON holding a message signature (SHA-256 digest), the leaf
// certificate only, one Rekor hashedrekord entry with inclusion promise and
// inclusion proof, and one RFC 3161 timestamp. The subject lands in an
// e-mail SAN whatever its form; see the package documentation.
func (s *Sigstore) SignBlob(subject, issuer string, data []byte) ([]byte, error) {
	ent, err := s.vs.Sign(subject, issuer, data)
	if err != nil {
		return nil, fmt.Errorf("testsigstore: signing: %w", err)
	}
	return s.entityBundleJSON(ent)
}

// Attest signs an in-toto Statement (JSON) in a DSSE envelope with payload
// type application/vnd.in-toto+json, keylessly as (subject, issuer), and
// returns a bundle in the same format as SignBlob, with a dsse tlog entry.
// The statement is signed as given; it is not parsed or validated here.
func (s *Sigstore) Attest(subject, issuer string, statementJSON []byte) ([]byte, error) {
	ent, err := s.vs.Attest(subject, issuer, statementJSON)
	if err != nil {
		return nil, fmt.Errorf("testsigstore: attesting: %w", err)
	}
	return s.entityBundleJSON(ent)
}

// SignBlobKey signs data with a fresh ECDSA P-256 key (no certificate) and
// returns bundle v0.3 JSON plus the PEM ("PUBLIC KEY", PKIX) public key.
// The bundle's verification material is a public key identifier whose hint
// is KeyHint of that key. It carries a message signature, an RFC 3161
// timestamp and a Rekor hashedrekord entry (inclusion promise and proof,
// integrated time = now) recording the public key, built here because the
// VirtualSigstore only logs certificate-based signatures itself.
//
// To verify it, use KeyTrustedMaterial to add the key to the trusted root,
// and verify.WithKey() in the policy.
func (s *Sigstore) SignBlobKey(data []byte) (bundleJSON, publicKeyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("testsigstore: generating key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, nil, fmt.Errorf("testsigstore: marshalling public key: %w", err)
	}
	publicKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	digest := sha256.Sum256(data)
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return nil, nil, fmt.Errorf("testsigstore: signing: %w", err)
	}
	tsr, err := s.vs.TimestampResponse(sig)
	if err != nil {
		return nil, nil, fmt.Errorf("testsigstore: timestamping: %w", err)
	}
	body, err := hashedRekordBody(digest[:], sig, publicKeyPEM)
	if err != nil {
		return nil, nil, err
	}
	entry, err := s.logEntry(body, time.Now().Unix())
	if err != nil {
		return nil, nil, err
	}

	pb := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{
				PublicKey: &protocommon.PublicKeyIdentifier{Hint: keyHintDER(der)},
			},
			TlogEntries:               []*protorekor.TransparencyLogEntry{entry},
			TimestampVerificationData: timestampData([][]byte{tsr}),
		},
		Content: &protobundle.Bundle_MessageSignature{
			MessageSignature: &protocommon.MessageSignature{
				MessageDigest: &protocommon.HashOutput{
					Algorithm: protocommon.HashAlgorithm_SHA2_256,
					Digest:    digest[:],
				},
				Signature: sig,
			},
		},
	}
	bundleJSON, err = marshalBundle(pb)
	if err != nil {
		return nil, nil, err
	}
	return bundleJSON, publicKeyPEM, nil
}

// KeyHint returns the public-key hint SignBlobKey writes into bundles for
// the given PEM public key: the lowercase hex SHA-256 of its DER
// SubjectPublicKeyInfo.
func KeyHint(publicKeyPEM []byte) (string, error) {
	block, _ := pem.Decode(publicKeyPEM)
	if block == nil || block.Type != "PUBLIC KEY" {
		return "", errors.New("testsigstore: no PEM PUBLIC KEY block")
	}
	if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
		return "", fmt.Errorf("testsigstore: parsing public key: %w", err)
	}
	return keyHintDER(block.Bytes), nil
}

func keyHintDER(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// KeyTrustedMaterial returns base extended with the given PEM public keys,
// each registered under its KeyHint with no validity limits, so that
// bundles from SignBlobKey verify against it.
func KeyTrustedMaterial(base root.TrustedMaterial, publicKeyPEMs ...[]byte) (root.TrustedMaterial, error) {
	keys := make(map[string]*root.ExpiringKey, len(publicKeyPEMs))
	for _, p := range publicKeyPEMs {
		hint, err := KeyHint(p)
		if err != nil {
			return nil, err
		}
		block, _ := pem.Decode(p)
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("testsigstore: parsing public key: %w", err)
		}
		v, err := signature.LoadDefaultVerifier(pub)
		if err != nil {
			return nil, fmt.Errorf("testsigstore: loading verifier: %w", err)
		}
		keys[hint] = root.NewExpiringKey(v, time.Time{}, time.Time{})
	}
	return root.TrustedMaterialCollection{base, root.NewTrustedPublicKeyMaterialFromMapping(keys)}, nil
}

// entityBundleJSON converts a ca.TestEntity (from Sign or Attest) into a
// v0.3 bundle. The entity's tlog entries are re-issued through logEntry so
// that they carry both an inclusion promise and an inclusion proof (v0.3
// bundles must have a proof; the entity exposes neither its SET nor, for
// Sign, a proof).
func (s *Sigstore) entityBundleJSON(ent verify.SignedEntity) ([]byte, error) {
	vc, err := ent.VerificationContent()
	if err != nil {
		return nil, fmt.Errorf("testsigstore: verification content: %w", err)
	}
	cert := vc.Certificate()
	if cert == nil {
		return nil, errors.New("testsigstore: entity has no certificate")
	}
	tsrs, err := ent.Timestamps()
	if err != nil {
		return nil, fmt.Errorf("testsigstore: timestamps: %w", err)
	}
	entries, err := ent.TlogEntries()
	if err != nil {
		return nil, fmt.Errorf("testsigstore: tlog entries: %w", err)
	}
	var tles []*protorekor.TransparencyLogEntry
	for _, e := range entries {
		tle := e.TransparencyLogEntry()
		pe, err := s.logEntry(tle.GetCanonicalizedBody(), tle.GetIntegratedTime())
		if err != nil {
			return nil, err
		}
		tles = append(tles, pe)
	}

	pb := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_Certificate{
				Certificate: &protocommon.X509Certificate{RawBytes: cert.Raw},
			},
			TlogEntries:               tles,
			TimestampVerificationData: timestampData(tsrs),
		},
	}

	sc, err := ent.SignatureContent()
	if err != nil {
		return nil, fmt.Errorf("testsigstore: signature content: %w", err)
	}
	switch {
	case sc.EnvelopeContent() != nil:
		env := sc.EnvelopeContent().RawEnvelope()
		payload, err := env.DecodeB64Payload()
		if err != nil {
			return nil, fmt.Errorf("testsigstore: decoding DSSE payload: %w", err)
		}
		var sigs []*protodsse.Signature
		for _, sg := range env.Signatures {
			raw, err := decodeB64(sg.Sig)
			if err != nil {
				return nil, fmt.Errorf("testsigstore: decoding DSSE signature: %w", err)
			}
			sigs = append(sigs, &protodsse.Signature{Sig: raw, Keyid: sg.KeyID})
		}
		pb.Content = &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload:     payload,
			PayloadType: env.PayloadType,
			Signatures:  sigs,
		}}
	case sc.MessageSignatureContent() != nil:
		ms := sc.MessageSignatureContent()
		alg, ok := protocommon.HashAlgorithm_value[ms.DigestAlgorithm()]
		if !ok {
			return nil, fmt.Errorf("testsigstore: unknown digest algorithm %q", ms.DigestAlgorithm())
		}
		pb.Content = &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{
				Algorithm: protocommon.HashAlgorithm(alg),
				Digest:    slices.Clone(ms.Digest()),
			},
			Signature: slices.Clone(ms.Signature()),
		}}
	default:
		return nil, errors.New("testsigstore: entity has neither envelope nor message signature")
	}
	return marshalBundle(pb)
}

func timestampData(tsrs [][]byte) *protobundle.TimestampVerificationData {
	if len(tsrs) == 0 {
		return nil
	}
	tvd := &protobundle.TimestampVerificationData{}
	for _, t := range tsrs {
		tvd.Rfc3161Timestamps = append(tvd.Rfc3161Timestamps, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: t})
	}
	return tvd
}

// marshalBundle checks pb with sigstore-go's bundle validation (which also
// parses the tlog entries) and returns its protojson encoding.
func marshalBundle(pb *protobundle.Bundle) ([]byte, error) {
	if _, err := bundle.NewBundle(pb); err != nil {
		return nil, fmt.Errorf("testsigstore: produced an invalid bundle: %w", err)
	}
	b, err := protojson.Marshal(pb)
	if err != nil {
		return nil, fmt.Errorf("testsigstore: marshalling bundle: %w", err)
	}
	return b, nil
}
