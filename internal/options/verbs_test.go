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
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/internal/trustroot"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// TestOutput: --format takes the report formats only and --progress its
// three modes, from the flag or the environment.
func TestOutput(t *testing.T) {
	if !slices.Contains(report.Formats(), "json") || !slices.Contains(report.Formats(), "text") {
		t.Fatalf("report formats %v: the cases below assume json and text", report.Formats())
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    options.Output
		wantErr []string
	}{
		{name: "defaults", want: options.Output{Format: "text", Progress: "auto"}},
		{name: "json", args: []string{"--format", "json"}, want: options.Output{Format: "json", Progress: "auto"}},
		{name: "short json", args: []string{"-o", "json"}, want: options.Output{Format: "json", Progress: "auto"}},
		{name: "text", args: []string{"--format", "text"}, want: options.Output{Format: "text", Progress: "auto"}},
		{name: "verbose", args: []string{"-v"}, want: options.Output{Format: "text", Verbose: true, Progress: "auto"}},
		{name: "progress always", args: []string{"--progress", "always"}, want: options.Output{Format: "text", Progress: "always"}},
		{name: "progress never", args: []string{"--progress", "never"}, want: options.Output{Format: "text", Progress: "never"}},
		{name: "progress from the environment", env: map[string]string{"VMAFX_TRUST_PROGRESS": "never"}, want: options.Output{Format: "text", Progress: "never"}},
		{name: "xml", args: []string{"--format", "xml"}, wantErr: []string{`--format "xml"`, "json"}},
		{name: "format case matters", args: []string{"--format", "JSON"}, wantErr: []string{`--format "JSON"`}},
		{name: "bad progress", args: []string{"--progress", "bad"}, wantErr: []string{`--progress "bad"`}},
		{name: "bad progress from the environment", env: map[string]string{"VMAFX_TRUST_PROGRESS": "sometimes"}, wantErr: []string{`--progress "sometimes"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o options.Output
			err := runCmdEnv(t, tc.env, o.Flags(), func(*cli.Context) error { return o.Validate() }, tc.args...)
			if tc.wantErr != nil {
				wantUsage(t, err, tc.wantErr...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o != tc.want {
				t.Errorf("got %+v, want %+v", o, tc.want)
			}
		})
	}
}

const hex64 = "9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3"

// TestVerifyBlob: verify-blob's one argument is a file (path made
// absolute, named by its base name) or a digest with its signature, and
// verify-blob-attestation adds the predicate type asked for.
func TestVerifyBlob(t *testing.T) {
	wd := chdirTemp(t)
	// A file whose name looks like a digest is a file.
	writeFile(t, "sha256:"+hex64)
	abs := func(p string) string { return filepath.Join(wd, p) }
	tests := []struct {
		name        string
		attestation bool
		args        []string
		wantName    string
		noIdentity  bool
		wantAttrs   map[string]any
		wantErr     []string
	}{
		{
			name:      "relative file",
			args:      []string{"dist/app.tar.gz"},
			wantName:  "app.tar.gz",
			wantAttrs: map[string]any{"path": abs("dist/app.tar.gz")},
		},
		{
			name:      "absolute file",
			args:      []string{"/srv/app.tar.gz"},
			wantName:  "app.tar.gz",
			wantAttrs: map[string]any{"path": "/srv/app.tar.gz"},
		},
		{
			name:      "file with a bundle",
			args:      []string{"--bundle", "app.sigstore.json", "dist/app.tar.gz"},
			wantName:  "app.tar.gz",
			wantAttrs: map[string]any{"path": abs("dist/app.tar.gz"), "bundle": abs("app.sigstore.json")},
		},
		{
			name:     "file with a detached signature and certificates",
			args:     []string{"--signature", "app.sig", "--certificate", "app.pem", "--certificate-chain", "/etc/chain.pem", "app.tar.gz"},
			wantName: "app.tar.gz",
			wantAttrs: map[string]any{
				"path": abs("app.tar.gz"), "signature": abs("app.sig"), "certificate": abs("app.pem"), "certificate_chain": "/etc/chain.pem",
			},
		},
		{
			name:      "digest with a bundle",
			args:      []string{"--bundle", "b.json", "sha256:" + strings.Repeat("ab", 32)},
			wantName:  "sha256:" + strings.Repeat("ab", 32),
			wantAttrs: map[string]any{"digest": "sha256:" + strings.Repeat("ab", 32), "bundle": abs("b.json")},
		},
		{
			name:      "sha512 digest with a signature",
			args:      []string{"--signature", "s.sig", "sha512:" + strings.Repeat("cd", 64)},
			wantName:  "sha512:" + strings.Repeat("cd", 64),
			wantAttrs: map[string]any{"digest": "sha512:" + strings.Repeat("cd", 64), "signature": abs("s.sig")},
		},
		{
			name:      "existing file named like a digest",
			args:      []string{"sha256:" + hex64},
			wantName:  "sha256:" + hex64,
			wantAttrs: map[string]any{"path": abs("sha256:" + hex64)},
		},
		{name: "digest without a signature", args: []string{"sha256:" + strings.Repeat("ab", 32)}, wantErr: []string{"needs --bundle or --signature"}},
		{name: "short digest", args: []string{"--bundle", "b.json", "sha256:abcd"}, wantErr: []string{"64 hex"}},
		{name: "bundle and signature", args: []string{"--bundle", "b.json", "--signature", "s.sig", "app.tar.gz"}, wantErr: []string{"not both"}},
		{name: "no file", args: nil, wantErr: []string{"exactly one", "got 0"}},
		{name: "two files", args: []string{"a", "b"}, wantErr: []string{"exactly one", "got 2"}},
		{name: "bad format", args: []string{"--format", "xml", "app.tar.gz"}, wantErr: []string{`--format "xml"`}},
		{name: "bad progress", args: []string{"--progress", "bad", "app.tar.gz"}, wantErr: []string{`--progress "bad"`}},
		{name: "no identity", noIdentity: true, args: []string{"app.tar.gz"}, wantErr: []string{"--certificate-identity"}},
		{
			name: "attestation of any predicate type", attestation: true,
			args:      []string{"app.tar.gz"},
			wantName:  "app.tar.gz",
			wantAttrs: map[string]any{"path": abs("app.tar.gz"), "attestation": map[string]any{}},
		},
		{
			name: "attestation type short name", attestation: true,
			args:      []string{"--type", "slsaprovenance1", "app.tar.gz"},
			wantName:  "app.tar.gz",
			wantAttrs: map[string]any{"path": abs("app.tar.gz"), "attestation": map[string]any{"predicate_type": "https://slsa.dev/provenance/v1"}},
		},
		{
			name: "attestation predicate-type alias", attestation: true,
			args:      []string{"--predicate-type", "spdxjson", "app.tar.gz"},
			wantName:  "app.tar.gz",
			wantAttrs: map[string]any{"path": abs("app.tar.gz"), "attestation": map[string]any{"predicate_type": "https://spdx.dev/Document"}},
		},
		{
			name: "attestation type URI", attestation: true,
			args:      []string{"--type", "https://example.com/predicate/v1", "app.tar.gz"},
			wantName:  "app.tar.gz",
			wantAttrs: map[string]any{"path": abs("app.tar.gz"), "attestation": map[string]any{"predicate_type": "https://example.com/predicate/v1"}},
		},
		{
			// The same type, once by short name and once by URI.
			name: "attestation type and alias agreeing", attestation: true,
			args:      []string{"--type", "slsaprovenance1", "--predicate-type", "https://slsa.dev/provenance/v1", "app.tar.gz"},
			wantName:  "app.tar.gz",
			wantAttrs: map[string]any{"path": abs("app.tar.gz"), "attestation": map[string]any{"predicate_type": "https://slsa.dev/provenance/v1"}},
		},
		{
			// One attestation has one predicate type: two different ones
			// cannot both be required, and neither may be dropped.
			name: "attestation type and alias disagreeing", attestation: true,
			args:    []string{"--type", "slsaprovenance1", "--predicate-type", "spdxjson", "app.tar.gz"},
			wantErr: []string{"--type slsaprovenance1", "--predicate-type spdxjson"},
		},
		{
			name: "attestation digest with a bundle", attestation: true,
			args:      []string{"--bundle", "att.json", "--type", "cyclonedx", "sha256:" + strings.Repeat("ab", 32)},
			wantName:  "sha256:" + strings.Repeat("ab", 32),
			wantAttrs: map[string]any{"digest": "sha256:" + strings.Repeat("ab", 32), "bundle": abs("att.json"), "attestation": map[string]any{"predicate_type": "https://cyclonedx.org/bom"}},
		},
		{name: "attestation without a file", attestation: true, args: []string{"--type", "slsaprovenance1"}, wantErr: []string{"exactly one", "got 0"}},
		{name: "attestation of two files", attestation: true, args: []string{"a", "b"}, wantErr: []string{"exactly one", "got 2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if !tc.noIdentity {
				args = append(slices.Clone(keyless), args...)
			}
			pol, err := blobPolicy(t, tc.attestation, args...)
			if tc.wantErr != nil {
				wantUsage(t, err, tc.wantErr...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := &policy.Policy{
				File: "verify-blob", Dir: wd,
				TrustRoots: []*policy.TrustRoot{{Spec: trustroot.Spec{Name: "command-line"}}},
				Identities: map[string]*policy.Identity{},
				Artifacts: []*policy.Artifact{{
					Kind: "blob", Name: tc.wantName, Attributes: tc.wantAttrs,
					Identities: []trust.Identity{keylessIdentity}, Require: 1, TrustRoot: "command-line",
				}},
			}
			if !reflect.DeepEqual(pol, want) {
				t.Errorf("policy\n got %s\nwant %s", dump(pol), dump(want))
			}
		})
	}
}

// TestVerifyBlobFlags: only verify-blob-attestation takes a predicate type;
// verify-blob has no use for one.
func TestVerifyBlobFlags(t *testing.T) {
	for _, attestation := range []bool{false, true} {
		o := &options.VerifyBlob{Attestation: attestation}
		var names []string
		for _, f := range o.Flags() {
			names = append(names, f.Names()...)
		}
		for _, n := range []string{"type", "predicate-type"} {
			if slices.Contains(names, n) != attestation {
				t.Errorf("attestation %v: flag --%s registered %v", attestation, n, !attestation)
			}
		}
	}
}

func fmtV(v any) string { return fmt.Sprintf("%+v", v) }

// dump prints a policy with its pointers followed.
func dump(p *policy.Policy) string {
	var b strings.Builder
	b.WriteString("{File:" + p.File + " Dir:" + p.Dir)
	for _, tr := range p.TrustRoots {
		b.WriteString(" TrustRoot:" + fmtV(*tr))
	}
	b.WriteString(" Identities:" + fmtV(p.Identities))
	for _, a := range p.Artifacts {
		b.WriteString("\n  Artifact:" + fmtV(*a) + " Requirements:" + requirements(a.Requirements))
	}
	return b.String() + "}"
}

// TestVerifyImage: each IMAGE is one artifact, all with the same signer
// and the same registry, platform and attestation settings.
func TestVerifyImage(t *testing.T) {
	wd := chdirTemp(t)
	writeFile(t, "k.pem")
	const img1, img2 = "registry.example/app:1.4.0", "registry.example/app@sha256:" + hex64
	tests := []struct {
		name        string
		attestation bool
		args        []string
		images      []string
		wantAttrs   map[string]any // besides ref
		wantKey     bool
		wantErr     []string
	}{
		{name: "one image", images: []string{img1}, wantAttrs: map[string]any{}},
		{name: "several images", images: []string{img1, img2, "oci-layout://./dir"}, wantAttrs: map[string]any{}},
		{name: "key", args: []string{"--key", "k.pem"}, images: []string{img1, img2}, wantAttrs: map[string]any{}, wantKey: true},
		{name: "platform", args: []string{"--platform", "linux/amd64,linux/arm64/v8"}, images: []string{img1}, wantAttrs: map[string]any{"platforms": "linux/amd64,linux/arm64/v8"}},
		{name: "all platforms", args: []string{"--all-platforms"}, images: []string{img1, img2}, wantAttrs: map[string]any{"platforms": "all"}},
		{name: "platform and all platforms", args: []string{"--platform", "linux/amd64", "--all-platforms"}, images: []string{img1}, wantErr: []string{"--platform", "--all-platforms"}},
		{name: "http registry", args: []string{"--allow-http-registry"}, images: []string{img1}, wantAttrs: map[string]any{"insecure": true}},
		{name: "insecure registry", args: []string{"--allow-insecure-registry"}, images: []string{img1}, wantAttrs: map[string]any{"insecure": true}},
		{
			name:      "every registry flag",
			args:      []string{"--allow-http-registry", "--allow-insecure-registry", "--allow-reference-mismatch", "--require-digest", "--github-repository", "o/r"},
			images:    []string{img1, img2},
			wantAttrs: map[string]any{"insecure": true, "allow_reference_mismatch": true, "require_digest": true, "github_repository": "o/r"},
		},
		{
			// verify-attestation checks attestations, not signatures, of
			// any predicate type unless asked for one.
			name: "attestation of any type", attestation: true,
			images:    []string{img1},
			wantAttrs: map[string]any{"signature": false},
		},
		{
			name: "attestation types, comma-separated and repeated", attestation: true,
			args:   []string{"--type", "slsaprovenance1, spdxjson", "--type", "https://example.com/p/v1", "--predicate-type", "cyclonedx,vuln"},
			images: []string{img1, img2},
			wantAttrs: map[string]any{"signature": false, "attestations": []any{
				"https://slsa.dev/provenance/v1", "https://spdx.dev/Document", "https://example.com/p/v1",
				"https://cyclonedx.org/bom", "https://cosign.sigstore.dev/attestation/vuln/v1",
			}},
		},
		{
			name: "attestation with registry and platform flags", attestation: true,
			args:      []string{"--type", "slsaprovenance", "--all-platforms", "--require-digest"},
			images:    []string{img2},
			wantAttrs: map[string]any{"signature": false, "attestations": []any{"https://slsa.dev/provenance/v0.2"}, "platforms": "all", "require_digest": true},
		},
		{name: "no image", wantErr: []string{"at least one IMAGE"}},
		{name: "attestation without an image", attestation: true, args: []string{"--type", "spdx"}, wantErr: []string{"at least one IMAGE"}},
		{name: "bad format", args: []string{"--format", "xml"}, images: []string{img1}, wantErr: []string{`--format "xml"`}},
		{name: "key and identity", args: []string{"--key", "k.pem", "--repo", "o/r"}, images: []string{img1}, wantErr: []string{"--key"}},
		{name: "missing key", args: []string{"--key", "nope.pem"}, images: []string{img1}, wantErr: []string{"--key nope.pem"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := &options.VerifyImage{Attestation: tc.attestation}
			args := slices.Clone(tc.args)
			if !tc.wantKey && !slices.Contains(args, "--key") {
				args = append(args, keyless...)
			}
			var pol *policy.Policy
			err := runCmd(t, o.Flags(), func(c *cli.Context) error {
				var err error
				pol, err = o.Policy("verify", c.Args().Slice())
				return err
			}, append(args, tc.images...)...)
			if tc.wantErr != nil {
				wantUsage(t, err, tc.wantErr...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tr := trustroot.Spec{Name: "command-line"}
			ids := []trust.Identity{keylessIdentity}
			if tc.wantKey {
				tr.PublicKeys, tr.WithTUF, ids = []string{filepath.Join(wd, "k.pem")}, true, nil
			}
			want := &policy.Policy{File: "verify", Dir: wd, TrustRoots: []*policy.TrustRoot{{Spec: tr}}, Identities: map[string]*policy.Identity{}}
			for _, ref := range tc.images {
				attrs := map[string]any{"ref": ref}
				for k, v := range tc.wantAttrs {
					attrs[k] = v
				}
				want.Artifacts = append(want.Artifacts, &policy.Artifact{
					Kind: "image", Name: ref, Attributes: attrs, Identities: ids, Require: 1, TrustRoot: "command-line", UseKey: tc.wantKey,
				})
			}
			if !reflect.DeepEqual(pol, want) {
				t.Errorf("policy\n got %s\nwant %s", dump(pol), dump(want))
			}
		})
	}
}

// TestVerifyImageArtifactsIndependent: the artifacts of one command line
// share no attribute map, so one artifact's attributes, set by whatever
// runs it, cannot leak into the next one's.
func TestVerifyImageArtifactsIndependent(t *testing.T) {
	chdirTemp(t)
	o := &options.VerifyImage{}
	var pol *policy.Policy
	err := runCmd(t, o.Flags(), func(c *cli.Context) error {
		var err error
		pol, err = o.Policy("verify", c.Args().Slice())
		return err
	}, append(slices.Clone(keyless), "--all-platforms", "a.example/x:1", "a.example/y:1")...)
	if err != nil {
		t.Fatal(err)
	}
	pol.Artifacts[0].Attributes["platforms"] = "linux/amd64"
	if got := pol.Artifacts[1].Attributes["platforms"]; got != "all" {
		t.Errorf("second artifact's platforms %v after changing the first's, want all", got)
	}
}

// TestVerifyImageFlags: only verify-attestation takes predicate types.
func TestVerifyImageFlags(t *testing.T) {
	for _, attestation := range []bool{false, true} {
		o := &options.VerifyImage{Attestation: attestation}
		var names []string
		for _, f := range o.Flags() {
			names = append(names, f.Names()...)
		}
		for _, n := range []string{"type", "predicate-type"} {
			if slices.Contains(names, n) != attestation {
				t.Errorf("attestation %v: flag --%s registered %v", attestation, n, !attestation)
			}
		}
	}
}
