// Package sbom is the built-in verifier of SBOMs: an SBOM attestation about
// an image or a release file, or an SBOM file signed as a blob, checked for
// its signature, its binding to the artifact it describes and its content.
// Where the SBOM comes from is an attribute; the artifact it is bound to is
// a reference the host resolves (image = image.app), so the SBOM is bound
// to the digests that artifact's own verification established in the run.
package sbom

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
	"github.com/vmafx/vmafx-trust/plugins/sbom/content"
	"github.com/vmafx/vmafx-trust/plugins/sbom/document"
)

// Version of the plugin.
const Version = "0.1.0"

// Attribute names that select where the SBOM comes from.
const (
	attrImage     = "image"
	attrBlob      = "blob"
	attrFile      = "file"
	attrDigest    = "digest"
	attrPath      = "path"
	attrDescribes = "describes"
)

// Schema of the `sbom` kind.
var Schema = sdk.KindSchema{
	Kind:        "sbom",
	Description: "An SBOM (SPDX 2.2/2.3 JSON or tag-value, CycloneDX 1.2–1.7 JSON), signed, bound to the artifact it describes, and checked for content. Give exactly one of `image`, `blob`, `file`, `digest` (SBOM attestations about that artifact) or `path` (the SBOM file itself is the signed blob). The block names its own identity: who signs SBOMs need not be who signs images. See docs/sbom.md.",
	Attributes: []sdk.Attribute{
		{Name: attrImage, Type: sdk.TypeReference, Kinds: []string{"image"}, Description: "SBOM attestations of the image that block verified in this run, for every part it verified (one row per platform with platforms = \"all\"), found where image attestations live: OCI 1.1 referrers, the referrers tag schema, cosign's .att tag, GitHub's attestation API when the image block names github_repository, and BuildKit attestation manifests while the index signature verifies.", Example: "image.app"},
		{Name: attrBlob, Type: sdk.TypeReference, Kinds: []string{"blob"}, Description: "An SBOM attestation about the release file that blob block verified in this run (bundle required).", Example: "blob.vmaf"},
		{Name: attrFile, Type: sdk.TypePath, Description: "An SBOM attestation about this file, hashed here (bundle required).", Example: `"dist/vmaf-linux-amd64"`},
		{Name: attrDigest, Type: sdk.TypeString, Description: "An SBOM attestation about the artifact with this digest (bundle required).", Example: `"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`},
		{Name: "bundle", Type: sdk.TypePath, Description: "The attestation bundle: cosign attest-blob's bundle (--bundle legacy JSON or --new-bundle-format), a GitHub attestation bundle, or JSON Lines of bundles (gh attestation download). With path: the SBOM file's own signature bundle, default <path>.sigstore.json, then <path>.bundle.", Example: `"dist/vmaf.sbom.sigstore.json"`},
		{Name: attrPath, Type: sdk.TypePath, Description: "The SBOM file itself, signed as a blob (cosign sign-blob).", Example: `"dist/vmaf.spdx.json"`},
		{Name: attrDescribes, Type: sdk.TypeReference, Kinds: []string{"blob", "image"}, Description: "With path: the artifact the SBOM must describe. Its described root (SPDX root package checksum or pkg:oci purl, CycloneDX metadata.component) must name a digest that artifact's verification established.", Example: "blob.vmaf"},
		{Name: "describes_digest", Type: sdk.TypeString, Description: "With path: a digest the SBOM's described root must name, for an artifact that is not a block of the policy (what describes does for one that is).", Example: `"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`},
		{Name: "format", Type: sdk.TypeString, Description: "Accept only this format: spdx or cyclonedx (default: either).", Example: `"cyclonedx"`},
		{Name: "allow_cosign_custom", Type: sdk.TypeBool, Description: "Accept cosign's custom predicate ({\"Data\": \"<SBOM>\"}, what syft attest writes by default), which does not say what it holds: the SBOM inside is read and its format detected.", Example: "true"},
		{Name: "max_size", Type: sdk.TypeNumber, Description: "Largest bundle or SBOM file read, in bytes, at most 1 GiB (default 256 MiB).", Example: "536870912"},
	},
	Blocks: []sdk.NestedBlock{{
		TypeName:    "content",
		Nesting:     sdk.NestingSingle,
		Description: "Rules on what the SBOM lists. Each violation names the component (name, version, purl, licence).",
		Attributes: []sdk.Attribute{
			{Name: "packages", Type: sdk.TypeListString, Description: "Components that must be present: NAME or PURL, optionally a space and a version constraint.", Example: `["libvmaf", "pkg:pypi/requests >=2.31"]`},
			{Name: "deny_packages", Type: sdk.TypeListString, Description: "Components that must be absent, same syntax; versions compare in the ecosystem's order (PEP 440 for pypi, semver for npm/golang/cargo, Maven for maven, dotted otherwise).", Example: `["pkg:maven/org.apache.logging.log4j/log4j-core >=2.0.0, <2.17.1"]`},
			{Name: "allow_licenses", Type: sdk.TypeListString, Description: "SPDX licence identifiers every component's licence expression must be satisfiable with (MIT OR GPL-3.0-only is allowed by [\"MIT\"]; MIT AND GPL-3.0-only is not).", Example: `["MIT", "Apache-2.0", "BSD-3-Clause"]`},
			{Name: "deny_licenses", Type: sdk.TypeListString, Description: "SPDX licence identifiers no component's licence expression may require.", Example: `["GPL-3.0-only", "AGPL-3.0-only"]`},
			{Name: "unlicensed", Type: sdk.TypeString, Description: "What a component without licence data does when a licence rule is set: fail, warn or ignore (default fail with allow_licenses, else warn).", Example: `"warn"`},
			{Name: "min_components", Type: sdk.TypeNumber, Description: "The fewest components the SBOM may list.", Example: "10"},
			{Name: "max_age", Type: sdk.TypeString, Description: "The oldest the SBOM's creation time may be: a Go duration or a number of days (\"30d\").", Example: `"90d"`},
			{Name: "ntia_minimum_elements", Type: sdk.TypeBool, Description: "Require the NTIA minimum elements: supplier, name, version and unique ID of every component; an author, a timestamp and dependency relationships of the document.", Example: "true"},
		},
	}},
}

// Plugin verifies SBOMs. The zero value is ready to use and safe for
// concurrent use.
type Plugin struct {
	materials trust.MaterialCache
	// Images finds an image's SBOM attestations; nil: image references
	// are refused.
	Images ImageSource
	// Now is the clock max_age is measured with (nil: time.Now).
	Now func() time.Time
}

// New returns an SBOM plugin.
func New(opts ...Option) *Plugin {
	p := &Plugin{}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Option configures a Plugin.
type Option func(*Plugin)

// WithImages makes src the source of image SBOM attestations.
func WithImages(src ImageSource) Option { return func(p *Plugin) { p.Images = src } }

// Info describes the plugin.
func (p *Plugin) Info() sdk.Info {
	return sdk.Info{Name: "sbom", Version: Version, Kinds: []sdk.KindSchema{Schema}}
}

type attributes struct {
	File              string        `json:"file"`
	Digest            string        `json:"digest"`
	Bundle            string        `json:"bundle"`
	Path              string        `json:"path"`
	DescribesDigest   string        `json:"describes_digest"`
	Format            string        `json:"format"`
	AllowCosignCustom bool          `json:"allow_cosign_custom"`
	MaxSize           *int64        `json:"max_size"`
	Content           *contentBlock `json:"content"`
}

type contentBlock struct {
	Packages            []string `json:"packages"`
	DenyPackages        []string `json:"deny_packages"`
	AllowLicenses       []string `json:"allow_licenses"`
	DenyLicenses        []string `json:"deny_licenses"`
	Unlicensed          string   `json:"unlicensed"`
	MinComponents       int      `json:"min_components"`
	MaxAge              string   `json:"max_age"`
	NTIAMinimumElements bool     `json:"ntia_minimum_elements"`
}

// job is one verification: the block's settings, checked and compiled.
type job struct {
	req    *sdk.Request
	a      attributes
	rules  *content.Policy
	format document.Format // "" for either
	limit  int
	now    time.Time
	m      *trust.Material
	ids    []trust.Identity
	source string // which attribute names the SBOM's source
}

// Verify checks one SBOM block.
func (p *Plugin) Verify(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	res := &sdk.Result{Status: sdk.StatusPass}
	j, err := p.newJob(req)
	if err != nil {
		return res.Fail("attributes", fmt.Sprintf("sbom %q: %v", req.Name, err)), nil
	}
	if j.source == attrImage {
		// The image source verifies with the trust root itself.
		res, err := p.verifyImage(ctx, j)
		if err != nil {
			return nil, err
		}
		return sdk.CheckEvidenceSize(res), nil
	}
	if j.m, err = p.material(req.TrustRoot); err != nil {
		return res.Errorf("trust root", "%v", err), nil
	}
	if j.source == attrPath {
		return sdk.CheckEvidenceSize(verifyPath(ctx, j, res)), nil
	}
	return sdk.CheckEvidenceSize(verifyAttestationBundle(ctx, j, res)), nil
}

// newJob reads and checks the block's attributes.
func (p *Plugin) newJob(req *sdk.Request) (*job, error) {
	j := &job{req: req, now: time.Now()}
	if p.Now != nil {
		j.now = p.Now()
	}
	if err := req.Decode(&j.a); err != nil {
		return nil, err
	}
	a := j.a
	var given []string
	for _, src := range []struct {
		name string
		set  bool
	}{
		{attrImage, req.References[attrImage].Kind != ""}, {attrBlob, req.References[attrBlob].Kind != ""},
		{attrFile, a.File != ""}, {attrDigest, a.Digest != ""}, {attrPath, a.Path != ""},
	} {
		if src.set {
			given = append(given, src.name)
		}
	}
	if len(given) != 1 {
		return nil, fmt.Errorf("give exactly one of image, blob, file, digest or path (found %s)", orNone(given))
	}
	j.source = given[0]
	switch {
	case j.source == attrImage && a.Bundle != "":
		return nil, fmt.Errorf("bundle does not apply to image: its SBOM attestations are found where the image's attestations live")
	case (j.source == attrBlob || j.source == attrFile || j.source == attrDigest) && a.Bundle == "":
		return nil, fmt.Errorf("%s needs bundle: the SBOM attestation's bundle file", j.source)
	case (req.References[attrDescribes].Kind != "" || a.DescribesDigest != "") && j.source != attrPath:
		return nil, fmt.Errorf("describes applies to path only: an attestation names its subject itself")
	case req.References[attrDescribes].Kind != "" && a.DescribesDigest != "":
		return nil, fmt.Errorf("give describes or describes_digest, not both")
	}
	switch strings.ToLower(a.Format) {
	case "":
	case "spdx", "spdxjson":
		j.format = document.SPDX
	case "cyclonedx", "cdx":
		j.format = document.CycloneDX
	default:
		return nil, fmt.Errorf("format = %q: want spdx or cyclonedx", a.Format)
	}
	j.limit = trust.MaxAttestationBundleSize
	if a.MaxSize != nil {
		if *a.MaxSize < 1 || *a.MaxSize > trust.MaxBundleSizeLimit {
			return nil, fmt.Errorf("max_size = %d: want 1 to %d bytes", *a.MaxSize, trust.MaxBundleSizeLimit)
		}
		j.limit = int(*a.MaxSize)
	}
	rules, err := compileRules(a.Content)
	if err != nil {
		return nil, err
	}
	j.rules = rules
	for _, id := range req.Identities {
		j.ids = append(j.ids, trust.Identity(id))
	}
	return j, nil
}

func compileRules(c *contentBlock) (*content.Policy, error) {
	if c == nil {
		return content.Compile(content.Rules{})
	}
	r := content.Rules{
		Packages: c.Packages, DenyPackages: c.DenyPackages, AllowLicenses: c.AllowLicenses, DenyLicenses: c.DenyLicenses,
		Unlicensed: c.Unlicensed, MinComponents: c.MinComponents, NTIAMinimumElements: c.NTIAMinimumElements,
	}
	if c.MaxAge != "" {
		d, err := ParseAge(c.MaxAge)
		if err != nil {
			return nil, fmt.Errorf("content: max_age: %w", err)
		}
		r.MaxAge = d
	}
	if c.MinComponents < 0 {
		return nil, fmt.Errorf("content: min_components = %d: want 0 or more", c.MinComponents)
	}
	p, err := content.Compile(r)
	if err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	return p, nil
}

// ParseAge reads a max_age: a Go duration ("720h") or whole days ("30d").
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != days {
			return 0, fmt.Errorf("%q: want a number of days such as \"30d\", or a duration such as \"720h\"", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration such as \"720h\", or days such as \"30d\"", s)
	}
	return d, nil
}

func (p *Plugin) material(tr *sdk.TrustRoot) (*trust.Material, error) {
	if tr == nil {
		return nil, fmt.Errorf("no trust root configured")
	}
	return p.materials.Get(tr.Name, tr.TrustedRootJSON, tr.PublicKeysPEM)
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
