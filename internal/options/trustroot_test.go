package options_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/options"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/trustroot"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// keyless is a complete certificate identity, for cases about something
// else.
var keyless = []string{"--certificate-identity", "dev@example.com", "--certificate-oidc-issuer", "https://issuer.example"}

var keylessIdentity = trust.Identity{Name: "command-line", Subject: "dev@example.com", Issuer: "https://issuer.example"}

// blobPolicy runs verify-blob (or verify-blob-attestation) with args.
func blobPolicy(t *testing.T, attestation bool, args ...string) (*policy.Policy, error) {
	t.Helper()
	o := &options.VerifyBlob{Attestation: attestation}
	var pol *policy.Policy
	err := runCmd(t, o.Flags(), func(c *cli.Context) error {
		var err error
		pol, err = o.Policy("verify-blob", c.Args().Slice())
		return err
	}, args...)
	return pol, err
}

// onlyArtifact returns the policy's one artifact and its trust root,
// checking that the artifact names that root.
func onlyArtifact(t *testing.T, pol *policy.Policy) (*policy.Artifact, *policy.TrustRoot) {
	t.Helper()
	if len(pol.Artifacts) != 1 || len(pol.TrustRoots) != 1 {
		t.Fatalf("%d artifacts, %d trust roots, want 1 and 1", len(pol.Artifacts), len(pol.TrustRoots))
	}
	a, tr := pol.Artifacts[0], pol.TrustRoots[0]
	if a.TrustRoot != tr.Name {
		t.Errorf("artifact verifies against trust root %q, the policy's is %q", a.TrustRoot, tr.Name)
	}
	return a, tr
}

// TestKey: --key verifies a key signature against the key file, with
// public-good's log keys unless a trusted root is given or the log is
// ignored, and refuses every identity flag instead of ignoring it.
func TestKey(t *testing.T) {
	wd := chdirTemp(t)
	for _, f := range []string{"art.bin", "k.pem", "keys/other.pem", "trusted_root.json"} {
		writeFile(t, f)
	}
	abs := filepath.Join(wd, "keys", "other.pem")
	tests := []struct {
		name    string
		args    []string
		want    trustroot.Spec
		ignore  bool
		wantErr []string
	}{
		{
			name: "key with public-good's log",
			args: []string{"--key", "k.pem"},
			want: trustroot.Spec{Name: "command-line", PublicKeys: []string{filepath.Join(wd, "k.pem")}, WithTUF: true},
		},
		{
			name: "absolute key path",
			args: []string{"--key", abs},
			want: trustroot.Spec{Name: "command-line", PublicKeys: []string{abs}, WithTUF: true},
		},
		{
			name: "relative key in a directory",
			args: []string{"--key", filepath.Join("keys", "other.pem")},
			want: trustroot.Spec{Name: "command-line", PublicKeys: []string{abs}, WithTUF: true},
		},
		{
			// The trusted root carries the log keys: no TUF.
			name: "key with a trusted root",
			args: []string{"--key", "k.pem", "--trusted-root", "trusted_root.json"},
			want: trustroot.Spec{Name: "command-line", TrustedRoot: filepath.Join(wd, "trusted_root.json"), PublicKeys: []string{filepath.Join(wd, "k.pem")}},
		},
		{
			// No log, no log keys to fetch.
			name:   "key with the log ignored",
			args:   []string{"--key", "k.pem", "--insecure-ignore-tlog"},
			want:   trustroot.Spec{Name: "command-line", PublicKeys: []string{filepath.Join(wd, "k.pem")}},
			ignore: true,
		},
		{name: "missing key file", args: []string{"--key", "nope.pem"}, wantErr: []string{"--key nope.pem", "no such file"}},
		{name: "missing key file in a missing directory", args: []string{"--key", "no/such.pem"}, wantErr: []string{"--key no/such.pem"}},
		{name: "missing trusted root with a key", args: []string{"--key", "k.pem", "--trusted-root", "nope.json"}, wantErr: []string{"--trusted-root nope.json"}},
	}
	// Every identity flag contradicts --key; none may be dropped silently,
	// or the user believes a constraint holds that nothing checks.
	for _, flag := range [][]string{
		{"--certificate-identity", "dev@example.com"},
		{"--certificate-identity-regexp", ".*"},
		{"--certificate-oidc-issuer", "https://issuer.example"},
		{"--certificate-oidc-issuer-regexp", ".*"},
		{"--certificate-github-workflow-repository", "o/r"},
		{"--certificate-github-workflow-ref", "refs/heads/main"},
		{"--certificate-github-workflow-sha", "0123456789abcdef0123456789abcdef01234567"},
		{"--certificate-github-workflow-trigger", "push"},
		{"--certificate-github-workflow-name", "release"},
		{"--owner", "o"},
		{"--repo", "o/r"},
		{"--signer-repo", "o/r"},
		{"--signer-workflow", "o/r/.github/workflows/x.yml@refs/tags/v1"},
		{"--source-ref", "refs/heads/main"},
		{"--deny-self-hosted-runners"},
	} {
		tests = append(tests, struct {
			name    string
			args    []string
			want    trustroot.Spec
			ignore  bool
			wantErr []string
		}{name: "key and " + flag[0], args: append([]string{"--key", "k.pem"}, flag...), wantErr: []string{"--key"}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := blobPolicy(t, false, append(tc.args, "art.bin")...)
			if tc.wantErr != nil {
				wantUsage(t, err, tc.wantErr...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a, tr := onlyArtifact(t, pol)
			if !reflect.DeepEqual(tr.Spec, tc.want) {
				t.Errorf("trust root\n got %+v\nwant %+v", tr.Spec, tc.want)
			}
			if !a.UseKey || a.Identities != nil || a.Require != 1 {
				t.Errorf("UseKey %v, identities %+v, require %d: want a key signature, no identity, require 1", a.UseKey, a.Identities, a.Require)
			}
			if a.Requirements.IgnoreTlog != tc.ignore {
				t.Errorf("IgnoreTlog %v, want %v", a.Requirements.IgnoreTlog, tc.ignore)
			}
		})
	}
}

// TestTrustRoot: --trusted-root is checked to exist and made absolute
// against the working directory, the policy's directory; without it the
// verb verifies against public-good.
func TestTrustRoot(t *testing.T) {
	wd := chdirTemp(t)
	writeFile(t, "art.bin")
	writeFile(t, filepath.Join("roots", "trusted_root.json"))
	abs := filepath.Join(wd, "roots", "trusted_root.json")
	tests := []struct {
		name    string
		args    []string
		want    trustroot.Spec
		wantErr []string
	}{
		{name: "public-good", args: nil, want: trustroot.Spec{Name: "command-line"}},
		{name: "relative path", args: []string{"--trusted-root", filepath.Join("roots", "trusted_root.json")}, want: trustroot.Spec{Name: "command-line", TrustedRoot: abs}},
		{name: "dot-relative path", args: []string{"--trusted-root", "./roots/../roots/trusted_root.json"}, want: trustroot.Spec{Name: "command-line", TrustedRoot: abs}},
		{name: "absolute path", args: []string{"--trusted-root", abs}, want: trustroot.Spec{Name: "command-line", TrustedRoot: abs}},
		{name: "missing file", args: []string{"--trusted-root", "nope.json"}, wantErr: []string{"--trusted-root nope.json", "no such file"}},
		{name: "missing absolute file", args: []string{"--trusted-root", filepath.Join(wd, "nope.json")}, wantErr: []string{"--trusted-root " + filepath.Join(wd, "nope.json")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := blobPolicy(t, false, append(append(tc.args, keyless...), "art.bin")...)
			if tc.wantErr != nil {
				wantUsage(t, err, tc.wantErr...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a, tr := onlyArtifact(t, pol)
			want := &policy.TrustRoot{Spec: tc.want}
			if !reflect.DeepEqual(tr, want) {
				t.Errorf("trust root\n got %+v\nwant %+v", tr, want)
			}
			if a.UseKey || !reflect.DeepEqual(a.Identities, []trust.Identity{keylessIdentity}) {
				t.Errorf("UseKey %v, identities %+v: want the keyless identity", a.UseKey, a.Identities)
			}
		})
	}
}

// TestCache: --offline and --cache-dir, or their environment variables,
// reach the group's fields.
func TestCache(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want options.Cache
	}{
		{name: "none", want: options.Cache{}},
		{name: "flags", args: []string{"--offline", "--cache-dir", "/tmp/c"}, want: options.Cache{Offline: true, CacheDir: "/tmp/c"}},
		{name: "environment", env: map[string]string{"VMAFX_TRUST_OFFLINE": "true", "VMAFX_TRUST_CACHE_DIR": "/tmp/e"}, want: options.Cache{Offline: true, CacheDir: "/tmp/e"}},
		{name: "flag over environment", env: map[string]string{"VMAFX_TRUST_CACHE_DIR": "/tmp/e"}, args: []string{"--cache-dir", "/tmp/c"}, want: options.Cache{CacheDir: "/tmp/c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o options.TrustRoot
			err := runCmdEnv(t, tc.env, o.Flags(), func(*cli.Context) error { return nil }, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if o.Cache != tc.want {
				t.Errorf("got %+v, want %+v", o.Cache, tc.want)
			}
		})
	}
}

// TestVerification: cosign's loosening and tightening flags become the
// artifact's requirements, the same for a key and for an identity.
func TestVerification(t *testing.T) {
	chdirTemp(t)
	writeFile(t, "art.bin")
	writeFile(t, "k.pem")
	zero := 0
	tests := []struct {
		name string
		args []string
		want trust.Requirements
	}{
		{name: "defaults", want: trust.Requirements{}},
		{name: "ignore tlog", args: []string{"--insecure-ignore-tlog"}, want: trust.Requirements{IgnoreTlog: true}},
		{name: "ignore sct", args: []string{"--insecure-ignore-sct"}, want: trust.Requirements{SCTThreshold: &zero}},
		{name: "signed timestamps", args: []string{"--use-signed-timestamps"}, want: trust.Requirements{TimeSource: "timestamp"}},
		// Accepted for cosign's command lines; every format is read anyway.
		{name: "new bundle format", args: []string{"--new-bundle-format"}, want: trust.Requirements{}},
		{
			name: "all",
			args: []string{"--insecure-ignore-tlog", "--insecure-ignore-sct", "--use-signed-timestamps", "--new-bundle-format"},
			want: trust.Requirements{IgnoreTlog: true, SCTThreshold: &zero, TimeSource: "timestamp"},
		},
	}
	for _, tc := range tests {
		for _, signer := range [][]string{keyless, {"--key", "k.pem"}} {
			t.Run(tc.name+" "+signer[0], func(t *testing.T) {
				pol, err := blobPolicy(t, false, append(append(tc.args, signer...), "art.bin")...)
				if err != nil {
					t.Fatal(err)
				}
				a, _ := onlyArtifact(t, pol)
				if !reflect.DeepEqual(a.Requirements, tc.want) {
					t.Errorf("requirements\n got %s\nwant %s", requirements(a.Requirements), requirements(tc.want))
				}
				if err := a.Requirements.Validate(); err != nil {
					t.Errorf("requirements do not validate: %v", err)
				}
			})
		}
	}
}

// requirements prints the thresholds' values, not their addresses.
func requirements(r trust.Requirements) string {
	s := func(p *int) any {
		if p == nil {
			return nil
		}
		return *p
	}
	return fmt.Sprintf("tlog=%v sct=%v timestamps=%v ignoreTlog=%v inclusionProof=%v timeSource=%q",
		s(r.TlogThreshold), s(r.SCTThreshold), s(r.TimestampThreshold), r.IgnoreTlog, r.RequireInclusionProof, r.TimeSource)
}

// TestInputs: --var and --var-file are repeatable and each keeps its value
// whole: HCL values such as ["a","b"] contain commas.
func TestInputs(t *testing.T) {
	tests := []struct {
		name             string
		args             []string
		wantVars, wantVF []string
	}{
		{name: "none"},
		{
			name:     "repeated",
			args:     []string{"--var", "version=1.4.0", "--var", "repo=o/r", "--var-file", "a.hcl", "--var-file", "b.hcl"},
			wantVars: []string{"version=1.4.0", "repo=o/r"},
			wantVF:   []string{"a.hcl", "b.hcl"},
		},
		{
			name:     "values with commas",
			args:     []string{"--var", `tags=["a","b"]`, "--var", "note=x, y", "--var-file", "a,b.hcl"},
			wantVars: []string{`tags=["a","b"]`, "note=x, y"},
			wantVF:   []string{"a,b.hcl"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o options.Inputs
			if err := runCmd(t, o.Flags(), func(*cli.Context) error { return nil }, tc.args...); err != nil {
				t.Fatal(err)
			}
			if got := o.Vars.Value(); !reflect.DeepEqual(got, tc.wantVars) {
				t.Errorf("vars %q, want %q", got, tc.wantVars)
			}
			if got := o.VarFiles.Value(); !reflect.DeepEqual(got, tc.wantVF) {
				t.Errorf("var files %q, want %q", got, tc.wantVF)
			}
		})
	}
}
