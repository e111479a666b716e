package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/options"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/internal/sbomview"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
	"github.com/vmafx/vmafx-trust/plugins/sbom"
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
			kinds := []string{"sbom"}
			if len(pol.Artifacts) > 1 {
				kinds = append(kinds, "image")
			}
			s, err := startSession(c.Context, kinds, false, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			return runPolicy(c.Context, c.App.Writer, c.App.ErrWriter, s, pol, verbRun("sbom verify", o.Output, o.TrustRoot.Cache, true))
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
				return showPlain(c, o, args[0])
			}
			pol, err := o.Policy(args)
			if err != nil {
				return err
			}
			if attrs := pol.Artifacts[len(pol.Artifacts)-1].Attributes; len(pol.Artifacts) > 1 || (attrs["bundle"] == nil && attrs["path"] == nil) {
				return exitf(report.ExitUsage, "sbom show lists an SBOM attestation about a file or digest (--bundle), a signed SBOM file (--sbom) or a plain SBOM file; for an image, use sbom verify")
			}
			s, err := startSession(c.Context, []string{"sbom"}, false, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			var buf bytes.Buffer
			if err := runPolicy(c.Context, &buf, &buf, s, pol, verbRun("sbom show", options.Output{Format: "text", Progress: "never"}, o.TrustRoot.Cache, false)); err != nil {
				_, _ = c.App.ErrWriter.Write(buf.Bytes())
				return err
			}
			return showAttested(c, o, pol.Artifacts[0].Attributes)
		},
	}
}

// showPlain lists a plain SBOM file, verifying nothing.
func showPlain(c *cli.Context, o *options.SBOMVerify, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return exitf(report.ExitUsage, "%v", err)
	}
	defer f.Close()
	doc, err := document.Read(c.Context, f, document.Options{})
	if err != nil {
		return exitf(report.ExitFailed, "%s: %v", path, err)
	}
	fmt.Fprintf(c.App.ErrWriter, "NOT VERIFIED: %s is read as it is; nothing about it is verified (sbom verify checks a signed SBOM)\n", path)
	return writeViews(c, o.Output.Format, []sbomview.View{sbomview.New(doc, false)})
}

// showAttested lists the SBOMs of the bundle the run just verified, or
// the signed SBOM file (--sbom) it verified.
func showAttested(c *cli.Context, o *options.SBOMVerify, attrs map[string]any) error {
	if path, ok := attrs["path"].(string); ok {
		return showSigned(c, o, path)
	}
	var subject trust.Digest
	if d, ok := attrs["digest"].(string); ok {
		subject, _ = trust.ParseDigest(d)
	} else {
		d, err := sdk.DigestFile(c.Context, attrs["file"].(string), "sha256")
		if err != nil {
			return exitf(report.ExitUnchecked, "%v", err)
		}
		subject = trust.Digest{Algorithm: d.Algorithm, Hex: d.Hex}
	}
	bundlePath := attrs["bundle"].(string)
	data, err := sdk.ReadFile(bundlePath, trust.MaxAttestationBundleSize)
	if err != nil {
		return exitf(report.ExitUnchecked, "%s: %v", bundlePath, err)
	}
	docs, err := sbom.ReadAttestations(c.Context, data, subject, document.Options{AllowCosignCustom: o.AllowCosignCustom})
	if err != nil {
		return exitf(report.ExitFailed, "%s: %v", bundlePath, err)
	}
	views := make([]sbomview.View, 0, len(docs))
	for _, d := range docs {
		views = append(views, sbomview.New(d, true))
	}
	fmt.Fprintf(c.App.ErrWriter, "Verified OK: %s (%s)\n", bundlePath, subject)
	return writeViews(c, o.Output.Format, views)
}

// showSigned lists a signed SBOM file the run just verified.
func showSigned(c *cli.Context, o *options.SBOMVerify, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return exitf(report.ExitUnchecked, "%v", err)
	}
	defer f.Close()
	doc, err := document.Read(c.Context, f, document.Options{})
	if err != nil {
		return exitf(report.ExitFailed, "%s: %v", path, err)
	}
	fmt.Fprintf(c.App.ErrWriter, "Verified OK: %s\n", path)
	return writeViews(c, o.Output.Format, []sbomview.View{sbomview.New(doc, true)})
}

func writeViews(c *cli.Context, format string, views []sbomview.View) error {
	var err error
	switch format {
	case "json":
		err = sbomview.WriteJSON(c.App.Writer, views)
	default:
		err = sbomview.WriteText(c.App.Writer, views)
	}
	if err != nil {
		return exitf(report.ExitUnchecked, "%v", err)
	}
	return nil
}
