package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
)

// pluginDir installs the named stubs on a plugin path, as users install
// custom plugins.
func pluginDir(t *testing.T, stubs ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, s := range stubs {
		data, err := os.ReadFile(filepath.Join(stubsDir, s))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "vmafx-trust-plugin-"+s), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// keyPolicyFiles writes a trust root made of a public key so stub artifacts
// need no identity; stubs verify nothing themselves.
func stubPolicy(t *testing.T, blocks string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "key.pub", testPublicKeyPEM(t))
	return writeFile(t, dir, "policy.hcl", "trust_root \"k\" {\n  public_key = \"key.pub\"\n}\n"+blocks)
}

// testPublicKeyPEM makes an ECDSA P-256 public key (no one signs with it).
func testPublicKeyPEM(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func TestCrashingPluginErrorsItsArtifactsOnly(t *testing.T) {
	fixtures := realfixtures.Dir(t)
	happy := filepath.Join(fixtures, "conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json")
	plugins := pluginDir(t, "crash")
	dir := t.TempDir()
	policy := writeFile(t, dir, "policy.hcl", fmt.Sprintf(`
trust_root "pg" {
  trusted_root = %q
}
identity "beacon" {
  issuer  = "https://token.actions.githubusercontent.com"
  subject = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
}
blob "real" {
  path     = %q
  bundle   = %q
  identity = identity.beacon
}
stub "before" {
  bundle   = %q
  digest   = "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"
  identity = identity.beacon
}
stub "boom" {
  behaviour = "crash"
  identity  = identity.beacon
}
stub "after" {
  identity = identity.beacon
}
`, filepath.Join(fixtures, "trusted-roots/sigstore-public-good.json"), filepath.Join(fixtures, "conformance/bundle-verify/a.txt"), happy, happy))
	res := runCLI(t, []string{"VMAFX_TRUST_PLUGIN_PATH=" + plugins}, "check", policy, "--format", "json", "--jobs", "1", "--offline")
	if res.code != 3 {
		t.Errorf("exit %d, want 3 (some artifacts could not be checked, none failed); stderr: %s", res.code, res.stderr)
	}
	want := map[string]string{"real": "pass", "before": "pass", "boom": "error", "after": "error"}
	rep := parseReport(t, res)
	for _, r := range rep.Results {
		if r.Status != want[r.Name] {
			t.Errorf("%s: %s (%s), want %s", r.Name, r.Status, r.Reason, want[r.Name])
		}
		if r.Name == "boom" && !strings.Contains(r.Reason, "crashed") {
			t.Errorf("boom: reason %q does not say the plugin crashed", r.Reason)
		}
	}
	if len(rep.Results) != len(want) {
		t.Errorf("%d results, want %d", len(rep.Results), len(want))
	}
}

func TestPluginsThatBreakTheHandshake(t *testing.T) {
	tests := []struct {
		stub string
		want []string
	}{
		{"noise", []string{`plugin "noise"`, "stdout", "hello from a noisy plugin"}},
		{"wrongproto", []string{`plugin "wrongproto"`, "protocol", "99"}},
		{"startpanic", []string{`plugin "startpanic"`, "stub start-up failure"}},
	}
	for _, tt := range tests {
		t.Run(tt.stub, func(t *testing.T) {
			plugins := pluginDir(t, tt.stub)
			res := runCLI(t, []string{"VMAFX_TRUST_PLUGIN_PATH=" + plugins}, "plugins", "list")
			if res.code == 0 {
				t.Fatalf("plugins list succeeded with a broken plugin; stdout: %s", res.stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr does not mention %q:\n%s", w, res.stderr)
				}
			}
		})
	}
}

func TestLyingPluginCannotPass(t *testing.T) {
	fixtures := realfixtures.Dir(t)
	bundle := filepath.Join(fixtures, "conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json")
	plugins := pluginDir(t, "liar")
	dir := t.TempDir()
	policy := writeFile(t, dir, "policy.hcl", fmt.Sprintf(`
trust_root "pg" {
  trusted_root = %q
}
identity "beacon" {
  issuer  = "https://token.actions.githubusercontent.com"
  subject = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
}
stub "none" {
  behaviour = "none"
  identity  = identity.beacon
}
stub "garbage" {
  behaviour = "garbage"
  identity  = identity.beacon
}
stub "forged" {
  behaviour = "forged"
  bundle    = %q
  identity  = identity.beacon
}
stub "detached" {
  behaviour = "detached-garbage"
  identity  = identity.beacon
}
`, filepath.Join(fixtures, "trusted-roots/sigstore-public-good.json"), bundle))
	res := runCLI(t, []string{"VMAFX_TRUST_PLUGIN_PATH=" + plugins}, "check", policy, "--format", "json", "--offline")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1; stdout %s stderr %s", res.code, res.stdout, res.stderr)
	}
	rep := parseReport(t, res)
	if len(rep.Results) != 4 {
		t.Fatalf("%d results, want 4", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Status != "fail" {
			t.Errorf("%s: %s, want fail (the plugin lied)", r.Name, r.Status)
		}
	}
}

// TestNoPluginSurvivesInterrupt sends SIGINT to a run stuck in a slow plugin
// and checks every plugin process is gone.
func TestNoPluginSurvivesInterrupt(t *testing.T) {
	cmd, children := startStuckRun(t)
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Errorf("interrupted run: %v, want exit 3", err)
	}
	assertGone(t, children)
}

// TestPluginsDieWithKilledHost SIGKILLs the host: its plugins must exit on
// their own.
func TestPluginsDieWithKilledHost(t *testing.T) {
	cmd, children := startStuckRun(t)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	assertGone(t, children)
}

// startStuckRun starts a check whose one artifact is served by the slow stub
// (it never answers) and returns once the host has its plugin processes.
func startStuckRun(t *testing.T) (*exec.Cmd, []int) {
	t.Helper()
	plugins := pluginDir(t, "slow")
	policy := stubPolicy(t, "slowstub \"forever\" {\n}\n")
	cmd := exec.Command(binary, "check", policy)
	cmd.Env = append(os.Environ(), "VMAFX_TRUST_PLUGIN_PATH="+plugins, "XDG_CONFIG_HOME="+t.TempDir(), "VMAFX_TRUST_CACHE_DIR="+t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var children []int
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && len(children) < 2 {
		children = childPids(cmd.Process.Pid)
		time.Sleep(50 * time.Millisecond)
	}
	if len(children) == 0 {
		_ = cmd.Process.Kill()
		t.Fatal("no plugin process started")
	}
	// Every plugin is launched concurrently: let the rest appear too.
	time.Sleep(500 * time.Millisecond)
	return cmd, childPids(cmd.Process.Pid)
}

func assertGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for processAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if processAlive(pid) {
			t.Errorf("plugin process %d survived", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// procParents maps every pid in /proc to its parent pid.
func procParents() map[int]int {
	out := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		// After the parenthesised command: state ppid …
		if f := strings.Fields(s[i+1:]); len(f) > 1 {
			if ppid, err := strconv.Atoi(f[1]); err == nil {
				out[pid] = ppid
			}
		}
	}
	return out
}

// childPids lists the direct children of pid from /proc.
func childPids(pid int) []int {
	var out []int
	for child, parent := range procParents() {
		if parent == pid {
			out = append(out, child)
		}
	}
	return out
}

func processAlive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}

func TestPluginPastItsDeadlineErrors(t *testing.T) {
	plugins := pluginDir(t, "slow")
	policy := stubPolicy(t, "slowstub \"forever\" {\n}\n")
	start := time.Now()
	res := runCLI(t, []string{"VMAFX_TRUST_PLUGIN_PATH=" + plugins}, "check", policy, "--timeout", "500ms", "--format", "json")
	if res.code != 3 {
		t.Fatalf("exit %d, want 3: %s %s", res.code, res.stdout, res.stderr)
	}
	rep := parseReport(t, res)
	if len(rep.Results) != 1 || rep.Results[0].Status != "error" || !strings.Contains(rep.Results[0].Reason, "did not answer within 500ms") {
		t.Errorf("results %+v", rep.Results)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("run took %s despite a 500ms deadline", d)
	}
}

// TestCustomPluginsDoNotSeeCredentials: the registry credentials given to
// vmafx-trust (VMAFX_TRUST_REGISTRY_*, for the built-in image plugin) do not
// reach a plugin from the plugin path, which still gets the rest of the
// environment.
func TestCustomPluginsDoNotSeeCredentials(t *testing.T) {
	plugins := pluginDir(t, "ok")
	policy := stubPolicy(t, "stub \"env\" {\n  behaviour = \"env\"\n}\n")
	res := runCLI(t, []string{
		"VMAFX_TRUST_PLUGIN_PATH=" + plugins,
		"VMAFX_TRUST_REGISTRY_TOKEN=tok-s3cret", "VMAFX_TRUST_REGISTRY_USERNAME=u", "VMAFX_TRUST_REGISTRY_PASSWORD=pw-s3cret",
	}, "check", policy, "--format", "json", "--offline")
	rep := parseReport(t, res)
	if len(rep.Results) != 1 {
		t.Fatalf("%d results: %s %s", len(rep.Results), res.stdout, res.stderr)
	}
	if got, want := rep.Results[0].Reason, `token="" password="" path-set=true`; !strings.Contains(got, want) {
		t.Fatalf("the plugin saw %q, want %q", got, want)
	}
	if strings.Contains(res.stdout+res.stderr, "s3cret") {
		t.Fatal("a credential reached the plugin's output")
	}
}
