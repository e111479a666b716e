// Package image is the built-in verifier for container images: it resolves
// a reference once, finds the image's Sigstore signatures and attestations
// wherever they are stored (OCI 1.1 referrers, the referrers tag-schema
// fallback, cosign's legacy .sig/.att tags, OCI image layouts), binds each
// to the image digest, and returns them as evidence for the host to
// verify. It checks every platform of an index on request. It uses only
// the SDK, pkg/trust and go-containerregistry.
package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// Version of the image plugin.
const Version = "0.1.0"

const (
	// maxConcurrentFetches bounds the registry requests in flight at once
	// for the whole plugin process.
	maxConcurrentFetches = 8
	// maxConcurrentParts bounds the platforms of one index verified at once.
	maxConcurrentParts = 4
	// Caps on what one digest may carry; more is ignored with a warning
	// (ignoring can only lose evidence, never make anything pass).
	maxReferrers = 64
	maxLayers    = 32
)

// Plugin verifies container images. The zero value is ready to use; it is
// safe for concurrent use, and caches what it fetches for the run.
type Plugin struct {
	mu        sync.Mutex
	materials trust.MaterialCache
	pullers   map[bool]*remote.Puller
	layouts   map[string]*layoutStore
	// httpClient serves non-registry requests (the GitHub API).
	httpClient *http.Client
	cache      onceCache
	semOnce    sync.Once
	sem        chan struct{}
	requests   atomic.Int64
}

// New returns an image plugin.
func New() *Plugin { return &Plugin{} }

// Requests is the number of HTTP requests the plugin has sent.
func (p *Plugin) Requests() int64 { return p.requests.Load() }

// Schema of the `image` kind.
var Schema = sdk.KindSchema{
	Kind:        "image",
	Description: "A container image signed with `cosign sign` (keyless or key) and, optionally, carrying in-toto attestations (`cosign attest`, GitHub `attest-build-provenance`), found in OCI 1.1 referrers, the referrers tag fallback, cosign's `.sig`/`.att` tags or an OCI layout. See docs/images.md.",
	Attributes: []sdk.Attribute{
		{Name: "ref", Type: sdk.TypeString, Required: true, Description: "The image: `registry/repository:tag`, `registry/repository@sha256:…`, or `oci-layout://DIR[@sha256:…|:TAG]` (DIR relative to the policy). A tag is resolved once per run.", Example: `"ghcr.io/vmafx/vmafx:1.4.0"`},
		{Name: "platforms", Type: sdk.TypeStringOrList, Description: "What must be signed: `index` (default: the digest the reference names, as cosign does), `all` (the index and every platform manifest it lists; one report row each), or a list of platforms such as `[\"linux/amd64\", \"linux/arm64\"]` (the index and those platforms; a comma-separated string works too).", Example: `"all"`},
		{Name: "attestations", Type: sdk.TypeListString, Description: "Predicate types that must each be present and verified for every part (URIs, or cosign's short names: slsaprovenance, slsaprovenance1, spdxjson, cyclonedx, vuln, openvex, custom). An unversioned SBOM type also accepts its versions: spdxjson (https://spdx.dev/Document) accepts …/Document/v2.2 and /v2.3 (GitHub's attest-sbom), cyclonedx (https://cyclonedx.org/bom) accepts …/bom/v1.N and https://cyclonedx.org/schema; any other type must be equal. An attestation of the index also covers the platforms it lists.", Example: `["https://slsa.dev/provenance/v1", "https://spdx.dev/Document"]`},
		{Name: "signature", Type: sdk.TypeBool, Description: "Require a signature (`cosign sign`) of the image (default true). An attestation is never a signature; false checks only the attestations, as `cosign verify-attestation` does (with no attestations listed, any verified attestation).", Example: "false"},
		{Name: "require_digest", Type: sdk.TypeBool, Description: "Fail unless ref is pinned by digest (@sha256:…).", Example: "true"},
		{Name: "allow_reference_mismatch", Type: sdk.TypeBool, Description: "Accept legacy signatures whose payload names another repository (an image copied to a mirror). The digest must still match.", Example: "true"},
		{Name: "github_repository", Type: sdk.TypeString, Description: "Also look up attestations in GitHub's attestation API for this owner/name (`gh attestation verify`'s source; token from GH_TOKEN or GITHUB_TOKEN, optional for public repositories), after the registry's own.", Example: `"vmafx/vmafx"`},
		{Name: "insecure", Type: sdk.TypeBool, Description: "Allow plain HTTP and unverified TLS to this registry. Loopback registries may use HTTP without it.", Example: "true"},
	},
}

// Info describes the plugin.
func (p *Plugin) Info() sdk.Info {
	return sdk.Info{Name: "image", Version: Version, Kinds: []sdk.KindSchema{Schema}}
}

type attributes struct {
	Ref                    string       `json:"ref"`
	Platforms              stringOrList `json:"platforms"`
	Attestations           []string     `json:"attestations"`
	Signature              *bool        `json:"signature"`
	RequireDigest          bool         `json:"require_digest"`
	AllowReferenceMismatch bool         `json:"allow_reference_mismatch"`
	GitHubRepository       string       `json:"github_repository"`
	Insecure               bool         `json:"insecure"`
}

// selection is what platforms must verify.
type selection struct {
	mode string // "index", "all" or "list"
	list []string
}

func parsePlatforms(s string) (selection, error) {
	switch strings.TrimSpace(s) {
	case "", "index":
		return selection{mode: "index"}, nil
	case "all":
		return selection{mode: "all"}, nil
	}
	sel := selection{mode: "list"}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		parts := strings.Split(p, "/")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return sel, fmt.Errorf("platforms: %q is not os/arch[/variant] (or \"all\", \"index\")", p)
		}
		sel.list = append(sel.list, p)
	}
	return sel, nil
}

// Verify checks one image.
func (p *Plugin) Verify(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	res := &sdk.Result{Status: sdk.StatusPass}
	var a attributes
	if err := req.Decode(&a); err != nil {
		return res.Errorf("attributes", "%v", err), nil
	}
	sel, err := parsePlatforms(string(a.Platforms))
	if err != nil {
		return res.Fail("attributes", err.Error()), nil
	}
	var preds []string
	for _, t := range a.Attestations {
		preds = append(preds, trust.ExpandPredicateType(t))
	}
	o, failed := p.open(ctx, req, target{ref: a.Ref, sel: sel, requireDigest: a.RequireDigest, insecure: a.Insecure, ghRepo: a.GitHubRepository})
	if failed != nil {
		return failed, nil
	}
	v := &verifier{p: p, st: o.st, req: req, m: o.m, ids: o.ids, needSig: a.Signature == nil || *a.Signature, preds: preds, ghRepo: a.GitHubRepository,
		bind: bindCheck{repo: o.st.name(), allowMismatch: a.AllowReferenceMismatch}}
	parts := o.parts
	if !o.rows {
		r := v.verifyPart(ctx, parts[0], nil)
		res.Checks = append([]sdk.Check{o.refCheck}, r.Checks...)
		res.Evidence = r.Evidence
		res.Status, res.Reason = r.Status, r.Reason
		res.Subject = digestOf(parts[0].digest)
		res.Diagnostics = append(res.Diagnostics, v.warnings()...)
		return res, nil
	}

	// An index and its platforms: the index first (its attestations cover
	// the platforms it lists), then the platforms concurrently.
	results := make([]*sdk.Result, len(parts))
	results[0] = v.verifyPart(ctx, parts[0], nil)
	inherited := v.inheritable(parts[0])
	eachPart(parts, 1, func(i int) {
		results[i] = v.verifyPart(ctx, parts[i], inherited)
	}, func(i int, err error) {
		results[i] = (&sdk.Result{}).Errorf("verify", "%s: %v", parts[i].name, err)
	})
	summarize(res, parts, results, o.refCheck)
	res.Diagnostics = append(res.Diagnostics, v.warnings()...)
	return res, nil
}

// summarize makes one row of each part's result, and the verdict on the
// whole of them.
func summarize(res *sdk.Result, parts []part, results []*sdk.Result, refCheck sdk.Check) {
	for i, r := range results {
		checks := append([]sdk.Check{refCheck}, listedCheck(parts, i)...)
		sub := sdk.SubResult{Name: parts[i].name, Status: r.Status, Checks: append(checks, r.Checks...), Evidence: r.Evidence, Reason: r.Reason, Subject: digestOf(parts[i].digest)}
		res.SubResults = append(res.SubResults, sub)
	}
	res.Checks = append(res.Checks, refCheck)
	res.Subject = digestOf(parts[0].digest)
	res.SummarizeParts("platforms", fmt.Sprintf("%d part(s) verified", len(parts)))
}

// listedCheck is the check that a platform part is a manifest the index
// lists (none for the index itself or a part that could not be found).
func listedCheck(parts []part, i int) []sdk.Check {
	if i == 0 || parts[i].digest == "" || parts[i].missing != "" {
		return nil
	}
	return []sdk.Check{{Name: "manifest", OK: true, Detail: fmt.Sprintf("%s (%s, listed by the index)", parts[i].digest, parts[i].name)}}
}

// eachPart runs fn for parts[from:] concurrently, at most
// maxConcurrentParts at once, and returns when all are done; a panic in fn
// goes to onPanic for that part.
func eachPart(parts []part, from int, fn func(i int), onPanic func(i int, err error)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxConcurrentParts)
	for i := from; i < len(parts); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := sdk.Safely(func() error { fn(i); return nil }); err != nil {
				onPanic(i, err)
			}
		}()
	}
	wg.Wait()
}

// target is the image one check names, and how to reach it.
type target struct {
	ref           string
	sel           selection
	requireDigest bool
	insecure      bool
	ghRepo        string
}

// opened is an image resolved once and split into the parts to check.
type opened struct {
	st       store
	m        *trust.Material
	ids      []trust.Identity
	top      *manifest
	refCheck sdk.Check
	parts    []part
	rows     bool // each part is a row of its own (an index and its platforms)
}

// open resolves the image t names and lists its parts; when it cannot, it
// returns the result to report instead.
func (p *Plugin) open(ctx context.Context, req *sdk.Request, t target) (*opened, *sdk.Result) {
	res := &sdk.Result{Status: sdk.StatusPass}
	ref, err := parseRef(t.ref, req.PolicyDir, t.insecure)
	if err != nil {
		return nil, res.Fail("reference", err.Error())
	}
	if t.requireDigest && ref.digest == "" {
		return nil, res.Fail("reference", fmt.Sprintf("%s is not pinned by digest (require_digest = true): expected …@sha256:<hex>, found tag %q", t.ref, ref.tag))
	}
	if req.Offline && !ref.isLayout() && !isLoopback(ref.host()) {
		return nil, res.Errorf("reference", "--offline: %s is a network registry; use a loopback mirror or %sDIR", ref.repo.RegistryStr(), LayoutScheme)
	}
	o := &opened{}
	if o.m, err = p.material(req.TrustRoot); err != nil {
		return nil, res.Errorf("trust root", "%v", err)
	}
	if o.st, err = p.storeFor(ref, t.insecure); err != nil {
		return nil, res.Fail("reference", err.Error())
	}
	// A pinned digest verified as itself needs no manifest: its signatures
	// name the digest (cosign does not fetch it either). Otherwise the
	// manifest tells whether it is an index, and which platforms it lists.
	var missing bool
	if ref.digest != "" && t.sel.mode == "index" {
		o.top = &manifest{digest: ref.digest}
	} else {
		o.top, missing, err = resolve(ctx, o.st, ref)
	}
	if err != nil {
		if errors.Is(err, errNotFound) {
			return nil, res.Fail("reference", err.Error())
		}
		return nil, res.Errorf("reference", "%v", err)
	}
	o.refCheck = referenceCheck(ref, o.top, missing, o.st)
	o.ids = make([]trust.Identity, 0, len(req.Identities))
	for _, id := range req.Identities {
		o.ids = append(o.ids, trust.Identity(id))
	}
	if t.ghRepo != "" && !ownerRepo().MatchString(t.ghRepo) {
		return nil, res.Fail("attributes", fmt.Sprintf("github_repository %q: want owner/name", t.ghRepo))
	}
	var perr error
	o.parts, o.rows, perr = p.selectParts(ctx, o.st, o.top, missing || o.top.raw == nil, t.sel)
	if perr != nil {
		res.Checks = append(res.Checks, o.refCheck)
		if errors.Is(perr, errNotFound) || errors.Is(perr, errSelection) {
			return nil, res.Fail("platforms", perr.Error())
		}
		return nil, res.Errorf("platforms", "%v", perr)
	}
	return o, nil
}

// referenceCheck says how the reference became the digest checked.
func referenceCheck(ref *imageRef, top *manifest, missing bool, st store) sdk.Check {
	switch {
	case ref.digest != "" && missing:
		return sdk.Check{Name: "reference", OK: true, Detail: fmt.Sprintf("%s (pinned; the manifest itself is not in %s, its signatures are checked)", top.digest, st.where())}
	case ref.digest != "":
		return sdk.Check{Name: "reference", OK: true, Detail: top.digest + " (pinned)"}
	case ref.tag != "":
		return sdk.Check{Name: "reference", OK: true, Detail: fmt.Sprintf("tag %s resolved once to %s", ref.tag, top.digest)}
	default:
		return sdk.Check{Name: "reference", OK: true, Detail: fmt.Sprintf("%s (the one image of the layout)", top.digest)}
	}
}

// part is one manifest to verify: the index, a platform, or the image.
type part struct {
	name    string // "index", "linux/amd64", or "" for the one image
	digest  string
	missing string // why it cannot be verified (a listed platform that is absent)
	errored string // could not be checked
}

var errSelection = errors.New("platform selection")

// resolve finds the manifest the reference names. A digest whose manifest
// is absent is still verifiable (its signatures name the digest): missing
// says so.
func resolve(ctx context.Context, st store, ref *imageRef) (*manifest, bool, error) {
	want := ref.digest
	if want == "" {
		want = ref.tag
	}
	if want == "" {
		ls := st.(*layoutStore)
		d, err := ls.image(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("%w: %w", errNotFound, err)
		}
		want = d
	}
	m, err := st.get(ctx, want)
	if errors.Is(err, errNotFound) && ref.digest != "" {
		return &manifest{digest: ref.digest}, true, nil
	}
	if errors.Is(err, errNotFound) {
		return nil, false, fmt.Errorf("%s: tag %q: no such image (%w)", st.where(), ref.tag, errNotFound)
	}
	if err != nil {
		return nil, false, err
	}
	return m, false, nil
}

// selectParts lists what to verify; rows says whether each part is a row
// of its own (an index with its platforms).
func (p *Plugin) selectParts(ctx context.Context, st store, top *manifest, missing bool, sel selection) ([]part, bool, error) {
	if missing {
		if sel.mode != "index" {
			return nil, false, fmt.Errorf("%w: platforms = %q needs the manifest of %s, which %s does not have", errSelection, strings.Join(append([]string{sel.mode}, sel.list...), " "), top.digest, st.where())
		}
		return []part{{digest: top.digest}}, false, nil
	}
	if !top.isIndex() {
		if sel.mode != "list" {
			return []part{{digest: top.digest}}, false, nil
		}
		plat, err := imagePlatform(ctx, st, top)
		if err != nil {
			return nil, false, err
		}
		for _, want := range sel.list {
			if !platformMatches(want, plat) {
				return nil, false, fmt.Errorf("%w: %s is a single-platform image for %s, not %s", errSelection, short(top.digest), plat, want)
			}
		}
		return []part{{digest: top.digest}}, false, nil
	}
	if sel.mode == "index" {
		return []part{{digest: top.digest}}, false, nil
	}
	parts := []part{{name: "index", digest: top.digest}}
	seen := map[string]int{}
	var available []string
	for _, d := range top.m.Manifests {
		if isAttestationManifest(d) {
			continue
		}
		pl := d.Platform.String()
		if pl == "" {
			pl = short(d.Digest)
		}
		available = append(available, pl)
		if sel.mode == "list" && !containsPlatform(sel.list, d.Platform) {
			continue
		}
		name := pl
		if seen[pl]++; seen[pl] > 1 {
			name = pl + " " + short(d.Digest)
		}
		if !validDigest(d.Digest) {
			parts = append(parts, part{name: name, missing: fmt.Sprintf("the index lists %q for %s, which is not a sha256 digest", d.Digest, pl)})
			continue
		}
		parts = append(parts, part{name: name, digest: d.Digest})
	}
	for _, want := range sel.list {
		found := false
		for _, d := range top.m.Manifests {
			if !isAttestationManifest(d) && platformMatches(want, d.Platform) {
				found = true
			}
		}
		if !found {
			parts = append(parts, part{name: want, missing: fmt.Sprintf("platform %s is not in the index %s (it lists: %s)", want, short(top.digest), orAbsent(strings.Join(available, ", ")))})
		}
	}
	if len(parts) == 1 {
		return nil, false, fmt.Errorf("%w: the index %s lists no platform manifests", errSelection, short(top.digest))
	}
	// Every listed platform manifest must exist: a missing child fails.
	for i := 1; i < len(parts); i++ {
		if parts[i].digest == "" {
			continue
		}
		if _, err := st.get(ctx, parts[i].digest); errors.Is(err, errNotFound) {
			parts[i].missing = fmt.Sprintf("the index lists %s for %s, but %s does not have it", short(parts[i].digest), parts[i].name, st.where())
		} else if err != nil {
			parts[i].errored = err.Error()
		}
	}
	return parts, true, nil
}

// isAttestationManifest: BuildKit's in-toto attestation manifests in an
// index (platform unknown/unknown) are not platform images.
func isAttestationManifest(d descriptor) bool {
	if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

func platformMatches(want string, p *platform) bool {
	if p == nil {
		return false
	}
	w := strings.Split(want, "/")
	if w[0] != p.OS || w[1] != p.Architecture {
		return false
	}
	return len(w) < 3 || w[2] == p.Variant
}

func containsPlatform(list []string, p *platform) bool {
	for _, w := range list {
		if platformMatches(w, p) {
			return true
		}
	}
	return false
}

// imagePlatform reads a single-platform image's os/arch from its config.
func imagePlatform(ctx context.Context, st store, m *manifest) (*platform, error) {
	if m.m.Config == nil {
		return nil, fmt.Errorf("%w: %s has no config to read its platform from", errSelection, short(m.digest))
	}
	raw, err := st.blob(ctx, m.m.Config.Digest, maxManifestSize)
	if err != nil {
		return nil, err
	}
	var pl platform
	if err := json.Unmarshal(raw, &pl); err != nil {
		return nil, fmt.Errorf("config %s: %w", short(m.m.Config.Digest), err)
	}
	return &pl, nil
}

func (p *Plugin) storeFor(ref *imageRef, insecure bool) (store, error) {
	if ref.isLayout() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if s := p.layouts[ref.layoutDir]; s != nil {
			return s, nil
		}
		s, err := openLayout(ref.layoutDir)
		if err != nil {
			return nil, err
		}
		if p.layouts == nil {
			p.layouts = map[string]*layoutStore{}
		}
		p.layouts[ref.layoutDir] = s
		return s, nil
	}
	pl, err := p.pullerFor(insecure)
	if err != nil {
		return nil, err
	}
	return &registryStore{p: p, repo: ref.repo, puller: pl}, nil
}

// acquire takes one of the plugin's fetch slots.
func (p *Plugin) acquire(ctx context.Context) (func(), error) {
	p.semOnce.Do(func() { p.sem = make(chan struct{}, maxConcurrentFetches) })
	select {
	case p.sem <- struct{}{}:
		return func() { <-p.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *Plugin) material(tr *sdk.TrustRoot) (*trust.Material, error) {
	if tr == nil {
		return nil, errors.New("no trust root configured")
	}
	return p.materials.Get(tr.Name, tr.TrustedRootJSON, tr.PublicKeysPEM)
}

// verifier verifies the parts of one image.
type verifier struct {
	p       *Plugin
	st      store
	req     *sdk.Request
	m       *trust.Material
	ids     []trust.Identity
	needSig bool
	preds   []string
	ghRepo  string
	bind    bindCheck

	mu       sync.Mutex
	warns    []string
	verified map[string][]*candidate // by part digest: verified attestations
}

func (v *verifier) warn(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.warns = append(v.warns, fmt.Sprintf(format, args...))
}

func (v *verifier) warnings() []sdk.Diagnostic {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []sdk.Diagnostic
	for _, w := range v.warns {
		out = append(out, sdk.Diagnostic{Severity: sdk.SeverityWarning, Summary: w})
	}
	return out
}

// inheritable returns the index's verified attestations.
func (v *verifier) inheritable(index part) []*candidate {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]*candidate(nil), v.verified[index.digest]...)
}

// matches reports whether attestation c is of the predicate type want
// (trust.PredicateTypeMatches: an unversioned SBOM type accepts its
// versions).
func matches(want string, c *candidate) bool {
	return c.class == classAttestation && trust.PredicateTypeMatches(want, c.predicateType)
}

func (v *verifier) relevant(c *candidate) bool {
	if c.class == classSignature {
		return v.needSig
	}
	if len(v.preds) == 0 {
		return !v.needSig // verify-attestation without --type: any
	}
	for _, p := range v.preds {
		if matches(p, c) {
			return true
		}
	}
	return false
}

// satisfied reports whether the verified candidates meet every demand.
func (v *verifier) satisfied(cands []*candidate) (sig bool, atts bool) {
	var verified []*candidate
	anyAtt := false
	for _, c := range cands {
		if !c.verified {
			continue
		}
		if c.class == classSignature {
			sig = true
		} else {
			verified = append(verified, c)
			anyAtt = true
		}
	}
	if !v.needSig {
		sig = true
	}
	atts = true
	for _, p := range v.preds {
		if !slices.ContainsFunc(verified, func(c *candidate) bool { return matches(p, c) }) {
			atts = false
		}
	}
	if len(v.preds) == 0 && !v.needSig {
		atts = anyAtt
	}
	return sig, atts
}

// verifyPart finds and checks the evidence of one digest.
func (v *verifier) verifyPart(ctx context.Context, pt part, inherited []*candidate) *sdk.Result {
	res, _ := v.checkPart(ctx, pt, inherited)
	return res
}

// checkPart is verifyPart, also returning the candidates it decided on.
func (v *verifier) checkPart(ctx context.Context, pt part, inherited []*candidate) (*sdk.Result, []*candidate) {
	res := &sdk.Result{Status: sdk.StatusPass}
	if pt.missing != "" {
		return res.Fail("manifest", pt.missing), nil
	}
	if pt.errored != "" {
		return res.Errorf("manifest", "%s", pt.errored), nil
	}
	g, check, err := v.gather(ctx, pt)
	if err != nil {
		return res.Errorf(check, "%v", err), nil
	}
	v.mu.Lock()
	if v.verified == nil {
		v.verified = map[string][]*candidate{}
	}
	for _, c := range g.cands {
		if c.verified && c.class == classAttestation {
			v.verified[pt.digest] = append(v.verified[pt.digest], c)
		}
	}
	v.mu.Unlock()
	v.decide(res, pt, g.cands, g.looked, inherited)
	v.reportUnread(res, pt.digest, g.unread)
	return res, g.cands
}

// reportUnread turns a failure into "could not be checked" when some place
// could not be read (what it holds might have passed), and otherwise warns.
func (v *verifier) reportUnread(res *sdk.Result, digest string, unread []string) {
	if len(unread) == 0 {
		return
	}
	if res.Status == sdk.StatusFail {
		res.Status = sdk.StatusError
		res.Reason += "; could not read: " + strings.Join(unread, "; ")
		return
	}
	v.warn("%s: could not read: %s", digest, strings.Join(unread, "; "))
}

// gathered is what the places looked at for one digest yielded.
type gathered struct {
	cands  []*candidate
	looked []string
	// unread are the places that could not be read. One does not hide
	// evidence found elsewhere; but when nothing else verifies, the part
	// could not be checked (error), rather than failed.
	unread []string
}

// from adds what one place yields. Its error is returned only when the
// context has ended; any other marks the place unread.
func (g *gathered) from(ctx context.Context, place string, f func() ([]*candidate, error)) error {
	cs, err := f()
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		g.unread = append(g.unread, fmt.Sprintf("%s: %v", place, err))
		g.looked = append(g.looked, place+" (unreadable)")
		return nil
	}
	g.looked = append(g.looked, place)
	g.cands = append(g.cands, cs...)
	return nil
}

// fromReferrers adds the bundles attached to digest as referrers, with the
// place named by how they were listed.
func (v *verifier) fromReferrers(ctx context.Context, g *gathered, digest string, b bindCheck) error {
	var how string
	unread := len(g.unread)
	err := g.from(ctx, "referrers", func() ([]*candidate, error) {
		cs, h, err := v.referrerCandidates(ctx, digest, b)
		how = h
		return cs, err
	})
	if err == nil && how != "" && len(g.unread) == unread {
		g.looked[len(g.looked)-1] = how
	}
	return err
}

// fromGitHub adds the attestations GitHub's API keeps for digest.
func (v *verifier) fromGitHub(ctx context.Context, g *gathered, digest string) error {
	return g.from(ctx, "GitHub attestations API", func() ([]*candidate, error) {
		docs, _, err := v.p.githubAttestations(ctx, v.ghRepo, digest, v.req.Offline)
		var cs []*candidate
		for i, d := range docs {
			cs = append(cs, fromBundle(fmt.Sprintf("GitHub attestation %d of %s", i+1, v.ghRepo), d, digest))
		}
		return cs, err
	})
}

// gather finds the evidence of one digest, in this order:
// referrers (or their tag fallback), then cosign's legacy tags and
// GitHub's API for what is still missing. On error it also names the check
// that could not be done.
func (v *verifier) gather(ctx context.Context, pt part) (*gathered, string, error) {
	b := v.bind
	b.digest = pt.digest
	g := &gathered{}
	// Most signed images keep their evidence in cosign's legacy tags, read
	// only when the referrers do not satisfy the policy: asking for those
	// the policy needs while the referrers are listed saves the round
	// trips of one lookup after the other (two more on a registry without
	// the referrers API). A prefetch that turns out unneeded costs a
	// request, usually a 404, and is cancelled once the part's evidence is
	// gathered.
	tagBase := strings.Replace(pt.digest, ":", "-", 1)
	sigTag := v.prefetchLegacy(ctx, v.needSig, tagBase+".sig", b)
	defer sigTag.stop()
	attTag := v.prefetchLegacy(ctx, len(v.preds) > 0, tagBase+".att", b)
	defer attTag.stop()

	if err := v.fromReferrers(ctx, g, pt.digest, b); err != nil {
		return nil, "referrers", err
	}
	v.preverifyAll(g.cands)
	sigOK, attsOK := v.satisfied(g.cands)
	if !sigOK {
		if err := g.from(ctx, shortTag(tagBase+".sig"), sigTag.result); err != nil {
			return nil, "signatures", err
		}
		v.preverifyAll(g.cands)
		sigOK, attsOK = v.satisfied(g.cands)
	}
	if !attsOK || !sigOK {
		// An image with only attestations must be reported as such, so
		// .att is read also when only a signature is missing.
		if err := g.from(ctx, shortTag(tagBase+".att"), attTag.result); err != nil {
			return nil, "attestations", err
		}
	}
	v.preverifyAll(g.cands)
	if _, attsOK := v.satisfied(g.cands); !attsOK && v.ghRepo != "" {
		if err := v.fromGitHub(ctx, g, pt.digest); err != nil {
			return nil, "attestations", err
		}
		v.preverifyAll(g.cands)
	}
	return g, "", nil
}

func (v *verifier) preverifyAll(cands []*candidate) {
	for _, c := range cands {
		if v.relevant(c) {
			preverify(c, v.m, v.req, v.ids)
		}
	}
}

// decide turns the candidates into checks, evidence and a verdict.
func (v *verifier) decide(res *sdk.Result, pt part, cands []*candidate, looked []string, inherited []*candidate) {
	var failures []string
	fail := func(name, reason string, explain *trust.IdentityError) {
		if explain != nil {
			res.Checks = append(res.Checks, sdk.Check{Name: "identity", OK: false, Detail: explain.Explain()})
		}
		res.Checks = append(res.Checks, sdk.Check{Name: name, OK: false, Detail: reason})
		failures = append(failures, reason)
	}
	where := strings.Join(looked, ", ")
	if v.needSig {
		var sigs, ok []*candidate
		for _, c := range cands {
			if c.class == classSignature {
				sigs = append(sigs, c)
				if c.verified {
					ok = append(ok, c)
				}
			}
		}
		switch {
		case len(ok) > 0:
			for _, c := range ok {
				res.Pass("signature", fmt.Sprintf("%s: %s (%s)", c.kind(), c.signer, c.source))
				res.Evidence = append(res.Evidence, c.evidence())
			}
		case len(sigs) == 0:
			msg := fmt.Sprintf("no signature for %s (looked in: %s)", pt.digest, where)
			if types := predicateTypes(cands); len(types) > 0 {
				msg += fmt.Sprintf("; found only attestations (%s): an attestation is not a signature of the image", strings.Join(types, ", "))
			}
			fail("signature", msg, nil)
		default:
			fail("signature", noneVerifies("signature", sigs), firstIDErr(sigs))
		}
	}
	for _, want := range v.preds {
		var all, ok []*candidate
		for _, c := range cands {
			if matches(want, c) {
				all = append(all, c)
				if c.verified {
					ok = append(ok, c)
				}
			}
		}
		if len(ok) == 0 {
			for _, c := range inherited {
				if matches(want, c) {
					cc := *c
					cc.inheritedFrom = c.subject.String()
					ok = append(ok, &cc)
				}
			}
		}
		switch {
		case len(ok) > 0:
			for _, c := range ok {
				detail := fmt.Sprintf("%s: %s (%s)", c.predicateType, c.signer, c.source)
				if c.predicateType != want {
					detail = fmt.Sprintf("%s (as %s): %s (%s)", want, c.predicateType, c.signer, c.source)
				}
				if c.inheritedFrom != "" {
					detail += fmt.Sprintf("; attached to the index %s, which lists this manifest", short(c.inheritedFrom))
				}
				res.Pass("attestation", detail)
				res.Evidence = append(res.Evidence, c.evidence())
			}
		case len(all) == 0:
			msg := fmt.Sprintf("no %s attestation for %s (looked in: %s)", want, pt.digest, where)
			if types := predicateTypes(cands); len(types) > 0 {
				msg += "; found: " + strings.Join(types, ", ")
			}
			fail("attestation", msg, nil)
		default:
			fail("attestation", noneVerifies(want+" attestation", all), firstIDErr(all))
		}
	}
	if !v.needSig && len(v.preds) == 0 {
		var all, ok []*candidate
		for _, c := range cands {
			if c.class == classAttestation {
				all = append(all, c)
				if c.verified {
					ok = append(ok, c)
				}
			}
		}
		if len(ok) == 0 {
			for _, c := range inherited {
				cc := *c
				cc.inheritedFrom = c.subject.String()
				ok = append(ok, &cc)
			}
			sort.SliceStable(ok, func(i, j int) bool { return ok[i].predicateType < ok[j].predicateType })
		}
		switch {
		case len(ok) > 0:
			for _, c := range ok {
				detail := fmt.Sprintf("%s: %s (%s)", c.predicateType, c.signer, c.source)
				if c.inheritedFrom != "" {
					detail += fmt.Sprintf("; attached to the index %s, which lists this manifest", short(c.inheritedFrom))
				}
				res.Pass("attestation", detail)
				res.Evidence = append(res.Evidence, c.evidence())
			}
		case len(all) == 0:
			fail("attestation", fmt.Sprintf("no attestation for %s (looked in: %s)", pt.digest, where), nil)
		default:
			fail("attestation", noneVerifies("attestation", all), firstIDErr(all))
		}
	}
	if len(failures) > 0 {
		res.Status = sdk.StatusFail
		res.Reason = strings.Join(failures, "; ")
		res.Evidence = nil
	}
}

func noneVerifies(what string, cands []*candidate) string {
	var errs []string
	for _, c := range cands {
		errs = append(errs, c.err.Error())
	}
	if len(cands) == 1 {
		return errs[0]
	}
	return fmt.Sprintf("none of the %d %ss verifies: %s", len(cands), what, strings.Join(errs, "; "))
}

func firstIDErr(cands []*candidate) *trust.IdentityError {
	for _, c := range cands {
		if c.idErr != nil {
			return c.idErr
		}
	}
	return nil
}

func predicateTypes(cands []*candidate) []string {
	set := map[string]bool{}
	for _, c := range cands {
		if c.class == classAttestation && c.predicateType != "" {
			set[c.predicateType] = true
		}
	}
	var out []string
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// referrerCandidates reads the Sigstore bundles attached to digest as OCI
// 1.1 referrers (or the tag-schema fallback index).
func (v *verifier) referrerCandidates(ctx context.Context, digest string, b bindCheck) ([]*candidate, string, error) {
	descs, how, err := v.st.referrers(ctx, digest)
	if err != nil {
		return nil, "", err
	}
	var todo []descriptor
	for _, d := range descs {
		// Registries disagree on artifactType in the list (some report the
		// config's media type, the fallback index often nothing): anything
		// that may be a bundle is opened, the manifest decides.
		at := d.ArtifactType
		if at == "" || at == emptyMediaType || strings.HasPrefix(at, bundleArtifactPrefix) || d.Annotations[annBundleContent] != "" {
			todo = append(todo, d)
		}
	}
	if len(todo) > maxReferrers {
		v.warn("%s has %d referrers that may be Sigstore bundles; only the first %d were read", short(digest), len(todo), maxReferrers)
		todo = todo[:maxReferrers]
	}
	out := make([][]*candidate, len(todo))
	errs := make([]error, len(todo))
	var wg sync.WaitGroup
	for i, d := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = sdk.Safely(func() (err error) {
				out[i], err = v.referrerBundles(ctx, d, digest)
				return err
			})
		}()
	}
	wg.Wait()
	var cands []*candidate
	for i := range todo {
		if errs[i] != nil {
			return nil, "", errs[i]
		}
		cands = append(cands, out[i]...)
	}
	return cands, how, nil
}

func (v *verifier) referrerBundles(ctx context.Context, d descriptor, digest string) ([]*candidate, error) {
	if !validDigest(d.Digest) {
		return nil, nil
	}
	m, err := v.st.get(ctx, d.Digest)
	if errors.Is(err, errNotFound) {
		v.warn("referrer %s of %s is listed but absent", short(d.Digest), short(digest))
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	at := m.m.ArtifactType
	if at == "" && m.m.Config != nil {
		at = m.m.Config.MediaType
	}
	if !strings.HasPrefix(at, bundleArtifactPrefix) {
		return nil, nil
	}
	source := "referrer " + short(d.Digest)
	if m.m.Subject == nil || m.m.Subject.Digest != digest {
		subj := ""
		if m.m.Subject != nil {
			subj = m.m.Subject.Digest
		}
		return []*candidate{{source: source, class: classSignature, err: fmt.Errorf("%s: its subject is %s, not the image %s", source, orAbsent(subj), digest)}}, nil
	}
	var out []*candidate
	for i, l := range m.m.Layers {
		if i >= maxLayers {
			v.warn("%s has %d layers; only the first %d were read", source, len(m.m.Layers), maxLayers)
			break
		}
		if !strings.HasPrefix(l.MediaType, bundleArtifactPrefix) {
			continue
		}
		data, err := v.st.blob(ctx, l.Digest, maxBlobSize)
		if err != nil {
			if errors.Is(err, errNotFound) {
				out = append(out, &candidate{source: source, class: classSignature, err: fmt.Errorf("%s: bundle layer %s is absent", source, short(l.Digest))})
				continue
			}
			return nil, err
		}
		out = append(out, fromBundle(source, data, digest))
	}
	return out, nil
}

// legacyLookup is the reading of one of cosign's legacy tags, started
// ahead of need (prefetchLegacy) or run when asked for. Either way a panic
// while reading is that place's error, and warnings about what was read
// are given only when the result is used.
type legacyLookup struct {
	v      *verifier
	run    func(ctx context.Context, warn func(string, ...any)) ([]*candidate, error)
	ctx    context.Context
	cancel context.CancelFunc // nil: not started ahead
	done   chan struct{}
	cs     []*candidate
	err    error
	warns  []string
}

// prefetchLegacy starts reading tag now when ahead is set, under a context
// of its own: stop cancels it if nobody asked for the result.
func (v *verifier) prefetchLegacy(ctx context.Context, ahead bool, tag string, b bindCheck) *legacyLookup {
	l := &legacyLookup{v: v, ctx: ctx, run: func(ctx context.Context, warn func(string, ...any)) ([]*candidate, error) {
		return v.legacyCandidates(ctx, tag, b, warn)
	}}
	if ahead {
		var pctx context.Context
		pctx, l.cancel = context.WithCancel(ctx)
		l.done = make(chan struct{})
		go func() {
			defer close(l.done)
			l.err = sdk.Safely(func() (err error) {
				l.cs, err = l.run(pctx, func(format string, args ...any) {
					l.warns = append(l.warns, fmt.Sprintf(format, args...))
				})
				return err
			})
		}()
	}
	return l
}

// result is the lookup's candidates: the prefetched ones, or read now.
func (l *legacyLookup) result() ([]*candidate, error) {
	if l.cancel == nil {
		var cs []*candidate
		err := sdk.Safely(func() (err error) {
			cs, err = l.run(l.ctx, l.v.warn)
			return err
		})
		return cs, err
	}
	<-l.done
	for _, w := range l.warns {
		l.v.warn("%s", w)
	}
	return l.cs, l.err
}

// stop cancels a prefetch whose result was not asked for and returns once
// it has finished.
func (l *legacyLookup) stop() {
	if l.cancel == nil {
		return
	}
	l.cancel()
	<-l.done
}

// legacyCandidates reads cosign's sha256-<hex>.sig or .att tag.
func (v *verifier) legacyCandidates(ctx context.Context, tag string, b bindCheck, warn func(string, ...any)) ([]*candidate, error) {
	ms, err := v.st.tagged(ctx, tag)
	if err != nil {
		return nil, err
	}
	sig := strings.HasSuffix(tag, ".sig")
	var out []*candidate
	for _, m := range ms {
		for i, l := range m.m.Layers {
			if i >= maxLayers {
				warn("tag %s has %d layers; only the first %d were read", tag, len(m.m.Layers), maxLayers)
				break
			}
			source := fmt.Sprintf("%s layer %d", shortTag(tag), i+1)
			if len(ms) > 1 {
				source = fmt.Sprintf("%s (%s) layer %d", shortTag(tag), short(m.digest), i+1)
			}
			switch {
			case sig && l.MediaType == simpleSigningMediaType:
				payload, err := v.st.blob(ctx, l.Digest, maxPayloadSize)
				if err != nil {
					if errors.Is(err, errNotFound) {
						out = append(out, &candidate{source: source, class: classSignature, err: fmt.Errorf("%s: payload %s is absent", source, short(l.Digest))})
						continue
					}
					return nil, err
				}
				if c := fromSimpleSigning(source, payload, l.Annotations, b); !(m.loose && c.mismatch) {
					out = append(out, c)
				}
			case !sig && l.MediaType == dsseMediaType:
				env, err := v.st.blob(ctx, l.Digest, maxBlobSize)
				if err != nil {
					if errors.Is(err, errNotFound) {
						out = append(out, &candidate{source: source, class: classAttestation, err: fmt.Errorf("%s: envelope %s is absent", source, short(l.Digest))})
						continue
					}
					return nil, err
				}
				if c := fromDSSELayer(source, env, l.Annotations, b.digest); !(m.loose && c.mismatch) {
					out = append(out, c)
				}
			}
		}
	}
	return out, nil
}

// shortTag abbreviates sha256-<64 hex>.sig for messages.
func shortTag(tag string) string {
	if len(tag) > 24 && strings.HasPrefix(tag, "sha256-") {
		return "tag " + tag[:19] + "…" + tag[strings.LastIndex(tag, "."):]
	}
	return "tag " + tag
}

// stringOrList decodes a JSON string or array of strings into a
// comma-separated string.
type stringOrList string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = stringOrList(one)
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*s = stringOrList(strings.Join(many, ","))
	return nil
}

// digestOf is a manifest digest as the verdict's subject: blocks that refer
// to the image are bound to it. A part without a digest (a platform the
// index does not list) has none.
func digestOf(d string) sdk.Digest {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok {
		return sdk.Digest{}
	}
	return sdk.Digest{Algorithm: alg, Hex: hex}
}
