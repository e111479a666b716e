package options

import (
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// SBOMContent are the content rules a command line sets.
type SBOMContent struct {
	RequirePackages Repeated
	DenyPackages    Repeated
	DenyLicenses    Repeated
	AllowLicenses   Repeated
	Unlicensed      string
	MinComponents   int
	MaxAge          string
	NTIA            bool
}

// Flags registers the rule flags.
func (o *SBOMContent) Flags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{Name: "require-package", Usage: "a component that must be present: NAME or PURL, optionally a space and a version constraint (\"pkg:pypi/requests >=2.31\"); repeatable", Value: &o.RequirePackages},
		&cli.GenericFlag{Name: "deny-package", Usage: "a component that must be absent, same syntax; repeatable", Value: &o.DenyPackages},
		&cli.GenericFlag{Name: "deny-license", Usage: "an SPDX licence identifier no component may require; repeatable", Value: &o.DenyLicenses},
		&cli.GenericFlag{Name: "allow-license", Usage: "an SPDX licence identifier components may use (every component must be satisfiable with the allowed ones); repeatable", Value: &o.AllowLicenses},
		&cli.StringFlag{Name: "unlicensed", Usage: "components without licence data, when a licence rule is set: fail, warn or ignore", Destination: &o.Unlicensed},
		&cli.IntFlag{Name: "min-components", Usage: "the fewest components the SBOM may list", Destination: &o.MinComponents},
		&cli.StringFlag{Name: "max-age", Usage: "the oldest the SBOM's creation time may be (\"720h\", \"30d\")", Destination: &o.MaxAge},
		&cli.BoolFlag{Name: "ntia-minimum-elements", Usage: "require the NTIA minimum elements (supplier, name, version and unique ID of every component; author, timestamp, dependencies)", Destination: &o.NTIA},
	}
}

// block is the content {} block the flags mean, nil when none is set.
func (o *SBOMContent) block() map[string]any {
	c := map[string]any{}
	for name, list := range map[string]Repeated{"packages": o.RequirePackages, "deny_packages": o.DenyPackages, "deny_licenses": o.DenyLicenses, "allow_licenses": o.AllowLicenses} {
		if len(list) > 0 {
			c[name] = anyList(list)
		}
	}
	if o.Unlicensed != "" {
		c["unlicensed"] = o.Unlicensed
	}
	if o.MinComponents != 0 {
		c["min_components"] = o.MinComponents
	}
	if o.MaxAge != "" {
		c["max_age"] = o.MaxAge
	}
	if o.NTIA {
		c["ntia_minimum_elements"] = true
	}
	if len(c) == 0 {
		return nil
	}
	return c
}

func anyList(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// SBOMVerify is `sbom verify`: the SBOM attestations of an image, an SBOM
// attestation about a file or digest, or an SBOM file signed as a blob.
type SBOMVerify struct {
	Signer
	Output
	Registry
	Platforms
	SBOMContent
	Bundle            string
	SBOM              string
	Type              string
	AllowCosignCustom bool
}

// Flags registers the verb's flags.
func (o *SBOMVerify) Flags() []cli.Flag {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "bundle", Usage: "the bundle of the SBOM attestation about FILE or sha256:<hex>; with --sbom, the SBOM file's signature bundle (default: SBOM.sigstore.json, then SBOM.bundle)", Destination: &o.Bundle},
		&cli.StringFlag{Name: "sbom", Usage: "an SBOM file signed as a blob (cosign sign-blob); the argument, if any, is the artifact its root must describe", Destination: &o.SBOM},
		&cli.StringFlag{Name: "type", Usage: "accept only this SBOM format: spdx or cyclonedx (spdxjson is spdx)", Destination: &o.Type},
		&cli.BoolFlag{Name: "allow-cosign-custom", Usage: "accept cosign's custom predicate ({\"Data\": \"<SBOM>\"}, syft attest's default)", Destination: &o.AllowCosignCustom},
	}
	flags = append(flags, o.SBOMContent.Flags()...)
	flags = append(append(flags, o.Platforms.Flags()...), o.Registry.Flags()...)
	return append(append(flags, o.Signer.Flags()...), o.Output.Flags()...)
}

// Policy is the in-memory policy the command line means: an sbom block,
// and for an IMAGE the image block it refers to, signed by the same signer
// (as cosign verify-attestation, the image needs no signature of its own:
// its verified attestations establish its digest).
func (o *SBOMVerify) Policy(args []string) (*policy.Policy, error) {
	if err := o.Output.Validate(); err != nil {
		return nil, err
	}
	if len(args) > 1 || (len(args) == 0 && o.SBOM == "") {
		return nil, usagef("sbom verify takes one IMAGE, FILE or sha256:<hex> (or --sbom SBOMFILE), got %d arguments", len(args))
	}
	p, err := workingDir()
	if err != nil {
		return nil, err
	}
	sb := &policy.Artifact{Kind: "sbom", Attributes: map[string]any{}}
	tr, err := o.Signer.artifact(sb, p)
	if err != nil {
		return nil, err
	}
	o.sbomAttributes(sb.Attributes)
	if o.SBOM != "" {
		return o.signedFile(sb, args, p, tr)
	}
	arg := args[0]
	sb.Name = arg
	switch {
	case looksLikeDigest(arg):
		if _, err := trust.ParseDigest(arg); err != nil {
			return nil, usagef("%v", err)
		}
		sb.Attributes["digest"] = arg
	case o.Bundle != "" || fileExists(arg):
		if err := mustExist("FILE", arg); err != nil {
			return nil, err
		}
		sb.Attributes["file"], sb.Name = p.abs(arg), filepath.Base(arg)
	default:
		return o.image(sb, arg, p, tr)
	}
	if o.Bundle == "" {
		return nil, usagef("sbom verify %s: an SBOM attestation about a file or digest needs --bundle", arg)
	}
	sb.Attributes["bundle"] = p.abs(o.Bundle)
	return verbPolicy("sbom verify", p, tr, sb), nil
}

func (o *SBOMVerify) sbomAttributes(attrs map[string]any) {
	if o.Type != "" {
		attrs["format"] = o.Type
	}
	if o.AllowCosignCustom {
		attrs["allow_cosign_custom"] = true
	}
	if c := o.SBOMContent.block(); c != nil {
		attrs["content"] = c
	}
}

// signedFile is --sbom: the SBOM file is the signed blob, and the argument
// (a file or digest) what it must describe.
func (o *SBOMVerify) signedFile(sb *policy.Artifact, args []string, p paths, tr *policy.TrustRoot) (*policy.Policy, error) {
	if err := mustExist("sbom", o.SBOM); err != nil {
		return nil, err
	}
	sb.Name = filepath.Base(o.SBOM)
	sb.Attributes["path"] = p.abs(o.SBOM)
	if o.Bundle != "" {
		sb.Attributes["bundle"] = p.abs(o.Bundle)
	}
	if len(args) == 1 {
		if !looksLikeDigest(args[0]) {
			return nil, usagef("sbom verify --sbom %s %s: give the digest the SBOM must describe (sha256:<hex>)", o.SBOM, args[0])
		}
		if _, err := trust.ParseDigest(args[0]); err != nil {
			return nil, usagef("%v", err)
		}
		sb.Attributes["describes_digest"] = args[0]
	}
	return verbPolicy("sbom verify", p, tr, sb), nil
}

// image is an IMAGE argument: the image block, with the sbom block
// referring to it.
func (o *SBOMVerify) image(sb *policy.Artifact, ref string, p paths, tr *policy.TrustRoot) (*policy.Policy, error) {
	if o.Bundle != "" {
		return nil, usagef("sbom verify %s: --bundle applies to files and digests; an image's SBOM attestations are found in its registry", ref)
	}
	img := *sb
	img.Kind, img.Name = "image", ref
	img.Attributes = map[string]any{"ref": ref, "signature": false}
	if err := o.Platforms.attributes(img.Attributes); err != nil {
		return nil, err
	}
	o.Registry.attributes(img.Attributes)
	sb.Name = ref
	sb.References = map[string]policy.ArtifactRef{"image": {Kind: "image", Name: ref}}
	return verbPolicy("sbom verify", p, tr, &img, sb), nil
}

func fileExists(path string) bool {
	return !strings.Contains(path, "://") && mustExist("FILE", path) == nil
}
