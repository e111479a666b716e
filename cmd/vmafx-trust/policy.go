package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/options"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

func policyCommand() *cli.Command {
	return &cli.Command{
		Name:        "policy",
		Usage:       "validate or format policies",
		Subcommands: []*cli.Command{policyValidateCommand(), policySchemaCommand(), policyFmtCommand()},
	}
}

func policyValidateCommand() *cli.Command {
	var (
		inputs options.Inputs
		cache  options.Cache
	)
	return &cli.Command{
		Name:      "validate",
		Usage:     "check a policy (syntax, schema, references, variables) without verifying anything",
		ArgsUsage: "[POLICY]",
		Flags:     append(inputs.Flags(), cache.Flags()...),
		Action: func(c *cli.Context) error {
			file := policyFile(c)
			pol, s, err := loadPolicy(c.Context, c.App.ErrWriter, file, &inputs)
			if err != nil {
				return err
			}
			s.Close()
			fmt.Fprintf(c.App.Writer, "%s: valid (%d artifacts, %d identities, %d trust roots)\n", file, len(pol.Artifacts), len(pol.Identities), len(pol.TrustRoots))
			return nil
		},
	}
}

func policySchemaCommand() *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "print the artifact kinds' schemas: the generated part of docs/policy.md, or JSON",
		Flags: []cli.Flag{&cli.StringFlag{Name: "format", Value: "markdown", Usage: "markdown or json"}},
		Action: func(c *cli.Context) error {
			s, err := startSession(c.Context, nil, true, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			var kinds []sdk.KindSchema
			for _, k := range s.Plugins().Schemas() {
				kinds = append(kinds, k)
			}
			switch c.String("format") {
			case "markdown":
				fmt.Fprint(c.App.Writer, policy.MarkdownReference(kinds))
			case "json":
				sort.Slice(kinds, func(i, j int) bool { return kinds[i].Kind < kinds[j].Kind })
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"host_attributes": policy.HostAttributes(), "kinds": kinds})
			default:
				return exitf(report.ExitUsage, "--format %q: want markdown or json", c.String("format"))
			}
			return nil
		},
	}
}

func policyFmtCommand() *cli.Command {
	return &cli.Command{
		Name:      "fmt",
		Usage:     "rewrite policies in canonical HCL style",
		ArgsUsage: "[POLICY…]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "check", Usage: "write nothing; exit 1 if a file is not formatted"},
			&cli.BoolFlag{Name: "diff", Usage: "print the formatted file instead of writing it"},
		},
		Action: func(c *cli.Context) error {
			files := c.Args().Slice()
			if len(files) == 0 {
				files = []string{"policy.hcl"}
			}
			unformatted := 0
			for _, file := range files {
				changed, err := formatFile(c.App.Writer, file, c.Bool("check"), c.Bool("diff"))
				if err != nil {
					return exitf(report.ExitUsage, "%v", err)
				}
				if changed {
					unformatted++
					fmt.Fprintln(c.App.ErrWriter, file)
				}
			}
			if c.Bool("check") && unformatted > 0 {
				return exitf(report.ExitFailed, "%d file(s) need formatting", unformatted)
			}
			return nil
		},
	}
}

func formatFile(out io.Writer, file string, check, diff bool) (bool, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return false, err
	}
	if _, diags := hclwriteParse(src, file); diags.HasErrors() {
		return false, fmt.Errorf("%s: %s", file, diags.Error())
	}
	formatted := hclwrite.Format(src)
	changed := string(formatted) != string(src)
	switch {
	case diff:
		_, err = out.Write(formatted)
	case check || !changed:
	default:
		err = os.WriteFile(file, formatted, 0o644)
	}
	return changed, err
}

func hclwriteParse(src []byte, file string) (*hclwrite.File, hcl.Diagnostics) {
	return hclwrite.ParseConfig(src, file, hcl.InitialPos)
}
