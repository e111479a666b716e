package main

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/cliflags"
)

func TestReorderArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{
			name: "flags after the policy",
			args: []string{"vmafx-trust", "check", "POLICY", "--format", "json", "--offline"},
			want: []string{"vmafx-trust", "check", "--format", "json", "--offline", "--", "POLICY"},
		},
		{
			name: "already in order",
			args: []string{"vmafx-trust", "check", "--format", "json", "POLICY"},
			want: []string{"vmafx-trust", "check", "--format", "json", "--", "POLICY"},
		},
		{
			name: "var values stay with their flag",
			args: []string{"vmafx-trust", "check", "policy.hcl", "--var", "version=v1.4.0", "--var", "repo=vmafx/vmafx"},
			want: []string{"vmafx-trust", "check", "--var", "version=v1.4.0", "--var", "repo=vmafx/vmafx", "--", "policy.hcl"},
		},
		{
			name: "bool flag does not swallow the next positional",
			args: []string{"vmafx-trust", "check", "--offline", "policy.hcl", "-v"},
			want: []string{"vmafx-trust", "check", "--offline", "-v", "--", "policy.hcl"},
		},
		{
			name: "bool alias does not swallow, value alias does",
			args: []string{"vmafx-trust", "check", "-v", "p.hcl", "-o", "json", "-j", "2"},
			want: []string{"vmafx-trust", "check", "-v", "-o", "json", "-j", "2", "--", "p.hcl"},
		},
		{
			name: "flag=value form",
			args: []string{"vmafx-trust", "check", "p.hcl", "--format=json", "--var=a=b", "--offline=false"},
			want: []string{"vmafx-trust", "check", "--format=json", "--var=a=b", "--offline=false", "--", "p.hcl"},
		},
		{
			name: "single-dash flags",
			args: []string{"vmafx-trust", "check", "p.hcl", "-format", "json"},
			want: []string{"vmafx-trust", "check", "-format", "json", "--", "p.hcl"},
		},
		{
			name: "value that looks like a positional",
			args: []string{"vmafx-trust", "verify-blob", "--bundle", "FILE.sigstore.json", "FILE"},
			want: []string{"vmafx-trust", "verify-blob", "--bundle", "FILE.sigstore.json", "--", "FILE"},
		},
		{
			name: "verify-blob like cosign",
			args: []string{"vmafx-trust", "verify-blob", "dist/x.tar.gz", "--bundle", "x.sigstore.json", "--certificate-identity", "id", "--certificate-oidc-issuer", "iss", "--insecure-ignore-tlog"},
			want: []string{"vmafx-trust", "verify-blob", "--bundle", "x.sigstore.json", "--certificate-identity", "id", "--certificate-oidc-issuer", "iss", "--insecure-ignore-tlog", "--", "dist/x.tar.gz"},
		},
		{
			name: "user separator first",
			args: []string{"vmafx-trust", "check", "--offline", "--", "-weird.hcl"},
			want: []string{"vmafx-trust", "check", "--offline", "--", "-weird.hcl"},
		},
		{
			name: "everything after the user's separator stays positional",
			args: []string{"vmafx-trust", "check", "--", "p.hcl", "--format", "json"},
			want: []string{"vmafx-trust", "check", "--", "p.hcl", "--format", "json"},
		},
		{
			name: "user separator after a positional is not doubled",
			args: []string{"vmafx-trust", "verify-blob", "FILE", "--offline", "--", "-dash-file"},
			want: []string{"vmafx-trust", "verify-blob", "--offline", "--", "FILE", "-dash-file"},
		},
		{
			name: "lone dash is positional",
			args: []string{"vmafx-trust", "policy", "fmt", "-", "--check"},
			want: []string{"vmafx-trust", "policy", "fmt", "--check", "--", "-"},
		},
		{
			name: "nested command",
			args: []string{"vmafx-trust", "policy", "validate", "FILE", "--var", "x=1"},
			want: []string{"vmafx-trust", "policy", "validate", "--var", "x=1", "--", "FILE"},
		},
		{
			name: "nested command with bool flags",
			args: []string{"vmafx-trust", "policy", "fmt", "a.hcl", "--check", "b.hcl", "--diff"},
			want: []string{"vmafx-trust", "policy", "fmt", "--check", "--diff", "--", "a.hcl", "b.hcl"},
		},
		{
			name: "global flags before the command",
			args: []string{"vmafx-trust", "--help", "check", "p.hcl", "--offline"},
			want: []string{"vmafx-trust", "--help", "check", "--offline", "--", "p.hcl"},
		},
		{
			name: "value flag last without a value",
			args: []string{"vmafx-trust", "check", "p.hcl", "--format"},
			want: []string{"vmafx-trust", "check", "--format", "--", "p.hcl"},
		},
		{
			name: "only flags: no separator added",
			args: []string{"vmafx-trust", "check", "--offline", "--format", "json"},
			want: []string{"vmafx-trust", "check", "--offline", "--format", "json"},
		},
		{
			name: "command alone",
			args: []string{"vmafx-trust", "check"},
			want: []string{"vmafx-trust", "check"},
		},
		{
			name: "unknown command left alone",
			args: []string{"vmafx-trust", "frobnicate", "x", "--offline"},
			want: []string{"vmafx-trust", "frobnicate", "x", "--offline"},
		},
		{
			name: "trailing user separator",
			args: []string{"vmafx-trust", "check", "p.hcl", "--offline", "--"},
			want: []string{"vmafx-trust", "check", "--offline", "--", "p.hcl"},
		},
		{
			name: "separator is the only thing after the flags",
			args: []string{"vmafx-trust", "check", "--offline", "--"},
			want: []string{"vmafx-trust", "check", "--offline"},
		},
		{
			name: "program name only",
			args: []string{"vmafx-trust"},
			want: []string{"vmafx-trust"},
		},
	}
	app := newApp()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]string(nil), tt.args...)
			got := cliflags.Reorder(app, in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("reorderArgs(%q)\n got %q\nwant %q", tt.args, got, tt.want)
			}
			if !reflect.DeepEqual(in, tt.args) {
				t.Errorf("input modified: %q", in)
			}
		})
	}
}

// parsed is what a command saw after urfave/cli parsed reordered args.
type parsed struct {
	cmd   string
	args  []string
	flags map[string]any
}

// recordingApp is the real app with every action replaced by a recorder, so
// reordered command lines are parsed with the real flag definitions.
func recordingApp(out *parsed, flagNames ...string) *cli.App {
	app := newApp()
	app.Writer, app.ErrWriter = io.Discard, io.Discard
	var walk func(cmds []*cli.Command, prefix string)
	walk = func(cmds []*cli.Command, prefix string) {
		for _, c := range cmds {
			path := strings.TrimSpace(prefix + " " + c.Name)
			c.Action = func(ctx *cli.Context) error {
				out.cmd = path
				out.args = ctx.Args().Slice()
				out.flags = map[string]any{}
				for _, n := range flagNames {
					if ctx.IsSet(n) {
						out.flags[n] = ctx.Value(n)
					}
				}
				return nil
			}
			walk(c.Subcommands, path)
		}
	}
	walk(app.Commands, "")
	return app
}

func TestReorderedArgsParse(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantCmd   string
		wantArgs  []string
		wantFlags map[string]string // fmt.Sprint of the value
	}{
		{
			name: "check with trailing flags", args: []string{"vmafx-trust", "check", "POLICY", "--format", "json", "--offline"},
			wantCmd: "check", wantArgs: []string{"POLICY"}, wantFlags: map[string]string{"format": "json", "offline": "true"},
		},
		{
			name: "vars", args: []string{"vmafx-trust", "check", "p.hcl", "--var", "a=1", "--var=b=2"},
			wantCmd: "check", wantArgs: []string{"p.hcl"}, wantFlags: map[string]string{"var": "[a=1 b=2]"},
		},
		{
			name: "positional after a bool flag", args: []string{"vmafx-trust", "policy", "fmt", "--check", "a.hcl", "b.hcl"},
			wantCmd: "policy fmt", wantArgs: []string{"a.hcl", "b.hcl"}, wantFlags: map[string]string{"check": "true"},
		},
		{
			name: "nested", args: []string{"vmafx-trust", "policy", "validate", "FILE", "--var", "x=1"},
			wantCmd: "policy validate", wantArgs: []string{"FILE"}, wantFlags: map[string]string{"var": "[x=1]"},
		},
		{
			name: "dash file after separator", args: []string{"vmafx-trust", "verify-blob", "--offline", "--", "-x"},
			wantCmd: "verify-blob", wantArgs: []string{"-x"}, wantFlags: map[string]string{"offline": "true"},
		},
		{
			name: "positional, flags, then separator", args: []string{"vmafx-trust", "verify-blob", "FILE", "--bundle", "b.json", "--", "-x"},
			wantCmd: "verify-blob", wantArgs: []string{"FILE", "-x"}, wantFlags: map[string]string{"bundle": "b.json"},
		},
		{
			name: "trailing separator", args: []string{"vmafx-trust", "check", "p.hcl", "--offline", "--"},
			wantCmd: "check", wantArgs: []string{"p.hcl"}, wantFlags: map[string]string{"offline": "true"},
		},
		{
			name: "flag-looking words after separator", args: []string{"vmafx-trust", "check", "--", "p.hcl", "--format", "json"},
			wantCmd: "check", wantArgs: []string{"p.hcl", "--format", "json"}, wantFlags: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got parsed
			var names []string
			for n := range tt.wantFlags {
				names = append(names, n)
			}
			names = append(names, "format", "offline", "var", "check", "bundle")
			app := recordingApp(&got, names...)
			if err := app.RunContext(context.Background(), cliflags.Reorder(app, tt.args)); err != nil {
				t.Fatalf("run: %v", err)
			}
			if got.cmd != tt.wantCmd {
				t.Fatalf("command = %q, want %q", got.cmd, tt.wantCmd)
			}
			if len(got.args) == 0 {
				got.args = nil
			}
			if !reflect.DeepEqual(got.args, tt.wantArgs) {
				t.Errorf("args = %q, want %q", got.args, tt.wantArgs)
			}
			gotFlags := map[string]string{}
			for k, v := range got.flags {
				gotFlags[k] = fmtValue(v)
			}
			if !reflect.DeepEqual(gotFlags, tt.wantFlags) {
				t.Errorf("flags = %v, want %v", gotFlags, tt.wantFlags)
			}
		})
	}
}

func fmtValue(v any) string {
	switch x := v.(type) {
	case cli.StringSlice:
		return "[" + strings.Join(x.Value(), " ") + "]"
	case *cli.StringSlice:
		return "[" + strings.Join(x.Value(), " ") + "]"
	case []string:
		// A repeatable flag that keeps commas (options.Repeated).
		return "[" + strings.Join(x, " ") + "]"
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return "?"
}
