package main

import (
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/host"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/plugins/image"
)

// verifyImageCommand is cosign's `verify IMAGE…` (attestation false) or
// `verify-attestation IMAGE…`, with cosign's flag names: the command line
// becomes an in-memory policy of image artifacts, run like `check`.
func verifyImageCommand(attestation bool) *cli.Command {
	name, usage := "verify", "verify container images' signatures, with cosign's flags (every platform with --all-platforms)"
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "platform", Usage: "verify the index and these platforms (os/arch[/variant], comma-separated)"},
		&cli.BoolFlag{Name: "all-platforms", Usage: "verify the index and every platform manifest it lists, one report row each"},
		&cli.BoolFlag{Name: "allow-http-registry", Usage: "allow plain HTTP to the registry (loopback registries need no flag)"},
		&cli.BoolFlag{Name: "allow-insecure-registry", Usage: "allow plain HTTP and TLS without certificate verification"},
		&cli.BoolFlag{Name: "allow-reference-mismatch", Usage: "accept legacy signatures made for another repository (the digest must still match)"},
		&cli.BoolFlag{Name: "require-digest", Usage: "fail unless every IMAGE is pinned by digest"},
		&cli.StringFlag{Name: "github-repository", Usage: "also read attestations from GitHub's attestation API for owner/name (token: GH_TOKEN or GITHUB_TOKEN)"},
		&cli.StringFlag{Name: "registry-token", Usage: "bearer token for the registries (default: Docker config keychain)", EnvVars: []string{image.EnvRegistryToken}},
		&cli.StringFlag{Name: "registry-username", Usage: "username for the registries", EnvVars: []string{image.EnvRegistryUsername}},
		&cli.StringFlag{Name: "registry-password", Usage: "password for the registries", EnvVars: []string{image.EnvRegistryPassword}},
	}, identityFlags...)
	if attestation {
		name, usage = "verify-attestation", "verify in-toto attestations attached to container images, with cosign's flags"
		flags = append(flags,
			&cli.StringSliceFlag{Name: "type", Usage: "required predicate type (URI or cosign short name: slsaprovenance, slsaprovenance1, spdxjson, cyclonedx, …); repeatable; none: any attestation"},
			&cli.StringSliceFlag{Name: "predicate-type", Usage: "alias of --type"},
		)
	}
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		ArgsUsage: "IMAGE… (registry/repo:tag, registry/repo@sha256:…, oci-layout://DIR[@sha256:…])",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return exitf(report.ExitUsage, "%s takes at least one IMAGE", name)
			}
			pol, err := imagePolicy(c, name, attestation)
			if err != nil {
				return err
			}
			// Credentials reach the image plugin through the environment
			// (its process's, when built-ins are isolated), never through
			// the policy or the report.
			for flag, env := range map[string]string{"registry-token": image.EnvRegistryToken, "registry-username": image.EnvRegistryUsername, "registry-password": image.EnvRegistryPassword} {
				if v := c.String(flag); v != "" {
					if err := os.Setenv(env, v); err != nil {
						return exitf(report.ExitUsage, "%v", err)
					}
				}
			}
			s, err := startVerbSession(c.Context, "image")
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

// imagePolicy builds the in-memory policy of an image verb. The trust root,
// identity or key and verification requirements are exactly verify-blob's
// (verbPolicy); the artifacts are images.
func imagePolicy(c *cli.Context, verb string, attestation bool) (*policy.Policy, error) {
	pol, err := verbPolicy(c, verb, false)
	if err != nil {
		return nil, err
	}
	base := pol.Artifacts[0]
	attrs := map[string]any{}
	switch {
	case c.Bool("all-platforms") && c.String("platform") != "":
		return nil, exitf(report.ExitUsage, "give --platform or --all-platforms, not both")
	case c.Bool("all-platforms"):
		attrs["platforms"] = "all"
	case c.String("platform") != "":
		attrs["platforms"] = c.String("platform")
	}
	if c.Bool("allow-http-registry") || c.Bool("allow-insecure-registry") {
		attrs["insecure"] = true
	}
	if c.Bool("allow-reference-mismatch") {
		attrs["allow_reference_mismatch"] = true
	}
	if c.Bool("require-digest") {
		attrs["require_digest"] = true
	}
	if r := c.String("github-repository"); r != "" {
		attrs["github_repository"] = r
	}
	if attestation {
		// cosign verify-attestation checks attestations, not signatures.
		attrs["signature"] = false
		var types []any
		for _, t := range append(c.StringSlice("type"), c.StringSlice("predicate-type")...) {
			for _, one := range strings.Split(t, ",") {
				if one = strings.TrimSpace(one); one != "" {
					if full, ok := predicateAliases[one]; ok {
						one = full
					}
					types = append(types, one)
				}
			}
		}
		if len(types) > 0 {
			attrs["attestations"] = types
		}
	}
	pol.Artifacts = nil
	for _, ref := range c.Args().Slice() {
		a := &policy.Artifact{
			Kind: "image", Name: ref, Attributes: map[string]any{"ref": ref},
			Identities: base.Identities, Require: base.Require, TrustRoot: base.TrustRoot,
			UseKey: base.UseKey, Requirements: base.Requirements,
		}
		for k, v := range attrs {
			a.Attributes[k] = v
		}
		pol.Artifacts = append(pol.Artifacts, a)
	}
	return pol, nil
}
