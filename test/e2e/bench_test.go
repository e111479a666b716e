package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/host"
)

// BenchmarkPluginStartup launches the blob plugin in a process of its own
// (the host binary re-executing itself, as VMAFX_TRUST_ISOLATE_BUILTINS and
// every custom plugin do), completes the go-plugin handshake and Describe,
// then kills it: what a plugin process costs before it verifies anything,
// and why built-ins run in process by default. Target: < 50 ms on a 2-core
// machine.
func BenchmarkPluginStartup(b *testing.B) {
	sources := []host.Source{host.BuiltinProcess("blob", binary, "__serve-plugin", "blob")}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		set, errs := host.LaunchAll(ctx, sources)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		set.Kill()
	}
}

// BenchmarkEmptyPolicyRun is a whole `vmafx-trust check` of a policy with no
// artifacts: process start, plugin discovery, policy decode, exit (2: nothing
// to verify).
func BenchmarkEmptyPolicyRun(b *testing.B) {
	dir := b.TempDir()
	policy := filepath.Join(dir, "policy.hcl")
	if err := os.WriteFile(policy, []byte("# nothing to verify\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	env := append(os.Environ(), "VMAFX_TRUST_PLUGIN_PATH="+dir, "XDG_CONFIG_HOME="+dir)
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(binary, "check", policy, "--offline")
		cmd.Env = env
		// A policy with nothing to verify exits 2 by design.
		if out, err := cmd.CombinedOutput(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 2 {
			b.Fatalf("%v: %s", err, out)
		}
	}
}
