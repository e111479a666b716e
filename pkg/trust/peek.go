package trust

import (
	"errors"
	"fmt"

	intoto "github.com/in-toto/attestation/go/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"google.golang.org/protobuf/encoding/protojson"
)

// InTotoPayloadType is the DSSE payload type of an in-toto statement.
const InTotoPayloadType = "application/vnd.in-toto+json"

// Claims is what a bundle says about itself, read without verifying
// anything: its media type and either the digest its message signature
// signs or its DSSE envelope.
type Claims struct {
	MediaType string
	// MessageDigest is set for a message signature: the algorithm (sha256,
	// sha384, sha512, or the protobuf name of another) and the signed digest.
	MessageDigest *Digest
	// Envelope is set for a DSSE signature.
	Envelope *protodsse.Envelope
}

// PeekBundle reads a Sigstore bundle's claims, bounded in size, without
// validating its verification material. Plugins use it to bind a bundle to
// their artifact and to give a precise reason when it is for another one;
// trust is established only by VerifyBundle, which the host runs on every
// piece of evidence. It reads at most MaxBundleSize bytes.
func PeekBundle(data []byte) (*Claims, error) {
	return PeekBundleWithin(data, MaxBundleSize)
}

// PeekBundleWithin is PeekBundle with another bound: maxSize bytes (0:
// MaxBundleSize; at most MaxBundleSizeLimit), for bundles that may carry an
// SBOM attestation.
func PeekBundleWithin(data []byte, maxSize int) (*Claims, error) {
	limit, err := bundleLimit(maxSize)
	if err != nil {
		return nil, err
	}
	pb, err := unmarshalBundle(data, limit)
	if err != nil {
		return nil, err
	}
	c := &Claims{MediaType: pb.GetMediaType()}
	switch content := pb.GetContent().(type) {
	case *protobundle.Bundle_MessageSignature:
		md := content.MessageSignature.GetMessageDigest()
		if md == nil {
			return nil, errors.New("invalid bundle: the message signature has no digest")
		}
		c.MessageDigest = &Digest{Algorithm: digestAlgorithmName(md.GetAlgorithm().String()), Hex: fmt.Sprintf("%x", md.GetDigest())}
	case *protobundle.Bundle_DsseEnvelope:
		c.Envelope = content.DsseEnvelope
	default:
		return nil, errors.New("invalid bundle: it holds neither a message signature nor a DSSE envelope")
	}
	return c, nil
}

// Statement decodes the in-toto statement of a DSSE bundle.
func (c *Claims) Statement() (*intoto.Statement, error) {
	if c.Envelope == nil {
		return nil, errors.New("the bundle holds a plain message signature, not a DSSE envelope")
	}
	if c.Envelope.GetPayloadType() != InTotoPayloadType {
		return nil, fmt.Errorf("DSSE payload type %q is not an in-toto statement (%s)", c.Envelope.GetPayloadType(), InTotoPayloadType)
	}
	var st intoto.Statement
	if err := protojson.Unmarshal(c.Envelope.GetPayload(), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// digestAlgorithmName maps protobuf-specs' HashAlgorithm names to the
// names digests are written with.
func digestAlgorithmName(proto string) string {
	switch proto {
	case "SHA2_256":
		return "sha256"
	case "SHA2_384":
		return "sha384"
	case "SHA2_512":
		return "sha512"
	}
	return proto
}
