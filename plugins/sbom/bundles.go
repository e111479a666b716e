package sbom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
	"github.com/vmafx/vmafx-trust/plugins/sbom/document"
)

// subjectOf is the digest an SBOM attestation must name: the referenced
// blob's, the file's (hashed here) or the one given.
func subjectOf(ctx context.Context, j *job) (trust.Digest, error) {
	switch j.source {
	case attrBlob:
		ref := j.req.References[attrBlob]
		if len(ref.Parts) == 0 {
			return trust.Digest{}, fmt.Errorf("blob = %s.%s established no digest", ref.Kind, ref.Name)
		}
		d := ref.Parts[0].Digest
		return trust.Digest{Algorithm: d.Algorithm, Hex: strings.ToLower(d.Hex)}, nil
	case attrFile:
		d, err := sdk.DigestFile(ctx, j.a.File, "sha256")
		if err != nil {
			return trust.Digest{}, fmt.Errorf("%s: %w", j.a.File, err)
		}
		return trust.Digest{Algorithm: d.Algorithm, Hex: d.Hex}, nil
	}
	d, err := trust.ParseDigest(j.a.Digest)
	if err != nil {
		return trust.Digest{}, fmt.Errorf("digest = %q: %w", j.a.Digest, err)
	}
	return d, nil
}

// verifyAttestationBundle checks SBOM attestations about a release file:
// every bundle in the file that is an SBOM attestation of the subject must
// read, bind and satisfy the rules (at least one must be there); bundles of
// other predicates (provenance beside it in a JSON Lines file) are skipped.
func verifyAttestationBundle(ctx context.Context, j *job, res *sdk.Result) *sdk.Result {
	subject, err := subjectOf(ctx, j)
	if err != nil {
		return res.Fail("subject", err.Error())
	}
	res.Subject = sdk.Digest{Algorithm: subject.Algorithm, Hex: subject.Hex}
	data, err := sdk.ReadFile(j.a.Bundle, int64(j.limit))
	if err != nil {
		return res.Fail("bundle", fmt.Sprintf("%s: %v", j.a.Bundle, err))
	}
	docs := trust.SplitBundles(data)
	subjects := []document.Digest{{Algorithm: subject.Algorithm, Value: subject.Hex}}
	var skipped []string
	found := 0
	for i, doc := range docs {
		source := j.a.Bundle
		if len(docs) > 1 {
			source = fmt.Sprintf("%s:%d", j.a.Bundle, i+1)
		}
		ev, payload, err := attestationOf(doc, subject, j.limit, source)
		if err != nil {
			return res.Fail("bundle", err.Error())
		}
		o := j.checkStatement(ctx, payload, subjects, source)
		if o.notSBOM && len(docs) > 1 {
			skipped = append(skipped, o.reason)
			continue
		}
		found++
		res.Checks = append(res.Checks, o.checks...)
		if o.reason != "" {
			res.Evidence = nil
			return failed(res, o.reason)
		}
		if len(docs) > 1 {
			// With several bundles only the plugin can tell which are
			// about this artifact, so it checks their signers here.
			if detail, err := preverify(j, ev); err != nil {
				return res.Fail("signature", err.Error())
			} else {
				res.Pass("signature", detail)
			}
		}
		res.Evidence = append(res.Evidence, *ev)
	}
	if found == 0 {
		return res.Fail("sbom", fmt.Sprintf("%s holds no SBOM attestation (%s)", j.a.Bundle, strings.Join(skipped, "; ")))
	}
	res.Pass("signature", fmt.Sprintf("%d SBOM attestation(s) bound to %s (the host verifies signature, log entry and signer)", found, subject))
	return res
}

// attestationOf turns one bundle document into the evidence the host
// verifies and the DSSE payload it signs: a Sigstore bundle as it is,
// cosign's legacy attest-blob JSON converted.
func attestationOf(doc []byte, subject trust.Digest, limit int, source string) (*sdk.Evidence, []byte, error) {
	b, err := trust.PeekBundleWithin(doc, limit)
	if err != nil || b.MediaType == "" {
		if !trust.IsLegacyBlobBundle(doc) {
			if err == nil {
				err = errors.New("not a Sigstore bundle")
			}
			return nil, nil, fmt.Errorf("%s: %w", source, err)
		}
		if doc, err = trust.BundleFromLegacyWithin(doc, subject, limit); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", source, err)
		}
		if b, err = trust.PeekBundleWithin(doc, limit); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", source, err)
		}
	}
	if b.Envelope == nil {
		return nil, nil, fmt.Errorf("%s holds a plain message signature, not an attestation: an SBOM attestation is a DSSE envelope around an in-toto statement (cosign attest-blob, gh attest-sbom)", source)
	}
	if pt := b.Envelope.GetPayloadType(); pt != trust.InTotoPayloadType {
		return nil, nil, fmt.Errorf("%s: DSSE payload type %q is not an in-toto statement", source, pt)
	}
	ev := &sdk.Evidence{Type: sdk.EvidenceBundle, MediaType: b.MediaType, Bundle: doc,
		SubjectDigest: sdk.Digest{Algorithm: subject.Algorithm, Hex: subject.Hex}, Source: source}
	return ev, b.Envelope.GetPayload(), nil
}

// preverify checks evidence with the same core the host uses.
func preverify(j *job, ev *sdk.Evidence) (string, error) {
	out, err := trust.VerifyBundle(j.m, trust.BundleCheck{
		Bundle: ev.Bundle, Digest: trust.Digest{Algorithm: ev.SubjectDigest.Algorithm, Hex: ev.SubjectDigest.Hex},
		Identities: j.ids, UseKey: j.req.UseKey, Requirements: trust.Requirements(j.req.Requirements), MaxSize: j.limit,
	})
	if err != nil {
		return "", fmt.Errorf("%s: %w", ev.Source, err)
	}
	detail := out.Signer.String()
	if len(out.Matched) > 0 {
		detail += " (identity " + strings.Join(out.Matched, ", ") + ")"
	}
	return ev.Source + ": " + detail, nil
}

// verifyPath checks an SBOM file signed as a blob: its bundle signs the
// file's digest, and with describes its root names the referenced
// artifact's digest.
func verifyPath(ctx context.Context, j *job, res *sdk.Result) *sdk.Result {
	data, err := sdk.ReadFile(j.a.Path, int64(j.limit))
	if err != nil {
		return res.Fail("sbom", fmt.Sprintf("%s: %v", j.a.Path, err))
	}
	digest := trust.Digest{Algorithm: "sha256", Hex: sha256Hex(data)}
	res.Subject = sdk.Digest{Algorithm: digest.Algorithm, Hex: digest.Hex}
	bundlePath, err := findBundle(j.a)
	if err != nil {
		return res.Fail("bundle", err.Error())
	}
	doc, err := sdk.ReadFile(bundlePath, int64(min(j.limit, trust.MaxBundleSize)))
	if err != nil {
		return res.Fail("bundle", fmt.Sprintf("%s: %v", bundlePath, err))
	}
	ev, err := signatureOf(doc, digest, bundlePath, j.a.Path)
	if err != nil {
		return res.Fail("signature", err.Error())
	}
	res.Pass("signature", fmt.Sprintf("%s signs %s (the host verifies signature, log entry and signer)", bundlePath, digest))
	var describes []document.Digest
	if ref, ok := j.req.References[attrDescribes]; ok {
		for _, p := range ref.Parts {
			describes = append(describes, toDocDigest(p.Digest))
		}
	}
	if j.a.DescribesDigest != "" {
		d, err := trust.ParseDigest(j.a.DescribesDigest)
		if err != nil {
			return res.Fail("attributes", fmt.Sprintf("describes_digest = %q: %v", j.a.DescribesDigest, err))
		}
		describes = append(describes, document.Digest{Algorithm: d.Algorithm, Value: d.Hex})
	}
	o := j.checkDocument(ctx, data, describes, j.a.Path)
	res.Checks = append(res.Checks, o.checks...)
	if o.reason != "" {
		// A legacy bundle names no digest to compare first, so a modified
		// file shows up only here, as whatever reading its changed bytes
		// found. Checking the signature before reporting that says what
		// happened: the file is not the one that was signed.
		if _, err := preverify(j, ev); err != nil {
			return res.Fail("signature", fmt.Sprintf("the SBOM file %s does not match its signature: %v", j.a.Path, err))
		}
		return failed(res, o.reason)
	}
	res.Evidence = append(res.Evidence, *ev)
	return res
}

// findBundle is the SBOM file's bundle: given, else <path>.sigstore.json,
// else <path>.bundle.
func findBundle(a attributes) (string, error) {
	if a.Bundle != "" {
		return a.Bundle, nil
	}
	for _, p := range []string{a.Path + ".sigstore.json", a.Path + ".bundle"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no bundle for %s: looked for %s.sigstore.json and %s.bundle; give bundle", a.Path, a.Path, a.Path)
}

// signatureOf binds a blob-signature bundle (new or cosign's legacy JSON)
// to the SBOM file's digest.
func signatureOf(doc []byte, digest trust.Digest, source, file string) (*sdk.Evidence, error) {
	b, err := trust.PeekBundle(doc)
	if err != nil || b.MediaType == "" {
		if !trust.IsLegacyBlobBundle(doc) {
			if err == nil {
				err = errors.New("not a Sigstore bundle")
			}
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if doc, err = trust.BundleFromLegacy(doc, digest); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if b, err = trust.PeekBundle(doc); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
	}
	if b.MessageDigest == nil {
		return nil, fmt.Errorf("%s is an attestation, not a signature of %s: sign the SBOM file with cosign sign-blob, or use file/digest for an SBOM attestation", source, file)
	}
	if b.MessageDigest.Algorithm != digest.Algorithm || !strings.EqualFold(b.MessageDigest.Hex, digest.Hex) {
		return nil, fmt.Errorf("digest mismatch: expected %s (the SBOM file %s), found %s (signed in %s): the file was modified, or the bundle is for another file", digest, file, b.MessageDigest, source)
	}
	return &sdk.Evidence{Type: sdk.EvidenceBundle, MediaType: b.MediaType, Bundle: doc,
		SubjectDigest: sdk.Digest{Algorithm: digest.Algorithm, Hex: digest.Hex}, Source: source}, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ReadAttestations reads the SBOMs of the SBOM attestations in a bundle
// file about subject, as `sbom show` lists them. It verifies nothing: the
// caller verifies the same file first.
func ReadAttestations(ctx context.Context, data []byte, subject trust.Digest, opts document.Options) ([]*document.Document, error) {
	limit := int(opts.MaxBytes)
	if limit <= 0 {
		limit = trust.MaxAttestationBundleSize
	}
	var docs []*document.Document
	for i, doc := range trust.SplitBundles(data) {
		_, payload, err := attestationOf(doc, subject, limit, fmt.Sprintf("bundle %d", i+1))
		if err != nil {
			return nil, err
		}
		_, d, err := document.ReadStatement(ctx, payload, opts)
		if errors.Is(err, document.ErrNotSBOM) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("bundle %d: %w", i+1, err)
		}
		docs = append(docs, d)
	}
	if len(docs) == 0 {
		return nil, errors.New("no SBOM attestation in the bundle file")
	}
	return docs, nil
}
