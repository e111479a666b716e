package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/mattn/go-isatty"
	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/cliflags"
	"github.com/vmafx/vmafx-trust/internal/host"
	"github.com/vmafx/vmafx-trust/internal/options"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/progress"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/internal/termtext"
)

func newApp() *cli.App {
	app := newAppUncached()
	cliflags.CacheNames(app.Commands)
	return app
}

// commandName is how help, usage and errors name the command: as kubectl's
// plugin when kubectl ran it under its plugin name (kubectl-vmafx_trust on
// PATH answers `kubectl vmafx-trust …`), else vmafx-trust.
func commandName(argv0 string) string {
	if strings.HasPrefix(filepath.Base(argv0), "kubectl-") {
		return "kubectl vmafx-trust"
	}
	return "vmafx-trust"
}

func newAppUncached() *cli.App {
	return &cli.App{
		Name:                 commandName(os.Args[0]),
		Usage:                "verify a software release against declared Sigstore signer identities",
		Version:              version,
		EnableBashCompletion: true,
		// urfave/cli's default handler calls os.Exit, skipping deferred
		// cleanup; exit codes are handled in run() instead.
		ExitErrHandler: func(*cli.Context, error) {},

		Commands: []*cli.Command{
			checkCommand(),
			verifyBlobCommand(false), verifyBlobCommand(true),
			pypiCommand(),
			sbomCommand(),
			verifyImageCommand(false), verifyImageCommand(true),
			policyCommand(),
			pluginsCommand(),
			trustedRootCommand(),
			{
				Name:  "version",
				Usage: "print the version",
				Action: func(c *cli.Context) error {
					fmt.Fprintf(c.App.Writer, "%s %s (plugin protocol %d, %s)\n", c.App.Name, version, 1, runtime.Version())
					return nil
				},
			},
		},
	}
}

// runFlags tune how a policy's artifacts are verified.
type runFlags struct {
	Jobs    int
	Timeout time.Duration
}

func (o *runFlags) Flags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: host.DefaultJobs(), Usage: "artifacts verified concurrently", Destination: &o.Jobs},
		&cli.DurationFlag{Name: "timeout", Value: host.DefaultTimeout, Usage: "time limit for one artifact", Destination: &o.Timeout},
	}
}

func checkCommand() *cli.Command {
	var (
		out    options.Output
		run    runFlags
		inputs options.Inputs
		cache  options.Cache
	)
	flags := append(out.Flags(), run.Flags()...)
	flags = append(append(flags, inputs.Flags()...), cache.Flags()...)
	return &cli.Command{
		Name:      "check",
		Usage:     "verify every artifact a policy declares",
		ArgsUsage: "[POLICY] (default policy.hcl)",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return exitf(report.ExitUsage, "check takes one policy file, got %d arguments", c.NArg())
			}
			if err := out.Validate(); err != nil {
				return err
			}
			file := policyFile(c)
			pol, s, err := loadPolicy(c.Context, c.App.ErrWriter, file, &inputs)
			if err != nil {
				return reportPolicyErrors(c.App.Writer, out, file, err)
			}
			defer s.Close()
			if len(pol.Artifacts) == 0 {
				// An emptied or mis-templated policy must not look like success.
				return exitf(report.ExitUsage, "%s declares no artifact: nothing to verify", file)
			}
			return runPolicy(c.Context, c.App.Writer, c.App.ErrWriter, s, pol, verification{
				name: file, out: out, cache: cache, jobs: run.Jobs, timeout: run.Timeout,
			})
		},
	}
}

func policyFile(c *cli.Context) string {
	if f := c.Args().First(); f != "" {
		return f
	}
	return "policy.hcl"
}

// verification is how one command's policy runs and reports.
type verification struct {
	name    string // the policy file, or the verb
	out     options.Output
	cache   options.Cache
	jobs    int
	timeout time.Duration
	// verifiedOK prints cosign's "Verified OK" on success (the verbs).
	verifiedOK bool
}

// isolateBuiltinsEnv, when true, serves each built-in in a process of its
// own (this binary re-executed), as plugins from the plugin path always are.
const isolateBuiltinsEnv = "VMAFX_TRUST_ISOLATE_BUILTINS"

// isolateBuiltins reads isolateBuiltinsEnv; unset or empty is false.
func isolateBuiltins() (bool, error) {
	v := os.Getenv(isolateBuiltinsEnv)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false (1 or 0)", isolateBuiltinsEnv, v)
	}
	return b, nil
}

// startSession starts the plugins a command needs: the built-ins serving
// kinds (every built-in when kinds is nil) and, with custom, every plugin on
// the plugin path, with the policy's pins.
func startSession(ctx context.Context, kinds []string, custom bool, pins map[string]string) (*host.Session, error) {
	opts := host.SessionOptions{
		Builtins: builtins(), Kinds: kinds, AllBuiltins: kinds == nil, Pins: pins,
		OnLaunchError: func(err error) {
			fmt.Fprintln(os.Stderr, "vmafx-trust: error:", termtext.CleanLines(err.Error()))
		},
	}
	if custom {
		opts.PluginDirs = host.PluginDirs()
	}
	isolate, err := isolateBuiltins()
	if err != nil {
		return nil, err
	}
	if isolate {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("locating own executable: %w", err)
		}
		opts.Isolation = &host.Isolation{Executable: exe, Args: []string{servePluginArg}}
	}
	s, err := host.NewSession(ctx, opts)
	var usage *host.UsageError
	if err != nil && !errors.As(err, &usage) {
		return nil, exitf(report.ExitUnchecked, "%v", err)
	}
	return s, err
}

// loadPolicy parses a policy file, starts the plugins it needs (pins first:
// a pinned plugin whose executable does not match never runs) and decodes
// it with their schemas. Diagnostics go to errw.
func loadPolicy(ctx context.Context, errw io.Writer, file string, in *options.Inputs) (*policy.Policy, *host.Session, error) {
	f, diags := policy.Load(file)
	if diags.HasErrors() {
		writeDiags(errw, f, diags)
		return nil, nil, policyFailed(diags)
	}
	pins, diags := f.PluginPins()
	if diags.HasErrors() {
		writeDiags(errw, f, diags)
		return nil, nil, policyFailed(diags)
	}
	// The built-ins the policy's block types name start now, in the
	// background (their schemas are known in process).
	s, err := startSession(ctx, f.BlockTypes(), true, pins)
	if err != nil {
		return nil, nil, err
	}
	pol, diags, err := s.Decode(f, policy.Inputs{Env: os.Environ(), VarFiles: in.VarFiles.Value(), Vars: in.Vars.Value()})
	if err == nil && len(diags) > 0 {
		writeDiags(errw, f, diags)
	}
	if err == nil && diags.HasErrors() {
		err = policyFailed(diags)
	}
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return pol, s, nil
}

// runPolicy verifies an evaluated policy (from a file or built from a
// cosign-style command line) and writes the report.
func runPolicy(ctx context.Context, out, errw io.Writer, s *host.Session, pol *policy.Policy, v verification) error {
	writer, err := report.Lookup(v.out.Format, report.Options{Color: isTerminal(out), Verbose: v.out.Verbose})
	if err != nil {
		return exitf(report.ExitUsage, "--format: %v", err)
	}
	bar := progressBar(v.out.Progress, errw)
	opts := host.RunOptions{Options: host.Options{Jobs: v.jobs, Timeout: v.timeout, Offline: v.cache.Offline}, CacheDir: v.cache.CacheDir}
	if bar != nil {
		opts.Progress = bar
	}
	results, err := s.Run(ctx, pol, opts)
	if bar != nil {
		bar.Close() // the line is erased before the report
	}
	if err != nil {
		return exitf(report.ExitUnchecked, "%v", err)
	}
	doc := report.New(report.Meta{ToolVersion: version, Policy: v.name, GeneratedAt: time.Now()}, results)
	if err := writer.Write(out, doc); err != nil {
		return exitf(report.ExitUnchecked, "writing report: %v", err)
	}
	if ctx.Err() != nil {
		return exitf(report.ExitUnchecked, "interrupted")
	}
	if code := doc.Summary.ExitCode; code != report.ExitOK {
		return exitf(code, "")
	}
	if v.verifiedOK {
		// cosign prints this on success; scripts grep for it.
		fmt.Fprintln(errw, "Verified OK")
	}
	return nil
}

// progressBar returns the bar a run draws on errw, or nil when the mode
// (validated by options.Output) says not to draw one.
func progressBar(mode string, errw io.Writer) *progress.Bar {
	switch mode {
	case "always":
		return progress.New(errw, 0)
	case "auto", "":
		f, ok := errw.(*os.File)
		if !ok || !isatty.IsTerminal(f.Fd()) || os.Getenv("TERM") == "dumb" {
			return nil
		}
		return progress.New(errw, 0)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd()) && os.Getenv("NO_COLOR") == ""
}

func writeDiags(w io.Writer, f *policy.File, diags hcl.Diagnostics) {
	width := uint(100)
	dw := hcl.NewDiagnosticTextWriter(w, f.Files(), width, isTerminal(w))
	for _, d := range diags {
		// A file:line,col line first (editors and CI annotate from it),
		// then hcl's explanation with the snippet.
		if d.Subject != nil {
			sev := "error"
			if d.Severity == hcl.DiagWarning {
				sev = "warning"
			}
			fmt.Fprintf(w, "%s:%d,%d: %s: %s\n", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, sev, d.Summary)
		}
		_ = dw.WriteDiagnostic(d)
	}
}
