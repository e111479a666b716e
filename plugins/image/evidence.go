package image

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// Formats: cosign's pkg/oci/static and pkg/cosign layouts, the OCI 1.1
// referrers and artifact guidance, Sigstore bundles.
const (
	bundleArtifactPrefix   = "application/vnd.dev.sigstore.bundle"
	emptyMediaType         = "application/vnd.oci.empty.v1+json"
	simpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	dsseMediaType          = "application/vnd.dsse.envelope.v1+json"

	annSignature     = "dev.cosignproject.cosign/signature"
	annCertificate   = "dev.sigstore.cosign/certificate"
	annChain         = "dev.sigstore.cosign/chain"
	annBundle        = "dev.sigstore.cosign/bundle"
	annRFC3161       = "dev.sigstore.cosign/rfc3161timestamp"
	annBundleContent = "dev.sigstore.bundle.content"

	// CosignSignPredicate is the predicate of cosign v3's signature
	// statement (sign --new-bundle-format): a signature, not an attestation.
	CosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"
)

type class int

const (
	classSignature class = iota + 1
	classAttestation
)

// candidate is one piece of signature material found for a digest, with the
// Sigstore bundle it converts to and the digest that bundle must bind.
type candidate struct {
	source        string
	class         class
	predicateType string
	bundle        []byte
	mediaType     string
	subject       trust.Digest
	// err is why the candidate does not count: a binding the plugin
	// checked (payload digest, statement subject, docker-reference) or the
	// pre-verification with pkg/trust.
	err      error
	mismatch bool // err is a binding to another digest
	idErr    *trust.IdentityError
	tried    bool
	verified bool
	signer   string
	// inheritedFrom names the index whose attestation covers a platform.
	inheritedFrom string
}

func (c *candidate) kind() string {
	if c.class == classSignature {
		if c.predicateType == CosignSignPredicate {
			return "signature (" + CosignSignPredicate + " statement)"
		}
		return "signature"
	}
	return "attestation " + c.predicateType
}

func (c *candidate) evidence() sdk.Evidence {
	src := c.source
	if c.inheritedFrom != "" {
		src += " (on the index " + short(c.inheritedFrom) + ")"
	}
	return sdk.Evidence{
		Type: sdk.EvidenceBundle, MediaType: c.mediaType, Bundle: c.bundle,
		SubjectDigest: sdk.Digest{Algorithm: c.subject.Algorithm, Hex: c.subject.Hex}, Source: src,
	}
}

// simpleSigning is cosign's signature payload ("cosign container image
// signature", the containers/image "atomic" format).
type simpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
}

// bindCheck is what a legacy signature must be bound to.
type bindCheck struct {
	digest        string // the image digest, sha256:<hex>
	repo          string // expected docker-reference ("" = unknown)
	allowMismatch bool
}

// fromSimpleSigning turns one `.sig` layer into a candidate: the payload
// must name the image digest (and repository), and the evidence is the
// layer's signature over sha256(payload).
func fromSimpleSigning(source string, payload []byte, ann map[string]string, b bindCheck) *candidate {
	c := &candidate{source: source, class: classSignature,
		subject: trust.Digest{Algorithm: "sha256", Hex: sha256Hex(payload)}}
	var ss simpleSigning
	if err := json.Unmarshal(payload, &ss); err != nil {
		c.err = fmt.Errorf("%s: simplesigning payload is not valid JSON: %w", source, err)
		return c
	}
	got := strings.ToLower(ss.Critical.Image.DockerManifestDigest)
	if got != b.digest {
		c.err = fmt.Errorf("%s: digest mismatch: the signed payload names docker-manifest-digest %s, the image is %s (a signature of another image)", source, orAbsent(got), b.digest)
		c.mismatch = true
		return c
	}
	if ref := ss.Critical.Identity.DockerReference; b.repo != "" && normalizeRepo(ref) != b.repo && !b.allowMismatch {
		c.err = fmt.Errorf("%s: docker-reference: expected %s, found %s (the signature was made for another repository; allow_reference_mismatch = true accepts copies)", source, b.repo, orAbsent(ref))
		return c
	}
	if ann[annSignature] == "" {
		c.err = fmt.Errorf("%s: no %s annotation", source, annSignature)
		return c
	}
	det, err := detachedFromAnnotations(ann)
	if err != nil {
		c.err = fmt.Errorf("%s: %w", source, err)
		return c
	}
	det.Signature = []byte(ann[annSignature])
	doc, err := trust.BundleFromDetached(det, c.subject)
	if err != nil {
		c.err = fmt.Errorf("%s: %w", source, err)
		return c
	}
	c.bundle, c.mediaType = doc, "application/vnd.dev.sigstore.bundle+json;version=0.1"
	return c
}

// fromDSSELayer turns one `.att` layer (a DSSE envelope) into a candidate
// whose statement must name the image digest as a subject.
func fromDSSELayer(source string, envelope []byte, ann map[string]string, digest string) *candidate {
	c := &candidate{source: source, class: classAttestation}
	det, err := detachedFromAnnotations(ann)
	if err != nil {
		c.err = fmt.Errorf("%s: %w", source, err)
		return c
	}
	det.DSSEEnvelope, det.MaxSize = envelope, maxBlobSize
	d, _ := trust.ParseDigest(digest)
	doc, err := trust.BundleFromDetached(det, d)
	if err != nil {
		c.err = fmt.Errorf("%s: %w", source, err)
		return c
	}
	return fromBundle(source, doc, digest)
}

// fromBundle classifies a Sigstore bundle attached to digest: a DSSE
// statement naming the digest (cosign's sign/v1 statement is a signature,
// any other predicate an attestation), or a message signature over the
// digest itself.
func fromBundle(source string, doc []byte, digest string) *candidate {
	d, _ := trust.ParseDigest(digest)
	c := &candidate{source: source, bundle: doc, subject: d, class: classAttestation}
	b, err := trust.PeekBundleWithin(doc, maxBlobSize)
	if err != nil {
		c.err = fmt.Errorf("%s: %w", source, err)
		return c
	}
	c.mediaType = b.MediaType
	if ms := b.MessageDigest; ms != nil {
		c.class = classSignature
		if ms.Algorithm != "sha256" || ms.Hex != d.Hex {
			c.err = fmt.Errorf("%s: digest mismatch: the bundle signs %s, the image is %s", source, ms, digest)
			c.mismatch = true
		}
		return c
	}
	if pt := b.Envelope.GetPayloadType(); pt != trust.InTotoPayloadType {
		c.err = fmt.Errorf("%s: DSSE payload type %q is not an in-toto statement", source, pt)
		return c
	}
	st, err := b.StatementHeader()
	if err != nil {
		c.err = fmt.Errorf("%s: the DSSE payload is not an in-toto statement: %w", source, err)
		return c
	}
	c.predicateType = st.PredicateType
	if c.predicateType == CosignSignPredicate {
		c.class = classSignature
	}
	var names []string
	for _, s := range st.Subject {
		if strings.EqualFold(s.GetDigest()["sha256"], d.Hex) {
			return c
		}
		for alg, v := range s.GetDigest() {
			names = append(names, alg+":"+v)
		}
	}
	c.err = fmt.Errorf("%s: subject mismatch: the statement (%s) names %s, the image is %s (an attestation of another image)", source, c.predicateType, orAbsent(strings.Join(names, ", ")), digest)
	c.mismatch = true
	return c
}

// detachedFromAnnotations reads the certificate, chain, Rekor bundle and
// RFC 3161 timestamp cosign puts on a layer.
func detachedFromAnnotations(ann map[string]string) (trust.Detached, error) {
	det := trust.Detached{
		CertificatePEM: []byte(ann[annCertificate]),
		ChainPEM:       []byte(ann[annChain]),
	}
	if rb := strings.TrimSpace(ann[annBundle]); rb != "" {
		det.RekorBundleJSON = []byte(rb)
	}
	if ts := strings.TrimSpace(ann[annRFC3161]); ts != "" {
		var t struct {
			SignedRFC3161Timestamp string `json:"SignedRFC3161Timestamp"`
		}
		if err := json.Unmarshal([]byte(ts), &t); err != nil {
			return det, fmt.Errorf("%s annotation is not valid JSON: %w", annRFC3161, err)
		}
		raw, err := base64.StdEncoding.DecodeString(t.SignedRFC3161Timestamp)
		if err != nil || len(raw) == 0 {
			return det, errors.New(annRFC3161 + " annotation: SignedRFC3161Timestamp is empty or not base64")
		}
		det.RFC3161 = [][]byte{raw}
	}
	return det, nil
}

// preverify checks a candidate with the same pkg/trust the host uses, to
// choose what to return and to give a precise reason. The host repeats it.
func preverify(c *candidate, m *trust.Material, req *sdk.Request, ids []trust.Identity) {
	if c.tried || c.err != nil {
		return
	}
	c.tried = true
	out, err := trust.VerifyBundle(m, trust.BundleCheck{
		Bundle: c.bundle, Digest: c.subject, Identities: ids, UseKey: req.UseKey,
		Requirements: trust.Requirements(req.Requirements), MaxSize: maxBlobSize,
	})
	if err != nil {
		var idErr *trust.IdentityError
		if errors.As(err, &idErr) {
			c.idErr = idErr
		}
		c.err = fmt.Errorf("%s: %w", c.source, err)
		return
	}
	c.verified = true
	c.signer = out.Signer.String()
	if len(out.Matched) > 0 {
		c.signer += " (identity " + strings.Join(out.Matched, ", ") + ")"
	}
}

func orAbsent(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}
