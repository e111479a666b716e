package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/cliflags"
)

// commandPaths lists every command of the tree as its path of names.
func commandPaths(cmds []*cli.Command, prefix []string) [][]string {
	var out [][]string
	for _, c := range cmds {
		p := append(slices.Clone(prefix), c.Name)
		out = append(out, p)
		out = append(out, commandPaths(c.Subcommands, p)...)
	}
	return out
}

// TestCachedFlagNames: every flag of every command answers Names() from
// its cache, with the names urfave/cli derives, and each command's help is
// the same as without the caches.
func TestCachedFlagNames(t *testing.T) {
	cached, plain := newApp(), newAppUncached()
	var walk func(c, p []*cli.Command, path string)
	walk = func(c, p []*cli.Command, path string) {
		if len(c) != len(p) {
			t.Fatalf("%s: %d commands, want %d", path, len(c), len(p))
		}
		for i := range c {
			where := strings.TrimSpace(path + " " + c[i].Name)
			for j, f := range c[i].Flags {
				if !cliflags.HasCachedNames(f) {
					t.Errorf("%s: flag %v is a %T without cached names (add a wrapper in internal/cliflags)", where, f.Names(), f)
				}
				got, want := f.Names(), p[i].Flags[j].Names()
				if !slices.Equal(got, want) {
					t.Errorf("%s: names %v, want %v", where, got, want)
				}
				if again := f.Names(); len(got) == 0 || &again[0] != &got[0] {
					t.Errorf("%s: flag %v computes its names on each call", where, got)
				}
			}
			walk(c[i].Subcommands, p[i].Subcommands, where)
		}
	}
	walk(cached.Commands, plain.Commands, "")

	help := func(app *cli.App, path []string) string {
		var out bytes.Buffer
		app.Writer, app.ErrWriter = &out, &out
		if err := app.Run(append(append([]string{"vmafx-trust"}, path...), "--help")); err != nil {
			t.Fatalf("%v --help: %v", path, err)
		}
		return out.String()
	}
	paths := commandPaths(plain.Commands, nil)
	if len(paths) < 10 {
		t.Fatalf("only %d commands found", len(paths))
	}
	for _, path := range paths {
		want := help(newAppUncached(), path)
		if got := help(newApp(), path); got != want {
			t.Errorf("%v --help differs with cached names:\n%s\nwant:\n%s", path, got, want)
		}
		if !strings.Contains(want, path[len(path)-1]) {
			t.Errorf("%v --help does not name the command:\n%s", path, want)
		}
	}
}
