// Package cliflags adapts urfave/cli v2's flag parsing to what vmafx-trust
// promises on the command line: flags after positional arguments, as cosign
// takes them (Reorder), and a flag's names computed once instead of on
// every lookup (CacheNames).
package cliflags

import (
	"slices"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
)

// Reorder moves flags in front of positional arguments for every
// (sub)command, so `verify-blob FILE --bundle X` works as it does with cosign:
// urfave/cli v2 stops parsing flags at the first positional argument.
// Everything after "--" stays positional.
func Reorder(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	rest := args[1:]
	// Global flags come first; then walk down the command path.
	cmds := app.Commands
	var cmd *cli.Command
	for len(rest) > 0 {
		a := rest[0]
		if strings.HasPrefix(a, "-") {
			out = append(out, a)
			rest = rest[1:]
			continue
		}
		next := findCommand(cmds, a)
		if next == nil {
			break
		}
		out = append(out, a)
		rest = rest[1:]
		cmd = next
		cmds = next.Subcommands
		if len(cmds) == 0 {
			break
		}
	}
	if cmd == nil {
		return append(out, rest...)
	}
	takesValue := flagsTakingValues(cmd)
	var flags, positional []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			// The user's separator is replaced by the one added below.
			positional = append(positional, rest[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if takesValue[name] && i+1 < len(rest) {
			flags = append(flags, rest[i+1])
			i++
		}
	}
	out = append(out, flags...)
	if len(positional) > 0 {
		out = append(out, "--")
	}
	return append(out, positional...)
}

// flagsTakingValues maps each of cmd's flag names to whether the flag takes
// a value (--bundle X) or not (--offline).
func flagsTakingValues(cmd *cli.Command) map[string]bool {
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		takes := true
		if d, ok := f.(cli.DocGenerationFlag); ok {
			takes = d.TakesValue()
		}
		for _, n := range f.Names() {
			takesValue[n] = takes
		}
	}
	return takesValue
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.Name == name {
			return c
		}
		for _, a := range c.Aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}

// urfave/cli v2 derives a flag's names with a regular expression on every
// Names() call, and finds a flag by calling Names() on each flag before it.
// Before a command runs it asks, for every flag, whether it was set: for a
// verb's 37 flags that is ~700 regular-expression runs, half a millisecond
// of every invocation. CacheNames gives each flag of a command tree a
// Names() computed once, when first asked: a run computes the names of the
// flags of its own command only, not those of the whole tree. The wrappers
// embed the flag, so every other method and interface (help, parsing,
// defaults) is the flag's own.
func CacheNames(cmds []*cli.Command) {
	for _, c := range cmds {
		for i, f := range c.Flags {
			c.Flags[i] = cachedNames(f)
		}
		CacheNames(c.Subcommands)
	}
}

func cachedNames(f cli.Flag) cli.Flag {
	names := sync.OnceValue(func() []string { return slices.Clip(f.Names()) })
	switch t := f.(type) {
	case *cli.StringFlag:
		return &namedStringFlag{t, names}
	case *cli.BoolFlag:
		return &namedBoolFlag{t, names}
	case *cli.StringSliceFlag:
		return &namedStringSliceFlag{t, names}
	case *cli.IntFlag:
		return &namedIntFlag{t, names}
	case *cli.DurationFlag:
		return &namedDurationFlag{t, names}
	case *cli.GenericFlag:
		return &namedGenericFlag{t, names}
	}
	return f
}

type namedStringFlag struct {
	*cli.StringFlag
	names func() []string
}

func (f *namedStringFlag) Names() []string { return f.names() }

type namedBoolFlag struct {
	*cli.BoolFlag
	names func() []string
}

func (f *namedBoolFlag) Names() []string { return f.names() }

type namedStringSliceFlag struct {
	*cli.StringSliceFlag
	names func() []string
}

func (f *namedStringSliceFlag) Names() []string { return f.names() }

type namedIntFlag struct {
	*cli.IntFlag
	names func() []string
}

func (f *namedIntFlag) Names() []string { return f.names() }

type namedDurationFlag struct {
	*cli.DurationFlag
	names func() []string
}

func (f *namedDurationFlag) Names() []string { return f.names() }

type namedGenericFlag struct {
	*cli.GenericFlag
	names func() []string
}

func (f *namedGenericFlag) Names() []string { return f.names() }

// HasCachedNames reports whether f answers Names() from a cache set by
// CacheNames.
func HasCachedNames(f cli.Flag) bool {
	switch f.(type) {
	case *namedStringFlag, *namedBoolFlag, *namedStringSliceFlag, *namedIntFlag, *namedDurationFlag, *namedGenericFlag:
		return true
	}
	return false
}
