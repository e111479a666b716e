package main

import (
	"io"
	"os"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/host"
	"github.com/vmafx/vmafx-trust/internal/options"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/plugins/image"
	"github.com/vmafx/vmafx-trust/plugins/pypi"
)

// The cosign-style verbs are command lines over one built-in kind: each
// builds an in-memory policy (internal/options) and runs it through a
// session of that one built-in. No plugin from the plugin path takes part
// (each would cost a process per run, and one serving the same kind would
// take the verb over).

func verifyBlobCommand(attestation bool) *cli.Command {
	o := &options.VerifyBlob{Attestation: attestation}
	name, usage := "verify-blob", "verify a file's Sigstore signature, with cosign's flags"
	if attestation {
		name, usage = "verify-blob-attestation", "verify an in-toto attestation about a file, with cosign's flags"
	}
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		ArgsUsage: "FILE | sha256:<hex>",
		Flags:     o.Flags(),
		Action: func(c *cli.Context) error {
			pol, err := o.Policy(name, c.Args().Slice())
			if err != nil {
				return err
			}
			return runVerb(c, pol, verbRun(name, o.Output, o.TrustRoot.Cache, true))
		},
	}
}

// verifyImageCommand is cosign's `verify IMAGE…` (attestation false) or
// `verify-attestation IMAGE…`.
func verifyImageCommand(attestation bool) *cli.Command {
	o := &options.VerifyImage{Attestation: attestation}
	name, usage := "verify", "verify container images' signatures, with cosign's flags (every platform with --all-platforms)"
	if attestation {
		name, usage = "verify-attestation", "verify in-toto attestations attached to container images, with cosign's flags"
	}
	// Credentials reach the image plugin through the environment (its
	// process's, when built-ins are isolated), never through the policy or
	// the report.
	creds := []struct{ flag, env, usage string }{
		{"registry-token", image.EnvRegistryToken, "bearer token for the registries (default: Docker config keychain)"},
		{"registry-username", image.EnvRegistryUsername, "username for the registries"},
		{"registry-password", image.EnvRegistryPassword, "password for the registries"},
	}
	flags := o.Flags()
	for _, cr := range creds {
		flags = append(flags, &cli.StringFlag{Name: cr.flag, Usage: cr.usage, EnvVars: []string{cr.env}})
	}
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		ArgsUsage: "IMAGE… (registry/repo:tag, registry/repo@sha256:…, oci-layout://DIR[@sha256:…])",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			pol, err := o.Policy(name, c.Args().Slice())
			if err != nil {
				return err
			}
			for _, cr := range creds {
				if v := c.String(cr.flag); v != "" {
					if err := os.Setenv(cr.env, v); err != nil {
						return exitf(report.ExitUsage, "%v", err)
					}
				}
			}
			return runVerb(c, pol, verbRun(name, o.Output, o.TrustRoot.Cache, true))
		},
	}
}

// pypiCommand is `pypi verify`: a release on an index, local files, or a
// file by name and sha256, against a Trusted Publisher.
func pypiCommand() *cli.Command {
	o := &options.PyPIVerify{}
	return &cli.Command{
		Name:  "pypi",
		Usage: "verify Python releases' PEP 740 attestations",
		Subcommands: []*cli.Command{{
			Name: "verify",
			Usage: "verify every file of a release on an index (NAME==VERSION), local distribution files, or files by name and sha256, " +
				"against the Trusted Publisher that must have published them",
			ArgsUsage: "NAME==VERSION | FILE… | --name FILENAME --sha256 HEX",
			Flags:     o.Flags(pypi.DefaultIndex),
			Action: func(c *cli.Context) error {
				pol, err := o.Policy(c.Args().Slice(), pypi.DistributionName)
				if err != nil {
					return err
				}
				return runVerb(c, pol, verbRun("pypi verify", o.Output, o.TrustRoot.Cache, false))
			},
		}},
	}
}

func verbRun(name string, out options.Output, cache options.Cache, verifiedOK bool) verification {
	return verification{name: name, out: out, cache: cache, jobs: host.DefaultJobs(), timeout: host.DefaultTimeout, verifiedOK: verifiedOK}
}

// runVerb runs a verb's policy through a session of the built-ins serving
// its kinds, reporting to the command's writers.
func runVerb(c *cli.Context, pol *policy.Policy, v verification) error {
	return runVerbTo(c, c.App.Writer, c.App.ErrWriter, pol, v)
}

func runVerbTo(c *cli.Context, out, errw io.Writer, pol *policy.Policy, v verification) error {
	var kinds []string
	for _, a := range pol.Artifacts {
		if !slices.Contains(kinds, a.Kind) {
			kinds = append(kinds, a.Kind)
		}
	}
	s, err := startSession(c.Context, kinds, false, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	return runPolicy(c.Context, out, errw, s, pol, v)
}
