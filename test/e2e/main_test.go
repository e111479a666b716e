// Package e2e drives the built vmafx-trust binary as a user would.
package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var (
	binary   string // the vmafx-trust binary under test
	stubsDir string // test/stubs built, one executable per stub
	repoRoot string
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	tmp, err := os.MkdirTemp("", "vmafx-trust-e2e-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	binary = filepath.Join(tmp, "bin", "vmafx-trust")
	if out, err := goBuild(binary, "./cmd/vmafx-trust"); err != nil {
		return 0, fmt.Errorf("building vmafx-trust: %v\n%s", err, out)
	}
	stubsDir = filepath.Join(tmp, "stubs")
	entries, _ := os.ReadDir(filepath.Join(repoRoot, "test", "stubs"))
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "internal" {
			continue
		}
		if out, err := goBuild(filepath.Join(stubsDir, e.Name()), "./test/stubs/"+e.Name()); err != nil {
			return 0, fmt.Errorf("building stub %s: %v\n%s", e.Name(), err, out)
		}
	}
	return m.Run(), nil
}

// goBuild builds pkg as the Makefile's build target does: static, without
// urfave/cli's docs generator.
func goBuild(out, pkg string) ([]byte, error) {
	cmd := exec.Command("go", "build", "-tags", "urfave_cli_no_docs", "-o", out, pkg)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	return cmd.CombinedOutput()
}

// result of one CLI invocation.
type result struct {
	code   int
	stdout string
	stderr string
}

// runCLI runs the binary with a clean plugin path and cache unless env says
// otherwise.
func runCLI(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(),
		"VMAFX_TRUST_PLUGIN_PATH="+t.TempDir(),
		"XDG_CONFIG_HOME="+t.TempDir(),
		"VMAFX_TRUST_CACHE_DIR="+t.TempDir(),
	)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", binary, err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("vmafx-trust %s: did not finish in 3 minutes", strings.Join(args, " "))
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running vmafx-trust: %v", err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// jsonReport is the part of the JSON report the tests read.
type jsonReport struct {
	SchemaVersion int `json:"schema_version"`
	Summary       struct {
		Total, Passed, Failed, Errored int
		ExitCode                       int `json:"exit_code"`
	} `json:"summary"`
	Results []struct {
		Kind, Name, Plugin, Status, Signer, Reason string
		Checks                                     []struct {
			Name   string
			OK     bool
			Detail string
		}
	} `json:"results"`
}

func parseReport(t *testing.T, res result) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
		t.Fatalf("report is not JSON (exit %d): %v\nstdout:\n%s\nstderr:\n%s", res.code, err, res.stdout, res.stderr)
	}
	return r
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sha256Hex(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
