package options_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/options"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/trustroot"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// distributionName stands in for the pypi plugin's file-name rule: the
// project is what comes before the first "-", and a name without one is
// no distribution. The options only need a project per file.
func distributionName(file string) (string, string, error) {
	name, rest, ok := strings.Cut(file, "-")
	if !ok || name == "" {
		return "", "", fmt.Errorf("%q is not a distribution file name", file)
	}
	version, _, _ := strings.Cut(rest, "-")
	return name, strings.TrimSuffix(version, ".tar.gz"), nil
}

// pypiPolicy runs pypi verify with args.
func pypiPolicy(t *testing.T, args ...string) (*policy.Policy, error) {
	t.Helper()
	o := &options.PyPIVerify{}
	var pol *policy.Policy
	err := runCmd(t, o.Flags("https://pypi.org/simple/"), func(c *cli.Context) error {
		var err error
		pol, err = o.Policy(c.Args().Slice(), distributionName)
		return err
	}, args...)
	return pol, err
}

// publisherID is the identity policy.TrustedPublisherIdentity gives a
// publisher block: the command line must mean what a policy's publisher {}
// block means.
func publisherID(t *testing.T, pub map[string]any) trust.Identity {
	t.Helper()
	id, err := policy.TrustedPublisherIdentity(pub)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestPyPIVerify: pypi verify names a release, local files or files by
// name and sha256, of one project, and who must have published them: a
// Trusted Publisher or a certificate identity, never both, never neither.
func TestPyPIVerify(t *testing.T) {
	wd := chdirTemp(t)
	writeFile(t, "trusted_root.json")
	abs := func(p string) string { return filepath.Join(wd, p) }
	ghPub := []string{"--repository", "o/r", "--workflow", "release.yml"}
	ghBlock := map[string]any{"kind": "github", "repository": "o/r", "workflow": "release.yml"}
	upper := strings.ToUpper(hex64)
	tests := []struct {
		name      string
		args      []string
		wantName  string
		wantAttrs map[string]any
		wantID    map[string]any // the publisher block whose identity is wanted; nil: keylessIdentity
		wantRoot  string
		wantErr   []string
	}{
		{
			name:      "release",
			args:      append(slices.Clone(ghPub), "vmaf==1.4.0"),
			wantName:  "vmaf",
			wantAttrs: map[string]any{"version": "1.4.0", "publisher": ghBlock},
			wantID:    ghBlock,
		},
		{
			name: "release from another index, with a provenance directory and file patterns",
			args: append(slices.Clone(ghPub), "--index", "https://test.pypi.org/simple/", "--provenance", "prov",
				"--files", "*.whl", "--files", "*.tar.gz", "vmaf==1.4.0"),
			wantName: "vmaf",
			wantAttrs: map[string]any{
				"version": "1.4.0", "publisher": ghBlock, "index": "https://test.pypi.org/simple/",
				"provenance": abs("prov"), "files": []any{"*.whl", "*.tar.gz"},
			},
			wantID: ghBlock,
		},
		{
			name:      "release against a trusted root",
			args:      append(slices.Clone(ghPub), "--trusted-root", "trusted_root.json", "vmaf==1.4.0"),
			wantName:  "vmaf",
			wantAttrs: map[string]any{"version": "1.4.0", "publisher": ghBlock},
			wantID:    ghBlock,
			wantRoot:  abs("trusted_root.json"),
		},
		{name: "release without a version", args: append(slices.Clone(ghPub), "vmaf=="), wantErr: []string{`"vmaf=="`, "NAME==VERSION"}},
		{name: "release without a name", args: append(slices.Clone(ghPub), "==1.4.0"), wantErr: []string{`"==1.4.0"`, "NAME==VERSION"}},
		{
			name:      "local files",
			args:      append(slices.Clone(ghPub), "dist/vmaf-1.4.0-py3-none-any.whl", "/srv/vmaf-1.4.0.tar.gz"),
			wantName:  "vmaf",
			wantAttrs: map[string]any{"dist": []any{abs("dist/vmaf-1.4.0-py3-none-any.whl"), "/srv/vmaf-1.4.0.tar.gz"}, "publisher": ghBlock},
			wantID:    ghBlock,
		},
		{
			name:    "local files of two projects",
			args:    append(slices.Clone(ghPub), "dist/vmaf-1.4.0.tar.gz", "dist/other-1.0.tar.gz"),
			wantErr: []string{"dist/other-1.0.tar.gz is a file of other, not of vmaf", "one project at a time"},
		},
		{name: "not a distribution", args: append(slices.Clone(ghPub), "dist/README"), wantErr: []string{"dist/README", "not a distribution"}},
		{
			// Digests are compared as hex: a sha256: prefix and upper case
			// are how lock files and tools print them.
			name:     "files by name and sha256",
			args:     append(slices.Clone(ghPub), "--name", "vmaf-1.4.0.tar.gz", "--sha256", "sha256:"+upper, "--name", "vmaf-1.4.0-py3-none-any.whl", "--sha256", hex64),
			wantName: "vmaf",
			wantAttrs: map[string]any{"file": []any{
				map[string]any{"name": "vmaf-1.4.0.tar.gz", "sha256": hex64},
				map[string]any{"name": "vmaf-1.4.0-py3-none-any.whl", "sha256": hex64},
			}, "publisher": ghBlock},
			wantID: ghBlock,
		},
		{
			name:      "upper-case sha256 prefix",
			args:      append(slices.Clone(ghPub), "--name", "vmaf-1.4.0.tar.gz", "--sha256", "SHA256:"+upper),
			wantName:  "vmaf",
			wantAttrs: map[string]any{"file": []any{map[string]any{"name": "vmaf-1.4.0.tar.gz", "sha256": hex64}}, "publisher": ghBlock},
			wantID:    ghBlock,
		},
		{name: "more names than digests", args: append(slices.Clone(ghPub), "--name", "vmaf-1.tar.gz", "--name", "vmaf-2.tar.gz", "--sha256", hex64), wantErr: []string{"in pairs", "2 names, 1 digests"}},
		{name: "digest without a name", args: append(slices.Clone(ghPub), "--sha256", hex64), wantErr: []string{"in pairs", "0 names, 1 digests"}},
		{name: "names and arguments", args: append(slices.Clone(ghPub), "--name", "vmaf-1.tar.gz", "--sha256", hex64, "vmaf==1"), wantErr: []string{"not several"}},
		{
			name:    "names of two projects",
			args:    append(slices.Clone(ghPub), "--name", "vmaf-1.tar.gz", "--sha256", hex64, "--name", "other-1.tar.gz", "--sha256", hex64),
			wantErr: []string{"--name other-1.tar.gz is a file of other, not of vmaf"},
		},
		{name: "nothing to verify", args: ghPub, wantErr: []string{"pypi verify takes NAME==VERSION"}},
		{
			name:      "gitlab publisher",
			args:      []string{"--kind", "gitlab", "--repository", "g/sub/p", "--workflow", ".gitlab-ci.yml", "vmaf==1.4.0"},
			wantName:  "vmaf",
			wantAttrs: map[string]any{"version": "1.4.0", "publisher": map[string]any{"kind": "gitlab", "repository": "g/sub/p", "workflow_filepath": ".gitlab-ci.yml"}},
			wantID:    map[string]any{"kind": "gitlab", "repository": "g/sub/p", "workflow_filepath": ".gitlab-ci.yml"},
		},
		{
			// An e-mail alone names a Google service account.
			name:      "google publisher",
			args:      []string{"--email", "release@p.iam.gserviceaccount.com", "vmaf==1.4.0"},
			wantName:  "vmaf",
			wantAttrs: map[string]any{"version": "1.4.0", "publisher": map[string]any{"kind": "google", "email": "release@p.iam.gserviceaccount.com"}},
			wantID:    map[string]any{"kind": "google", "email": "release@p.iam.gserviceaccount.com"},
		},
		{
			name:      "kind in capitals, with an environment",
			args:      append([]string{"--kind", "GitHub", "--environment", "pypi"}, append(slices.Clone(ghPub), "vmaf==1.4.0")...),
			wantName:  "vmaf",
			wantAttrs: map[string]any{"version": "1.4.0", "publisher": map[string]any{"kind": "github", "repository": "o/r", "workflow": "release.yml", "environment": "pypi"}},
			wantID:    map[string]any{"kind": "github", "repository": "o/r", "workflow": "release.yml", "environment": "pypi"},
		},
		{name: "publisher without a workflow", args: []string{"--repository", "o/r", "vmaf==1"}, wantErr: []string{"publisher:", "workflow"}},
		{name: "publisher repository without owner", args: []string{"--repository", "nope", "--workflow", "r.yml", "vmaf==1"}, wantErr: []string{"publisher:", `"nope"`}},
		{name: "unknown publisher kind", args: []string{"--kind", "svn", "--repository", "o/r", "vmaf==1"}, wantErr: []string{"publisher:", `"svn"`}},
		{name: "google publisher with an environment", args: []string{"--email", "a@b.example", "--environment", "pypi", "vmaf==1"}, wantErr: []string{"publisher:", "environment"}},
		{
			name:      "certificate identity instead of a publisher",
			args:      append(slices.Clone(keyless), "vmaf==1.4.0"),
			wantName:  "vmaf",
			wantAttrs: map[string]any{"version": "1.4.0"},
		},
		{name: "certificate identity without issuer", args: []string{"--certificate-identity", "dev@example.com", "vmaf==1"}, wantErr: []string{"go together"}},
		{name: "certificate issuer without identity", args: []string{"--certificate-oidc-issuer", "https://issuer.example", "vmaf==1"}, wantErr: []string{"go together"}},
		{name: "invalid certificate regexp", args: []string{"--certificate-identity-regexp", "(", "--certificate-oidc-issuer", "https://issuer.example", "vmaf==1"}, wantErr: []string{"--certificate-identity-regexp", "missing closing )"}},
		{
			name:    "certificate regexp that only compiles once wrapped",
			args:    []string{"--certificate-identity-regexp", `a)|(.*`, "--certificate-oidc-issuer", "https://issuer.example", "vmaf==1"},
			wantErr: []string{"--certificate-identity-regexp", "unexpected )"},
		},
		{name: "publisher and certificate", args: append(append(slices.Clone(ghPub), keyless...), "vmaf==1"), wantErr: []string{"not both"}},
		{name: "environment and certificate", args: append([]string{"--environment", "pypi"}, append(slices.Clone(keyless), "vmaf==1")...), wantErr: []string{"not both"}},
		{name: "neither publisher nor certificate", args: []string{"vmaf==1.4.0"}, wantErr: []string{"who must have published it?"}},
		{name: "missing trusted root", args: append(slices.Clone(ghPub), "--trusted-root", "nope.json", "vmaf==1"), wantErr: []string{"--trusted-root nope.json"}},
		{name: "bad format", args: append(slices.Clone(ghPub), "--format", "xml", "vmaf==1"), wantErr: []string{`--format "xml"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := pypiPolicy(t, tc.args...)
			if tc.wantErr != nil {
				wantUsage(t, err, tc.wantErr...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			id := keylessIdentity
			if tc.wantID != nil {
				id = publisherID(t, tc.wantID)
			}
			want := &policy.Policy{
				File: "pypi verify", Dir: wd,
				TrustRoots: []*policy.TrustRoot{{Spec: trustroot.Spec{Name: "command-line", TrustedRoot: tc.wantRoot}}},
				Identities: map[string]*policy.Identity{},
				Artifacts: []*policy.Artifact{{
					Kind: "pypi", Name: tc.wantName, Attributes: tc.wantAttrs,
					Identities: []trust.Identity{id}, Require: 1, TrustRoot: "command-line",
				}},
			}
			if !reflect.DeepEqual(pol, want) {
				t.Errorf("policy\n got %s\nwant %s", dump(pol), dump(want))
			}
		})
	}
}

// TestPyPIPublisherIdentity: the identity of a GitHub publisher accepts
// its own repository's workflow, whatever reusable workflow signed, and
// nothing of another repository or workflow.
func TestPyPIPublisherIdentity(t *testing.T) {
	chdirTemp(t)
	pol, err := pypiPolicy(t, "--repository", "o/r", "--workflow", "release.yml", "vmaf==1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := onlyArtifact(t, pol)
	if len(a.Identities) != 1 {
		t.Fatalf("%d identities, want 1", len(a.Identities))
	}
	ext := func(repo, config string) map[string]string {
		return map[string]string{"source_repository_uri": repo, "build_config_uri": config}
	}
	const repo, config = "https://github.com/o/r", "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.4.0"
	checkMatches(t, a.Identities[0],
		[]*trust.Signer{
			ghSigner("https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.4.0", ext(repo, config)),
			ghSigner("https://github.com/slsa/gen/.github/workflows/builder.yml@refs/tags/v2", ext(repo, config)),
		},
		[]*trust.Signer{
			ghSigner("https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.4.0", ext("https://github.com/o/r-evil", config)),
			ghSigner("https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.4.0", ext(repo, "https://github.com/o/r/.github/workflows/other.yml@refs/tags/v1.4.0")),
			ghSigner("https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.4.0", ext(repo, "https://github.com/o/r/.github/workflows/release.yml.evil@x")),
			{Subject: "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.4.0", Issuer: trust.GitLabIssuer, Extensions: ext(repo, config)},
		})
}
