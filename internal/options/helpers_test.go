package options_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/options"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// runCmd parses args as the flags and arguments of one command whose flags
// are flags, then runs action: the groups are tested through urfave/cli's
// Destination binding, as the commands use them, not by filling in their
// fields by hand. Flags come before arguments because urfave/cli v2 stops
// parsing flags at the first argument (the real commands reorder them
// first).
func runCmd(t *testing.T, flags []cli.Flag, action cli.ActionFunc, args ...string) error {
	t.Helper()
	return runCmdEnv(t, nil, flags, action, args...)
}

// runCmdEnv is runCmd with the environment variables env set.
func runCmdEnv(t *testing.T, env map[string]string, flags []cli.Flag, action cli.ActionFunc, args ...string) error {
	t.Helper()
	// The groups read a few flags from the environment too; the tests must
	// not depend on the environment they run in.
	for _, name := range []string{"VMAFX_TRUST_PROGRESS", "VMAFX_TRUST_OFFLINE", "VMAFX_TRUST_CACHE_DIR"} {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
	for name, v := range env {
		t.Setenv(name, v)
	}
	ran := false
	app := &cli.App{
		Name:      "x",
		Writer:    io.Discard,
		ErrWriter: io.Discard,
		Commands: []*cli.Command{{
			Name:  "cmd",
			Flags: flags,
			Action: func(c *cli.Context) error {
				ran = true
				return action(c)
			},
		}},
	}
	err := app.Run(append([]string{"x", "cmd"}, args...))
	if !ran && err == nil {
		t.Fatalf("%q: the command's action did not run", args)
	}
	if !ran {
		// A flag urfave/cli refuses is a broken test, not a finding.
		t.Fatalf("%q: urfave/cli: %v", args, err)
	}
	return err
}

// wantUsage fails unless err is an *options.UsageError whose message
// contains every one of wants: the commands map exactly this type to exit
// status 2.
func wantUsage(t *testing.T, err error, wants ...string) {
	t.Helper()
	var ue *options.UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v (%T), want a *options.UsageError", err, err)
	}
	for _, w := range wants {
		if !strings.Contains(ue.Error(), w) {
			t.Errorf("usage error %q does not mention %q", ue.Error(), w)
		}
	}
}

// chdirTemp moves the test into a new temporary directory and returns the
// working directory as the package sees it (os.Getwd), against which it
// makes relative paths absolute.
func chdirTemp(t *testing.T) string {
	t.Helper()
	t.Chdir(t.TempDir())
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// writeFile creates a file under the working directory.
func writeFile(t *testing.T, name string) {
	t.Helper()
	if dir := filepath.Dir(name); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(name, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ghSigner is what a GitHub Actions certificate says about its signer.
func ghSigner(subject string, ext map[string]string) *trust.Signer {
	return &trust.Signer{Subject: subject, Issuer: trust.GitHubIssuer, Extensions: ext}
}

// checkMatches compiles id and checks which signers it accepts: the
// identity's strings only matter through what they match.
func checkMatches(t *testing.T, id trust.Identity, accept, reject []*trust.Signer) {
	t.Helper()
	if err := id.Validate(); err != nil {
		t.Fatalf("identity does not validate: %v", err)
	}
	for _, s := range accept {
		if m := id.Match(s); m != nil {
			t.Errorf("rejects %s %v: %+v", s.Subject, s.Extensions, m)
		}
	}
	for _, s := range reject {
		if m := id.Match(s); m == nil {
			t.Errorf("accepts %s %v", s.Subject, s.Extensions)
		}
	}
}
