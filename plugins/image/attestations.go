package image

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// AttestationQuery asks for the attestations of one image, of any of
// PredicateTypes.
type AttestationQuery struct {
	// Ref is the image pinned by digest: "registry/repo@sha256:…" or
	// "oci-layout://DIR@sha256:…" (DIR absolute or relative to the
	// request's PolicyDir).
	Ref string
	// Platforms is as the image kind's attribute: "" or "index", "all",
	// or "linux/amd64,linux/arm64".
	Platforms string
	// PredicateTypes are predicate types or families (cosign's short
	// names work too); an attestation matching any of them counts
	// (trust.PredicateTypeMatches).
	PredicateTypes []string
	// GitHubRepository (owner/name) also looks in GitHub's attestation
	// API, as the image kind does.
	GitHubRepository       string
	Insecure               bool
	AllowReferenceMismatch bool
}

// PartAttestations is what was found for one part of the image (one
// report row).
type PartAttestations struct {
	// Name is "" for the one image, "index", or the platform
	// ("linux/amd64"), exactly as Verify names its SubResults.
	Name string
	// Digest is the manifest digest of the part.
	Digest string
	// Status is pass when at least one matching attestation verified, fail
	// (with Reason) when none did, error when the part could not be
	// checked.
	Status sdk.Status
	Reason string
	Checks []sdk.Check
	// Found are the verified attestations, each of a matching predicate
	// type.
	Found []Attestation
	// Looked names the places looked in, for messages.
	Looked []string
	// Unsigned are the unsigned SBOMs seen (cosign's deprecated
	// sha256-<hex>.sbom tag): reported, never counted.
	Unsigned []string
}

// Attestation is one verified attestation.
type Attestation struct {
	PredicateType string
	// Statement is the in-toto statement JSON exactly as signed (the DSSE
	// payload), or for BuildKit the statement layer's bytes.
	Statement []byte
	Source    string
	Signer    string
	// Evidence is what the host re-verifies: the attestation's bundle
	// (subject: the part's digest), or for BuildKit the index's signature.
	Evidence sdk.Evidence
	// ViaIndex is set for a BuildKit attestation manifest: the digest of
	// the index whose verified signature vouches for it. The index lists
	// the attestation manifest, which lists the statement layer, all by
	// digest.
	ViaIndex string
}

// BuildKit stores in-toto statements, unsigned, in attestation manifests
// its index lists next to the platform manifests they describe.
const (
	annReferenceType     = "vnd.docker.reference.type"
	annReferenceDigest   = "vnd.docker.reference.digest"
	annInTotoPredicate   = "in-toto.io/predicate-type"
	inTotoLayerMediaType = "application/vnd.in-toto+json"
	// A platform has one attestation manifest of a few statements (its
	// provenance and an SBOM per scanned location); more is ignored with a
	// warning.
	maxBuildKitManifests = 4
	maxBuildKitLayers    = 8
)

// Attestations returns, for each part of the image q names (the parts
// Verify checks for the same platforms), every attestation of any of
// q.PredicateTypes that verifies against req's identities and trust root.
// Unlike Verify, a platform does not inherit its index's attestations: an
// SBOM of the index does not describe a platform's contents. A platform
// also counts the BuildKit attestation manifests its index lists for it,
// but only when the index's own signature verifies. No signature of the
// image is required. req.Attributes is ignored. The error is for a query
// that cannot be asked (bad Ref, Platforms, PredicateTypes or
// GitHubRepository); what cannot be looked up is a part with status error.
func (p *Plugin) Attestations(ctx context.Context, req *sdk.Request, q AttestationQuery) ([]PartAttestations, []sdk.Diagnostic, error) {
	sel, preds, digest, err := q.validate(req.PolicyDir)
	if err != nil {
		return nil, nil, err
	}
	if !req.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, req.Deadline)
		defer cancel()
	}
	o, failed := p.open(ctx, req, target{ref: q.Ref, sel: sel, insecure: q.Insecure, ghRepo: q.GitHubRepository})
	if failed != nil {
		return []PartAttestations{{Digest: digest, Status: failed.Status, Reason: failed.Reason, Checks: failed.Checks}}, nil, nil
	}
	a := &attestor{o: o, preds: preds, v: &verifier{p: p, st: o.st, req: req, m: o.m, ids: o.ids, preds: preds, ghRepo: q.GitHubRepository,
		bind: bindCheck{repo: o.st.name(), allowMismatch: q.AllowReferenceMismatch}}}
	out := make([]PartAttestations, len(o.parts))
	eachPart(o.parts, 0, func(i int) {
		out[i] = a.part(ctx, i)
	}, func(i int, err error) {
		pt := o.parts[i]
		out[i] = PartAttestations{Name: pt.name, Digest: pt.digest, Status: sdk.StatusError, Reason: fmt.Sprintf("%s: %v", pt.digest, err),
			Checks: []sdk.Check{o.refCheck, {Name: "attestations", Detail: err.Error()}}}
	})
	return out, a.v.warnings(), nil
}

// validate checks the query and returns its platform selection, expanded
// predicate types and pinned digest.
func (q AttestationQuery) validate(policyDir string) (selection, []string, string, error) {
	sel, err := parsePlatforms(q.Platforms)
	if err != nil {
		return sel, nil, "", fmt.Errorf("attestations of %s: %w", q.Ref, err)
	}
	ref, err := parseRef(q.Ref, policyDir, q.Insecure)
	if err != nil {
		return sel, nil, "", fmt.Errorf("attestations: %w", err)
	}
	if ref.digest == "" {
		return sel, nil, "", fmt.Errorf("attestations of %s: the image must be pinned by digest (…@sha256:<hex>)", q.Ref)
	}
	if len(q.PredicateTypes) == 0 {
		return sel, nil, "", fmt.Errorf("attestations of %s: no predicate types asked for", q.Ref)
	}
	var preds []string
	for _, t := range q.PredicateTypes {
		if strings.TrimSpace(t) == "" {
			return sel, nil, "", fmt.Errorf("attestations of %s: an empty predicate type", q.Ref)
		}
		preds = append(preds, trust.ExpandPredicateType(t))
	}
	if q.GitHubRepository != "" && !ownerRepo().MatchString(q.GitHubRepository) {
		return sel, nil, "", fmt.Errorf("attestations of %s: github_repository %q: want owner/name", q.Ref, q.GitHubRepository)
	}
	return sel, preds, ref.digest, nil
}

// attestor collects the attestations of the parts of one image.
type attestor struct {
	o     *opened
	preds []string
	v     *verifier // needs no signature; relevant: any of preds

	sigOnce sync.Once
	sig     indexSignature
}

// matchesAny reports whether predicate type got meets any of the query's.
func (a *attestor) matchesAny(got string) bool {
	return slices.ContainsFunc(a.preds, func(want string) bool { return trust.PredicateTypeMatches(want, got) })
}

// part collects and judges the attestations of part i.
func (a *attestor) part(ctx context.Context, i int) PartAttestations {
	pt := a.o.parts[i]
	out := PartAttestations{Name: pt.name, Digest: pt.digest, Status: sdk.StatusPass,
		Checks: append([]sdk.Check{a.o.refCheck}, listedCheck(a.o.parts, i)...)}
	res := &sdk.Result{Status: sdk.StatusPass}
	switch {
	case pt.missing != "":
		res.Fail("manifest", pt.missing)
	case pt.errored != "":
		res.Errorf("manifest", "%s", pt.errored)
	default:
		a.collect(ctx, i, &out, res)
	}
	out.Status, out.Reason = res.Status, res.Reason
	out.Checks = append(out.Checks, res.Checks...)
	return out
}

// collect looks in every place for the attestations of part i and judges
// them into res.
func (a *attestor) collect(ctx context.Context, i int, out *PartAttestations, res *sdk.Result) {
	pt := a.o.parts[i]
	g, err := a.v.gatherAll(ctx, pt.digest)
	if err != nil {
		res.Errorf("attestations", "%v", err)
		return
	}
	a.v.preverifyAll(g.cands)
	seen := map[[sha256.Size]byte]bool{}
	for _, c := range g.cands {
		if c.verified && c.class == classAttestation && a.matchesAny(c.predicateType) {
			a.addSigned(out, res, c, seen)
		}
	}
	out.Looked = g.looked
	var bk *buildkitFound
	if a.o.rows && i > 0 {
		// A platform of an index: its BuildKit attestation manifests.
		out.Looked = append(out.Looked, "the BuildKit attestation manifests of the index "+short(a.o.top.digest))
		if bk, err = a.buildkit(ctx, pt.digest); err != nil {
			g.unread = append(g.unread, fmt.Sprintf("BuildKit attestation manifests: %v", err))
		} else {
			a.addBuildKit(ctx, out, res, bk)
			if bk.unread != "" {
				g.unread = append(g.unread, bk.unread)
			}
		}
	}
	if len(out.Found) > 0 {
		a.v.reportUnread(res, pt.digest, g.unread)
		return
	}
	tag := strings.Replace(pt.digest, ":", "-", 1) + ".sbom"
	out.Looked = append(out.Looked, shortTag(tag))
	if out.Unsigned, err = a.unsignedSBOMs(ctx, tag); err != nil {
		if ctx.Err() != nil {
			res.Errorf("attestations", "%v", err)
			return
		}
		g.unread = append(g.unread, fmt.Sprintf("%s: %v", shortTag(tag), err))
	}
	a.failPart(res, pt, g, out, bk)
	a.v.reportUnread(res, pt.digest, g.unread)
}

// addSigned adds a verified signed attestation, unless the same statement
// is among those seen already (GitHub keeps what it also pushes to the
// registry).
func (a *attestor) addSigned(out *PartAttestations, res *sdk.Result, c *candidate, seen map[[sha256.Size]byte]bool) {
	stmt, err := statementOf(c.bundle)
	if err != nil {
		a.v.warn("%s: %v", c.source, err)
		return
	}
	sum := sha256.Sum256(stmt)
	if seen[sum] {
		return
	}
	seen[sum] = true
	out.Found = append(out.Found, Attestation{PredicateType: c.predicateType, Statement: stmt, Source: c.source, Signer: c.signer, Evidence: c.evidence()})
	res.Pass("attestation", fmt.Sprintf("%s: %s (%s)", c.predicateType, c.signer, c.source))
}

// statementOf returns the DSSE payload of a bundle: the signed statement.
func statementOf(bundle []byte) ([]byte, error) {
	b, err := trust.PeekBundleWithin(bundle, maxBlobSize)
	if err != nil {
		return nil, err
	}
	if b.Envelope == nil {
		return nil, errors.New("the bundle holds no DSSE envelope")
	}
	return b.Envelope.GetPayload(), nil
}

// gatherAll reads every place that may hold attestations of digest: the
// referrers (or their tag fallback), cosign's .att tag, and GitHub's API
// when a repository is named. Its error is only that the context ended.
func (v *verifier) gatherAll(ctx context.Context, digest string) (*gathered, error) {
	b := v.bind
	b.digest = digest
	g := &gathered{}
	tagBase := strings.Replace(digest, ":", "-", 1)
	// The .att tag is read while the referrers are listed.
	attTag := v.prefetchLegacy(ctx, true, tagBase+".att", b)
	defer attTag.stop()
	if err := v.fromReferrers(ctx, g, digest, b); err != nil {
		return nil, err
	}
	if err := g.from(ctx, shortTag(tagBase+".att"), attTag.result); err != nil {
		return nil, err
	}
	if v.ghRepo != "" {
		if err := v.fromGitHub(ctx, g, digest); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// unsignedSBOMs lists the layers of cosign's deprecated .sbom tag: an SBOM
// uploaded as is, which nothing signs.
func (a *attestor) unsignedSBOMs(ctx context.Context, tag string) ([]string, error) {
	ms, err := a.v.st.tagged(ctx, tag)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		for i, l := range m.m.Layers {
			if i >= maxLayers {
				break
			}
			out = append(out, fmt.Sprintf("%s layer %d (%s, %s)", shortTag(tag), i+1, orAbsent(l.MediaType), short(l.Digest)))
		}
	}
	return out, nil
}

// failPart says why part pt has no attestation that counts: what it found
// instead, which did not verify and why, the BuildKit statements the index
// signature does not vouch for, and the unsigned SBOMs.
func (a *attestor) failPart(res *sdk.Result, pt part, g *gathered, out *PartAttestations, bk *buildkitFound) {
	prefix := ""
	if pt.name != "" {
		prefix = pt.name + ": "
	}
	types := strings.Join(a.preds, " or ")
	where := strings.Join(out.Looked, ", ")
	var tried []*candidate
	for _, c := range g.cands {
		if c.class == classAttestation && a.matchesAny(c.predicateType) {
			tried = append(tried, c)
		}
	}
	var msg string
	if len(tried) == 0 {
		msg = fmt.Sprintf("%sno %s attestation for %s (looked in: %s)", prefix, types, pt.digest, where)
		instead := predicateTypes(g.cands)
		if bk != nil {
			instead = append(instead, bk.otherTypes...)
		}
		if len(instead) > 0 {
			msg += "; found instead: " + strings.Join(instead, ", ")
		}
	} else {
		msg = fmt.Sprintf("%sno %s attestation for %s verifies (looked in: %s): %s", prefix, types, pt.digest, where, noneVerifies("attestation", tried))
		if idErr := firstIDErr(tried); idErr != nil {
			res.Checks = append(res.Checks, sdk.Check{Name: "identity", Detail: idErr.Explain()})
		}
	}
	if bk != nil {
		msg += bk.failure
	}
	if len(out.Unsigned) > 0 {
		msg += fmt.Sprintf("; found an unsigned SBOM in cosign's deprecated .sbom tag (%s); it is not signed and never counts", strings.Join(out.Unsigned, ", "))
	}
	res.Fail("attestation", msg)
}
