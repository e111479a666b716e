// Package pypi is the built-in verifier for Python releases published with
// PEP 740 attestations (PyPI Trusted Publishing). One `pypi` block covers a
// whole release: every distribution file is listed (PEP 691 JSON Simple API),
// downloaded and hashed by streaming, and its provenance (PEP 740, from the
// index or from files) converted into Sigstore bundles, checked against the
// file's name and sha256 and against the Trusted Publisher, and returned as
// evidence bound to the file's sha256 for the host to verify. One sub-result
// per file.
//
// It uses the SDK, pkg/trust and, for bounded retried downloads, the
// module's internal/fetch.
package pypi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// Version of the pypi plugin.
const Version = "0.1.0"

// MaxParallel bounds the files of one release verified (downloaded) at once.
const MaxParallel = 4

// Plugin verifies PyPI releases. The zero value is ready to use.
type Plugin struct {
	materials trust.MaterialCache
}

// New returns a pypi plugin.
func New() *Plugin { return &Plugin{} }

// Schema of the `pypi` kind.
var Schema = sdk.KindSchema{
	Kind: "pypi",
	Description: "A Python release (every wheel and sdist of one version) published with PEP 740 attestations, e.g. through PyPI Trusted Publishing. " +
		"Three forms: from an index (version = …; files are listed with the PEP 691 JSON API, downloaded and hashed, provenance fetched from the index), " +
		"local files (dist = […]) or names and digests only (file { … } blocks). Each file is reported on its own row.",
	Attributes: []sdk.Attribute{
		{Name: "project", Type: sdk.TypeString, Description: "The project's name on the index (default: the block's label). Compared after PEP 503 normalisation.", Example: `"vmaf-mcp"`},
		{Name: "version", Type: sdk.TypeString, Description: "The release. Required to list it on an index; with dist or file blocks, each file name's version must equal it (PEP 440).", Example: `var.version`},
		{Name: "index", Type: sdk.TypeString, Description: "A PEP 691 JSON Simple API + Integrity API index: the Simple API is at <index>/simple/, provenance at <index>/integrity/… (default https://pypi.org).", Example: `"https://pypi.org"`},
		{Name: "files", Type: sdk.TypeListString, Description: "File name patterns (path.Match) selecting the release's files, index and dist forms; each must match at least one file (default: every file of the release).", Example: `["*.whl", "*.tar.gz"]`},
		{Name: "dist", Type: sdk.TypeListPath, Description: "Local distribution files instead of the index (glob patterns allowed; each must match a file); for air-gapped checks.", Example: `["dist/*.whl", "dist/*.tar.gz"]`},
		{Name: "provenance", Type: sdk.TypePath, Description: "A provenance object (Integrity API JSON), PEP 740 attestation or Sigstore bundle for the one selected file, or a directory holding <file>.provenance or <file>.*attestation / <file>.sigstore[.json] files. Default: fetched from the index; with dist, looked up next to each file.", Example: `"dist/"`},
	},
	Blocks: []sdk.NestedBlock{{
		TypeName:    "file",
		Nesting:     sdk.NestingList,
		Description: "A distribution known by name and sha256 only (e.g. from a lock file's --hash pins): its provenance must attest exactly that name and digest.",
		Attributes: []sdk.Attribute{
			{Name: "name", Type: sdk.TypeString, Required: true, Description: "The distribution's file name.", Example: `"vmaf_mcp-1.4.0-py3-none-any.whl"`},
			{Name: "sha256", Type: sdk.TypeString, Required: true, Description: "Its sha256, hex.", Example: `"9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3"`},
		},
	}, {
		TypeName:     "publisher",
		Nesting:      sdk.NestingSingle,
		IdentityForm: sdk.IdentityTrustedPublisher,
		Description: "The Trusted Publisher that must have published every file: kind github (repository, workflow), gitlab (repository, workflow_filepath) or google (email), " +
			"optionally environment (checked against the publisher the index recorded). The provenance's own publisher must agree with it and with the certificate.",
		Attributes: []sdk.Attribute{
			{Name: "kind", Type: sdk.TypeString, Required: true, Description: "github, gitlab or google.", Example: `"github"`},
			{Name: "repository", Type: sdk.TypeString, Description: "GitHub owner/name or GitLab namespace/project.", Example: `"lusoris/vmaf"`},
			{Name: "workflow", Type: sdk.TypeString, Description: "GitHub: the workflow file name in .github/workflows/.", Example: `"release.yml"`},
			{Name: "workflow_filepath", Type: sdk.TypeString, Description: "GitLab: the CI file's path in the project.", Example: `".gitlab-ci.yml"`},
			{Name: "environment", Type: sdk.TypeString, Description: "GitHub / GitLab deployment environment the index's Trusted Publisher requires; compared with the provenance's publisher (certificates do not carry it).", Example: `"pypi"`},
			{Name: "email", Type: sdk.TypeString, Description: "Google: the service account's e-mail address (the certificate's SAN).", Example: `"release@project.iam.gserviceaccount.com"`},
		},
	}},
}

// Info describes the plugin.
func (p *Plugin) Info() sdk.Info {
	return sdk.Info{Name: "pypi", Version: Version, Kinds: []sdk.KindSchema{Schema}}
}

type attributes struct {
	Project    string       `json:"project"`
	Version    string       `json:"version"`
	Index      string       `json:"index"`
	Files      []string     `json:"files"`
	Dist       []string     `json:"dist"`
	Provenance string       `json:"provenance"`
	File       []fileDigest `json:"file"`
	Publisher  *Publisher   `json:"publisher"`
}

type fileDigest struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// dist is one distribution file of the release.
type dist struct {
	name     string
	path     string // dist form
	url      string // index form
	listed   string // index form: the sha256 the index lists, "" if none
	given    string // digest form: the sha256 the policy gives
	yanked   bool   // index form: the index marks the file yanked
	provURL  string // the provenance URL to fetch, "" for local provenance
	provDocs []string
}

// run is one artifact's verification: what every file is checked against.
type run struct {
	req       *sdk.Request
	m         *trust.Material
	ids       []trust.Identity
	project   string
	version   string
	publisher *Publisher
	ix        *index
}

// provenanceSuffixes are looked up next to a distribution (or in a
// provenance directory): the index's provenance object alone, else every
// attestation or bundle file present (each must verify).
var (
	provenanceObjectSuffix = ".provenance"
	attestationSuffixes    = []string{".publish.attestation", ".slsa.attestation", ".attestation", ".sigstore.json", ".sigstore"}
)

// Verify checks one release.
func (p *Plugin) Verify(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	res := &sdk.Result{Status: sdk.StatusPass}
	var a attributes
	if err := req.Decode(&a); err != nil {
		return res.Errorf("attributes", "%v", err), nil
	}
	r := &run{req: req, project: a.Project, version: a.Version, publisher: a.Publisher}
	if r.project == "" {
		r.project = req.Name
	}
	if !validName().MatchString(r.project) {
		return res.Fail("attributes", fmt.Sprintf("project %q is not a valid Python project name", r.project)), nil
	}
	if r.version != "" {
		if _, err := versionKey(r.version); err != nil {
			return res.Fail("attributes", err.Error()), nil
		}
	}
	for _, g := range a.Files {
		if _, err := path.Match(g, ""); err != nil {
			return res.Fail("attributes", fmt.Sprintf("files pattern %q: %v", g, err)), nil
		}
	}
	if len(a.File) > 0 && len(a.Dist) > 0 {
		return res.Fail("attributes", "give dist = […] or file { … } blocks, not both"), nil
	}
	if r.publisher != nil {
		if err := r.publisher.validate(); err != nil {
			return res.Fail("publisher", err.Error()), nil
		}
	}
	ix, err := newIndex(a.Index)
	if err != nil {
		return res.Fail("attributes", err.Error()), nil
	}
	r.ix = ix
	if r.m, err = p.material(req.TrustRoot); err != nil {
		return res.Errorf("trust root", "%v", err), nil
	}
	for _, id := range req.Identities {
		r.ids = append(r.ids, trust.Identity(id))
	}

	var dists []*dist
	var fr *sdk.Result
	switch {
	case len(a.File) > 0:
		dists, fr = r.fromDigests(res, a)
	case len(a.Dist) > 0:
		dists, fr = r.fromLocal(res, a)
	default:
		dists, fr = r.fromIndex(ctx, res, a)
	}
	if fr != nil {
		return fr, nil
	}
	if fr := r.localProvenance(res, a, dists); fr != nil {
		return fr, nil
	}

	// Every file on its own row, verified with bounded concurrency; each
	// file is downloaded once.
	res.SubResults = make([]sdk.SubResult, len(dists))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(MaxParallel, len(dists)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				err := sdk.Safely(func() error {
					res.SubResults[i] = r.verifyDist(ctx, dists[i])
					return nil
				})
				if err != nil {
					res.SubResults[i] = sdk.SubResult{Name: dists[i].name, Status: sdk.StatusError, Reason: err.Error(),
						Checks: []sdk.Check{{Name: "verify", Detail: err.Error()}}}
				}
			}
		}()
	}
	for i := range dists {
		next <- i
	}
	close(next)
	wg.Wait()
	return res, nil
}

// fromDigests is the digest form: names and sha256s from file blocks.
func (r *run) fromDigests(res *sdk.Result, a attributes) ([]*dist, *sdk.Result) {
	var out []*dist
	seen := map[string]bool{}
	for _, f := range a.File {
		if f.Name == "" || strings.ContainsAny(f.Name, `/\`) {
			return nil, res.Fail("file", fmt.Sprintf("file name %q: want a distribution's file name, not a path", f.Name))
		}
		if !isHex64(f.SHA256) {
			return nil, res.Fail("file", fmt.Sprintf("%s: sha256 %q is not 64 hex digits", f.Name, f.SHA256))
		}
		if seen[f.Name] {
			return nil, res.Fail("file", f.Name+" is listed twice")
		}
		seen[f.Name] = true
		d := &dist{name: f.Name, given: strings.ToLower(f.SHA256)}
		if a.Provenance == "" {
			// Fetched from the index's Integrity API, by the file name's version.
			version := r.version
			if df, err := parseDistFile(f.Name); err == nil {
				version = df.Version
			}
			if version != "" {
				d.provURL = r.ix.integrityURL(r.project, version, f.Name)
			}
		}
		out = append(out, d)
	}
	res.Pass("release", fmt.Sprintf("%d file(s) given by name and sha256", len(out)))
	return out, nil
}

// fromLocal is the dist form: local files, glob patterns allowed.
func (r *run) fromLocal(res *sdk.Result, a attributes) ([]*dist, *sdk.Result) {
	var out []*dist
	seen := map[string]bool{}
	for _, pattern := range a.Dist {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			return nil, res.Fail("dist", fmt.Sprintf("dist pattern %q: %v", pattern, err))
		}
		n := 0
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil || !st.Mode().IsRegular() || isProvenanceFile(m) {
				continue
			}
			if !selected(a.Files, filepath.Base(m)) {
				n++ // matched, but filtered out by files
				continue
			}
			n++
			if seen[m] {
				continue
			}
			seen[m] = true
			out = append(out, &dist{name: filepath.Base(m), path: m})
		}
		if n == 0 {
			return nil, res.Fail("dist", fmt.Sprintf("%s matches no file", pattern))
		}
	}
	if r := r.checkPatterns(res, a.Files, out); r != nil {
		return nil, r
	}
	if len(out) == 0 {
		return nil, res.Fail("dist", "no distribution file selected")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	names := map[string]string{}
	for _, d := range out {
		if prev, dup := names[d.name]; dup {
			return nil, res.Fail("dist", fmt.Sprintf("%s and %s have the same file name", prev, d.path))
		}
		names[d.name] = d.path
	}
	res.Pass("release", fmt.Sprintf("%d local file(s)", len(out)))
	return out, nil
}

// fromIndex is the index form: the release's files as the index lists them.
func (r *run) fromIndex(ctx context.Context, res *sdk.Result, a attributes) ([]*dist, *sdk.Result) {
	if r.version == "" {
		return nil, res.Fail("attributes", "version is required to list the release on the index (or give dist = […] or file { … } blocks)")
	}
	page := r.ix.projectURL(r.project)
	if r.req.Offline {
		return nil, res.Errorf("index", "offline: listing %s %s needs the index (%s); for air-gapped checks give dist = […] or file { … } blocks with provenance = …", r.project, r.version, page)
	}
	data, err := getJSON(ctx, page, SimpleJSONType, MaxListingSize)
	if err != nil {
		ne := classify(err)
		switch {
		case ne.notFound:
			return nil, res.Fail("index", fmt.Sprintf("project %s is not on %s (%v)", r.project, r.ix.shown, err))
		case ne.failed:
			return nil, res.Fail("index", err.Error())
		}
		return nil, res.Errorf("index", "listing %s: %v", r.project, err)
	}
	listed, err := parseListing(data, page, r.project, r.version)
	if err != nil {
		return nil, res.Fail("index", err.Error())
	}
	var out []*dist
	for _, f := range listed {
		if !selected(a.Files, f.filename) {
			continue
		}
		d := &dist{name: f.filename, url: f.url, listed: f.sha256, provURL: f.provenance, yanked: f.yanked}
		if d.provURL == "" {
			version := r.version
			if df, err := parseDistFile(f.filename); err == nil {
				version = df.Version
			}
			d.provURL = r.ix.integrityURL(r.project, version, f.filename)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		what := "no file"
		if len(a.Files) > 0 {
			what = fmt.Sprintf("no file matching %s", strings.Join(a.Files, ", "))
		}
		return nil, res.Fail("index", fmt.Sprintf("%s lists %s for %s %s", page, what, r.project, r.version))
	}
	if r := r.checkPatterns(res, a.Files, out); r != nil {
		return nil, r
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	res.Pass("release", fmt.Sprintf("%s lists %d file(s) of %s %s", page, len(out), r.project, r.version))
	return out, nil
}

// checkPatterns requires each files pattern to select at least one file: a
// release missing its sdist, say, fails instead of passing with the wheels.
func (r *run) checkPatterns(res *sdk.Result, patterns []string, dists []*dist) *sdk.Result {
	for _, g := range patterns {
		found := false
		for _, d := range dists {
			if ok, _ := path.Match(g, d.name); ok {
				found = true
				break
			}
		}
		if !found {
			return res.Fail("files", fmt.Sprintf("no file of %s matches %q", strings.TrimSpace(r.project+" "+r.version), g))
		}
	}
	return nil
}

func selected(patterns []string, name string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, g := range patterns {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

func isProvenanceFile(p string) bool {
	if strings.HasSuffix(p, provenanceObjectSuffix) {
		return true
	}
	for _, s := range attestationSuffixes {
		if strings.HasSuffix(p, s) {
			return true
		}
	}
	return false
}

// localProvenance assigns provenance files: the provenance attribute (a file
// for the one selected distribution, or a directory), else, in the dist
// form, the files next to each distribution.
func (r *run) localProvenance(res *sdk.Result, a attributes, dists []*dist) *sdk.Result {
	dir := ""
	switch {
	case a.Provenance != "":
		st, err := os.Stat(a.Provenance)
		if err != nil {
			return res.Fail("provenance", fmt.Sprintf("%s: %v", a.Provenance, pathErr(err)))
		}
		if !st.IsDir() {
			if len(dists) != 1 {
				return res.Fail("provenance", fmt.Sprintf("provenance %s is one file, but %d distributions are selected: give a directory holding <file>.provenance for each", a.Provenance, len(dists)))
			}
			dists[0].provDocs = []string{a.Provenance}
			dists[0].provURL = ""
			return nil
		}
		dir = a.Provenance
	case len(a.Dist) == 0:
		return nil // from the index
	}
	for _, d := range dists {
		look := dir
		if look == "" {
			look = filepath.Dir(d.path)
		}
		d.provURL = ""
		d.provDocs = provenanceFiles(look, d.name)
	}
	return nil
}

// provenanceFiles finds a distribution's provenance in dir: <name>.provenance
// alone, else every attestation or bundle file present.
func provenanceFiles(dir, name string) []string {
	if p := filepath.Join(dir, name+provenanceObjectSuffix); isFile(p) {
		return []string{p}
	}
	var out []string
	for _, s := range attestationSuffixes {
		if p := filepath.Join(dir, name+s); isFile(p) {
			out = append(out, p)
		}
	}
	return out
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// verifyDist checks one distribution file and returns its row.
func (r *run) verifyDist(ctx context.Context, d *dist) sdk.SubResult {
	res := &sdk.Result{Status: sdk.StatusPass}
	row := func() sdk.SubResult {
		return sdk.SubResult{Name: d.name, Status: res.Status, Checks: res.Checks, Evidence: res.Evidence, Reason: res.Reason}
	}
	if err := ctx.Err(); err != nil {
		res.Errorf("interrupted", "%s: not checked: %v", d.name, err)
		return row()
	}
	df, err := parseDistFile(d.name)
	if err != nil {
		res.Fail("file name", err.Error()+": PEP 740 attests wheels and sdists only")
		return row()
	}
	if df.Name != NormalizeName(r.project) {
		res.Fail("project", fmt.Sprintf("%s is a distribution of %s, not of %s", d.name, df.Name, NormalizeName(r.project)))
		return row()
	}
	if r.version != "" && !sameVersion(df.Version, r.version) {
		res.Fail("version", fmt.Sprintf("%s is version %s, the policy names %s", d.name, df.Version, r.version))
		return row()
	}

	digest, ok := r.digest(ctx, res, d)
	if !ok {
		return row()
	}
	cands, ok := r.provenance(ctx, res, d)
	if !ok {
		return row()
	}
	for _, c := range cands {
		if !r.checkCandidate(res, c, d.name, digest) {
			return row()
		}
	}
	return row()
}

// digest establishes the file's sha256: hashed from the local file or the
// download (the index's listed hash must agree), or as given.
func (r *run) digest(ctx context.Context, res *sdk.Result, d *dist) (string, bool) {
	switch {
	case d.given != "":
		res.Pass("digest", "sha256:"+d.given+" (given)")
		return d.given, true
	case d.path != "":
		got, err := hashFile(ctx, d.path)
		if err != nil {
			if ctx.Err() != nil {
				res.Errorf("digest", "%s: %v", d.path, err)
			} else {
				res.Fail("digest", fmt.Sprintf("%s: %v", d.path, pathErr(err)))
			}
			return "", false
		}
		res.Pass("digest", "sha256:"+got+" ("+d.path+")")
		return got, true
	}
	if r.req.Offline {
		res.Errorf("download", "offline: %s must be downloaded from %s", d.name, d.url)
		return "", false
	}
	if d.yanked {
		// Still part of the release, and verified like the others.
		res.Pass("yanked", d.name+" is yanked on the index")
	}
	got, size, err := download(ctx, d.url, r.req.Progress(d.name))
	if err != nil {
		ne := classify(err)
		switch {
		case ne.notFound:
			res.Fail("download", fmt.Sprintf("%s is listed but not served: %v", d.name, err))
		case ne.failed:
			res.Fail("download", err.Error())
		default:
			res.Errorf("download", "%s: %v", d.name, err)
		}
		return "", false
	}
	if d.listed == "" {
		res.Pass("digest", fmt.Sprintf("sha256:%s (%d bytes downloaded from %s; the index lists no sha256)", got, size, d.url))
		return got, true
	}
	if d.listed != got {
		res.Fail("index hash", fmt.Sprintf("index hash: expected sha256:%s (listed by the index), found sha256:%s (the %d bytes downloaded from %s): the index and the file disagree", d.listed, got, size, d.url))
		return "", false
	}
	res.Pass("digest", fmt.Sprintf("sha256:%s (%d bytes downloaded from %s, as the index lists)", got, size, d.url))
	return got, true
}

// provenance reads or fetches the file's provenance and returns the bundles
// to verify.
func (r *run) provenance(ctx context.Context, res *sdk.Result, d *dist) ([]candidate, bool) {
	var cands []candidate
	switch {
	case len(d.provDocs) > 0:
		for _, p := range d.provDocs {
			doc, err := sdk.ReadFile(p, MaxProvenanceSize)
			if err != nil {
				res.Fail("provenance", fmt.Sprintf("%s: %v", p, err))
				return nil, false
			}
			cs, err := candidatesFrom(doc, p)
			if err != nil {
				res.Fail("provenance", err.Error())
				return nil, false
			}
			cands = append(cands, cs...)
		}
	case d.provURL != "":
		if r.req.Offline {
			res.Errorf("provenance", "offline: the provenance of %s must be fetched from %s (give provenance = … for air-gapped checks)", d.name, d.provURL)
			return nil, false
		}
		doc, err := getJSON(ctx, d.provURL, IntegrityJSONType, MaxProvenanceSize)
		if err != nil {
			ne := classify(err)
			switch {
			case ne.notFound:
				res.Fail("provenance", fmt.Sprintf("%s has no provenance (%v): it was not published with PEP 740 attestations", d.name, err))
			case ne.status == 403:
				res.Errorf("provenance", "%s: the index refuses its provenance for now (403 Forbidden: attestations temporarily unavailable): %v", d.name, err)
			case ne.failed:
				res.Fail("provenance", fmt.Sprintf("%s: %v", d.name, err))
			default:
				res.Errorf("provenance", "%s: %v", d.name, err)
			}
			return nil, false
		}
		cs, err := candidatesFrom(doc, d.provURL)
		if err != nil {
			res.Fail("provenance", err.Error())
			return nil, false
		}
		cands = cs
	default:
		where := "the index"
		if d.path != "" {
			where = fmt.Sprintf("%s (looked for %s%s, %s%s)", filepath.Dir(d.path), d.name, provenanceObjectSuffix, d.name, strings.Join(attestationSuffixes, ", "+d.name))
		}
		res.Fail("provenance", fmt.Sprintf("no provenance for %s in %s", d.name, where))
		return nil, false
	}
	res.Pass("provenance", fmt.Sprintf("%d attestation(s)", len(cands)))
	return cands, true
}

// checkCandidate verifies one attestation of a file: the statement (PEP 740
// rules), the signature and certificate with the request's identities (the
// host repeats this), and the publishers. It records the checks and, on
// success, the evidence; it returns false on failure.
func (r *run) checkCandidate(res *sdk.Result, c candidate, filename, digest string) bool {
	b, err := trust.PeekBundle(c.bundle)
	if err != nil {
		res.Fail("attestation", fmt.Sprintf("%s: %v", c.source, err))
		return false
	}
	if b.Envelope == nil {
		res.Fail("attestation", c.source+": not a DSSE attestation (PEP 740 attestations are signed in-toto statements)")
		return false
	}
	if pt := b.Envelope.GetPayloadType(); pt != InTotoPayloadType {
		res.Fail("attestation", fmt.Sprintf("%s: DSSE payload type: expected %s, found %s", c.source, InTotoPayloadType, pt))
		return false
	}
	payload := b.Envelope.GetPayload()
	predicate, err := checkStatement(payload, filename, digest)
	if err != nil {
		res.Fail("statement", fmt.Sprintf("%s: %v", c.source, err))
		return false
	}
	res.Pass("statement", fmt.Sprintf("%s: %s names %s with sha256:%s", c.source, predicate, filename, digest))

	out, err := trust.VerifyBundle(r.m, trust.BundleCheck{
		Bundle: c.bundle, Digest: trust.Digest{Algorithm: "sha256", Hex: digest},
		Identities: r.ids, UseKey: r.req.UseKey, Requirements: trust.Requirements(r.req.Requirements),
	})
	if err != nil {
		var idErr *trust.IdentityError
		if errors.As(err, &idErr) {
			reason := fmt.Sprintf("%s: %v", c.source, err)
			if r.publisher != nil {
				if mm := r.publisher.checkCertificate(idErr.Found); len(mm) > 0 {
					reason = fmt.Sprintf("%s: not published by %s: %s", c.source, r.publisher, joinMismatches(mm))
				}
			}
			res.Checks = append(res.Checks, sdk.Check{Name: "identity", OK: false, Detail: idErr.Explain()})
			res.Fail("signature", reason)
			return false
		}
		res.Fail("signature", fmt.Sprintf("%s: %v", c.source, err))
		return false
	}
	signer := out.Signer.String()
	if len(out.Matched) > 0 {
		signer += " (identity " + strings.Join(out.Matched, ", ") + ")"
	}
	res.Pass("signature", signer)

	if r.publisher != nil {
		if mm := r.publisher.checkCertificate(out.Signer); len(mm) > 0 {
			res.Fail("publisher", fmt.Sprintf("%s: not published by %s: %s", c.source, r.publisher, joinMismatches(mm)))
			return false
		}
	}
	switch {
	case c.declared != nil:
		if err := c.declared.validate(); err != nil {
			res.Fail("publisher", fmt.Sprintf("%s: the index declares %s: %v", c.source, c.declared, err))
			return false
		}
		if mm := c.declared.checkCertificate(out.Signer); len(mm) > 0 {
			res.Fail("publisher", fmt.Sprintf("%s: the index declares %s, but the certificate does not match it: %s", c.source, c.declared, joinMismatches(mm)))
			return false
		}
		if r.publisher != nil {
			if mm := r.publisher.agree(c.declared); len(mm) > 0 {
				res.Fail("publisher", fmt.Sprintf("%s: the index's publisher is not the policy's: %s", c.source, joinMismatches(mm)))
				return false
			}
		}
		res.Pass("publisher", c.declared.String()+" (declared by the index, matches the certificate)")
	case r.publisher != nil && r.publisher.Environment != "":
		res.Fail("publisher", fmt.Sprintf("%s: environment: expected %s, found (absent): a bare attestation names no publisher and certificates carry no environment; verify the index's provenance object instead", c.source, r.publisher.Environment))
		return false
	case r.publisher != nil:
		res.Pass("publisher", r.publisher.String()+" (from the certificate)")
	}
	res.Evidence = append(res.Evidence, sdk.Evidence{
		Type: sdk.EvidenceBundle, MediaType: b.MediaType, Bundle: c.bundle,
		SubjectDigest: sdk.Digest{Algorithm: "sha256", Hex: digest}, Source: c.source,
	})
	return true
}

func (p *Plugin) material(tr *sdk.TrustRoot) (*trust.Material, error) {
	if tr == nil {
		return nil, errors.New("no trust root configured")
	}
	return p.materials.Get(tr.Name, tr.TrustedRootJSON, tr.PublicKeysPEM)
}

// pathErr drops the path from *fs.PathError: callers name the file.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// hashFile streams a file through sha256 in 1 MiB chunks, checking for
// cancellation between them.
func hashFile(ctx context.Context, p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
