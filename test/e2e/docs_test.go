package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyReferenceIsGenerated fails when docs/policy.md's generated section
// differs from what the plugins' schemas say (run `make docs`).
func TestPolicyReferenceIsGenerated(t *testing.T) {
	res := runCLI(t, nil, "policy", "schema")
	if res.code != 0 {
		t.Fatalf("policy schema: exit %d: %s", res.code, res.stderr)
	}
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "policy.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), res.stdout) {
		t.Errorf("docs/policy.md is out of date with the plugin schemas: run make docs")
	}
	for _, want := range []string{"### `blob \"NAME\" { … }`", "| `path` | path |"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("generated reference lacks %q", want)
		}
	}
}
