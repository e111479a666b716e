package options

import (
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// Publisher is a PyPI Trusted Publisher named on the command line.
type Publisher struct {
	Kind        string
	Repository  string
	Workflow    string
	Environment string
	Email       string
}

// Flags registers --kind, --repository, --workflow, --environment and
// --email.
func (o *Publisher) Flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "kind", Usage: "Trusted Publisher kind: github, gitlab or google (default github; google with --email)", Destination: &o.Kind},
		&cli.StringFlag{Name: "repository", Usage: "publisher repository: GitHub owner/name, GitLab namespace/project", Destination: &o.Repository},
		&cli.StringFlag{Name: "workflow", Usage: "publisher workflow: GitHub workflow file name (release.yml), GitLab CI file path (.gitlab-ci.yml)", Destination: &o.Workflow},
		&cli.StringFlag{Name: "environment", Usage: "deployment environment the index must have recorded for the publisher", Destination: &o.Environment},
		&cli.StringFlag{Name: "email", Usage: "Google publisher: the service account's e-mail", Destination: &o.Email},
	}
}

// IsSet reports whether any of the group's flags was given.
func (o *Publisher) IsSet() bool {
	return o.Kind != "" || o.Repository != "" || o.Workflow != "" || o.Environment != "" || o.Email != ""
}

// block is the publisher {} block the flags mean.
func (o *Publisher) block() map[string]any {
	kind := strings.ToLower(o.Kind)
	if kind == "" {
		kind = "github"
		if o.Email != "" {
			kind = "google"
		}
	}
	pub := map[string]any{"kind": kind}
	set := func(key, v string) {
		if v != "" {
			pub[key] = v
		}
	}
	set("repository", o.Repository)
	if kind == "gitlab" {
		set("workflow_filepath", o.Workflow)
	} else {
		set("workflow", o.Workflow)
	}
	set("environment", o.Environment)
	set("email", o.Email)
	return pub
}

// PyPIVerify is `pypi verify`: a release on an index, local distribution
// files, or files by name and sha256, against who must have published them.
type PyPIVerify struct {
	Publisher
	Certificate
	TrustRoot
	Output
	Index      string
	Provenance string
	Names      cli.StringSlice
	SHA256s    cli.StringSlice
	Files      cli.StringSlice
}

// Flags registers the command's flags.
func (o *PyPIVerify) Flags(defaultIndex string) []cli.Flag {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "index", Usage: "PEP 691 JSON + Integrity API index (default " + defaultIndex + ")", Destination: &o.Index},
		&cli.StringFlag{Name: "provenance", Usage: "provenance object, PEP 740 attestation or Sigstore bundle for the one file, or a directory of <file>.provenance files (default: fetched from the index; next to FILE)", Destination: &o.Provenance},
		&cli.StringSliceFlag{Name: "name", Usage: "a distribution's file name, with --sha256 (repeatable, in pairs)", Destination: &o.Names},
		&cli.StringSliceFlag{Name: "sha256", Usage: "the distribution's sha256 (hex), with --name", Destination: &o.SHA256s},
		&cli.StringSliceFlag{Name: "files", Usage: "only the release's files matching this pattern (repeatable; each must match one)", Destination: &o.Files},
	}
	flags = append(flags, o.Publisher.Flags()...)
	flags = append(flags, o.Certificate.Flags()...)
	flags = append(flags, o.TrustRoot.Flags()...)
	return append(flags, o.Output.Flags()...)
}

// Policy is the in-memory policy the command line means: one pypi artifact.
// distributionName splits a distribution's file name into its project and
// version (the pypi plugin's rule, passed in by the command).
func (o *PyPIVerify) Policy(args []string, distributionName func(string) (string, string, error)) (*policy.Policy, error) {
	if err := o.Output.Validate(); err != nil {
		return nil, err
	}
	p, err := workingDir()
	if err != nil {
		return nil, err
	}
	tr, err := o.TrustRoot.root(p)
	if err != nil {
		return nil, err
	}
	a := &policy.Artifact{Kind: "pypi", Attributes: map[string]any{}, Require: 1, TrustRoot: tr.Name}
	if err := o.files(a, args, p, distributionName); err != nil {
		return nil, err
	}
	if o.Index != "" {
		a.Attributes["index"] = o.Index
	}
	if o.Provenance != "" {
		a.Attributes["provenance"] = p.abs(o.Provenance)
	}
	if fs := o.Files.Value(); len(fs) > 0 {
		list := make([]any, len(fs))
		for i, f := range fs {
			list[i] = f
		}
		a.Attributes["files"] = list
	}
	switch {
	case o.Publisher.IsSet() && o.Certificate.IsSet():
		return nil, usagef("name a Trusted Publisher (--kind, --repository, --workflow, …) or a certificate identity (--certificate-identity, …), not both")
	case o.Publisher.IsSet():
		pub := o.Publisher.block()
		id, err := policy.TrustedPublisherIdentity(pub)
		if err != nil {
			return nil, usagef("publisher: %v", err)
		}
		a.Attributes["publisher"] = pub
		a.Identities = []trust.Identity{id}
	case o.Certificate.IsSet():
		id, err := o.Certificate.identity()
		if err != nil {
			return nil, err
		}
		if id.Subject == "" && id.SubjectRegexp == "" || id.Issuer == "" && id.IssuerRegexp == "" {
			return nil, usagef("--certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp] go together")
		}
		if id, err = finish(id); err != nil {
			return nil, err
		}
		a.Identities = []trust.Identity{id}
	default:
		return nil, usagef("who must have published it? --kind github --repository OWNER/NAME --workflow FILE [--environment ENV] (a Trusted Publisher), or --certificate-identity and --certificate-oidc-issuer")
	}
	return verbPolicy("pypi verify", p, tr, a), nil
}

// files sets what a names: files by name and digest, a release, or local
// distributions, all of one project.
func (o *PyPIVerify) files(a *policy.Artifact, args []string, p paths, distributionName func(string) (string, string, error)) error {
	names, sums := o.Names.Value(), o.SHA256s.Value()
	usage := "pypi verify takes NAME==VERSION, FILE… or --name FILENAME --sha256 HEX"
	project := func(file, shown string) error {
		name, _, err := distributionName(file)
		if err != nil {
			return usagef("%s: %v", shown, err)
		}
		if a.Name != "" && name != a.Name {
			return usagef("%s is a file of %s, not of %s: verify one project at a time", shown, name, a.Name)
		}
		a.Name = name
		return nil
	}
	switch {
	case len(names) > 0 || len(sums) > 0:
		if len(args) > 0 {
			return usagef("%s: give one of them, not several", usage)
		}
		if len(names) != len(sums) {
			return usagef("--name and --sha256 go in pairs (%d names, %d digests)", len(names), len(sums))
		}
		var files []any
		for i, n := range names {
			if err := project(n, "--name "+n); err != nil {
				return err
			}
			files = append(files, map[string]any{"name": n, "sha256": strings.TrimPrefix(strings.ToLower(sums[i]), "sha256:")})
		}
		a.Attributes["file"] = files
	case len(args) == 1 && strings.Contains(args[0], "=="):
		name, version, _ := strings.Cut(args[0], "==")
		if name == "" || version == "" {
			return usagef("%q: want NAME==VERSION", args[0])
		}
		a.Name, a.Attributes["version"] = name, version
	case len(args) > 0:
		var dist []any
		for _, f := range args {
			if err := project(filepath.Base(f), f); err != nil {
				return err
			}
			dist = append(dist, p.abs(f))
		}
		a.Attributes["dist"] = dist
	default:
		return usagef("%s", usage)
	}
	return nil
}
