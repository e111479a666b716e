package options_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/options"
	"github.com/vmafx/vmafx-trust/internal/policy"
)

// TestSBOMVerify: each form of the command line becomes the sbom block it
// means (and for an IMAGE the image block it refers to), every rule flag
// lands in the content block, and a command line that means nothing is a
// usage error.
func TestSBOMVerify(t *testing.T) {
	signer := []string{"--certificate-identity", "r@example.com", "--certificate-oidc-issuer", "https://issuer.example"}
	digest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		name    string
		args    []string
		kinds   []string
		attrs   map[string]any // of the sbom block, beyond paths
		wantErr string
	}{
		{name: "digest", args: append([]string{"--bundle", "b.json", "--type", "cyclonedx", "--allow-cosign-custom"}, append(signer, digest)...),
			kinds: []string{"sbom"}, attrs: map[string]any{"digest": digest, "format": "cyclonedx", "allow_cosign_custom": true}},
		{name: "rules", args: append([]string{"--bundle", "b.json", "--require-package", "libvmaf", "--require-package", "pkg:pypi/requests >=2.31",
			"--deny-package", "log4j-core", "--deny-license", "GPL-3.0-only", "--allow-license", "MIT", "--unlicensed", "warn",
			"--min-components", "3", "--max-age", "30d", "--ntia-minimum-elements"}, append(signer, digest)...),
			kinds: []string{"sbom"}, attrs: map[string]any{"digest": digest, "content": map[string]any{
				"packages": []any{"libvmaf", "pkg:pypi/requests >=2.31"}, "deny_packages": []any{"log4j-core"},
				"deny_licenses": []any{"GPL-3.0-only"}, "allow_licenses": []any{"MIT"}, "unlicensed": "warn",
				"min_components": 3, "max_age": "30d", "ntia_minimum_elements": true}}},
		{name: "image", args: append([]string{"--all-platforms"}, append(signer, "ghcr.io/vmafx/vmafx:1.4.0")...), kinds: []string{"image", "sbom"}, attrs: map[string]any{}},
		{name: "signed file by digest", args: append([]string{"--sbom", "sbom.spdx.json"}, append(signer, digest)...), kinds: []string{"sbom"}, attrs: map[string]any{"describes_digest": digest}},
		{name: "nothing", args: signer, wantErr: "takes one IMAGE, FILE or sha256:<hex>"},
		{name: "two", args: append(signer, digest, digest), wantErr: "got 2 arguments"},
		{name: "digest without bundle", args: append(signer, digest), wantErr: "needs --bundle"},
		{name: "image with bundle", args: append([]string{"--bundle", "b.json"}, append(signer, "ghcr.io/vmafx/vmafx:1.4.0")...), wantErr: "no such file"},
		{name: "signed file and a file", args: append([]string{"--sbom", "sbom.spdx.json"}, append(signer, "other.whl")...), wantErr: "give the digest the SBOM must describe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			writeFiles(t, dir, "sbom.spdx.json", "other.whl")
			var o options.SBOMVerify
			var pol *policy.Policy
			err := runCmd(t, o.Flags(), func(c *cli.Context) (err error) {
				pol, err = o.Policy(c.Args().Slice())
				return err
			}, tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, a := range pol.Artifacts {
				kinds = append(kinds, a.Kind)
			}
			if !reflect.DeepEqual(kinds, tc.kinds) {
				t.Fatalf("kinds %v, want %v", kinds, tc.kinds)
			}
			sb := pol.Artifacts[len(pol.Artifacts)-1]
			for k, want := range tc.attrs {
				if got := sb.Attributes[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", k, got, want)
				}
			}
			if len(sb.Identities) != 1 || sb.Identities[0].Subject != "r@example.com" {
				t.Errorf("identities %+v", sb.Identities)
			}
			if len(tc.kinds) == 2 {
				img := pol.Artifacts[0]
				if img.Attributes["signature"] != false || img.Attributes["platforms"] != "all" || sb.References["image"] != (policy.ArtifactRef{Kind: "image", Name: img.Name}) {
					t.Errorf("image %+v, sbom references %+v", img.Attributes, sb.References)
				}
			}
		})
	}
}

func writeFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
