package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// buildkitFound is what an index's BuildKit attestation manifests hold for
// one platform.
type buildkitFound struct {
	// statements are of a type asked for, and about the platform.
	statements []buildkitStatement
	// otherTypes are the types of the statements not asked for.
	otherTypes []string
	// failure is added to the part's failure reason: statements that do
	// not count, and why.
	failure string
	// unread: the index signature could not be checked.
	unread string
}

type buildkitStatement struct {
	manifest      string
	source        string
	predicateType string
	data          []byte
}

func (bk *buildkitFound) reject(format string, args ...any) {
	bk.failure += "; " + fmt.Sprintf(format, args...)
}

// buildkit reads the attestation manifests the index lists for the
// platform manifest digest. Its error is a place that could not be read.
func (a *attestor) buildkit(ctx context.Context, digest string) (*buildkitFound, error) {
	bk := &buildkitFound{}
	var listed []descriptor
	for _, d := range a.o.top.m.Manifests {
		if d.Annotations[annReferenceType] == "attestation-manifest" && d.Annotations[annReferenceDigest] == digest && validDigest(d.Digest) {
			listed = append(listed, d)
		}
	}
	if len(listed) > maxBuildKitManifests {
		a.v.warn("the index %s lists %d attestation manifests for %s; only the first %d were read", short(a.o.top.digest), len(listed), short(digest), maxBuildKitManifests)
		listed = listed[:maxBuildKitManifests]
	}
	for _, d := range listed {
		m, err := a.v.st.get(ctx, d.Digest)
		if errors.Is(err, errNotFound) {
			bk.reject("the index lists the BuildKit attestation manifest %s, which %s does not have", short(d.Digest), a.v.st.where())
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := a.buildkitLayers(ctx, m, digest, bk); err != nil {
			return nil, err
		}
	}
	return bk, nil
}

// buildkitLayers reads the in-toto statement layers of one attestation
// manifest whose predicate type is asked for.
func (a *attestor) buildkitLayers(ctx context.Context, m *manifest, digest string, bk *buildkitFound) error {
	for i, l := range m.m.Layers {
		if i >= maxBuildKitLayers {
			a.v.warn("BuildKit attestation manifest %s has %d layers; only the first %d were read", short(m.digest), len(m.m.Layers), maxBuildKitLayers)
			break
		}
		if l.MediaType != inTotoLayerMediaType {
			continue
		}
		source := fmt.Sprintf("BuildKit attestation manifest %s layer %d", short(m.digest), i+1)
		// The annotation saves reading statements of other types; the
		// statement's own type decides.
		if declared := l.Annotations[annInTotoPredicate]; declared != "" && !a.matchesAny(declared) {
			bk.otherTypes = append(bk.otherTypes, declared+" (BuildKit)")
			continue
		}
		data, err := a.v.st.blob(ctx, l.Digest, maxBlobSize)
		if errors.Is(err, errNotFound) {
			bk.reject("%s: statement %s is absent", source, short(l.Digest))
			continue
		}
		if err != nil {
			return err
		}
		pt, err := statementAbout(data, digest)
		switch {
		case err != nil:
			bk.reject("%s: %v", source, err)
		case !a.matchesAny(pt):
			bk.otherTypes = append(bk.otherTypes, pt+" (BuildKit)")
		default:
			bk.statements = append(bk.statements, buildkitStatement{manifest: m.digest, source: source, predicateType: pt, data: data})
		}
	}
	return nil
}

// statementAbout reads an unsigned in-toto statement, checks that it names
// digest (sha256) as a subject, and returns its predicate type.
func statementAbout(data []byte, digest string) (string, error) {
	var st struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return "", fmt.Errorf("not an in-toto statement: %w", err)
	}
	if !strings.HasPrefix(st.Type, "https://in-toto.io/Statement/") {
		return "", fmt.Errorf("_type %q is not an in-toto statement", st.Type)
	}
	if st.PredicateType == "" {
		return "", errors.New("the statement has no predicateType")
	}
	_, hx, _ := strings.Cut(digest, ":")
	var names []string
	for _, s := range st.Subject {
		if strings.EqualFold(s.Digest["sha256"], hx) {
			return st.PredicateType, nil
		}
		for alg, v := range s.Digest {
			names = append(names, alg+":"+v)
		}
	}
	sort.Strings(names)
	return "", fmt.Errorf("subject mismatch: the statement (%s) names %s, the platform is %s", st.PredicateType, orAbsent(strings.Join(names, ", ")), digest)
}

// addBuildKit adds the platform's BuildKit statements when the index's
// signature verifies: the signed index lists the attestation manifest,
// which lists the statement, all by digest. Otherwise they do not count.
func (a *attestor) addBuildKit(ctx context.Context, out *PartAttestations, res *sdk.Result, bk *buildkitFound) {
	if len(bk.statements) == 0 {
		return
	}
	index := a.o.top.digest
	sig := a.indexSignature(ctx)
	if sig.c == nil {
		var sources []string
		for _, s := range bk.statements {
			sources = append(sources, s.predicateType+" in "+s.source)
		}
		bk.failure += fmt.Sprintf("; BuildKit attestations were found (%s) but the index signature does not verify (index %s): %s", strings.Join(sources, ", "), short(index), sig.reason)
		if sig.status == sdk.StatusError {
			bk.unread = "the signature of the index " + short(index) + ": " + sig.reason
		}
		return
	}
	for _, s := range bk.statements {
		ev := sig.c.evidence()
		ev.Source += " (signature of the index " + short(index) + ", which lists " + s.source + ")"
		out.Found = append(out.Found, Attestation{PredicateType: s.predicateType, Statement: s.data, Source: s.source, Signer: sig.c.signer, Evidence: ev, ViaIndex: index})
		res.Pass("attestation", fmt.Sprintf("%s: BuildKit attestation manifest %s, signed through the index %s signature: %s (%s)", s.predicateType, short(s.manifest), short(index), sig.c.signer, sig.c.source))
	}
}

// indexSignature is the outcome of verifying the index's own signature.
type indexSignature struct {
	c      *candidate // a verified signature; nil when none verifies
	status sdk.Status
	reason string
}

// indexSignature finds and verifies the index's signature as Verify does
// (referrers, then cosign's .sig tag), once for all its platforms.
func (a *attestor) indexSignature(ctx context.Context) indexSignature {
	a.sigOnce.Do(func() {
		a.sig = indexSignature{status: sdk.StatusError, reason: "its signature could not be checked"}
		sv := &verifier{p: a.v.p, st: a.v.st, req: a.v.req, m: a.v.m, ids: a.v.ids, needSig: true, bind: a.v.bind}
		res, cands := sv.checkPart(ctx, a.o.parts[0], nil)
		for _, d := range sv.warnings() {
			a.v.warn("%s", d.Summary)
		}
		if res.Status != sdk.StatusPass {
			a.sig = indexSignature{status: res.Status, reason: res.Reason}
			return
		}
		for _, c := range cands {
			if c.verified && c.class == classSignature {
				a.sig = indexSignature{c: c, status: sdk.StatusPass}
				return
			}
		}
	})
	return a.sig
}
