package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/internal/trustroot"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

func pluginsCommand() *cli.Command {
	return &cli.Command{
		Name:        "plugins",
		Usage:       "list and describe verifier plugins",
		Subcommands: []*cli.Command{pluginsListCommand(), pluginsDescribeCommand()},
	}
}

func pluginsListCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list the built-in plugins and those found on the plugin path",
		Action: func(c *cli.Context) error {
			s, err := startSession(c.Context, nil, true, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "PLUGIN\tVERSION\tKINDS\tSOURCE")
			for _, p := range s.Plugins().Plugins {
				var kinds []string
				for _, k := range p.Info.Kinds {
					kinds = append(kinds, k.Kind)
				}
				src := p.Source.Path
				switch {
				case p.Source.Builtin && p.Source.InProcess != nil:
					src = "built-in (in process)"
				case p.Source.Builtin:
					src = "built-in (own process)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name(), p.Info.Version, strings.Join(kinds, ","), src)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if errs := s.LaunchErrors(); len(errs) > 0 {
				return exitf(report.ExitUnchecked, "%d plugin(s) could not be started (see above)", len(errs))
			}
			return nil
		},
	}
}

func pluginsDescribeCommand() *cli.Command {
	return &cli.Command{
		Name:      "describe",
		Usage:     "show a plugin's artifact kinds and their attributes",
		ArgsUsage: "NAME",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return exitf(report.ExitUsage, "plugins describe takes one plugin name")
			}
			s, err := startSession(c.Context, nil, true, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			p := s.Plugins().Find(c.Args().First())
			if p == nil {
				return exitf(report.ExitUsage, "no plugin named %q (see vmafx-trust plugins list)", c.Args().First())
			}
			describePlugin(c.App.Writer, p.Name(), p.Info)
			return nil
		},
	}
}

func describePlugin(w io.Writer, name string, info sdk.Info) {
	var hostOwned []string
	for _, a := range policy.HostAttributes() {
		hostOwned = append(hostOwned, a.Name)
	}
	for _, b := range policy.HostBlocks() {
		hostOwned = append(hostOwned, b+" {}")
	}
	fmt.Fprintf(w, "plugin %s %s (protocol %v)\n", name, info.Version, info.ProtocolVersions)
	for _, k := range info.Kinds {
		fmt.Fprintf(w, "\nkind %q: %s\n", k.Kind, k.Description)
		writeAttrs(w, "  ", k.Attributes)
		fmt.Fprintf(w, "  (every kind also takes: %s)\n", strings.Join(hostOwned, ", "))
		for _, b := range k.Blocks {
			fmt.Fprintf(w, "  block %s: %s\n", b.TypeName, b.Description)
			writeAttrs(w, "    ", b.Attributes)
		}
	}
}

func writeAttrs(w io.Writer, indent string, attrs []sdk.Attribute) {
	for _, a := range attrs {
		req := "optional"
		if a.Required {
			req = "required"
		}
		fmt.Fprintf(w, "%s%-12s %-13s %-8s %s\n", indent, a.Name, a.Type, req, a.Description)
	}
}

func trustedRootCommand() *cli.Command {
	mirrorFlags := []cli.Flag{
		&cli.StringFlag{Name: "tuf-mirror", Usage: "custom TUF repository URL (with --tuf-root)"},
		&cli.StringFlag{Name: "tuf-root", Usage: "initial root.json of the custom TUF repository"},
		&cli.StringFlag{Name: "cache-dir", Usage: "TUF cache directory", EnvVars: []string{"VMAFX_TRUST_CACHE_DIR"}},
	}
	return &cli.Command{
		Name:  "trusted-root",
		Usage: "fetch and inspect Sigstore trusted roots",
		Subcommands: []*cli.Command{
			{
				Name:  "fetch",
				Usage: "refresh the TUF cache (public-good by default) and print the trusted root JSON",
				Flags: append(mirrorFlags, &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to a file instead of stdout"}),
				Action: func(c *cli.Context) error {
					data, err := trustroot.Fetch(c.Context, c.String("tuf-mirror"), c.String("tuf-root"), trustroot.Options{CacheDir: c.String("cache-dir")})
					if err != nil {
						return exitf(report.ExitUnchecked, "%v", err)
					}
					if o := c.String("output"); o != "" {
						return os.WriteFile(o, data, 0o644)
					}
					_, err = c.App.Writer.Write(data)
					return err
				},
			},
			{
				Name:      "show",
				Usage:     "summarise a trusted root: a file, or the cached public-good root",
				ArgsUsage: "[trusted_root.json]",
				Flags:     append(mirrorFlags, &cli.BoolFlag{Name: "offline", Usage: "use only the cache"}),
				Action: func(c *cli.Context) error {
					spec := trustroot.Spec{Name: "public-good", TUFMirror: c.String("tuf-mirror"), TUFRoot: c.String("tuf-root")}
					if f := c.Args().First(); f != "" {
						spec = trustroot.Spec{Name: f, TrustedRoot: f}
					}
					tr, err := trustroot.Load(c.Context, spec, trustroot.Options{Offline: c.Bool("offline"), CacheDir: c.String("cache-dir")})
					if err != nil {
						return exitf(report.ExitUnchecked, "%v", err)
					}
					text, err := trustroot.Describe(tr.TrustedRootJSON)
					if err != nil {
						return exitf(report.ExitFailed, "%v", err)
					}
					fmt.Fprint(c.App.Writer, text)
					return nil
				},
			},
		},
	}
}
