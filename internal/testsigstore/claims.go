package testsigstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
)

// Claims are the Fulcio certificate extensions (OID 1.3.6.1.4.1.57264.1.*,
// see Fulcio's docs/oid-info.md) that AttestWithClaims writes into a leaf
// certificate, as the real Fulcio does for CI identities. Empty fields are
// left out.
type Claims struct {
	Issuer                   string // 1.1 (legacy, raw string) and 1.8 (UTF8String)
	BuildSignerURI           string // 1.9
	BuildSignerDigest        string // 1.10
	RunnerEnvironment        string // 1.11
	SourceRepositoryURI      string // 1.12
	SourceRepositoryDigest   string // 1.13
	SourceRepositoryRef      string // 1.14
	SourceRepositoryOwnerURI string // 1.16
	BuildConfigURI           string // 1.18
	BuildConfigDigest        string // 1.19
	BuildTrigger             string // 1.20
	RunInvocationURI         string // 1.21
}

// claimsCA is a second Fulcio-like CA whose key this package holds (the
// VirtualSigstore keeps its own CA key private), for leaves with claims.
type claimsCA struct {
	ca      *root.FulcioCertificateAuthority
	key     *ecdsa.PrivateKey
	created time.Time
}

// NewWithClaimsCA is New plus a second Fulcio-like certificate authority for
// AttestWithClaims. The trusted root then lists two CAs; everything else is
// as with New.
func NewWithClaimsCA() (*Sigstore, error) {
	s, err := New()
	if err != nil {
		return nil, err
	}
	rootCert, rootKey, err := ca.GenerateRootCa()
	if err != nil {
		return nil, fmt.Errorf("testsigstore: claims CA root: %w", err)
	}
	inter, interKey, err := ca.GenerateFulcioIntermediate(rootCert, rootKey)
	if err != nil {
		return nil, fmt.Errorf("testsigstore: claims CA intermediate: %w", err)
	}
	now := time.Now()
	s.claims = &claimsCA{
		ca: &root.FulcioCertificateAuthority{
			Root: rootCert, Intermediates: []*x509.Certificate{inter},
			ValidityPeriodStart: now.Add(-5 * time.Hour), ValidityPeriodEnd: now.Add(time.Hour),
			URI: "https://claims.fulcio.test",
		},
		key:     interKey,
		created: now,
	}
	return s, nil
}

var fulcioOID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1}

func (c Claims) extensions() ([]pkix.Extension, error) {
	var out []pkix.Extension
	if c.Issuer != "" {
		// The deprecated issuer extension holds the raw string.
		out = append(out, pkix.Extension{Id: append(append(asn1.ObjectIdentifier{}, fulcioOID...), 1), Value: []byte(c.Issuer)})
	}
	for _, e := range []struct {
		n int
		v string
	}{
		{8, c.Issuer}, {9, c.BuildSignerURI}, {10, c.BuildSignerDigest}, {11, c.RunnerEnvironment},
		{12, c.SourceRepositoryURI}, {13, c.SourceRepositoryDigest}, {14, c.SourceRepositoryRef},
		{16, c.SourceRepositoryOwnerURI}, {18, c.BuildConfigURI}, {19, c.BuildConfigDigest},
		{20, c.BuildTrigger}, {21, c.RunInvocationURI},
	} {
		if e.v == "" {
			continue
		}
		der, err := asn1.MarshalWithParams(e.v, "utf8")
		if err != nil {
			return nil, err
		}
		out = append(out, pkix.Extension{Id: append(append(asn1.ObjectIdentifier{}, fulcioOID...), e.n), Value: der})
	}
	return out, nil
}

// AttestWithClaims signs an in-toto statement (DSSE, payload type
// application/vnd.in-toto+json) with a short-lived leaf certificate from the
// claims CA whose SAN is subject (a URI SAN when subject is an absolute URI,
// as Fulcio issues for workflow identities, else an e-mail SAN) and which
// carries claims. The bundle has the same shape as Attest's: the leaf
// certificate, one dsse tlog entry (promise and proof), one RFC 3161
// timestamp. It needs a Sigstore from NewWithClaimsCA.
func (s *Sigstore) AttestWithClaims(subject string, claims Claims, statementJSON []byte) ([]byte, error) {
	if s.claims == nil {
		return nil, errors.New("testsigstore: AttestWithClaims needs a Sigstore from NewWithClaimsCA")
	}
	exts, err := claims.extensions()
	if err != nil {
		return nil, fmt.Errorf("testsigstore: claims: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:    serial,
		NotBefore:       now.Add(-time.Minute),
		NotAfter:        now.Add(10 * time.Minute),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: exts,
	}
	if u, err := url.Parse(subject); err == nil && u.Scheme != "" && u.Host != "" {
		tmpl.URIs = []*url.URL{u}
	} else {
		tmpl.EmailAddresses = []string{subject}
	}
	inter := s.claims.ca.Intermediates[0]
	der, err := x509.CreateCertificate(rand.Reader, tmpl, inter, &key.PublicKey, s.claims.key)
	if err != nil {
		return nil, fmt.Errorf("testsigstore: issuing leaf: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}

	pae := fmt.Appendf(nil, "DSSEv1 %d %s %d ", len(InTotoPayloadType), InTotoPayloadType, len(statementJSON))
	pae = append(pae, statementJSON...)
	digest := sha256.Sum256(pae)
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return nil, err
	}
	env := &dsse.Envelope{
		PayloadType: InTotoPayloadType,
		Payload:     base64.StdEncoding.EncodeToString(statementJSON),
		Signatures:  []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
	}
	integrated := now.Unix()
	e, err := s.vs.GenerateTlogEntry(leaf, env, sig, integrated, false)
	if err != nil {
		return nil, fmt.Errorf("testsigstore: tlog entry: %w", err)
	}
	entry, err := s.logEntry(e.TransparencyLogEntry().GetCanonicalizedBody(), integrated)
	if err != nil {
		return nil, err
	}
	tsr, err := s.vs.TimestampResponse(sig)
	if err != nil {
		return nil, fmt.Errorf("testsigstore: timestamping: %w", err)
	}
	pb := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: leaf.Raw}},
			TlogEntries:               []*protorekor.TransparencyLogEntry{entry},
			TimestampVerificationData: timestampData([][]byte{tsr}),
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: statementJSON, PayloadType: InTotoPayloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	}
	return marshalBundle(pb)
}
