package main

import (
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/host"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/pkg/trust"
	"github.com/vmafx/vmafx-trust/plugins/pypi"
)

// pypiCommand is `pypi verify`: a release on an index, local files, or a
// file by name and sha256, against a Trusted Publisher. The command line
// becomes an in-memory policy with one pypi artifact, run like `check`.
func pypiCommand() *cli.Command {
	return &cli.Command{
		Name:  "pypi",
		Usage: "verify Python releases' PEP 740 attestations",
		Subcommands: []*cli.Command{{
			Name: "verify",
			Usage: "verify every file of a release on an index (NAME==VERSION), local distribution files, or files by name and sha256, " +
				"against the Trusted Publisher that must have published them",
			ArgsUsage: "NAME==VERSION | FILE… | --name FILENAME --sha256 HEX",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "index", Usage: "PEP 691 JSON + Integrity API index (default " + pypi.DefaultIndex + ")"},
				&cli.StringFlag{Name: "provenance", Usage: "provenance object, PEP 740 attestation or Sigstore bundle for the one file, or a directory of <file>.provenance files (default: fetched from the index; next to FILE)"},
				&cli.StringSliceFlag{Name: "name", Usage: "a distribution's file name, with --sha256 (repeatable, in pairs)"},
				&cli.StringSliceFlag{Name: "sha256", Usage: "the distribution's sha256 (hex), with --name"},
				&cli.StringSliceFlag{Name: "files", Usage: "only the release's files matching this pattern (repeatable; each must match one)"},
				&cli.StringFlag{Name: "kind", Usage: "Trusted Publisher kind: github, gitlab or google (default github; google with --email)"},
				&cli.StringFlag{Name: "repository", Usage: "publisher repository: GitHub owner/name, GitLab namespace/project"},
				&cli.StringFlag{Name: "workflow", Usage: "publisher workflow: GitHub workflow file name (release.yml), GitLab CI file path (.gitlab-ci.yml)"},
				&cli.StringFlag{Name: "environment", Usage: "deployment environment the index must have recorded for the publisher"},
				&cli.StringFlag{Name: "email", Usage: "Google publisher: the service account's e-mail"},
				&cli.StringFlag{Name: "certificate-identity", Usage: "instead of a publisher: the certificate's subject (SAN) must equal this"},
				&cli.StringFlag{Name: "certificate-identity-regexp", Usage: "instead of a publisher: the SAN must match this regexp (anchored)"},
				&cli.StringFlag{Name: "certificate-oidc-issuer", Usage: "with --certificate-identity: the OIDC issuer must equal this"},
				&cli.StringFlag{Name: "certificate-oidc-issuer-regexp", Usage: "with --certificate-identity: the OIDC issuer must match this regexp (anchored)"},
				&cli.StringFlag{Name: "trusted-root", Usage: "trusted_root.json to verify against (default: Sigstore public-good via TUF)"},
				&cli.BoolFlag{Name: "offline", Usage: "make no network requests (then give FILE… or --name/--sha256 with --provenance)"},
				&cli.StringFlag{Name: "cache-dir", Usage: "TUF cache directory", EnvVars: []string{"VMAFX_TRUST_CACHE_DIR"}},
				&cli.StringFlag{Name: "format", Aliases: []string{"o"}, Value: "text", Usage: "report format: text or json"},
				&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list every check"},
				progressFlag,
			},
			Action: func(c *cli.Context) error {
				format := c.String("format")
				if format != "text" && format != "json" {
					return exitf(report.ExitUsage, "--format %q: want text or json", format)
				}
				pol, err := pypiPolicy(c)
				if err != nil {
					return err
				}
				s, err := startVerbSession(c.Context, "pypi")
				if err != nil {
					return exitf(report.ExitUnchecked, "%v", err)
				}
				defer s.Close()
				return runPolicy(c.Context, c.App.Writer, c.App.ErrWriter, pol, s, checkConfig{
					file: "pypi verify", format: format, jobs: host.DefaultJobs(), timeout: host.DefaultTimeout, verbose: c.Bool("verbose"),
					offline: c.Bool("offline"), cacheDir: c.String("cache-dir"), progress: c.String("progress"),
				})
			},
		}},
	}
}

// pypiPolicy builds the in-memory policy a `pypi verify` command line means.
func pypiPolicy(c *cli.Context) (*policy.Policy, error) {
	cwd, abs, err := workingDir()
	if err != nil {
		return nil, err
	}
	tr := &policy.TrustRoot{Name: "command-line"}
	if f := c.String("trusted-root"); f != "" {
		tr.TrustedRoot = abs(f)
	}
	a := &policy.Artifact{Kind: "pypi", Attributes: map[string]any{}, Require: 1, TrustRoot: tr.Name}
	args, names, sums := c.Args().Slice(), c.StringSlice("name"), c.StringSlice("sha256")
	usage := "pypi verify takes NAME==VERSION, FILE… or --name FILENAME --sha256 HEX"
	switch {
	case len(names) > 0 || len(sums) > 0:
		if len(args) > 0 {
			return nil, exitf(report.ExitUsage, "%s: give one of them, not several", usage)
		}
		if len(names) != len(sums) {
			return nil, exitf(report.ExitUsage, "--name and --sha256 go in pairs (%d names, %d digests)", len(names), len(sums))
		}
		var files []any
		for i, n := range names {
			project, _, err := pypi.DistributionName(n)
			if err != nil {
				return nil, exitf(report.ExitUsage, "--name %s: %v", n, err)
			}
			if a.Name != "" && project != a.Name {
				return nil, exitf(report.ExitUsage, "--name %s is a file of %s, not of %s: verify one project at a time", n, project, a.Name)
			}
			a.Name = project
			files = append(files, map[string]any{"name": n, "sha256": strings.ToLower(strings.TrimPrefix(sums[i], "sha256:"))})
		}
		a.Attributes["file"] = files
	case len(args) == 1 && strings.Contains(args[0], "=="):
		project, version, _ := strings.Cut(args[0], "==")
		if project == "" || version == "" {
			return nil, exitf(report.ExitUsage, "%q: want NAME==VERSION", args[0])
		}
		a.Name, a.Attributes["version"] = project, version
	case len(args) > 0:
		var dist []any
		for _, f := range args {
			project, _, err := pypi.DistributionName(filepath.Base(f))
			if err != nil {
				return nil, exitf(report.ExitUsage, "%s: %v", f, err)
			}
			if a.Name != "" && project != a.Name {
				return nil, exitf(report.ExitUsage, "%s is a file of %s, not of %s: verify one project at a time", f, project, a.Name)
			}
			a.Name = project
			dist = append(dist, abs(f))
		}
		a.Attributes["dist"] = dist
	default:
		return nil, exitf(report.ExitUsage, "%s", usage)
	}
	if ix := c.String("index"); ix != "" {
		a.Attributes["index"] = ix
	}
	if p := c.String("provenance"); p != "" {
		a.Attributes["provenance"] = abs(p)
	}
	if fs := c.StringSlice("files"); len(fs) > 0 {
		var list []any
		for _, f := range fs {
			list = append(list, f)
		}
		a.Attributes["files"] = list
	}

	certFlags := c.String("certificate-identity") != "" || c.String("certificate-identity-regexp") != "" ||
		c.String("certificate-oidc-issuer") != "" || c.String("certificate-oidc-issuer-regexp") != ""
	pubFlags := c.String("kind") != "" || c.String("repository") != "" || c.String("workflow") != "" || c.String("environment") != "" || c.String("email") != ""
	switch {
	case pubFlags && certFlags:
		return nil, exitf(report.ExitUsage, "name a Trusted Publisher (--kind, --repository, --workflow, …) or a certificate identity (--certificate-identity, …), not both")
	case pubFlags:
		kind := strings.ToLower(c.String("kind"))
		if kind == "" {
			kind = "github"
			if c.String("email") != "" {
				kind = "google"
			}
		}
		pub := map[string]any{"kind": kind}
		set := func(key, v string) {
			if v != "" {
				pub[key] = v
			}
		}
		set("repository", c.String("repository"))
		if kind == "gitlab" {
			set("workflow_filepath", c.String("workflow"))
		} else {
			set("workflow", c.String("workflow"))
		}
		set("environment", c.String("environment"))
		set("email", c.String("email"))
		id, err := policy.TrustedPublisherIdentity(pub)
		if err != nil {
			return nil, exitf(report.ExitUsage, "publisher: %v", err)
		}
		a.Attributes["publisher"] = pub
		a.Identities = []trust.Identity{id}
	case certFlags:
		id := trust.Identity{
			Name: "command-line", Subject: c.String("certificate-identity"), SubjectRegexp: anchor(c.String("certificate-identity-regexp")),
			Issuer: c.String("certificate-oidc-issuer"), IssuerRegexp: anchor(c.String("certificate-oidc-issuer-regexp")),
		}
		if id.Subject == "" && id.SubjectRegexp == "" || id.Issuer == "" && id.IssuerRegexp == "" {
			return nil, exitf(report.ExitUsage, "--certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp] go together")
		}
		if err := id.Validate(); err != nil {
			return nil, exitf(report.ExitUsage, "%v", err)
		}
		a.Identities = []trust.Identity{id}
	default:
		return nil, exitf(report.ExitUsage, "who must have published it? --kind github --repository OWNER/NAME --workflow FILE [--environment ENV] (a Trusted Publisher), or --certificate-identity and --certificate-oidc-issuer")
	}
	return &policy.Policy{File: "pypi verify", Dir: cwd, TrustRoots: []*policy.TrustRoot{tr}, Identities: map[string]*policy.Identity{}, Artifacts: []*policy.Artifact{a}}, nil
}
