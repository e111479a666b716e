package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/host"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// identityFlags are cosign's certificate flags plus gh attestation's
// shorthands; both verbs take them.
var identityFlags = []cli.Flag{
	&cli.StringFlag{Name: "certificate-identity", Usage: "the certificate's subject (SAN) must equal this"},
	&cli.StringFlag{Name: "certificate-identity-regexp", Usage: "the SAN must match this regexp (anchored: the whole SAN)"},
	&cli.StringFlag{Name: "certificate-oidc-issuer", Usage: "the OIDC issuer must equal this"},
	&cli.StringFlag{Name: "certificate-oidc-issuer-regexp", Usage: "the OIDC issuer must match this regexp (anchored)"},
	&cli.StringFlag{Name: "certificate-github-workflow-repository", Usage: "GitHub workflow repository extension (owner/name)"},
	&cli.StringFlag{Name: "certificate-github-workflow-ref", Usage: "GitHub workflow ref extension"},
	&cli.StringFlag{Name: "certificate-github-workflow-sha", Usage: "GitHub workflow sha extension"},
	&cli.StringFlag{Name: "certificate-github-workflow-trigger", Usage: "GitHub workflow trigger extension"},
	&cli.StringFlag{Name: "certificate-github-workflow-name", Usage: "GitHub workflow name extension"},
	&cli.StringFlag{Name: "owner", Usage: "gh-style: signed by a workflow of this GitHub owner"},
	&cli.StringFlag{Name: "repo", Usage: "gh-style: built from this GitHub repository (owner/name)"},
	&cli.StringFlag{Name: "signer-repo", Usage: "gh-style: signed by a (reusable) workflow of this repository"},
	&cli.StringFlag{Name: "signer-workflow", Usage: "gh-style: signed by this workflow (owner/name/.github/workflows/x.yml[@ref])"},
	&cli.StringFlag{Name: "source-ref", Usage: "gh-style: built from this git ref"},
	&cli.BoolFlag{Name: "deny-self-hosted-runners", Usage: "gh-style: reject signatures made on self-hosted runners"},
	&cli.StringFlag{Name: "trusted-root", Usage: "trusted_root.json to verify against (default: Sigstore public-good via TUF)"},
	&cli.StringFlag{Name: "key", Usage: "PEM public key that must have signed (instead of a certificate identity)"},
	&cli.BoolFlag{Name: "offline", Usage: "make no network requests"},
	&cli.StringFlag{Name: "cache-dir", Usage: "TUF cache directory", EnvVars: []string{"VMAFX_TRUST_CACHE_DIR"}},
	&cli.BoolFlag{Name: "insecure-ignore-tlog", Usage: "accept signatures with no transparency-log entry (warns)"},
	&cli.BoolFlag{Name: "insecure-ignore-sct", Usage: "do not require an embedded SCT in the certificate"},
	&cli.BoolFlag{Name: "use-signed-timestamps", Usage: "require an RFC 3161 signed timestamp as the time source"},
	&cli.BoolFlag{Name: "new-bundle-format", Usage: "accepted for cosign compatibility: every bundle format is read"},
	&cli.StringFlag{Name: "format", Aliases: []string{"o"}, Value: "text", Usage: "report format: text or json"},
	&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list every check"},
	progressFlag,
}

func verifyBlobCommand(attestation bool) *cli.Command {
	name, usage := "verify-blob", "verify a file's Sigstore signature, with cosign's flags"
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "bundle", Usage: "Sigstore bundle, or cosign's older bundle JSON (default: FILE.sigstore.json, then FILE.bundle)"},
		&cli.StringFlag{Name: "signature", Usage: "detached signature (base64), instead of --bundle"},
		&cli.StringFlag{Name: "certificate", Usage: "signing certificate (PEM) for --signature"},
		&cli.StringFlag{Name: "certificate-chain", Usage: "intermediate and root certificates (PEM) for --certificate"},
	}, identityFlags...)
	if attestation {
		name, usage = "verify-blob-attestation", "verify an in-toto attestation about a file, with cosign's flags"
		flags = append(flags,
			&cli.StringFlag{Name: "type", Usage: "required predicate type (URI or cosign short name: slsaprovenance, slsaprovenance1, spdxjson, cyclonedx, …)"},
			&cli.StringFlag{Name: "predicate-type", Usage: "alias of --type"},
		)
	}
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		ArgsUsage: "FILE | sha256:<hex>",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return exitf(report.ExitUsage, "%s takes exactly one FILE (or sha256:<hex>), got %d", name, c.NArg())
			}
			pol, err := verbPolicy(c, name, attestation)
			if err != nil {
				return err
			}
			s, err := startVerbSession(c.Context, "blob")
			if err != nil {
				return exitf(report.ExitUnchecked, "%v", err)
			}
			defer s.Close()
			format := c.String("format")
			if format != "text" && format != "json" {
				return exitf(report.ExitUsage, "--format %q: want text or json", format)
			}
			return runPolicy(c.Context, c.App.Writer, c.App.ErrWriter, pol, s, checkConfig{
				file: name, format: format, jobs: host.DefaultJobs(), timeout: host.DefaultTimeout, verbose: c.Bool("verbose"),
				offline: c.Bool("offline"), cacheDir: c.String("cache-dir"), verifiedOK: true, progress: c.String("progress"),
			})
		},
	}
}

// predicateAliases are cosign's --type short names.
var predicateAliases = map[string]string{
	"slsaprovenance":   "https://slsa.dev/provenance/v0.2",
	"slsaprovenance02": "https://slsa.dev/provenance/v0.2",
	"slsaprovenance1":  "https://slsa.dev/provenance/v1",
	"spdx":             "https://spdx.dev/Document",
	"spdxjson":         "https://spdx.dev/Document",
	"cyclonedx":        "https://cyclonedx.org/bom",
	"vuln":             "https://cosign.sigstore.dev/attestation/vuln/v1",
	"openvex":          "https://openvex.dev/ns",
	"custom":           "https://cosign.sigstore.dev/attestation/v1",
}

// verbPolicy builds the in-memory policy a verify-blob command line means.
func verbPolicy(c *cli.Context, verb string, attestation bool) (*policy.Policy, error) {
	cwd, abs, err := workingDir()
	if err != nil {
		return nil, err
	}
	tr := &policy.TrustRoot{Name: "command-line"}
	if f := c.String("trusted-root"); f != "" {
		tr.TrustedRoot = abs(f)
	}
	// Files that configure trust are usage errors when missing, not
	// verification failures.
	for _, flag := range []string{"trusted-root", "key"} {
		if f := c.String(flag); f != "" {
			if _, err := os.Stat(f); err != nil {
				return nil, exitf(report.ExitUsage, "--%s %s: %v", flag, f, errors.Unwrap(err))
			}
		}
	}
	a := &policy.Artifact{Kind: "blob", Name: c.Args().First(), Attributes: map[string]any{}, Require: 1, TrustRoot: tr.Name}
	if arg := c.Args().First(); looksLikeDigest(arg) {
		if _, err := trust.ParseDigest(arg); err != nil {
			return nil, exitf(report.ExitUsage, "%v", err)
		}
		a.Attributes["digest"] = arg
		if c.String("bundle") == "" && c.String("signature") == "" {
			return nil, exitf(report.ExitUsage, "%s %s: a digest needs --bundle or --signature", verb, arg)
		}
	} else {
		a.Attributes["path"] = abs(arg)
		a.Name = filepath.Base(arg)
	}
	for flag, attr := range map[string]string{"bundle": "bundle", "signature": "signature", "certificate": "certificate", "certificate-chain": "certificate_chain"} {
		if v := c.String(flag); v != "" {
			a.Attributes[attr] = abs(v)
		}
	}
	if c.String("bundle") != "" && c.String("signature") != "" {
		return nil, exitf(report.ExitUsage, "give --bundle or --signature, not both")
	}
	if c.Bool("insecure-ignore-tlog") {
		a.Requirements.IgnoreTlog = true
	}
	if c.Bool("insecure-ignore-sct") {
		zero := 0
		a.Requirements.SCTThreshold = &zero
	}
	if c.Bool("use-signed-timestamps") {
		a.Requirements.TimeSource = "timestamp"
	}
	if attestation {
		pt := c.String("type")
		if pt == "" {
			pt = c.String("predicate-type")
		}
		if full, ok := predicateAliases[pt]; ok {
			pt = full
		}
		att := map[string]any{}
		if pt != "" {
			att["predicate_type"] = pt
		}
		a.Attributes["attestation"] = att
	}
	if k := c.String("key"); k != "" {
		tr.PublicKeys = []string{abs(k)}
		// The key's Rekor entries are verified with public-good's log keys
		// (from the TUF cache when offline), unless the log is ignored.
		tr.WithTUF = tr.TrustedRoot == "" && !c.Bool("insecure-ignore-tlog")
		a.UseKey = true
		if hasIdentityFlags(c) {
			return nil, exitf(report.ExitUsage, "--key verifies a key signature: certificate identity flags do not apply")
		}
	} else {
		id, err := verbIdentity(c)
		if err != nil {
			return nil, err
		}
		a.Identities = []trust.Identity{id}
	}
	return &policy.Policy{File: verb, Dir: cwd, TrustRoots: []*policy.TrustRoot{tr}, Identities: map[string]*policy.Identity{}, Artifacts: []*policy.Artifact{a}}, nil
}

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

func hasIdentityFlags(c *cli.Context) bool {
	for _, f := range []string{"certificate-identity", "certificate-identity-regexp", "certificate-oidc-issuer", "certificate-oidc-issuer-regexp", "owner", "repo", "signer-repo", "signer-workflow"} {
		if c.IsSet(f) {
			return true
		}
	}
	return false
}

// anchor makes a regexp match the whole value, as policies do.
func anchor(re string) string { return policy.AnchorRegexp(re) }

// verbIdentity maps cosign's certificate flags and gh's shorthands to an
// identity. Like cosign, a keyless check needs both a subject and an issuer
// criterion; gh-style flags imply GitHub's issuer.
func verbIdentity(c *cli.Context) (trust.Identity, error) {
	id := trust.Identity{
		Name:          "command-line",
		Subject:       c.String("certificate-identity"),
		SubjectRegexp: anchor(c.String("certificate-identity-regexp")),
		Issuer:        c.String("certificate-oidc-issuer"),
		IssuerRegexp:  anchor(c.String("certificate-oidc-issuer-regexp")),
		Extensions:    map[string]string{},
	}
	for flag, ext := range map[string]string{
		"certificate-github-workflow-repository": "github_workflow_repository",
		"certificate-github-workflow-ref":        "github_workflow_ref",
		"certificate-github-workflow-sha":        "github_workflow_sha",
		"certificate-github-workflow-trigger":    "github_workflow_trigger",
		"certificate-github-workflow-name":       "github_workflow_name",
	} {
		if v := c.String(flag); v != "" {
			id.Extensions[ext] = v
		}
	}
	owner, repo, signerRepo, signerWorkflow := c.String("owner"), c.String("repo"), c.String("signer-repo"), c.String("signer-workflow")
	ghStyle := owner != "" || repo != "" || signerRepo != "" || signerWorkflow != ""
	if ghStyle {
		explicitSAN := id.Subject != "" || id.SubjectRegexp != ""
		if explicitSAN && (signerRepo != "" || signerWorkflow != "") {
			return id, exitf(report.ExitUsage, "--signer-repo/--signer-workflow set the certificate identity: do not combine them with --certificate-identity[-regexp]")
		}
		if id.Issuer == "" && id.IssuerRegexp == "" {
			id.Issuer = policy.GitHubIssuer
		}
		if repo != "" {
			repo = strings.TrimPrefix(strings.TrimPrefix(repo, "https://"), "github.com/")
			if strings.Count(repo, "/") != 1 {
				return id, exitf(report.ExitUsage, "--repo %q: want owner/name", repo)
			}
			id.Extensions["source_repository_uri"] = "https://github.com/" + repo
			owner = strings.SplitN(repo, "/", 2)[0]
		}
		if owner != "" {
			id.Extensions["source_repository_owner_uri"] = "https://github.com/" + owner
		}
		switch {
		case explicitSAN:
			// --certificate-identity says who signed; --repo/--owner only
			// constrain the source repository.
		case signerWorkflow != "":
			wf := strings.TrimPrefix(strings.TrimPrefix(signerWorkflow, "https://"), "github.com/")
			if strings.Contains(wf, "@") {
				id.Subject = "https://github.com/" + wf
			} else {
				id.SubjectRegexp = "^" + regexp.QuoteMeta("https://github.com/"+wf+"@") + ".+$"
			}
		case signerRepo != "":
			signerRepo = strings.TrimPrefix(strings.TrimPrefix(signerRepo, "https://"), "github.com/")
			id.SubjectRegexp = "^" + regexp.QuoteMeta("https://github.com/"+signerRepo+"/") + ".+$"
		case repo != "":
			// gh's default: signed by a workflow of the repository itself.
			id.SubjectRegexp = "^" + regexp.QuoteMeta("https://github.com/"+repo+"/") + ".+$"
		default:
			id.SubjectRegexp = "^" + regexp.QuoteMeta("https://github.com/"+owner+"/") + ".+$"
		}
	}
	if ref := c.String("source-ref"); ref != "" {
		id.Extensions["source_repository_ref"] = ref
	}
	if c.Bool("deny-self-hosted-runners") {
		id.Extensions["runner_environment"] = "github-hosted"
	}
	if id.Subject == "" && id.SubjectRegexp == "" {
		return id, exitf(report.ExitUsage, "--certificate-identity or --certificate-identity-regexp is required for keyless verification (or --key, or gh-style --owner/--repo)")
	}
	if id.Issuer == "" && id.IssuerRegexp == "" {
		return id, exitf(report.ExitUsage, "--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required for keyless verification")
	}
	if err := id.Validate(); err != nil {
		return id, exitf(report.ExitUsage, "%v", err)
	}
	return id, nil
}

// workingDir returns the working directory and a function that makes a
// command-line path absolute against it (URLs and "" unchanged).
func workingDir() (string, func(string) string, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return "", nil, exitf(report.ExitUsage, "%v", err)
	}
	return cwd, func(p string) string {
		if p == "" || filepath.IsAbs(p) || strings.Contains(p, "://") {
			return p
		}
		return filepath.Join(cwd, p)
	}, nil
}
