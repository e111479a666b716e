// Package options holds the command-line flag groups of vmafx-trust's
// commands, one struct per group in the manner of cosign's options package:
// each registers its flags once (Flags, binding them to its fields) and is
// validated once, when a command turns the flags into what they mean (an
// identity, a trust root, an in-memory policy).
package options

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/report"
)

// UsageError is a command line that cannot mean anything: exit 2, nothing
// runs.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &UsageError{msg: fmt.Sprintf(format, args...)}
}

// Output is how a command reports.
type Output struct {
	Format   string
	Verbose  bool
	Progress string
}

// Flags registers --format/-o, --verbose/-v and --progress.
func (o *Output) Flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"o"}, Value: "text", Usage: "report format: " + strings.Join(report.Formats(), " or "), Destination: &o.Format},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list every check of every artifact", Destination: &o.Verbose},
		&cli.StringFlag{
			Name: "progress", Value: "auto", EnvVars: []string{"VMAFX_TRUST_PROGRESS"}, Destination: &o.Progress,
			Usage: "show large downloads as a progress bar on stderr: auto (when stderr is a terminal), always or never",
		},
	}
}

// Validate checks the values given.
func (o *Output) Validate() error {
	if !slices.Contains(report.Formats(), o.Format) {
		return usagef("--format %q: want one of %s", o.Format, strings.Join(report.Formats(), ", "))
	}
	switch o.Progress {
	case "auto", "always", "never", "":
	default:
		return usagef("--progress %q: want auto, always or never", o.Progress)
	}
	return nil
}

// Cache is where trust material comes from on this machine.
type Cache struct {
	Offline  bool
	CacheDir string
}

// Flags registers --offline and --cache-dir.
func (o *Cache) Flags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "offline", Usage: "make no network requests: trust roots from cache or files only", EnvVars: []string{"VMAFX_TRUST_OFFLINE"}, Destination: &o.Offline},
		&cli.StringFlag{Name: "cache-dir", Usage: "TUF cache directory (default: the user cache dir)", EnvVars: []string{"VMAFX_TRUST_CACHE_DIR"}, Destination: &o.CacheDir},
	}
}

// Inputs are a policy's variables.
type Inputs struct {
	Vars     Repeated
	VarFiles Repeated
}

// Flags registers --var and --var-file.
func (o *Inputs) Flags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{Name: "var", Usage: "set a policy variable: --var name=value (repeatable)", Destination: &o.Vars},
		&cli.GenericFlag{Name: "var-file", Usage: "read policy variables from an HCL file (repeatable)", TakesFile: true, Destination: &o.VarFiles},
	}
}

// Repeated is a repeatable flag's values, one per occurrence. Unlike
// cli.StringSlice, it does not split a value at commas: HCL values such as
// ["a","b"] contain them, and so may file names.
type Repeated []string

// Set adds one occurrence's value.
func (r *Repeated) Set(v string) error {
	*r = append(*r, v)
	return nil
}

// String is the values for help and debugging.
func (r *Repeated) String() string {
	if r == nil {
		return ""
	}
	return strings.Join(*r, " ")
}

// Get is the values, as []string, for cli.Context.Value as for a
// cli.StringSlice.
func (r *Repeated) Get() any { return r.Value() }

// Value is the values given, in order.
func (r *Repeated) Value() []string {
	if r == nil {
		return nil
	}
	return slices.Clone(*r)
}

// paths makes command-line paths absolute against the working directory
// the command started in; URLs and "" stay as they are.
type paths struct{ cwd string }

func workingDir() (paths, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return paths{}, usagef("%v", err)
	}
	return paths{cwd: cwd}, nil
}

func (p paths) abs(path string) string {
	if path == "" || filepath.IsAbs(path) || strings.Contains(path, "://") {
		return path
	}
	return filepath.Join(p.cwd, path)
}

// mustExist refuses a file that configures trust but is missing: a usage
// error, not a verification failure.
func mustExist(flag, path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return usagef("--%s %s: %v", flag, path, pe.Err)
		}
		return usagef("--%s %s: %v", flag, path, err)
	}
	return nil
}
