// Package blob is the built-in verifier for release files ("blobs") signed
// with `cosign sign-blob` or any Sigstore client: it hashes the file by
// streaming, binds the bundle to that digest and returns the bundle as
// evidence for the host to verify. It uses only the SDK and pkg/trust.
package blob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/sdk/fetch"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// Version of the blob plugin.
const Version = "0.1.0"

// Plugin verifies blobs. The zero value is ready to use.
type Plugin struct {
	materials trust.MaterialCache
}

// New returns a blob plugin.
func New() *Plugin { return &Plugin{} }

// Schema of the `blob` kind.
var Schema = sdk.KindSchema{
	Kind:        "blob",
	Description: "A release file signed with `cosign sign-blob` or another Sigstore client, verified against a Sigstore bundle.",
	Attributes: []sdk.Attribute{
		{Name: "path", Type: sdk.TypePath, Description: "The file to verify (relative to the policy's directory), or an https URL: downloaded while hashing, never stored; bundle and signature may be URLs too.", Example: `"dist/app.tar.gz"`},
		{Name: "max_size", Type: sdk.TypeNumber, Description: "Largest download accepted, in bytes (default 4 GiB).", Example: "8589934592"},
		{Name: "digest", Type: sdk.TypeString, Description: "The file's digest, for when only the digest is at hand (instead of path).", Example: `"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`},
		{Name: "bundles", Type: sdk.TypeListPath, Description: "Several bundle files, e.g. one per signer for identities = [...] with require = N.", Example: `["dist/app.tar.gz.release.sigstore.json", "dist/app.tar.gz.qa.sigstore.json"]`},
		{Name: "checksums", Type: sdk.TypePath, Description: "A SHA256SUMS file (sha256sum format) that must list this file with the same digest; the checksums file's own signature is verified against the identity.", Example: `"dist/SHA256SUMS"`},
		{Name: "checksums_bundle", Type: sdk.TypePath, Description: "The checksums file's bundle. Default: <checksums>.sigstore.json, then <checksums>.bundle.", Example: `"dist/SHA256SUMS.sigstore.json"`},
		{Name: "name", Type: sdk.TypeString, Description: "The file's name in the checksums file (default: the base name of path).", Example: `"libvmaf.so"`},
		{Name: "signature", Type: sdk.TypePath, Description: "A detached signature (base64, as `cosign sign-blob --output-signature` writes it), instead of a bundle. Without a transparency-log entry it needs verification { insecure_ignore_tlog = true } or a timestamp.", Example: `"dist/app.tar.gz.sig"`},
		{Name: "certificate", Type: sdk.TypePath, Description: "The signing certificate (PEM, or base64 of PEM) that goes with signature.", Example: `"dist/app.tar.gz.pem"`},
		{Name: "certificate_chain", Type: sdk.TypePath, Description: "Intermediate and root certificates (PEM) for certificate, when the trust root does not hold them.", Example: `"dist/chain.pem"`},
		{Name: "bundle", Type: sdk.TypePath, Description: "The Sigstore bundle (v0.1–v0.3), or a JSON Lines file of bundles (`gh attestation download`, `*.intoto.jsonl`): then at least one must verify. Default: <path>.sigstore.json, then <path>.bundle.", Example: `"dist/app.tar.gz.sigstore.json"`},
		{Name: "max_bundle_size", Type: sdk.TypeNumber, Description: "Largest bundle file read, in bytes, at most 1 GiB. Default 32 MiB, or 256 MiB when the block requires an attestation or provenance (an SBOM attestation carries the whole SBOM). The verified bundles travel to the host in one plugin-protocol message of at most 64 MiB: larger evidence makes the blob \"could not be checked\" whatever this allows.", Example: "536870912"},
	},
	Blocks: []sdk.NestedBlock{{
		TypeName:    "provenance",
		Nesting:     sdk.NestingSingle,
		Description: "Require SLSA provenance (v0.2 from slsa-github-generator, or v1 from GitHub attest-build-provenance and generator v2 builders) whose subjects include the file, with these properties.",
		Attributes: []sdk.Attribute{
			{Name: "builder_id", Type: sdk.TypeString, Description: "The builder id; without @ref any ref of that builder.", Example: `"https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"`},
			{Name: "source_repository", Type: sdk.TypeString, Description: "The source repository, owner/name or URI.", Example: `"vmafx/vmafx"`},
			{Name: "source_ref", Type: sdk.TypeString, Description: "The source git ref (a bare tag name matches refs/tags/<name>).", Example: `"refs/tags/v1.4.0"`},
		},
	}, {
		TypeName:    "attestation",
		Nesting:     sdk.NestingSingle,
		Description: "Require an in-toto attestation (a DSSE bundle whose statement names the file's digest as a subject) rather than a plain signature.",
		Attributes: []sdk.Attribute{
			{Name: "predicate_type", Type: sdk.TypeString, Description: "The statement's predicate type (a URI, or cosign's short names: slsaprovenance, slsaprovenance1, spdxjson, cyclonedx, vuln, openvex, custom). An unversioned SBOM type also accepts its versions: https://spdx.dev/Document (spdxjson) accepts …/Document/v2.2 and /v2.3, https://cyclonedx.org/bom (cyclonedx) accepts …/bom/v1.N and https://cyclonedx.org/schema; any other type must be equal.", Example: `"https://slsa.dev/provenance/v1"`},
		},
	}},
}

// Info describes the plugin.
func (p *Plugin) Info() sdk.Info {
	return sdk.Info{Name: "blob", Version: Version, Kinds: []sdk.KindSchema{Schema}}
}

type attributes struct {
	Signature        string           `json:"signature"`
	Certificate      string           `json:"certificate"`
	CertificateChain string           `json:"certificate_chain"`
	Path             string           `json:"path"`
	Digest           string           `json:"digest"`
	Bundle           string           `json:"bundle"`
	Bundles          []string         `json:"bundles"`
	Checksums        string           `json:"checksums"`
	ChecksumsBundle  string           `json:"checksums_bundle"`
	Name             string           `json:"name"`
	MaxSize          int64            `json:"max_size"`
	MaxBundleSize    *int64           `json:"max_bundle_size"`
	Attestation      *attestation     `json:"attestation"`
	Provenance       *provenanceRules `json:"provenance"`
}

type attestation struct {
	PredicateType string `json:"predicate_type"`
}

// Bundle file bounds. A bundle file is read whole and decoding it takes
// several times its size, so the bound follows what the file may carry;
// max_bundle_size overrides it, up to trust.MaxBundleSizeLimit.
const (
	// MaxBundleSize bounds the bundle files of a block that requires no
	// attestation: signatures, a few KiB each.
	MaxBundleSize = trust.MaxBundleSize
	// MaxAttestationBundleSize bounds the bundle files of a block that
	// requires an attestation or provenance: an SBOM attestation carries
	// the whole SBOM, and `gh attestation download` writes it into the
	// same JSON Lines file as the provenance.
	MaxAttestationBundleSize = trust.MaxAttestationBundleSize
)

// bundleLimit is the bound on the block's bundle files.
func (a attributes) bundleLimit() (int, error) {
	switch {
	case a.MaxBundleSize != nil && (*a.MaxBundleSize < 1 || *a.MaxBundleSize > trust.MaxBundleSizeLimit):
		return 0, fmt.Errorf("max_bundle_size = %d: want 1 to %d bytes", *a.MaxBundleSize, trust.MaxBundleSizeLimit)
	case a.MaxBundleSize != nil:
		return int(*a.MaxBundleSize), nil
	case a.Attestation != nil || a.Provenance != nil:
		return MaxAttestationBundleSize, nil
	}
	return MaxBundleSize, nil
}

// Verify checks one blob.
func (p *Plugin) Verify(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	res := &sdk.Result{Status: sdk.StatusPass}
	var a attributes
	if err := req.Decode(&a); err != nil {
		return res.Errorf("attributes", "%v", err), nil
	}
	switch {
	case a.Path == "" && a.Digest == "":
		return res.Fail("attributes", "blob needs path or digest"), nil
	case a.Path != "" && a.Digest != "":
		return res.Fail("attributes", "give path or digest, not both"), nil
	case a.Signature != "" && (a.Bundle != "" || len(a.Bundles) > 0):
		return res.Fail("attributes", "give bundle(s) or signature, not both"), nil
	}
	if _, err := a.bundleLimit(); err != nil {
		return res.Fail("attributes", err.Error()), nil
	}
	m, err := p.material(req.TrustRoot)
	if err != nil {
		return res.Errorf("trust root", "%v", err), nil
	}
	src := newSource(ctx, req, a.MaxSize)
	d := &digester{src: src, path: a.Path, given: a.Digest, cache: map[string]trust.Digest{}}
	ids := make([]trust.Identity, 0, len(req.Identities))
	for _, id := range req.Identities {
		ids = append(ids, trust.Identity(id))
	}

	// The blob's own signatures, unless only a signed checksums file vouches
	// for it.
	// An attestation or provenance requirement is about the blob's own
	// attestations: a signed checksums file cannot stand in for them.
	if a.Signature != "" || a.Bundle != "" || len(a.Bundles) > 0 || a.Checksums == "" || a.Attestation != nil || a.Provenance != nil || defaultBundleExists(src, a) {
		cands, err := candidates(a, d)
		if err != nil {
			if d.src.unchecked != nil {
				return res.Errorf("digest", "%v", d.src.unchecked), nil
			}
			return res.Fail("bundle", err.Error()), nil
		}
		if r := p.verifyCandidates(res, m, d, cands, ids, req, a); r != nil {
			return r, nil
		}
	}
	if a.Checksums != "" {
		if r := p.verifyChecksums(ctx, res, m, d, ids, req, a); r != nil {
			return r, nil
		}
	}
	res = sdk.CheckEvidenceSize(res)
	if res.Status == sdk.StatusPass {
		res.Subject = d.subject()
	}
	return res, nil
}

// candidate is one bundle to try, with where it came from.
type candidate struct {
	source string
	doc    []byte
}

// candidates reads the blob's signature material: a detached signature, the
// bundles listed, or the bundle (default <path>.sigstore.json, .bundle). A
// bundle file holds one bundle or several as JSON Lines (`gh attestation
// download`, `*.intoto.jsonl`).
func candidates(a attributes, d *digester) ([]candidate, error) {
	if a.Signature != "" {
		doc, err := detachedBundle(a, d)
		if err != nil {
			return nil, err
		}
		return []candidate{{source: a.Signature, doc: doc}}, nil
	}
	paths := append([]string(nil), a.Bundles...)
	if a.Bundle != "" || len(paths) == 0 {
		p, err := findBundle(d.src, a)
		if err != nil {
			return nil, err
		}
		paths = append([]string{p}, paths...)
	}
	limit, err := a.bundleLimit()
	if err != nil {
		return nil, err
	}
	var out []candidate
	for _, p := range paths {
		data, err := d.src.readBundle(p, int64(limit))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		docs := trust.SplitBundles(data)
		for i, doc := range docs {
			source := p
			if len(docs) > 1 {
				source = fmt.Sprintf("%s:%d", p, i+1)
			}
			out = append(out, candidate{source: source, doc: doc})
		}
	}
	return out, nil
}

// verifyCandidates pre-checks each candidate; as gh does, the blob passes
// when at least one verifies, and only those become evidence (with several
// identities and require = N, the host counts the distinct signers). It
// returns a final result on failure, nil to go on.
func (p *Plugin) verifyCandidates(res *sdk.Result, m *trust.Material, d *digester, cands []candidate, ids []trust.Identity, req *sdk.Request, a attributes) *sdk.Result {
	var failures []string
	explain := "" // criteria vs certificate, for the first identity failure
	for _, c := range cands {
		// With several candidates only the plugin can tell which verify (the
		// host requires every piece of evidence to), so it pre-checks them.
		ev, detail, err := p.checkBundle(m, d, c.doc, c.source, ids, req, a, len(cands) > 1)
		if err != nil {
			if d.src.unchecked != nil {
				return res.Errorf("digest", "%v", d.src.unchecked)
			}
			var idErr *trust.IdentityError
			if errors.As(err, &idErr) && explain == "" {
				explain = idErr.Explain()
			}
			failures = append(failures, err.Error())
			continue
		}
		res.Pass("signature", detail)
		res.Evidence = append(res.Evidence, *ev)
	}
	if len(res.Evidence) > 0 {
		return nil
	}
	if explain != "" {
		res.Checks = append(res.Checks, sdk.Check{Name: "identity", OK: false, Detail: explain})
	}
	reason := strings.Join(failures, "; ")
	if len(cands) > 1 {
		reason = fmt.Sprintf("none of the %d bundles verifies: %s", len(cands), reason)
	}
	return res.Fail("signature", reason)
}

func defaultBundleExists(src *source, a attributes) bool {
	_, err := findBundle(src, attributes{Path: a.Path})
	return a.Path != "" && err == nil
}

// checkBundle binds one bundle to the blob's digest and pre-verifies it with
// the same core the host uses, for a precise reason.
func (p *Plugin) checkBundle(m *trust.Material, d *digester, doc []byte, source string, ids []trust.Identity, req *sdk.Request, a attributes, precheck bool) (*sdk.Evidence, string, error) {
	limit, err := a.bundleLimit()
	if err != nil {
		return nil, "", err
	}
	// A Sigstore bundle names its media type; only a document that is not
	// one is probed for the older formats (a probe parses it again).
	b, err := trust.PeekBundleWithin(doc, limit)
	if err != nil || b.MediaType == "" {
		switch {
		case trust.IsLegacyBlobBundle(doc):
			// cosign's pre-bundle format (sign-blob or attest-blob
			// --bundle): the same material, converted. For attest-blob
			// the result holds the DSSE envelope, and its statement is
			// bound to the digest below as any attestation is.
			digest, err := d.digest("sha256")
			if err != nil {
				return nil, "", err
			}
			if doc, err = trust.BundleFromLegacyWithin(doc, digest, limit); err != nil {
				return nil, "", fmt.Errorf("%s: %w", source, err)
			}
			if b, err = trust.PeekBundleWithin(doc, limit); err != nil {
				return nil, "", fmt.Errorf("%s: %w", source, err)
			}
		case isBareDSSE(doc):
			return nil, "", fmt.Errorf("%s is a bare DSSE envelope with no certificate transparency or timestamp evidence (old slsa-github-generator output): nothing proves when the short-lived certificate signed it; use the generator's Sigstore bundle (v1.10+ with upload, or v2)", source)
		case err != nil:
			return nil, "", fmt.Errorf("%s: %w", source, err)
		}
	}
	if a.Attestation != nil || a.Provenance != nil {
		if err := checkAttestation(b, source, a.Attestation, a.Provenance); err != nil {
			return nil, "", err
		}
	}
	// The algorithm the bundle signed with decides which digest to compute.
	alg := "sha256"
	if b.MessageDigest != nil {
		alg = b.MessageDigest.Algorithm
	}
	if _, err := sdk.NewHash(alg); err != nil {
		return nil, "", fmt.Errorf("%s signs a %s digest: %w", source, alg, err)
	}
	digest, err := d.digest(alg)
	if err != nil {
		return nil, "", err
	}
	if signed := b.MessageDigest; signed != nil {
		if digest.Algorithm != alg {
			return nil, "", fmt.Errorf("%s signs a %s digest, the policy gives %s", source, alg, digest.Algorithm)
		}
		if signed.Hex != digest.Hex {
			return nil, "", fmt.Errorf("digest mismatch: expected digest %s (the file), found %s (signed in %s): the file was modified, or the bundle is for another file", digest, signed, source)
		}
	}
	ev := &sdk.Evidence{
		Type: sdk.EvidenceBundle, MediaType: b.MediaType, Bundle: doc,
		SubjectDigest: sdk.Digest{Algorithm: digest.Algorithm, Hex: digest.Hex}, Source: source,
	}
	if !precheck {
		// The host verifies the signature, chain, log and identity itself;
		// doing it here too would only double the cost.
		return ev, source + " binds " + digest.String() + " (the host verifies its signature, log entry and signer)", nil
	}
	out, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: doc, Digest: digest, Identities: ids, UseKey: req.UseKey, Requirements: trust.Requirements(req.Requirements), MaxSize: limit})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", source, err)
	}
	detail := out.Signer.String()
	if len(out.Matched) > 0 {
		detail += " (identity " + strings.Join(out.Matched, ", ") + ")"
	}
	return ev, detail, nil
}

// detachedBundle assembles a bundle from signature + certificate files.
func detachedBundle(a attributes, d *digester) ([]byte, error) {
	sig, err := d.src.read(a.Signature, 64<<10)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Signature, err)
	}
	det := trust.Detached{Signature: sig}
	if a.Certificate != "" {
		if det.CertificatePEM, err = d.src.read(a.Certificate, 256<<10); err != nil {
			return nil, fmt.Errorf("%s: %w", a.Certificate, err)
		}
	}
	if a.CertificateChain != "" {
		if det.ChainPEM, err = d.src.read(a.CertificateChain, 1<<20); err != nil {
			return nil, fmt.Errorf("%s: %w", a.CertificateChain, err)
		}
	}
	digest, err := d.digest("sha256")
	if err != nil {
		return nil, err
	}
	out, err := trust.BundleFromDetached(det, digest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Signature, err)
	}
	return out, nil
}

// isBareDSSE reports a DSSE envelope ({"payloadType","payload","signatures"})
// that is not inside a bundle.
func isBareDSSE(doc []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(doc, &probe) != nil {
		return false
	}
	_, pt := probe["payloadType"]
	_, sigs := probe["signatures"]
	_, media := probe["mediaType"]
	return pt && sigs && !media
}

// checkAttestation requires a DSSE in-toto statement of the wanted
// predicate type. The subject-digest binding itself is verified with the
// signature (sigstore-go checks the statement's subjects).
func checkAttestation(b *trust.Claims, source string, att *attestation, prov *provenanceRules) error {
	if b.Envelope == nil {
		return fmt.Errorf("%s: an attestation is required, but the bundle holds a plain message signature", source)
	}
	// Only provenance rules read the predicate; an SBOM attestation's
	// header is read without building its predicate.
	h, err := b.StatementHeader()
	if err != nil {
		return fmt.Errorf("%s: the DSSE payload is not an in-toto statement: %w", source, err)
	}
	if att != nil && att.PredicateType != "" {
		want := trust.ExpandPredicateType(att.PredicateType)
		if !trust.PredicateTypeMatches(want, h.PredicateType) {
			return fmt.Errorf("%s: predicate type: expected %s, found %s", source, want, h.PredicateType)
		}
	}
	if prov != nil {
		st, err := b.Statement()
		if err != nil {
			return fmt.Errorf("%s: the DSSE payload is not an in-toto statement: %w", source, err)
		}
		facts, err := readProvenance(st)
		if err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
		if diffs := checkProvenance(facts, *prov); len(diffs) > 0 {
			return fmt.Errorf("%s: provenance not accepted: %s", source, strings.Join(diffs, "; "))
		}
	}
	return nil
}

// digester computes the blob's digest once per algorithm, or takes the
// policy's.
type digester struct {
	src   *source
	path  string
	given string
	cache map[string]trust.Digest
}

func (d *digester) digest(alg string) (trust.Digest, error) {
	if d.given != "" {
		return trust.ParseDigest(d.given)
	}
	if got, ok := d.cache[alg]; ok {
		return got, nil
	}
	got, err := d.src.hash(d.path, alg)
	if err != nil {
		if fetchURL(d.path) {
			return trust.Digest{}, err // fetch errors name the URL
		}
		return trust.Digest{}, fmt.Errorf("%s: %w", d.path, err)
	}
	d.cache[alg] = got
	return got, nil
}

// subject is the digest the verdict is about, for blocks that refer to
// the blob: its sha256 when it was computed (bundles sign sha256 digests
// almost always), else the digest that was, else the one given.
func (d *digester) subject() sdk.Digest {
	got, ok := d.cache["sha256"]
	if !ok {
		for _, alg := range []string{"sha512", "sha384"} {
			if g, found := d.cache[alg]; found {
				got, ok = g, true
				break
			}
		}
	}
	if !ok && d.given != "" {
		got, _ = trust.ParseDigest(d.given)
	}
	return sdk.Digest{Algorithm: got.Algorithm, Hex: got.Hex}
}

func (p *Plugin) material(tr *sdk.TrustRoot) (*trust.Material, error) {
	if tr == nil {
		return nil, errors.New("no trust root configured")
	}
	return p.materials.Get(tr.Name, tr.TrustedRootJSON, tr.PublicKeysPEM)
}

func findBundle(src *source, a attributes) (string, error) {
	if a.Bundle != "" {
		return a.Bundle, nil
	}
	if a.Path == "" {
		return "", errors.New("no bundle given (with digest = …, bundle = … is required)")
	}
	for _, suffix := range []string{".sigstore.json", ".bundle"} {
		if src.exists(a.Path + suffix) {
			return a.Path + suffix, nil
		}
	}
	return "", fmt.Errorf("no bundle given and neither %s.sigstore.json nor %s.bundle exists", a.Path, a.Path)
}

// hashFile streams the file through the hash in fixed-size chunks, checking
// for cancellation between chunks: memory stays flat whatever the size.
func hashFile(ctx context.Context, path, alg string) (trust.Digest, error) {
	d, err := sdk.DigestFile(ctx, path, alg)
	return trust.Digest{Algorithm: d.Algorithm, Hex: d.Hex}, err
}

func fetchURL(loc string) bool { return fetch.IsURL(loc) }
