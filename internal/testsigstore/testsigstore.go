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
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
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
	return s.SignBlobWithKey(data, protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256)
}

// newKey generates a key for alg and says how it signs a digest: the hash
// and the options to pass to Sign.
func newKey(alg protocommon.PublicKeyDetails) (signer crypto.Signer, hash crypto.Hash, signOpts crypto.SignerOpts, err error) {
	switch alg {
	case protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256:
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		hash = crypto.SHA256
	case protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384:
		signer, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		hash = crypto.SHA384
	case protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512:
		signer, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		hash = crypto.SHA512
	case protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256,
		protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_3072_SHA256,
		protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_4096_SHA256:
		bits := map[protocommon.PublicKeyDetails]int{
			protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256: 2048,
			protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_3072_SHA256: 3072,
			protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_4096_SHA256: 4096,
		}[alg]
		signer, err = rsa.GenerateKey(rand.Reader, bits)
		hash = crypto.SHA256
	case protocommon.PublicKeyDetails_PKIX_ED25519_PH:
		_, signer, err = ed25519.GenerateKey(rand.Reader)
		hash = crypto.SHA512
		signOpts = &ed25519.Options{Hash: crypto.SHA512}
	case protocommon.PublicKeyDetails_PKIX_ED25519:
		// Pure Ed25519 signs whole messages: for DSSE envelopes only.
		_, signer, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, 0, nil, fmt.Errorf("testsigstore: no key of algorithm %s here", alg)
	}
	if err != nil {
		return nil, 0, nil, fmt.Errorf("testsigstore: generating %s key: %w", alg, err)
	}
	if signOpts == nil {
		signOpts = hash
	}
	return signer, hash, signOpts, nil
}

// AttestWithKey signs an in-toto statement as a DSSE envelope with a fresh
// key of the given algorithm (for Ed25519, pure Ed25519 over the envelope's
// PAE bytes, as DSSE specifies) and returns a v0.3 bundle with an RFC 3161
// timestamp and no transparency-log entry, and the key's PEM. Verify it
// with the key and insecure_ignore_tlog.
func (s *Sigstore) AttestWithKey(statementJSON []byte, alg protocommon.PublicKeyDetails) (bundleJSON, publicKeyPEM []byte, err error) {
	signer, hash, signOpts, err := newKey(alg)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(signer.Public())
	if err != nil {
		return nil, nil, fmt.Errorf("testsigstore: marshalling public key: %w", err)
	}
	publicKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pae := dsse.PAE(InTotoPayloadType, statementJSON)
	msg, opts := pae, crypto.SignerOpts(crypto.Hash(0))
	if alg != protocommon.PublicKeyDetails_PKIX_ED25519 {
		h := hash.New()
		h.Write(pae)
		msg, opts = h.Sum(nil), signOpts
	}
	sig, err := signer.Sign(rand.Reader, msg, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("testsigstore: signing: %w", err)
	}
	tsr, err := s.vs.TimestampResponse(sig)
	if err != nil {
		return nil, nil, fmt.Errorf("testsigstore: timestamping: %w", err)
	}
	pb := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{
				PublicKey: &protocommon.PublicKeyIdentifier{Hint: keyHintDER(der)},
			},
			TimestampVerificationData: timestampData([][]byte{tsr}),
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: statementJSON, PayloadType: InTotoPayloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	}
	bundleJSON, err = marshalBundle(pb)
	if err != nil {
		return nil, nil, err
	}
	return bundleJSON, publicKeyPEM, nil
}

// digestNames are a hash's names in hashedrekord entries and in bundles.
var digestNames = map[crypto.Hash]struct {
	rekor string
	proto protocommon.HashAlgorithm
}{
	crypto.SHA256: {"sha256", protocommon.HashAlgorithm_SHA2_256},
	crypto.SHA384: {"sha384", protocommon.HashAlgorithm_SHA2_384},
	crypto.SHA512: {"sha512", protocommon.HashAlgorithm_SHA2_512},
}

// SignBlobWithKey is SignBlobKey with a fresh key of the given algorithm:
// ECDSA P-256/P-384/P-521 over SHA-256/384/512, RSA PKCS#1 v1.5 (2048,
// 3072, 4096 bits) over SHA-256, or Ed25519ph over SHA-512 (how Sigstore
// signs message digests with Ed25519 keys; pure Ed25519 cannot sign a
// digest). The bundle's message digest and its hashedrekord entry use the
// algorithm's hash.
func (s *Sigstore) SignBlobWithKey(data []byte, alg protocommon.PublicKeyDetails) (bundleJSON, publicKeyPEM []byte, err error) {
	signer, hash, signOpts, err := newKey(alg)
	if err != nil {
		return nil, nil, err
	}
	if hash == 0 {
		return nil, nil, fmt.Errorf("testsigstore: %s signs whole messages, not digests", alg)
	}
	der, err := x509.MarshalPKIXPublicKey(signer.Public())
	if err != nil {
		return nil, nil, fmt.Errorf("testsigstore: marshalling public key: %w", err)
	}
	publicKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	h := hash.New()
	h.Write(data)
	digest := h.Sum(nil)
	sig, err := signer.Sign(rand.Reader, digest, signOpts)
	if err != nil {
		return nil, nil, fmt.Errorf("testsigstore: signing: %w", err)
	}
	names := digestNames[hash]
	tsr, err := s.vs.TimestampResponse(sig)
	if err != nil {
		return nil, nil, fmt.Errorf("testsigstore: timestamping: %w", err)
	}
	body, err := hashedRekordBody(names.rekor, digest, sig, publicKeyPEM)
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
				MessageDigest: &protocommon.HashOutput{Algorithm: names.proto, Digest: digest},
				Signature:     sig,
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
