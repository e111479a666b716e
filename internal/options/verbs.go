package options

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// VerifyBlob is cosign's verify-blob and verify-blob-attestation command
// lines: one release file (or its digest) and its signature.
type VerifyBlob struct {
	Signer
	Output
	// Attestation: verify-blob-attestation.
	Attestation      bool
	Bundle           string
	Signature        string
	CertificatePEM   string
	CertificateChain string
	Type             string
	PredicateType    string
}

// Flags registers the verb's flags.
func (o *VerifyBlob) Flags() []cli.Flag {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "bundle", Usage: "Sigstore bundle, or cosign's older bundle JSON (default: FILE.sigstore.json, then FILE.bundle)", Destination: &o.Bundle},
		&cli.StringFlag{Name: "signature", Usage: "detached signature (base64), instead of --bundle", Destination: &o.Signature},
		&cli.StringFlag{Name: "certificate", Usage: "signing certificate (PEM) for --signature", Destination: &o.CertificatePEM},
		&cli.StringFlag{Name: "certificate-chain", Usage: "intermediate and root certificates (PEM) for --certificate", Destination: &o.CertificateChain},
	}
	flags = append(append(flags, o.Signer.Flags()...), o.Output.Flags()...)
	if o.Attestation {
		flags = append(flags,
			&cli.StringFlag{Name: "type", Usage: "required predicate type (URI or cosign short name: slsaprovenance, slsaprovenance1, spdxjson, cyclonedx, …)", Destination: &o.Type},
			&cli.StringFlag{Name: "predicate-type", Usage: "alias of --type", Destination: &o.PredicateType},
		)
	}
	return flags
}

// Policy is the in-memory policy the command line means: one blob artifact.
func (o *VerifyBlob) Policy(verb string, args []string) (*policy.Policy, error) {
	if err := o.Output.Validate(); err != nil {
		return nil, err
	}
	if len(args) != 1 {
		return nil, usagef("%s takes exactly one FILE (or sha256:<hex>), got %d", verb, len(args))
	}
	if o.Bundle != "" && o.Signature != "" {
		return nil, usagef("give --bundle or --signature, not both")
	}
	p, err := workingDir()
	if err != nil {
		return nil, err
	}
	arg := args[0]
	a := &policy.Artifact{Kind: "blob", Name: arg, Attributes: map[string]any{}}
	if looksLikeDigest(arg) {
		if _, err := trust.ParseDigest(arg); err != nil {
			return nil, usagef("%v", err)
		}
		if o.Bundle == "" && o.Signature == "" {
			return nil, usagef("%s %s: a digest needs --bundle or --signature", verb, arg)
		}
		a.Attributes["digest"] = arg
	} else {
		a.Attributes["path"] = p.abs(arg)
		a.Name = filepath.Base(arg)
	}
	for attr, v := range map[string]string{"bundle": o.Bundle, "signature": o.Signature, "certificate": o.CertificatePEM, "certificate_chain": o.CertificateChain} {
		if v != "" {
			a.Attributes[attr] = p.abs(v)
		}
	}
	if o.Attestation {
		att := map[string]any{}
		pt, alias := trust.ExpandPredicateType(o.Type), trust.ExpandPredicateType(o.PredicateType)
		switch {
		case pt != "" && alias != "" && pt != alias:
			// One attestation has one predicate type: neither may be
			// dropped in favour of the other.
			return nil, usagef("--type %s and --predicate-type %s name different predicate types; give one", o.Type, o.PredicateType)
		case pt == "":
			pt = alias
		}
		if pt != "" {
			att["predicate_type"] = pt
		}
		a.Attributes["attestation"] = att
	}
	tr, err := o.Signer.artifact(a, p)
	if err != nil {
		return nil, err
	}
	return verbPolicy(verb, p, tr, a), nil
}

func verbPolicy(verb string, p paths, tr *policy.TrustRoot, artifacts ...*policy.Artifact) *policy.Policy {
	return &policy.Policy{File: verb, Dir: p.cwd, TrustRoots: []*policy.TrustRoot{tr}, Identities: map[string]*policy.Identity{}, Artifacts: artifacts}
}

// looksLikeDigest: an argument such as sha256:… that names no file.
func looksLikeDigest(s string) bool {
	for _, alg := range []string{"sha256:", "sha384:", "sha512:"} {
		if strings.HasPrefix(s, alg) {
			if _, err := os.Stat(s); err != nil {
				return true
			}
		}
	}
	return false
}

// Registry is how a verb reaches container registries.
type Registry struct {
	AllowHTTP              bool
	AllowInsecure          bool
	AllowReferenceMismatch bool
	RequireDigest          bool
	GitHubRepository       string
}

// Flags registers the registry flags.
func (o *Registry) Flags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "allow-http-registry", Usage: "allow plain HTTP to the registry (loopback registries need no flag)", Destination: &o.AllowHTTP},
		&cli.BoolFlag{Name: "allow-insecure-registry", Usage: "allow plain HTTP and TLS without certificate verification", Destination: &o.AllowInsecure},
		&cli.BoolFlag{Name: "allow-reference-mismatch", Usage: "accept legacy signatures made for another repository (the digest must still match)", Destination: &o.AllowReferenceMismatch},
		&cli.BoolFlag{Name: "require-digest", Usage: "fail unless every IMAGE is pinned by digest", Destination: &o.RequireDigest},
		&cli.StringFlag{Name: "github-repository", Usage: "also read attestations from GitHub's attestation API for owner/name (token: GH_TOKEN or GITHUB_TOKEN)", Destination: &o.GitHubRepository},
	}
}

func (o *Registry) attributes(attrs map[string]any) {
	if o.AllowHTTP || o.AllowInsecure {
		attrs["insecure"] = true
	}
	if o.AllowReferenceMismatch {
		attrs["allow_reference_mismatch"] = true
	}
	if o.RequireDigest {
		attrs["require_digest"] = true
	}
	if o.GitHubRepository != "" {
		attrs["github_repository"] = o.GitHubRepository
	}
}

// Platforms are which parts of a multi-platform image verify.
type Platforms struct {
	Platform     string
	AllPlatforms bool
}

// Flags registers --platform and --all-platforms.
func (o *Platforms) Flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "platform", Usage: "verify the index and these platforms (os/arch[/variant], comma-separated)", Destination: &o.Platform},
		&cli.BoolFlag{Name: "all-platforms", Usage: "verify the index and every platform manifest it lists, one report row each", Destination: &o.AllPlatforms},
	}
}

func (o *Platforms) attributes(attrs map[string]any) error {
	switch {
	case o.AllPlatforms && o.Platform != "":
		return usagef("give --platform or --all-platforms, not both")
	case o.AllPlatforms:
		attrs["platforms"] = "all"
	case o.Platform != "":
		attrs["platforms"] = o.Platform
	}
	return nil
}

// VerifyImage is cosign's verify and verify-attestation command lines: one
// or more images.
type VerifyImage struct {
	Signer
	Output
	Registry
	Platforms
	// Attestation: verify-attestation.
	Attestation    bool
	Types          cli.StringSlice
	PredicateTypes cli.StringSlice
}

// Flags registers the verb's flags.
func (o *VerifyImage) Flags() []cli.Flag {
	flags := append(o.Platforms.Flags(), o.Registry.Flags()...)
	flags = append(append(flags, o.Signer.Flags()...), o.Output.Flags()...)
	if o.Attestation {
		flags = append(flags,
			&cli.StringSliceFlag{Name: "type", Usage: "required predicate type (URI or cosign short name: slsaprovenance, slsaprovenance1, spdxjson, cyclonedx, …); repeatable; none: any attestation", Destination: &o.Types},
			&cli.StringSliceFlag{Name: "predicate-type", Usage: "alias of --type", Destination: &o.PredicateTypes},
		)
	}
	return flags
}

// Policy is the in-memory policy the command line means: one image
// artifact per IMAGE, each with the same signer.
func (o *VerifyImage) Policy(verb string, args []string) (*policy.Policy, error) {
	if err := o.Output.Validate(); err != nil {
		return nil, err
	}
	if len(args) < 1 {
		return nil, usagef("%s takes at least one IMAGE", verb)
	}
	p, err := workingDir()
	if err != nil {
		return nil, err
	}
	attrs := map[string]any{}
	if err := o.Platforms.attributes(attrs); err != nil {
		return nil, err
	}
	o.Registry.attributes(attrs)
	if o.Attestation {
		// cosign verify-attestation checks attestations, not signatures.
		attrs["signature"] = false
		var types []any
		for _, t := range append(o.Types.Value(), o.PredicateTypes.Value()...) {
			for _, one := range strings.Split(t, ",") {
				if one = strings.TrimSpace(one); one != "" {
					types = append(types, trust.ExpandPredicateType(one))
				}
			}
		}
		if len(types) > 0 {
			attrs["attestations"] = types
		}
	}
	var base policy.Artifact
	tr, err := o.Signer.artifact(&base, p)
	if err != nil {
		return nil, err
	}
	var artifacts []*policy.Artifact
	for _, ref := range args {
		a := base
		a.Kind, a.Name, a.Attributes = "image", ref, map[string]any{"ref": ref}
		for k, v := range attrs {
			a.Attributes[k] = v
		}
		artifacts = append(artifacts, &a)
	}
	return verbPolicy(verb, p, tr, artifacts...), nil
}
