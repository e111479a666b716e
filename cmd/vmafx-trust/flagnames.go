package main

import (
	"slices"
	"sync"

	"github.com/urfave/cli/v2"
)

// urfave/cli v2 derives a flag's names with a regular expression on every
// Names() call, and finds a flag by calling Names() on each flag before it.
// Before a command runs it asks, for every flag, whether it was set: for a
// verb's 37 flags that is ~700 regular-expression runs, half a millisecond
// of every invocation. withCachedNames gives each flag of a command tree a
// Names() computed once, when first asked: a run computes the names of the
// flags of its own command only, not those of the whole tree. The wrappers
// embed the flag, so every other method and interface (help, parsing,
// defaults) is the flag's own.
func withCachedNames(cmds []*cli.Command) {
	for _, c := range cmds {
		for i, f := range c.Flags {
			c.Flags[i] = cachedNames(f)
		}
		withCachedNames(c.Subcommands)
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
