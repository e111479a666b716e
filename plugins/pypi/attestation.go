package pypi

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// PEP 740 formats. An attestation object is a DSSE envelope taken apart:
//
//	{"version": 1,
//	 "verification_material": {"certificate": base64(DER),
//	                           "transparency_entries": [Rekor TransparencyLogEntry, protobuf JSON]},
//	 "envelope": {"statement": base64(in-toto statement bytes), "signature": base64(signature)}}
//
// The DSSE payload type is implied: application/vnd.in-toto+json. A provenance
// object (the Integrity API's answer) groups attestations by the Trusted
// Publisher the index verified at upload:
//
//	{"version": 1, "attestation_bundles": [{"publisher": {"kind": "GitHub", …}, "attestations": [...]}]}

// Media types and statement constants.
const (
	BundleMediaType   = "application/vnd.dev.sigstore.bundle.v0.3+json"
	InTotoPayloadType = trust.InTotoPayloadType
	StatementTypeV1   = "https://in-toto.io/Statement/v1"
	// PublishPredicate is PyPI's publish attestation predicate type.
	PublishPredicate = "https://docs.pypi.org/attestations/publish/v1"
	// SLSAProvenancePredicate is SLSA provenance v1.
	SLSAProvenancePredicate = "https://slsa.dev/provenance/v1"
)

// MaxProvenanceSize bounds a provenance object, attestation or bundle read
// from a file or the index (real ones are about 10 KiB each).
const MaxProvenanceSize = 4 << 20

// Attestation is a PEP 740 attestation object.
type Attestation struct {
	Version              int `json:"version"`
	VerificationMaterial struct {
		Certificate         string            `json:"certificate"`
		TransparencyEntries []json.RawMessage `json:"transparency_entries"`
	} `json:"verification_material"`
	Envelope struct {
		Statement string `json:"statement"`
		Signature string `json:"signature"`
	} `json:"envelope"`
}

// Provenance is a PEP 740 provenance object.
type Provenance struct {
	Version            int                 `json:"version"`
	AttestationBundles []AttestationBundle `json:"attestation_bundles"`
}

// AttestationBundle is the attestations one Trusted Publisher produced.
type AttestationBundle struct {
	Publisher    *Publisher        `json:"publisher"`
	Attestations []json.RawMessage `json:"attestations"`
}

// candidate is one Sigstore bundle to verify for a distribution, with the
// publisher the index declared for it (nil when the input was a bare
// attestation or bundle).
type candidate struct {
	bundle   []byte
	declared *Publisher
	source   string
}

// docKind tells a provenance object, an attestation object and a Sigstore
// bundle apart.
func docKind(doc []byte) (string, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(doc, &probe); err != nil {
		return "", fmt.Errorf("not valid JSON: %w", err)
	}
	switch {
	case probe["attestation_bundles"] != nil:
		return "provenance", nil
	case probe["verification_material"] != nil || probe["envelope"] != nil:
		return "attestation", nil
	case probe["mediaType"] != nil:
		return "bundle", nil
	}
	return "", errors.New("neither a PEP 740 provenance object, an attestation object nor a Sigstore bundle")
}

// candidatesFrom turns one document (provenance object, attestation object
// or Sigstore bundle) into the bundles to verify.
func candidatesFrom(doc []byte, source string) ([]candidate, error) {
	if len(doc) > MaxProvenanceSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", source, MaxProvenanceSize)
	}
	kind, err := docKind(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	switch kind {
	case "bundle":
		return []candidate{{bundle: doc, source: source}}, nil
	case "attestation":
		b, err := BundleFromAttestation(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		return []candidate{{bundle: b, source: source}}, nil
	}
	var p Provenance
	if err := json.Unmarshal(doc, &p); err != nil {
		return nil, fmt.Errorf("%s: provenance object: %w", source, err)
	}
	if p.Version != 1 {
		return nil, fmt.Errorf("%s: provenance object version %d, want 1", source, p.Version)
	}
	var out []candidate
	for i, ab := range p.AttestationBundles {
		if ab.Publisher == nil {
			return nil, fmt.Errorf("%s: attestation bundle %d has no publisher", source, i+1)
		}
		for j, raw := range ab.Attestations {
			src := fmt.Sprintf("%s (bundle %d, attestation %d)", source, i+1, j+1)
			b, err := BundleFromAttestation(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", src, err)
			}
			out = append(out, candidate{bundle: b, declared: ab.Publisher, source: src})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: the provenance object holds no attestation", source)
	}
	return out, nil
}

// strictBase64 decodes standard base64 with padding, as pydantic's
// Base64Bytes does with validate=True.
func strictBase64(field, s string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s is not valid base64: %w", field, err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%s is empty", field)
	}
	return b, nil
}

// BundleFromAttestation converts a PEP 740 attestation object into Sigstore
// bundle v0.3 JSON: the certificate, the first transparency-log entry and a
// DSSE envelope with payload type application/vnd.in-toto+json, exactly as
// pypi-attestations' Attestation.to_bundle does. Every byte of the result is
// verified afterwards; the conversion only moves them.
func BundleFromAttestation(doc []byte) ([]byte, error) {
	var a Attestation
	if err := json.Unmarshal(doc, &a); err != nil {
		return nil, fmt.Errorf("attestation object: %w", err)
	}
	if a.Version != 1 {
		return nil, fmt.Errorf("attestation object version %d, want 1", a.Version)
	}
	der, err := strictBase64("verification_material.certificate", a.VerificationMaterial.Certificate)
	if err != nil {
		return nil, err
	}
	if _, err := x509.ParseCertificate(der); err != nil {
		return nil, fmt.Errorf("verification_material.certificate is not an X.509 certificate: %w", err)
	}
	if len(a.VerificationMaterial.TransparencyEntries) == 0 {
		return nil, errors.New("verification_material.transparency_entries is empty")
	}
	var entry protorekor.TransparencyLogEntry
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(a.VerificationMaterial.TransparencyEntries[0], &entry); err != nil {
		return nil, fmt.Errorf("verification_material.transparency_entries[0] is not a transparency log entry: %w", err)
	}
	statement, err := strictBase64("envelope.statement", a.Envelope.Statement)
	if err != nil {
		return nil, err
	}
	sig, err := strictBase64("envelope.signature", a.Envelope.Signature)
	if err != nil {
		return nil, err
	}
	b := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:     &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: der}},
			TlogEntries: []*protorekor.TransparencyLogEntry{&entry},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: statement, PayloadType: InTotoPayloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	}
	out, err := protojson.Marshal(b)
	if err != nil {
		return nil, err
	}
	if _, err := trust.ParseBundle(out); err != nil {
		return nil, fmt.Errorf("converted bundle: %w", err)
	}
	return out, nil
}

// AttestationFromBundle converts a Sigstore bundle (v0.2 or v0.3) holding a
// DSSE in-toto envelope with one signature into a PEP 740 attestation
// object, as pypi-attestations' Attestation.from_bundle does.
func AttestationFromBundle(bundleJSON []byte) ([]byte, error) {
	var pb protobundle.Bundle
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(bundleJSON, &pb); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	env := pb.GetDsseEnvelope()
	if env == nil {
		return nil, errors.New("bundle holds no DSSE envelope")
	}
	if len(env.GetSignatures()) != 1 {
		return nil, fmt.Errorf("expected exactly one signature, got %d", len(env.GetSignatures()))
	}
	vm := pb.GetVerificationMaterial()
	der := vm.GetCertificate().GetRawBytes()
	if der == nil {
		if certs := vm.GetX509CertificateChain().GetCertificates(); len(certs) > 0 {
			der = certs[0].GetRawBytes()
		}
	}
	if der == nil {
		return nil, errors.New("bundle holds no signing certificate")
	}
	if len(vm.GetTlogEntries()) == 0 {
		return nil, errors.New("bundle holds no transparency log entry")
	}
	entry, err := protojson.Marshal(vm.GetTlogEntries()[0])
	if err != nil {
		return nil, err
	}
	var a Attestation
	a.Version = 1
	a.VerificationMaterial.Certificate = base64.StdEncoding.EncodeToString(der)
	a.VerificationMaterial.TransparencyEntries = []json.RawMessage{entry}
	a.Envelope.Statement = base64.StdEncoding.EncodeToString(env.GetPayload())
	a.Envelope.Signature = base64.StdEncoding.EncodeToString(env.GetSignatures()[0].GetSig())
	return json.Marshal(a)
}

// statement is the part of an in-toto statement PEP 740 constrains.
type statement struct {
	Type    string `json:"_type"`
	Subject []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	PredicateType string `json:"predicateType"`
}

// checkStatement applies PEP 740's rules to the signed statement: exactly one
// subject, naming the distribution (after wheel / sdist name parsing) with
// its sha256, and a predicate type PyPI knows. It returns the predicate type.
func checkStatement(payload []byte, filename, sha256Hex string) (string, error) {
	var st statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return "", fmt.Errorf("the signed statement is not an in-toto statement: %w", err)
	}
	if st.Type != StatementTypeV1 {
		return "", fmt.Errorf("statement _type: expected %s, found %q", StatementTypeV1, st.Type)
	}
	if len(st.Subject) != 1 {
		return "", fmt.Errorf("the statement has %d subjects; PEP 740 requires exactly one", len(st.Subject))
	}
	sub := st.Subject[0]
	if sub.Name == "" {
		return "", errors.New("the statement's subject has no name")
	}
	subjectDist, err := parseDistFile(sub.Name)
	if err != nil {
		return "", fmt.Errorf("the statement's subject: %w", err)
	}
	fileDist, err := parseDistFile(filename)
	if err != nil {
		return "", err
	}
	if !subjectDist.equal(fileDist) {
		return "", fmt.Errorf("subject name: expected %s, found %s: the attestation is for another distribution", filename, sub.Name)
	}
	got, ok := sub.Digest["sha256"]
	if !ok {
		return "", fmt.Errorf("the statement's subject %s has no sha256 digest", sub.Name)
	}
	if !strings.EqualFold(got, sha256Hex) {
		return "", fmt.Errorf("subject digest: expected sha256:%s (%s), found sha256:%s (signed statement): the file differs from the one attested", sha256Hex, filename, strings.ToLower(got))
	}
	switch st.PredicateType {
	case PublishPredicate, SLSAProvenancePredicate:
	default:
		return "", fmt.Errorf("predicate type %q is neither %s nor %s", st.PredicateType, PublishPredicate, SLSAProvenancePredicate)
	}
	return st.PredicateType, nil
}
