package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPinnedPlugins: a policy pins a custom plugin by the sha256 of its
// executable (plugin "NAME" { sha256 = "…" }). A pinned plugin whose
// executable differs never starts; a plugin with opaque evidence (a
// mechanism the host cannot verify) passes only when pinned, and the report
// says the verdict is the plugin's alone. Pins that cannot apply are policy
// errors.
func TestPinnedPlugins(t *testing.T) {
	plugins := pluginDir(t, "opaque", "ok")
	exe, err := os.ReadFile(filepath.Join(plugins, "vmafx-trust-plugin-opaque"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(exe)
	good := hex.EncodeToString(sum[:])
	bad := strings.Repeat("0", 64)
	const artifact = "opaquestub \"tool\" {\n  behaviour = %q\n}\n"
	pin := func(name, digest string) string {
		return "plugin \"" + name + "\" {\n  sha256 = \"" + digest + "\"\n}\n"
	}
	tests := []struct {
		name       string
		blocks     string
		code       int
		status     string   // the artifact's, when a report is expected
		wantOut    []string // in the report's reason, checks or stderr
		pluginRuns bool
	}{
		{name: "unpinned opaque plugin", blocks: strings.Replace(artifact, "%q", `"pass"`, 1),
			code: 1, status: "fail", wantOut: []string{"opaque evidence", `plugin "opaque" { sha256`}, pluginRuns: true},
		{name: "pinned", blocks: pin("opaque", good) + strings.Replace(artifact, "%q", `"pass"`, 1),
			code: 0, status: "pass", wantOut: []string{"the verdict is plugin \"stub-opaque\"'s alone", good}, pluginRuns: true},
		{name: "pinned, written as sha256sum and in capitals", blocks: pin("opaque", "sha256:"+strings.ToUpper(good)) + strings.Replace(artifact, "%q", `"pass"`, 1),
			code: 0, status: "pass", pluginRuns: true},
		{name: "pinned plugin's own failure", blocks: pin("opaque", good) + strings.Replace(artifact, "%q", `"fail"`, 1),
			code: 1, status: "fail", wantOut: []string{"the opaque mechanism rejected it"}, pluginRuns: true},
		{name: "pinned to another executable", blocks: pin("opaque", bad) + strings.Replace(artifact, "%q", `"pass"`, 1),
			code: 2, wantOut: []string{"refused: its executable has sha256 " + good + ", the policy pins sha256 " + bad}},
		{name: "pin of a plugin not on the path", blocks: pin("missing", good) + strings.Replace(artifact, "%q", `"pass"`, 1),
			code: 2, wantOut: []string{`the policy pins plugin "missing", but no vmafx-trust-plugin-missing is on the plugin path`}},
		{name: "pin of a built-in", blocks: pin("blob", good) + strings.Replace(artifact, "%q", `"pass"`, 1),
			code: 2, wantOut: []string{`plugin "blob" is built into vmafx-trust`}},
		{name: "pin that is not a digest", blocks: pin("opaque", "abc") + strings.Replace(artifact, "%q", `"pass"`, 1),
			code: 2, wantOut: []string{"sha256 must be 64 hexadecimal digits"}},
		{name: "pin from a variable", blocks: "variable \"d\" {\n  default = \"" + good + "\"\n}\nplugin \"opaque\" {\n  sha256 = var.d\n}\n" + strings.Replace(artifact, "%q", `"pass"`, 1),
			code: 2, wantOut: []string{"sha256 must be a literal string"}},
		{name: "plugin pinned twice", blocks: pin("opaque", good) + pin("opaque", good) + strings.Replace(artifact, "%q", `"pass"`, 1),
			code: 2, wantOut: []string{"Duplicate plugin block"}},
		{name: "pinned to another executable, its kind unused", blocks: pin("opaque", bad) + "stub \"other\" {\n}\n",
			code: 2, wantOut: []string{"refused: its executable has sha256 " + good}},
		{name: "pin written as a heredoc", blocks: "plugin \"opaque\" {\n  sha256 = <<EOT\n" + good + "\nEOT\n}\n" + strings.Replace(artifact, "%q", `"pass"`, 1),
			code: 0, status: "pass", pluginRuns: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policy := stubPolicy(t, tt.blocks)
			mark := filepath.Join(t.TempDir(), "started")
			res := runCLI(t, []string{"VMAFX_TRUST_PLUGIN_PATH=" + plugins, "VMAFX_TRUST_STUB_MARK=" + mark}, "check", policy, "--format", "json", "--offline")
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tt.code, res.stdout, res.stderr)
			}
			text := res.stderr
			if tt.status != "" {
				rep := parseReport(t, res)
				if len(rep.Results) != 1 || rep.Results[0].Status != tt.status {
					t.Fatalf("results %+v, want one %s", rep.Results, tt.status)
				}
				r := rep.Results[0]
				text += r.Reason
				for _, c := range r.Checks {
					text += "\n" + c.Name + ": " + c.Detail
				}
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
			if _, err := os.Stat(mark); (err == nil) != tt.pluginRuns {
				t.Errorf("plugin started: %v, want %v", err == nil, tt.pluginRuns)
			}
		})
	}
}

// TestPinnedPluginStandIn: a pin that does not hold stops the run before
// any plugin starts, even when an unpinned copy of the plugin elsewhere on
// the path could serve its kind; `policy validate` says so too.
func TestPinnedPluginStandIn(t *testing.T) {
	plugins := pluginDir(t, "opaque")
	exe, err := os.ReadFile(filepath.Join(plugins, "vmafx-trust-plugin-opaque"))
	if err != nil {
		t.Fatal(err)
	}
	// The same executable again under another name: serves opaquestub.
	standIn := t.TempDir()
	if err := os.WriteFile(filepath.Join(standIn, "vmafx-trust-plugin-opaque2"), exe, 0o755); err != nil {
		t.Fatal(err)
	}
	policy := stubPolicy(t, "plugin \"opaque\" {\n  sha256 = \""+strings.Repeat("0", 64)+"\"\n}\nopaquestub \"tool\" {\n}\n")
	mark := filepath.Join(t.TempDir(), "started")
	env := []string{"VMAFX_TRUST_PLUGIN_PATH=" + standIn + string(os.PathListSeparator) + plugins, "VMAFX_TRUST_STUB_MARK=" + mark}
	for _, args := range [][]string{{"check", policy, "--offline"}, {"policy", "validate", policy}} {
		res := runCLI(t, env, args...)
		if res.code != 2 || !strings.Contains(res.stderr, "refused: its executable has sha256") {
			t.Errorf("%v: exit %d, want 2 naming the refused plugin\nstdout:\n%s\nstderr:\n%s", args, res.code, res.stdout, res.stderr)
		}
		if _, err := os.Stat(mark); err == nil {
			t.Fatalf("%v: a plugin started although a pin did not hold", args)
		}
	}
}
