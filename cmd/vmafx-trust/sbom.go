package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/host"
	"github.com/vmafx/vmafx-trust/internal/options"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/internal/sbomview"
	"github.com/vmafx/vmafx-trust/internal/trustroot"
	"github.com/vmafx/vmafx-trust/plugins/image"
	"github.com/vmafx/vmafx-trust/plugins/sbom/document"
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
		Usage:     "list an SBOM's components and licences: an image's SBOM attestations (IMAGE@sha256:…), an SBOM attestation about FILE or sha256:<hex> (--bundle), a signed SBOM file (--sbom), each verified first; or a plain SBOM file (not verified)",
		ArgsUsage: "IMAGE@sha256:<hex> | FILE --bundle B | sha256:<hex> --bundle B | --sbom SBOMFILE | SBOMFILE",
		Flags:     o.Flags(),
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			if o.Bundle == "" && o.SBOM == "" && len(args) == 1 {
				if _, err := os.Stat(args[0]); err == nil {
					return show(c, o.Output.Format, sbomview.Source{Path: args[0]}, false)
				}
			}
			pol, err := o.Policy(args)
			if err != nil {
				return err
			}
			if len(pol.Artifacts) > 1 && !strings.Contains(args[0], "@sha256:") {
				return exitf(report.ExitUsage, "sbom show %s: name the image by digest (repo@sha256:…, as sbom verify -v reports it), so that what is listed is what was verified", args[0])
			}
			var buf bytes.Buffer
			if err := runVerbTo(c, &buf, &buf, pol, verbRun("sbom show", options.Output{Format: "text", Progress: "never"}, o.TrustRoot.Cache, false)); err != nil {
				_, _ = c.App.ErrWriter.Write(buf.Bytes())
				return err
			}
			if len(pol.Artifacts) > 1 {
				return showImage(c, o, pol)
			}
			return show(c, o.Output.Format, sbomview.SourceOf(pol.Artifacts[0].Attributes), true)
		},
	}
}

// showImage lists the SBOMs of the image the run just verified, as the
// image plugin finds and verifies them for the sbom block's signer.
func showImage(c *cli.Context, o *options.SBOMVerify, pol *policy.Policy) error {
	img, sb := pol.Artifacts[0], pol.Artifacts[1]
	req, err := host.RequestFor(c.Context, pol, sb, trustroot.Options{Offline: o.TrustRoot.Cache.Offline, CacheDir: o.TrustRoot.Cache.CacheDir})
	if err != nil {
		return exitf(report.ExitUnchecked, "%v", err)
	}
	q := image.AttestationQuery{Ref: img.Attributes["ref"].(string), PredicateTypes: []string{document.PredicateSPDX, document.PredicateCycloneDX, document.PredicateCycloneDXLegacy}}
	q.Platforms, _ = img.Attributes["platforms"].(string)
	q.Insecure, _ = img.Attributes["insecure"].(bool)
	q.GitHubRepository, _ = img.Attributes["github_repository"].(string)
	if o.AllowCosignCustom {
		q.PredicateTypes = append(q.PredicateTypes, document.PredicateCosignCustom)
	}
	views, err := sbomview.LoadImage(c.Context, image.New(), req, q, o.AllowCosignCustom)
	if err != nil {
		return exitf(report.ExitFailed, "%v", err)
	}
	fmt.Fprintln(c.App.ErrWriter, "Verified OK")
	if err := sbomview.Write(c.App.Writer, o.Output.Format, views); err != nil {
		return exitf(report.ExitUnchecked, "%v", err)
	}
	return nil
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
