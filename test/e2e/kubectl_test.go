package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestKubectlPlugin: the machine's kubectl finds the binary on PATH under
// kubectl's plugin name and runs it for `kubectl vmafx-trust …`; help,
// usage and errors then name the command as kubectl's plugin, and exit
// codes pass through.
func TestKubectlPlugin(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is not on PATH: the machine's kubectl dispatches plugins, and this test needs it: %v", err)
	}
	dir := t.TempDir()
	if err := os.Symlink(binary, filepath.Join(dir, "kubectl-vmafx_trust")); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(kubectl, args...)
		cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"),
			"VMAFX_TRUST_PLUGIN_PATH="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir(), "KUBECONFIG="+filepath.Join(t.TempDir(), "none"))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), code
	}

	out, _, code := run("plugin", "list")
	if code != 0 || !strings.Contains(out, filepath.Join(dir, "kubectl-vmafx_trust")) {
		t.Errorf("kubectl plugin list (exit %d) does not list the plugin:\n%s", code, out)
	}
	out, errOut, code := run("vmafx-trust", "--help")
	if code != 0 || !strings.Contains(out, "kubectl vmafx-trust") || !strings.Contains(out, "sbom") {
		t.Errorf("kubectl vmafx-trust --help: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = run("vmafx-trust", "version")
	if code != 0 || !strings.HasPrefix(out, "kubectl vmafx-trust ") {
		t.Errorf("kubectl vmafx-trust version: exit %d, %q", code, out)
	}
	_, errOut, code = run("vmafx-trust", "no-such-command")
	if code != 2 || !strings.HasPrefix(errOut, "kubectl vmafx-trust: ") {
		t.Errorf("kubectl vmafx-trust no-such-command: exit %d, stderr %q; want 2 and the plugin's name", code, errOut)
	}
	_, _, code = run("vmafx-trust", "check", filepath.Join(dir, "no-such-policy.hcl"))
	if code != 2 {
		t.Errorf("kubectl vmafx-trust check of a missing policy: exit %d, want 2", code)
	}
}
