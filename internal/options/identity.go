package options

import (
	"regexp"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// Certificate is cosign's certificate identity: who must have signed, as
// the certificate's subject (SAN) and OIDC issuer.
type Certificate struct {
	SAN          string
	SANRegexp    string
	Issuer       string
	IssuerRegexp string
}

// Flags registers --certificate-identity[-regexp] and
// --certificate-oidc-issuer[-regexp].
func (o *Certificate) Flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "certificate-identity", Usage: "the certificate's subject (SAN) must equal this", Destination: &o.SAN},
		&cli.StringFlag{Name: "certificate-identity-regexp", Usage: "the SAN must match this regexp (anchored: the whole SAN)", Destination: &o.SANRegexp},
		&cli.StringFlag{Name: "certificate-oidc-issuer", Usage: "the OIDC issuer must equal this", Destination: &o.Issuer},
		&cli.StringFlag{Name: "certificate-oidc-issuer-regexp", Usage: "the OIDC issuer must match this regexp (anchored)", Destination: &o.IssuerRegexp},
	}
}

// IsSet reports whether any of the group's flags was given.
func (o *Certificate) IsSet() bool {
	return o.SAN != "" || o.SANRegexp != "" || o.Issuer != "" || o.IssuerRegexp != ""
}

// identity is the identity the flags name; regexps are anchored, as a
// policy anchors them. Each regexp must compile as given: wrapped as
// ^(?:…)$, one that does not (a)|(.*) can compile, no longer anchored.
func (o *Certificate) identity() (trust.Identity, error) {
	for _, re := range []struct{ flag, re string }{
		{"certificate-identity-regexp", o.SANRegexp},
		{"certificate-oidc-issuer-regexp", o.IssuerRegexp},
	} {
		if _, err := regexp.Compile(re.re); err != nil {
			return trust.Identity{}, usagef("--%s %q: %v", re.flag, re.re, err)
		}
	}
	return trust.Identity{
		Name:          "command-line",
		Subject:       o.SAN,
		SubjectRegexp: policy.AnchorRegexp(o.SANRegexp),
		Issuer:        o.Issuer,
		IssuerRegexp:  policy.AnchorRegexp(o.IssuerRegexp),
	}, nil
}

// Identity is the keyless identity the flags name. Like cosign, it needs
// both a subject and an issuer criterion.
func (o *Certificate) Identity() (trust.Identity, error) {
	id, err := o.identity()
	if err != nil {
		return id, err
	}
	return finish(id)
}

// finish checks a keyless identity built from flags.
func finish(id trust.Identity) (trust.Identity, error) {
	if id.Subject == "" && id.SubjectRegexp == "" {
		return id, usagef("--certificate-identity or --certificate-identity-regexp is required for keyless verification (or --key, or gh-style --owner/--repo)")
	}
	if id.Issuer == "" && id.IssuerRegexp == "" {
		return id, usagef("--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required for keyless verification")
	}
	if err := id.Validate(); err != nil {
		return id, usagef("%v", err)
	}
	return id, nil
}

// CertificateExtensions are cosign's checks of GitHub's Fulcio extensions.
type CertificateExtensions struct {
	WorkflowRepository string
	WorkflowRef        string
	WorkflowSHA        string
	WorkflowTrigger    string
	WorkflowName       string
}

// Flags registers --certificate-github-workflow-*.
func (o *CertificateExtensions) Flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "certificate-github-workflow-repository", Usage: "GitHub workflow repository extension (owner/name)", Destination: &o.WorkflowRepository},
		&cli.StringFlag{Name: "certificate-github-workflow-ref", Usage: "GitHub workflow ref extension", Destination: &o.WorkflowRef},
		&cli.StringFlag{Name: "certificate-github-workflow-sha", Usage: "GitHub workflow sha extension", Destination: &o.WorkflowSHA},
		&cli.StringFlag{Name: "certificate-github-workflow-trigger", Usage: "GitHub workflow trigger extension", Destination: &o.WorkflowTrigger},
		&cli.StringFlag{Name: "certificate-github-workflow-name", Usage: "GitHub workflow name extension", Destination: &o.WorkflowName},
	}
}

// IsSet reports whether any of the group's flags was given.
func (o *CertificateExtensions) IsSet() bool {
	return o.WorkflowRepository != "" || o.WorkflowRef != "" || o.WorkflowSHA != "" || o.WorkflowTrigger != "" || o.WorkflowName != ""
}

func (o *CertificateExtensions) apply(id *trust.Identity) {
	for ext, v := range map[string]string{
		"github_workflow_repository": o.WorkflowRepository,
		"github_workflow_ref":        o.WorkflowRef,
		"github_workflow_sha":        o.WorkflowSHA,
		"github_workflow_trigger":    o.WorkflowTrigger,
		"github_workflow_name":       o.WorkflowName,
	} {
		if v != "" {
			if id.Extensions == nil {
				id.Extensions = map[string]string{}
			}
			id.Extensions[ext] = v
		}
	}
}

// GitHub is gh attestation verify's shorthand for a GitHub Actions signer.
// It expands exactly as a policy's github {} block does
// (policy.GitHub.Apply).
type GitHub struct {
	Owner                 string
	Repo                  string
	SignerRepo            string
	SignerWorkflow        string
	SourceRef             string
	DenySelfHostedRunners bool
}

// Flags registers --owner, --repo, --signer-repo, --signer-workflow,
// --source-ref and --deny-self-hosted-runners.
func (o *GitHub) Flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "owner", Usage: "gh-style: built from a repository of this GitHub owner", Destination: &o.Owner},
		&cli.StringFlag{Name: "repo", Usage: "gh-style: built from this GitHub repository (owner/name)", Destination: &o.Repo},
		&cli.StringFlag{Name: "signer-repo", Usage: "gh-style: signed by a (reusable) workflow of this repository", Destination: &o.SignerRepo},
		&cli.StringFlag{Name: "signer-workflow", Usage: "gh-style: signed by this workflow (owner/name/.github/workflows/x.yml[@ref])", Destination: &o.SignerWorkflow},
		&cli.StringFlag{Name: "source-ref", Usage: "gh-style: built from this git ref", Destination: &o.SourceRef},
		&cli.BoolFlag{Name: "deny-self-hosted-runners", Usage: "gh-style: reject signatures made on self-hosted runners", Destination: &o.DenySelfHostedRunners},
	}
}

// IsSet reports whether a flag naming a signer or source was given.
func (o *GitHub) IsSet() bool {
	return o.Owner != "" || o.Repo != "" || o.SignerRepo != "" || o.SignerWorkflow != ""
}

// spec is what the flags name, in the policy's terms.
func (o *GitHub) spec() (policy.GitHub, error) {
	g := policy.GitHub{
		Owner: policy.TrimGitHubURL(o.Owner), Repository: policy.TrimGitHubURL(o.Repo),
		SignerRepository: policy.TrimGitHubURL(o.SignerRepo), Ref: o.SourceRef,
	}
	if o.DenySelfHostedRunners {
		g.Runner = "github-hosted"
	}
	if o.SignerWorkflow != "" {
		repo, wf, ref, err := policy.ParseGitHubWorkflow(o.SignerWorkflow)
		if err != nil {
			return g, usagef("--signer-workflow: %v", err)
		}
		if g.SignerRepository != "" && g.SignerRepository != repo {
			return g, usagef("--signer-workflow %s is not in --signer-repo %s", o.SignerWorkflow, o.SignerRepo)
		}
		g.SignerRepository, g.SignerWorkflow, g.SignerRef = repo, wf, ref
	}
	return g, nil
}

// Keyless is the identity flags of the blob and image verbs together:
// cosign's certificate flags, its GitHub extension flags and gh's
// shorthands.
type Keyless struct {
	Certificate
	CertificateExtensions
	GitHub
}

// Flags registers the three groups.
func (o *Keyless) Flags() []cli.Flag {
	return append(append(o.Certificate.Flags(), o.CertificateExtensions.Flags()...), o.GitHub.Flags()...)
}

// IsSet reports whether any of the groups' flags was given: one naming a
// signer, or one that only constrains its certificate (an extension, the
// source ref, the runner), which a key signature could not meet either.
func (o *Keyless) IsSet() bool {
	return o.Certificate.IsSet() || o.CertificateExtensions.IsSet() || o.GitHub.IsSet() ||
		o.GitHub.SourceRef != "" || o.GitHub.DenySelfHostedRunners
}

// Identity is the keyless identity the flags name. gh-style flags imply
// GitHub's issuer; --source-ref and --deny-self-hosted-runners constrain
// whichever identity the other flags name.
func (o *Keyless) Identity() (trust.Identity, error) {
	id, err := o.Certificate.identity()
	if err != nil {
		return id, err
	}
	o.CertificateExtensions.apply(&id)
	g, err := o.GitHub.spec()
	if err != nil {
		return id, err
	}
	switch {
	case o.GitHub.IsSet():
		if err := g.Apply(&id); err != nil {
			return id, usagef("gh-style flags: %v", err)
		}
	case g.Ref != "" || g.Runner != "":
		if id.Extensions == nil {
			id.Extensions = map[string]string{}
		}
		if g.Ref != "" {
			id.Extensions["source_repository_ref"] = g.Ref
		}
		if g.Runner != "" {
			id.Extensions["runner_environment"] = g.Runner
		}
	}
	return finish(id)
}
