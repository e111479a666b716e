package sbom

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/plugins/image"
	"github.com/vmafx/vmafx-trust/plugins/sbom/document"
)

// ImageSource finds and verifies the attestations of an image's parts;
// the image plugin serves it.
type ImageSource interface {
	Attestations(ctx context.Context, req *sdk.Request, q image.AttestationQuery) ([]image.PartAttestations, []sdk.Diagnostic, error)
}

// imageAttributes are the referenced image block's attributes the lookup
// needs: where the image lives and what of it was verified.
type imageAttributes struct {
	Ref                    string          `json:"ref"`
	Platforms              json.RawMessage `json:"platforms"`
	GitHubRepository       string          `json:"github_repository"`
	Insecure               bool            `json:"insecure"`
	AllowReferenceMismatch bool            `json:"allow_reference_mismatch"`
}

// sbomPredicates are the predicate types an image's SBOM attestations
// have: the SPDX and CycloneDX families, and cosign's custom wrapper when
// the block accepts it.
func (j *job) sbomPredicates() []string {
	var out []string
	if j.format != document.CycloneDX {
		out = append(out, document.PredicateSPDX)
	}
	if j.format != document.SPDX {
		out = append(out, document.PredicateCycloneDX, document.PredicateCycloneDXLegacy)
	}
	if j.a.AllowCosignCustom {
		out = append(out, document.PredicateCosignCustom)
	}
	return out
}

// verifyImage checks the SBOM attestations of every part the image block
// verified: one row per part, each bound to that part's digest.
func (p *Plugin) verifyImage(ctx context.Context, j *job) (*sdk.Result, error) {
	res := &sdk.Result{Status: sdk.StatusPass}
	ref := j.req.References[attrImage]
	if p.Images == nil {
		return res.Errorf("image", "this sbom plugin has no image source"), nil
	}
	var ia imageAttributes
	if err := json.Unmarshal(ref.Attributes, &ia); err != nil {
		return res.Errorf("image", "image = %s.%s: reading its attributes: %v", ref.Kind, ref.Name, err), nil
	}
	top, parts := topDigest(ref)
	if top == "" {
		return res.Errorf("image", "image = %s.%s established no manifest digest", ref.Kind, ref.Name), nil
	}
	pinned, err := pinRef(ia.Ref, top)
	if err != nil {
		return res.Errorf("image", "image = %s.%s: %v", ref.Kind, ref.Name, err), nil
	}
	q := image.AttestationQuery{Ref: pinned, Platforms: platformsString(ia.Platforms), PredicateTypes: j.sbomPredicates(),
		GitHubRepository: ia.GitHubRepository, Insecure: ia.Insecure, AllowReferenceMismatch: ia.AllowReferenceMismatch}
	found, diags, err := p.Images.Attestations(ctx, j.req, q)
	if err != nil {
		return res.Errorf("image", "%v", err), nil
	}
	res.Diagnostics = diags
	rows := make([]sdk.SubResult, 0, len(found))
	var notes []sdk.Check
	for _, pa := range found {
		// An SBOM describes an image's contents, which its platforms
		// hold: with platform rows, the index needs no SBOM of its own
		// (BuildKit and most builders attest platforms only), but one it
		// has is checked like any other.
		if len(found) > 1 && pa.Name == "index" && pa.Status == sdk.StatusFail && len(pa.Found) == 0 {
			notes = append(notes, sdk.Check{Name: "index", OK: true, Detail: fmt.Sprintf("%s has no SBOM attestation of its own that verifies (%s); its platforms' SBOMs are checked", pa.Digest, pa.Reason)})
			continue
		}
		rows = append(rows, j.imagePart(ctx, pa, parts))
	}
	res.Checks = append(res.Checks, notes...)
	return summarize(res, rows, top), nil
}

// imagePart checks the SBOMs of one part.
func (j *job) imagePart(ctx context.Context, pa image.PartAttestations, parts map[string]string) sdk.SubResult {
	row := sdk.SubResult{Name: pa.Name, Status: pa.Status, Checks: pa.Checks, Reason: pa.Reason}
	row.Subject = digestOf(pa.Digest)
	if want, ok := parts[pa.Name]; !ok || want != pa.Digest {
		row.Status, row.Reason = sdk.StatusFail, fmt.Sprintf("part %q is %s, but the image block verified %s", pa.Name, pa.Digest, orNone([]string{want}))
		return row
	}
	if pa.Status != sdk.StatusPass {
		return row
	}
	subjects := []document.Digest{toDocDigest(row.Subject)}
	for _, att := range pa.Found {
		o := j.checkStatement(ctx, att.Statement, subjects, att.Source)
		row.Checks = append(row.Checks, o.checks...)
		if o.reason != "" {
			row.Status, row.Reason, row.Evidence = sdk.StatusFail, o.reason, nil
			return row
		}
		row.Evidence = append(row.Evidence, att.Evidence)
	}
	if len(row.Evidence) == 0 {
		row.Status, row.Reason = sdk.StatusFail, fmt.Sprintf("no SBOM attestation for %s", pa.Digest)
	}
	return row
}

// summarize makes the rows the result: one row is the result itself; with
// several, each is a sub-result and the whole fails when any does.
func summarize(res *sdk.Result, rows []sdk.SubResult, top string) *sdk.Result {
	res.Subject = digestOf(top)
	if len(rows) == 1 && (rows[0].Name == "" || rows[0].Name == "index") {
		r := rows[0]
		res.Status, res.Checks, res.Evidence, res.Reason = r.Status, append(res.Checks, r.Checks...), r.Evidence, r.Reason
		return res
	}
	res.SubResults = rows
	return res.SummarizeParts("platforms", fmt.Sprintf("%d part(s) have verified SBOMs", len(rows)))
}

// topDigest is the digest the image reference resolved to (its one part,
// or its index) and every part's digest by name.
func topDigest(ref sdk.Reference) (string, map[string]string) {
	parts := map[string]string{}
	top := ""
	for _, p := range ref.Parts {
		parts[p.Name] = p.Digest.String()
		if p.Name == "" || p.Name == "index" {
			top = p.Digest.String()
		}
	}
	return top, parts
}

// pinRef names the image by the digest its verification established: the
// tag it was given is not resolved a second time.
func pinRef(ref, digest string) (string, error) {
	if dir, ok := strings.CutPrefix(ref, image.LayoutScheme); ok {
		if i := strings.LastIndex(dir, "@"); i >= 0 {
			dir = dir[:i]
		} else if i := strings.LastIndex(dir, ":"); i > strings.LastIndex(dir, "/") {
			dir = dir[:i]
		}
		return image.LayoutScheme + dir + "@" + digest, nil
	}
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return "", fmt.Errorf("ref %q: %w", ref, err)
	}
	return r.Context().Name() + "@" + digest, nil
}

func platformsString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, ",")
	}
	return string(raw)
}

func digestOf(s string) sdk.Digest {
	alg, hex, _ := strings.Cut(s, ":")
	return sdk.Digest{Algorithm: alg, Hex: hex}
}
