package main

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/options"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/internal/sbomview"
)

// sbomCommand is `sbom verify` and `sbom show`.
func sbomCommand() *cli.Command {
	return &cli.Command{
		Name:        "sbom",
		Usage:       "verify SBOMs (signature, binding to the artifact, content) and list their components",
		Subcommands: []*cli.Command{sbomVerifyCommand(), sbomShowCommand()},
	}
}

func sbomVerifyCommand() *cli.Command {
	o := &options.SBOMVerify{}
	return &cli.Command{
		Name:      "verify",
		Usage:     "verify the SBOM attestations of an image, an SBOM attestation about a file or digest (--bundle), or an SBOM file signed as a blob (--sbom)",
		ArgsUsage: "IMAGE | FILE | sha256:<hex>",
		Flags:     o.Flags(),
		Action: func(c *cli.Context) error {
			pol, err := o.Policy(c.Args().Slice())
			if err != nil {
				return err
			}
			return runVerb(c, pol, verbRun("sbom verify", o.Output, o.TrustRoot.Cache, true))
		},
	}
}

// sbomShowCommand lists an SBOM's components: of an SBOM attestation about
// a file or digest once it verifies, or of a plain SBOM file, which it
// says is not verified.
func sbomShowCommand() *cli.Command {
	o := &options.SBOMVerify{}
	return &cli.Command{
		Name:      "show",
		Usage:     "list an SBOM's components and licences: an SBOM attestation about FILE or sha256:<hex> (--bundle, verified first), or a plain SBOM file (not verified)",
		ArgsUsage: "FILE --bundle B | sha256:<hex> --bundle B | SBOMFILE",
		Flags:     o.Flags(),
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			if o.Bundle == "" && o.SBOM == "" {
				if len(args) != 1 {
					return exitf(report.ExitUsage, "sbom show takes one SBOM file, or FILE | sha256:<hex> with --bundle")
				}
				return show(c, o.Output.Format, sbomview.Source{Path: args[0]}, false)
			}
			pol, err := o.Policy(args)
			if err != nil {
				return err
			}
			if attrs := pol.Artifacts[len(pol.Artifacts)-1].Attributes; len(pol.Artifacts) > 1 || (attrs["bundle"] == nil && attrs["path"] == nil) {
				return exitf(report.ExitUsage, "sbom show lists an SBOM attestation about a file or digest (--bundle), a signed SBOM file (--sbom) or a plain SBOM file; for an image, use sbom verify")
			}
			var buf bytes.Buffer
			if err := runVerbTo(c, &buf, &buf, pol, verbRun("sbom show", options.Output{Format: "text", Progress: "never"}, o.TrustRoot.Cache, false)); err != nil {
				_, _ = c.App.ErrWriter.Write(buf.Bytes())
				return err
			}
			return show(c, o.Output.Format, sbomview.SourceOf(pol.Artifacts[0].Attributes), true)
		},
	}
}

// show lists the SBOMs of src; a run verified them, or nothing did, which
// it says.
func show(c *cli.Context, format string, src sbomview.Source, verified bool) error {
	views, err := sbomview.Load(c.Context, src, verified)
	switch {
	case errors.Is(err, sbomview.ErrUnreadable):
		return exitf(report.ExitUnchecked, "%v", err)
	case err != nil:
		return exitf(report.ExitFailed, "%v", err)
	case verified:
		fmt.Fprintln(c.App.ErrWriter, "Verified OK")
	default:
		fmt.Fprintf(c.App.ErrWriter, "NOT VERIFIED: %s is read as it is; nothing about it is verified (sbom verify checks a signed SBOM)\n", src.Path)
	}
	if err := sbomview.Write(c.App.Writer, format, views); err != nil {
		return exitf(report.ExitUnchecked, "%v", err)
	}
	return nil
}
