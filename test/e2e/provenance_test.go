package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
)

// TestProvenanceRules drives SLSA provenance from slsa-github-generator (v0.2
// and v1) and GitHub attest-build-provenance through check, with identities
// written with the github {} shorthand for reusable workflows.
func TestProvenanceRules(t *testing.T) {
	fx := realfixtures.Dir(t)
	gen := filepath.Join(fx, "blob-bundles/slsa-github-generator")
	const generic = "sha256:376e7e01348585b6e6643bc6663146b9d525d9b41228bf180eaeb4d4a3706caa"
	genericBundle := filepath.Join(gen, "gha_generic-v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl")
	genericBuilder := "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"
	tests := []struct {
		name, digest, path, bundle, identity, rules string
		want                                        string   // pass or fail
		reason                                      []string // substrings of the reason
	}{
		{
			name: "generic v0.2 all rules", digest: generic, bundle: genericBundle, identity: "generator_generic",
			rules: fmt.Sprintf("builder_id = %q\n    source_repository = \"slsa-framework/example-package\"\n    source_ref = \"refs/tags/v14.2\"", genericBuilder),
			want:  "pass",
		},
		{
			name: "bare tag name", digest: generic, bundle: genericBundle, identity: "generator_generic",
			rules: `source_ref = "v14.2"`, want: "pass",
		},
		{
			name: "builder id mismatch", digest: generic, bundle: genericBundle, identity: "generator_generic",
			rules: `builder_id = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml"`,
			want:  "fail", reason: []string{"builder id: expected https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml, found " + genericBuilder + "@refs/tags/v2.1.0"},
		},
		{
			name: "source repository mismatch", digest: generic, bundle: genericBundle, identity: "generator_generic",
			rules: `source_repository = "slsa-framework/other-package"`,
			want:  "fail", reason: []string{"source repository: expected https://github.com/slsa-framework/other-package, found https://github.com/slsa-framework/example-package"},
		},
		{
			name: "source ref mismatch", digest: generic, bundle: genericBundle, identity: "generator_generic",
			rules: `source_ref = "refs/tags/v15.0"`,
			want:  "fail", reason: []string{"source ref: expected refs/tags/v15.0, found refs/tags/v14.2"},
		},
		{
			name: "subjects do not cover the file", digest: "sha256:c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201", bundle: genericBundle, identity: "generator_generic",
			rules: `source_repository = "slsa-framework/example-package"`,
			want:  "fail", reason: []string{"digest"},
		},
		{
			name: "container-based v1", path: filepath.Join(gen, "gha_container-based-v2.1.0/binary-linux-amd64-workflow_dispatch"),
			bundle: filepath.Join(gen, "gha_container-based-v2.1.0/binary-linux-amd64-workflow_dispatch.intoto.build.slsa"), identity: "generator_container",
			rules: `source_repository = "https://github.com/slsa-framework/example-package"
    source_ref = "refs/heads/main"
    builder_id = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_container-based_slsa3.yml@refs/tags/v2.1.0"`,
			want: "pass",
		},
		{
			name: "attest-build-provenance v1 via reusable workflow", digest: "sha256:1636f443b01c9ee310ee5834956d0dce374c3d3bf8d4cebc9f6b86f8304b4982",
			bundle: filepath.Join(fx, "github-attestations/bcr/rules_lint-v1.3.1.tar.gz.intoto.jsonl"), identity: "bcr",
			rules: `source_repository = "aspect-build/rules_lint"
    source_ref = "refs/heads/publish-to-bcr"`,
			want: "pass",
		},
		{
			name: "wrong identity for the caller repository", digest: generic, bundle: genericBundle, identity: "generator_wrong_caller",
			rules: `source_repository = "slsa-framework/example-package"`,
			want:  "fail", reason: []string{"source_repository_uri: expected https://github.com/acme/app, found https://github.com/slsa-framework/example-package"},
		},
	}
	var b strings.Builder
	fmt.Fprintf(&b, `trust_root "pg" {
  trusted_root = %q
}
identity "generator_generic" {
  github {
    repository        = "slsa-framework/example-package"
    signer_repository = "slsa-framework/slsa-github-generator"
    signer_workflow   = "generator_generic_slsa3.yml"
  }
}
identity "generator_wrong_caller" {
  github {
    repository        = "acme/app"
    signer_repository = "slsa-framework/slsa-github-generator"
    signer_workflow   = "generator_generic_slsa3.yml"
  }
}
identity "generator_container" {
  github {
    repository        = "slsa-framework/example-package"
    signer_repository = "slsa-framework/slsa-github-generator"
    signer_workflow   = "builder_container-based_slsa3.yml"
    signer_ref        = "refs/tags/v2.1.0"
    runner            = "github-hosted"
  }
}
identity "bcr" {
  github {
    repository        = "aspect-build/rules_lint"
    signer_repository = "bazel-contrib/.github"
    signer_workflow   = "release_ruleset.yaml"
  }
}
`, filepath.Join(fx, "trusted-roots/sigstore-public-good.json"))
	for i, tt := range tests {
		fmt.Fprintf(&b, "blob \"p%d\" {\n", i)
		if tt.path != "" {
			fmt.Fprintf(&b, "  path = %q\n", tt.path)
		} else {
			fmt.Fprintf(&b, "  digest = %q\n", tt.digest)
		}
		fmt.Fprintf(&b, "  bundle = %q\n  identity = identity.%s\n  provenance {\n    %s\n  }\n}\n", tt.bundle, tt.identity, tt.rules)
	}
	policy := writeFile(t, t.TempDir(), "policy.hcl", b.String())
	res := runCLI(t, nil, "check", policy, "--offline", "--format", "json")
	rep := parseReport(t, res)
	if len(rep.Results) != len(tests) {
		t.Fatalf("%d results for %d tests; stderr %s", len(rep.Results), len(tests), res.stderr)
	}
	for i, tt := range tests {
		r := rep.Results[i]
		if r.Status != tt.want {
			t.Errorf("%s: %s (%s), want %s", tt.name, r.Status, r.Reason, tt.want)
			continue
		}
		for _, w := range tt.reason {
			if !strings.Contains(r.Reason, w) {
				t.Errorf("%s: reason %q lacks %q", tt.name, r.Reason, w)
			}
		}
	}
}
