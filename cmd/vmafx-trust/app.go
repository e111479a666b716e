package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/mattn/go-isatty"
	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/host"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/progress"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/internal/termtext"
	"github.com/vmafx/vmafx-trust/internal/trustroot"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

func newApp() *cli.App {
	app := newAppUncached()
	withCachedNames(app.Commands)
	return app
}

func newAppUncached() *cli.App {
	name := "vmafx-trust"
	if strings.HasPrefix(filepath.Base(os.Args[0]), "kubectl-") {
		name = "kubectl vmafx-trust"
	}
	return &cli.App{
		Name:                 name,
		Usage:                "verify a software release against declared Sigstore signer identities",
		Version:              version,
		EnableBashCompletion: true,
		// urfave/cli's default handler calls os.Exit, skipping deferred
		// cleanup; exit codes are handled in run() instead.
		ExitErrHandler: func(*cli.Context, error) {},

		Commands: []*cli.Command{
			checkCommand(),
			verifyBlobCommand(false),
			verifyBlobCommand(true),
			pypiCommand(),
			verifyImageCommand(false), verifyImageCommand(true),
			policyCommand(),
			pluginsCommand(),
			trustedRootCommand(),
			{
				Name:  "version",
				Usage: "print the version",
				Action: func(c *cli.Context) error {
					fmt.Fprintf(c.App.Writer, "vmafx-trust %s (plugin protocol %d, %s)\n", version, 1, runtime.Version())
					return nil
				},
			},
		},
	}
}

var runFlags = []cli.Flag{
	&cli.StringSliceFlag{Name: "var", Usage: "set a policy variable: --var name=value (repeatable)"},
	&cli.StringSliceFlag{Name: "var-file", Usage: "read policy variables from an HCL file (repeatable)"},
	&cli.BoolFlag{Name: "offline", Usage: "make no network requests: trust roots from cache or files only", EnvVars: []string{"VMAFX_TRUST_OFFLINE"}},
	&cli.StringFlag{Name: "cache-dir", Usage: "TUF cache directory (default: the user cache dir)", EnvVars: []string{"VMAFX_TRUST_CACHE_DIR"}},
}

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "verify every artifact a policy declares",
		ArgsUsage: "[POLICY] (default policy.hcl)",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"o"}, Value: "text", Usage: "report format: text or json"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: host.DefaultJobs(), Usage: "artifacts verified concurrently"},
			&cli.DurationFlag{Name: "timeout", Value: host.DefaultTimeout, Usage: "time limit for one artifact"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list every check of every artifact"},
			progressFlag,
		}, runFlags...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return exitf(report.ExitUsage, "check takes one policy file, got %d arguments", c.NArg())
			}
			file := c.Args().First()
			if file == "" {
				file = "policy.hcl"
			}
			format := c.String("format")
			if format != "text" && format != "json" {
				return exitf(report.ExitUsage, "--format %q: want text or json", format)
			}
			return runCheck(c.Context, c.App.Writer, c.App.ErrWriter, checkConfig{
				file: file, format: format, jobs: c.Int("jobs"), timeout: c.Duration("timeout"), verbose: c.Bool("verbose"),
				inputs:  policy.Inputs{Env: os.Environ(), VarFiles: c.StringSlice("var-file"), Vars: c.StringSlice("var")},
				offline: c.Bool("offline"), cacheDir: c.String("cache-dir"), progress: c.String("progress"),
			})
		},
	}
}

type checkConfig struct {
	file     string
	format   string
	jobs     int
	timeout  time.Duration
	verbose  bool
	inputs   policy.Inputs
	offline  bool
	cacheDir string
	// verifiedOK prints cosign's "Verified OK" on success (the verbs).
	verifiedOK bool
	// progress is when large downloads are shown: auto, always or never.
	progress string
}

// progressFlag sets checkConfig.progress.
var progressFlag = &cli.StringFlag{
	Name: "progress", Value: "auto", EnvVars: []string{"VMAFX_TRUST_PROGRESS"},
	Usage: "show large downloads as a progress bar on stderr: auto (when stderr is a terminal), always or never",
}

// progressBar returns the bar a run draws on errw, or nil when the mode
// says not to draw one.
func progressBar(mode string, errw io.Writer) (*progress.Bar, error) {
	switch mode {
	case "never":
		return nil, nil
	case "always":
		return progress.New(errw, 0), nil
	case "auto", "":
		f, ok := errw.(*os.File)
		if !ok || !isatty.IsTerminal(f.Fd()) || os.Getenv("TERM") == "dumb" {
			return nil, nil
		}
		return progress.New(errw, 0), nil
	}
	return nil, exitf(report.ExitUsage, "--progress %q: want auto, always or never", mode)
}

// session is a run's plugins; Close kills them.
type session struct {
	plugins    *host.Set
	launchErrs []error
	// pending is a launch of built-ins still under way (startSession,
	// startVerbSession): their start-up overlaps decoding the policy and
	// loading its trust roots. ready joins it; Close kills what it started.
	pending <-chan launched
}

type launched struct {
	set  *host.Set
	errs []error
}

// ready waits for a pending launch, adds its plugins to the session and
// reports the ones that could not start.
func (s *session) ready() {
	if s.pending == nil {
		return
	}
	l := <-s.pending
	s.pending = nil
	errs := append(l.errs, s.plugins.Merge(l.set)...)
	s.launchErrs = append(s.launchErrs, errs...)
	for _, e := range errs {
		fmt.Fprintln(os.Stderr, "vmafx-trust: error:", termtext.CleanLines(e.Error()))
	}
}

// Close kills the session's plugins, those of a pending launch included.
func (s *session) Close() {
	if s.pending != nil {
		l := <-s.pending
		s.pending = nil
		l.set.Kill()
	}
	s.plugins.Kill()
}

// startSession launches the plugins on the plugin path (they must be started
// to learn their kinds) and, in the background, the built-ins serving kinds:
// the run joins those (session.ready) after loading its trust roots, which
// their start-up overlaps.
func startSession(ctx context.Context, kinds []string, pins map[string]string) (*session, error) {
	custom, err := customSources(pins)
	if err != nil {
		return nil, err
	}
	pending, err := launchBuiltins(ctx, kinds)
	if err != nil {
		return nil, err
	}
	s, err := startPlugins(ctx, []string{}, custom)
	if err != nil {
		if pending != nil {
			(<-pending).set.Kill()
		}
		return nil, err
	}
	s.pending = pending
	return s, nil
}

// startVerbSession starts, in the background, only the built-in serving
// kind. The cosign-compatible verbs are command lines over the built-in
// kinds: no plugin from the plugin path takes part in them, so none is
// looked for or started (each would cost a process per run, and one serving
// the same kind would take it over).
func startVerbSession(ctx context.Context, kind string) (*session, error) {
	pending, err := launchBuiltins(ctx, []string{kind})
	if err != nil {
		return nil, err
	}
	return &session{plugins: &host.Set{}, pending: pending}, nil
}

// launchBuiltins starts, in the background, the built-ins that serve any of
// kinds; nil when none does.
func launchBuiltins(ctx context.Context, kinds []string) (<-chan launched, error) {
	want := map[string]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	sources, err := builtinSources(want)
	if err != nil || len(sources) == 0 {
		return nil, err
	}
	ch := make(chan launched, 1)
	go func() {
		set, errs := host.LaunchAll(ctx, sources)
		ch <- launched{set: set, errs: errs}
	}()
	return ch, nil
}

// isolateBuiltinsEnv, when true, serves each built-in in a process of its
// own (this binary re-executed), as plugins from the plugin path always are.
// By default built-ins are served inside the host process: the same plugin
// protocol's calls and messages, without a connection or a second process
// to start (docs/architecture.md, "Where plugins run").
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

// builtinSources are the built-ins serving one of want (all of them when
// want is nil): in process, or as re-executions of this binary when
// isolateBuiltinsEnv says so.
func builtinSources(want map[string]bool) ([]host.Source, error) {
	isolate, err := isolateBuiltins()
	if err != nil {
		return nil, err
	}
	exe := ""
	if isolate {
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("locating own executable: %w", err)
		}
	}
	var sources []host.Source
	for _, name := range sortedBuiltins() {
		newVerifier := builtins()[name]
		if want != nil && !servesAny(newVerifier().Info(), want) {
			continue
		}
		if isolate {
			sources = append(sources, host.Builtin(name, exe, servePluginArg, name))
		} else {
			sources = append(sources, host.BuiltinInProcess(name, newVerifier))
		}
	}
	return sources, nil
}

// startPlugins launches every plugin on the plugin path and the built-ins
// that serve one of kinds (all of them when kinds is nil). Built-ins ship in
// this binary, so their schemas are known without starting them: a run
// starts only the ones its policy uses. custom are the plugins found on the
// plugin path (customSources).
func startPlugins(ctx context.Context, kinds []string, custom []host.Source) (*session, error) {
	var want map[string]bool
	if kinds != nil {
		want = map[string]bool{}
		for _, k := range kinds {
			want[k] = true
		}
	}
	sources, err := builtinSources(want)
	if err != nil {
		return nil, err
	}
	sources = append(sources, custom...)
	set, errs := host.LaunchAll(ctx, sources)
	s := &session{plugins: set, launchErrs: errs}
	// A plugin that cannot start only matters if the policy needs its kind:
	// report it and go on with the others (a block of a kind nobody serves
	// is then a policy error, right after this message).
	for _, e := range errs {
		fmt.Fprintln(os.Stderr, "vmafx-trust: error:", termtext.CleanLines(e.Error()))
	}
	if len(set.Plugins) == 0 && kinds == nil {
		s.Close()
		return nil, fmt.Errorf("no verifier plugin could be started")
	}
	return s, nil
}

// pinError is a plugin block that cannot apply: a policy error.
type pinError struct{ msg string }

func (e *pinError) Error() string { return e.msg }

// startAllPlugins starts every built-in and every plugin on the plugin
// path, for commands that read no policy.
func startAllPlugins(ctx context.Context) (*session, error) {
	custom, err := customSources(nil)
	if err != nil {
		return nil, err
	}
	return startPlugins(ctx, nil, custom)
}

// customSources are the plugins on the plugin path, with the policy's pins
// (plugin name → sha256; nil for none) applied before any plugin starts: a
// pin that does not hold stops the run.
func customSources(pins map[string]string) ([]host.Source, error) {
	return pinSources(host.Discover(host.PluginDirs()), pins)
}

func pinSources(found []host.Source, pins map[string]string) ([]host.Source, error) {
	matched := map[string]bool{}
	for i, src := range found {
		h, ok := pins[src.Name]
		if !ok {
			continue
		}
		pinned, err := host.Pin(src, h)
		if err != nil {
			return nil, &pinError{err.Error()}
		}
		found[i] = pinned
		matched[src.Name] = true
	}
	var names []string
	for name := range pins {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, builtin := builtins()[name]; builtin {
			return nil, &pinError{fmt.Sprintf("plugin %q is built into vmafx-trust: only plugins from the plugin path can be pinned", name)}
		}
		if !matched[name] {
			return nil, &pinError{fmt.Sprintf("the policy pins plugin %q, but no %s%s is on the plugin path (%s)", name, host.PluginPrefix, name, strings.Join(host.PluginDirs(), string(os.PathListSeparator)))}
		}
	}
	return found, nil
}

func servesAny(info sdk.Info, kinds map[string]bool) bool {
	for _, k := range info.Kinds {
		if kinds[k.Kind] {
			return true
		}
	}
	return false
}

// builtinSchemas are the built-ins' artifact kinds, asked in process.
func builtinSchemas() map[string]sdk.KindSchema {
	out := map[string]sdk.KindSchema{}
	for _, name := range sortedBuiltins() {
		for _, k := range builtins()[name]().Info().Kinds {
			out[k.Kind] = k
		}
	}
	return out
}

func loadPolicy(ctx context.Context, errw io.Writer, file string, in policy.Inputs) (*policy.Policy, *session, error) {
	f, diags := policy.Load(file)
	if diags.HasErrors() {
		writeDiags(errw, f, diags)
		return nil, nil, policyFailed(diags)
	}
	// Pins are read before any plugin starts: a pinned plugin whose
	// executable does not match never runs.
	pins, diags := f.PluginPins()
	if diags.HasErrors() {
		writeDiags(errw, f, diags)
		return nil, nil, policyFailed(diags)
	}
	// The built-ins the policy's block types name start now, in the
	// background (their schemas are known in process).
	s, err := startSession(ctx, f.BlockTypes(), pins)
	var pe *pinError
	if errors.As(err, &pe) {
		return nil, nil, exitf(report.ExitUsage, "%v", err)
	}
	if err != nil {
		return nil, nil, exitf(report.ExitUnchecked, "%v", err)
	}
	schemas := builtinSchemas()
	for k, ks := range s.plugins.Schemas() {
		if _, builtin := schemas[k]; builtin {
			s.Close()
			return nil, nil, exitf(report.ExitUsage, "a plugin on the plugin path serves artifact kind %q, which a built-in serves: remove or rename it", k)
		}
		schemas[k] = ks
	}
	pol, diags := policy.Decode(f, schemas, in)
	if len(diags) > 0 {
		writeDiags(errw, f, diags)
	}
	if diags.HasErrors() {
		s.Close()
		return nil, nil, policyFailed(diags)
	}
	return pol, s, nil
}

func runCheck(ctx context.Context, out, errw io.Writer, cfg checkConfig) error {
	pol, s, err := loadPolicy(ctx, errw, cfg.file, cfg.inputs)
	if err != nil {
		return reportPolicyErrors(out, cfg, err)
	}
	defer s.Close()
	if len(pol.Artifacts) == 0 {
		// An emptied or mis-templated policy must not look like success.
		return exitf(report.ExitUsage, "%s declares no artifact: nothing to verify", cfg.file)
	}
	return runPolicy(ctx, out, errw, pol, s, cfg)
}

// runPolicy verifies an evaluated policy (from a file or built from a
// cosign-style command line) and writes the report.
func runPolicy(ctx context.Context, out, errw io.Writer, pol *policy.Policy, s *session, cfg checkConfig) error {
	writer, err := report.Lookup(cfg.format, report.Options{Color: isTerminal(out), Verbose: cfg.verbose})
	if err != nil {
		return exitf(report.ExitUsage, "--format: %v", err)
	}
	bar, err := progressBar(cfg.progress, errw)
	if err != nil {
		return err
	}
	roots := host.LoadRoots(ctx, pol, trustroot.Options{Offline: cfg.offline, CacheDir: cfg.cacheDir})
	s.ready()
	if err := s.plugins.Configure(ctx, roots.Wire); err != nil {
		return exitf(report.ExitUnchecked, "%v", err)
	}
	opts := host.Options{Jobs: cfg.jobs, Timeout: cfg.timeout, Offline: cfg.offline}
	if bar != nil {
		opts.Progress = bar
	}
	results := host.Run(ctx, pol, s.plugins, roots, opts)
	if bar != nil {
		bar.Close() // the line is erased before the report
	}
	doc := report.New(report.Meta{ToolVersion: version, Policy: cfg.file, GeneratedAt: time.Now()}, results)
	if err := writer.Write(out, doc); err != nil {
		return exitf(report.ExitUnchecked, "writing report: %v", err)
	}
	if ctx.Err() != nil {
		return exitf(report.ExitUnchecked, "interrupted")
	}
	if code := doc.Summary.ExitCode; code != report.ExitOK {
		return exitf(code, "")
	}
	if cfg.verifiedOK {
		// cosign prints this on success; scripts grep for it.
		fmt.Fprintln(errw, "Verified OK")
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

func policyCommand() *cli.Command {
	return &cli.Command{
		Name:  "policy",
		Usage: "validate or format policies",
		Subcommands: []*cli.Command{
			{
				Name:      "validate",
				Usage:     "check a policy (syntax, schema, references, variables) without verifying anything",
				ArgsUsage: "[POLICY]",
				Flags:     runFlags,
				Action: func(c *cli.Context) error {
					file := c.Args().First()
					if file == "" {
						file = "policy.hcl"
					}
					pol, s, err := loadPolicy(c.Context, c.App.ErrWriter, file, policy.Inputs{Env: os.Environ(), VarFiles: c.StringSlice("var-file"), Vars: c.StringSlice("var")})
					if err != nil {
						return err
					}
					s.Close()
					fmt.Fprintf(c.App.Writer, "%s: valid (%d artifacts, %d identities, %d trust roots)\n", file, len(pol.Artifacts), len(pol.Identities), len(pol.TrustRoots))
					return nil
				},
			},
			{
				Name:  "schema",
				Usage: "print the artifact kinds' schemas: the generated part of docs/policy.md, or JSON",
				Flags: []cli.Flag{&cli.StringFlag{Name: "format", Value: "markdown", Usage: "markdown or json"}},
				Action: func(c *cli.Context) error {
					s, err := startAllPlugins(c.Context)
					if err != nil {
						return exitf(report.ExitUnchecked, "%v", err)
					}
					defer s.Close()
					var kinds []sdk.KindSchema
					for _, k := range s.plugins.Schemas() {
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
			},
			{
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
			},
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
