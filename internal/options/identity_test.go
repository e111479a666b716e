package options_test

import (
	"reflect"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/vmafx/vmafx-trust/internal/options"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// identityCase is one command line of an identity group: the identity it
// must name exactly, or the usage error it must be, and signers the
// identity must accept and reject.
type identityCase struct {
	name    string
	args    []string
	want    trust.Identity
	wantErr []string // non-nil: a usage error mentioning each
	accept  []*trust.Signer
	reject  []*trust.Signer
}

func (tc identityCase) check(t *testing.T, flags []cli.Flag, identity func() (trust.Identity, error)) {
	t.Helper()
	var got trust.Identity
	err := runCmd(t, flags, func(*cli.Context) error {
		var err error
		got, err = identity()
		return err
	}, tc.args...)
	if tc.wantErr != nil {
		wantUsage(t, err, tc.wantErr...)
		return
	}
	if err != nil {
		t.Fatalf("%q: %v", tc.args, err)
	}
	if !reflect.DeepEqual(got, tc.want) {
		t.Errorf("%q:\n got %+v\nwant %+v", tc.args, got, tc.want)
	}
	checkMatches(t, got, tc.accept, tc.reject)
}

// TestCertificate: cosign's certificate flags name an exact or anchored
// SAN and issuer, and both are required.
func TestCertificate(t *testing.T) {
	const iss = "https://issuer.example"
	signer := func(san, issuer string) *trust.Signer { return &trust.Signer{Subject: san, Issuer: issuer} }
	tests := []identityCase{
		{
			name:   "exact SAN and issuer",
			args:   []string{"--certificate-identity", "dev@example.com", "--certificate-oidc-issuer", iss},
			want:   trust.Identity{Name: "command-line", Subject: "dev@example.com", Issuer: iss},
			accept: []*trust.Signer{signer("dev@example.com", iss)},
			reject: []*trust.Signer{
				signer("dev@example.com.evil", iss),
				signer("xdev@example.com", iss),
				signer("dev@example.com", iss+".evil"),
			},
		},
		{
			// A regexp on the command line matches the whole value, as in a
			// policy: o/.* must not match a SAN that merely contains it.
			name: "regexps are anchored",
			args: []string{"--certificate-identity-regexp", `https://github\.com/o/.*`, "--certificate-oidc-issuer-regexp", `https://(a|b)\.example`},
			want: trust.Identity{Name: "command-line", SubjectRegexp: `^(?:https://github\.com/o/.*)$`, IssuerRegexp: `^(?:https://(a|b)\.example)$`},
			accept: []*trust.Signer{
				signer("https://github.com/o/r/.github/workflows/x.yml@refs/heads/main", "https://a.example"),
				signer("https://github.com/o/", "https://b.example"),
			},
			reject: []*trust.Signer{
				signer("evil://https://github.com/o/r", "https://a.example"),
				signer("https://github.com/o/r", "https://a.example.evil"),
				signer("https://github.com/o/r", "https://c.example"),
				signer("https://github.com/other/r", "https://a.example"),
			},
		},
		{
			// The user's own anchors are not doubled.
			name:   "anchored regexps stay one group",
			args:   []string{"--certificate-identity-regexp", `^dev@(a|b)\.example$`, "--certificate-oidc-issuer", iss},
			want:   trust.Identity{Name: "command-line", SubjectRegexp: `^(?:dev@(a|b)\.example)$`, Issuer: iss},
			accept: []*trust.Signer{signer("dev@a.example", iss)},
			reject: []*trust.Signer{signer("dev@c.example", iss), signer("dev@a.example.evil", iss)},
		},
		{
			// An alternation is anchored as a whole, not only its ends.
			name:   "alternation anchored as a whole",
			args:   []string{"--certificate-identity-regexp", `a@x\.example|b@x\.example`, "--certificate-oidc-issuer", iss},
			want:   trust.Identity{Name: "command-line", SubjectRegexp: `^(?:a@x\.example|b@x\.example)$`, Issuer: iss},
			accept: []*trust.Signer{signer("a@x.example", iss), signer("b@x.example", iss)},
			reject: []*trust.Signer{signer("a@x.example.evil", iss), signer("evil.b@x.example", iss)},
		},
		{name: "missing issuer", args: []string{"--certificate-identity", "dev@example.com"}, wantErr: []string{"--certificate-oidc-issuer"}},
		{name: "missing issuer with a SAN regexp", args: []string{"--certificate-identity-regexp", ".*"}, wantErr: []string{"--certificate-oidc-issuer"}},
		{name: "missing SAN", args: []string{"--certificate-oidc-issuer", iss}, wantErr: []string{"--certificate-identity"}},
		{name: "missing SAN with an issuer regexp", args: []string{"--certificate-oidc-issuer-regexp", ".*"}, wantErr: []string{"--certificate-identity"}},
		{name: "no flags", args: nil, wantErr: []string{"--certificate-identity"}},
		{name: "invalid SAN regexp", args: []string{"--certificate-identity-regexp", "(", "--certificate-oidc-issuer", iss}, wantErr: []string{"--certificate-identity-regexp", `"("`, "missing closing )"}},
		{name: "invalid issuer regexp", args: []string{"--certificate-identity", "dev@example.com", "--certificate-oidc-issuer-regexp", "[a-"}, wantErr: []string{"--certificate-oidc-issuer-regexp", `"[a-"`, "missing closing ]"}},
		{
			// Wrapping as ^(?:…)$ must not turn a regexp that does not
			// compile into one that does and is no longer anchored:
			// ^(?:a)|(.*)$ matches any SAN that starts with a.
			name:    "SAN regexp that only compiles once wrapped",
			args:    []string{"--certificate-identity-regexp", `dev@example\.com)|(.*`, "--certificate-oidc-issuer", iss},
			wantErr: []string{"--certificate-identity-regexp", "unexpected )"},
		},
		{
			name:    "issuer regexp that only compiles once wrapped",
			args:    []string{"--certificate-identity", "dev@example.com", "--certificate-oidc-issuer-regexp", `https://issuer\.example)|(.*`},
			wantErr: []string{"--certificate-oidc-issuer-regexp", "unexpected )"},
		},
		{
			name:    "exact and regexp SAN together",
			args:    []string{"--certificate-identity", "a", "--certificate-identity-regexp", "a", "--certificate-oidc-issuer", iss},
			wantErr: []string{"mutually exclusive"},
		},
		{
			name:    "exact and regexp issuer together",
			args:    []string{"--certificate-identity", "a", "--certificate-oidc-issuer", iss, "--certificate-oidc-issuer-regexp", ".*"},
			wantErr: []string{"mutually exclusive"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o options.Certificate
			tc.check(t, o.Flags(), o.Identity)
		})
	}
}

// TestCertificateIsSet: any one certificate flag counts as naming a
// signer, which is how the verbs tell a keyless command line from a
// key-only one.
func TestCertificateIsSet(t *testing.T) {
	for _, args := range [][]string{
		{"--certificate-identity", "a"},
		{"--certificate-identity-regexp", "a"},
		{"--certificate-oidc-issuer", "a"},
		{"--certificate-oidc-issuer-regexp", "a"},
	} {
		var o options.Certificate
		var set bool
		if err := runCmd(t, o.Flags(), func(*cli.Context) error { set = o.IsSet(); return nil }, args...); err != nil {
			t.Fatal(err)
		}
		if !set {
			t.Errorf("%q: IsSet false", args)
		}
	}
	var o options.Certificate
	if o.IsSet() {
		t.Error("IsSet true without flags")
	}
}

// TestCertificateExtensions: each of cosign's GitHub workflow flags
// constrains its own Fulcio extension, exactly.
func TestCertificateExtensions(t *testing.T) {
	const iss = "https://token.actions.githubusercontent.com"
	base := []string{"--certificate-identity", "https://github.com/o/r/.github/workflows/x.yml@refs/heads/main", "--certificate-oidc-issuer", iss}
	tests := []struct {
		flag, ext, value string
	}{
		{"--certificate-github-workflow-repository", "github_workflow_repository", "o/r"},
		{"--certificate-github-workflow-ref", "github_workflow_ref", "refs/tags/v1"},
		{"--certificate-github-workflow-sha", "github_workflow_sha", "0123456789abcdef0123456789abcdef01234567"},
		{"--certificate-github-workflow-trigger", "github_workflow_trigger", "push"},
		{"--certificate-github-workflow-name", "github_workflow_name", "release"},
	}
	var cases []identityCase
	all := identityCase{
		name: "all five",
		args: base,
		want: trust.Identity{Name: "command-line", Subject: base[1], Issuer: iss, Extensions: map[string]string{}},
	}
	for _, tc := range tests {
		cases = append(cases, identityCase{
			name:   tc.ext,
			args:   append(append([]string{}, base...), tc.flag, tc.value),
			want:   trust.Identity{Name: "command-line", Subject: base[1], Issuer: iss, Extensions: map[string]string{tc.ext: tc.value}},
			accept: []*trust.Signer{ghSigner(base[1], map[string]string{tc.ext: tc.value})},
			reject: []*trust.Signer{
				ghSigner(base[1], map[string]string{tc.ext: tc.value + "x"}),
				ghSigner(base[1], nil),
			},
		})
		all.args = append(all.args, tc.flag, tc.value)
		all.want.Extensions[tc.ext] = tc.value
	}
	all.accept = []*trust.Signer{ghSigner(base[1], all.want.Extensions)}
	for _, tc := range tests {
		// Every one of the five is checked: a certificate off in any one
		// extension is rejected.
		ext := map[string]string{}
		for k, v := range all.want.Extensions {
			ext[k] = v
		}
		ext[tc.ext] = "other"
		all.reject = append(all.reject, ghSigner(base[1], ext))
	}
	cases = append(cases, all,
		identityCase{name: "no extension flags", args: base, want: trust.Identity{Name: "command-line", Subject: base[1], Issuer: iss}},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var o options.Keyless
			tc.check(t, o.Flags(), o.Identity)
		})
	}
}

// TestGitHubShorthands: gh attestation verify's flags expand, through
// policy.GitHub.Apply, to identities that accept the certificates GitHub
// Actions issues for the named source and signer, and nothing else.
func TestGitHubShorthands(t *testing.T) {
	const gh = trust.GitHubIssuer
	const wf = "https://github.com/o/r/.github/workflows/x.yml@refs/heads/main"
	src := map[string]string{"source_repository_uri": "https://github.com/o/r"}
	anyRepoWorkflow := `^https://github\.com/o/r/\.github/workflows/[^@]+@.+$`
	tests := []identityCase{
		{
			name: "owner: any workflow of any repository of the owner",
			args: []string{"--owner", "o"},
			want: trust.Identity{
				Name: "command-line", Issuer: gh,
				SubjectRegexp: `^https://github\.com/o/[^/]+/\.github/workflows/[^@]+@.+$`,
				Extensions:    map[string]string{"source_repository_owner_uri": "https://github.com/o"},
			},
			accept: []*trust.Signer{
				ghSigner(wf, map[string]string{"source_repository_owner_uri": "https://github.com/o"}),
				ghSigner("https://github.com/o/other/.github/workflows/release.yaml@refs/tags/v1", map[string]string{"source_repository_owner_uri": "https://github.com/o"}),
			},
			reject: []*trust.Signer{
				ghSigner("https://github.com/o-evil/r/.github/workflows/x.yml@refs/heads/main", map[string]string{"source_repository_owner_uri": "https://github.com/o"}),
				ghSigner(wf, map[string]string{"source_repository_owner_uri": "https://github.com/o-evil"}),
				ghSigner(wf, nil),
				ghSigner("https://github.com/o/r/other@x", map[string]string{"source_repository_owner_uri": "https://github.com/o"}),
				{Subject: wf, Issuer: "https://issuer.example", Extensions: map[string]string{"source_repository_owner_uri": "https://github.com/o"}},
			},
		},
		{
			name: "owner as a URL",
			args: []string{"--owner", "https://github.com/o"},
			want: trust.Identity{
				Name: "command-line", Issuer: gh,
				SubjectRegexp: `^https://github\.com/o/[^/]+/\.github/workflows/[^@]+@.+$`,
				Extensions:    map[string]string{"source_repository_owner_uri": "https://github.com/o"},
			},
		},
		{
			// A given issuer (GitHub Enterprise's, say) is kept.
			name: "owner with an explicit issuer",
			args: []string{"--owner", "o", "--certificate-oidc-issuer", "https://ghes.example/_services/token"},
			want: trust.Identity{
				Name: "command-line", Issuer: "https://ghes.example/_services/token",
				SubjectRegexp: `^https://github\.com/o/[^/]+/\.github/workflows/[^@]+@.+$`,
				Extensions:    map[string]string{"source_repository_owner_uri": "https://github.com/o"},
			},
			reject: []*trust.Signer{ghSigner(wf, map[string]string{"source_repository_owner_uri": "https://github.com/o"})},
		},
		{
			name: "repo: any workflow of that repository",
			args: []string{"--repo", "o/r"},
			want: trust.Identity{Name: "command-line", Issuer: gh, SubjectRegexp: anyRepoWorkflow, Extensions: src},
			accept: []*trust.Signer{
				ghSigner(wf, src),
				ghSigner("https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.4.0", src),
			},
			reject: []*trust.Signer{
				ghSigner("https://github.com/o/r-evil/.github/workflows/x.yml@refs/heads/main", src),
				ghSigner("https://github.com/o/r/other@x", src),
				ghSigner("https://github.com/o/r/.github/workflows/x.yml", src),
				ghSigner("evil/https://github.com/o/r/.github/workflows/x.yml@refs/heads/main", src),
				ghSigner(wf, map[string]string{"source_repository_uri": "https://github.com/o/r-evil"}),
				ghSigner(wf, nil),
			},
		},
		{
			name:   "repo as a URL",
			args:   []string{"--repo", "https://github.com/o/r"},
			want:   trust.Identity{Name: "command-line", Issuer: gh, SubjectRegexp: anyRepoWorkflow, Extensions: src},
			accept: []*trust.Signer{ghSigner(wf, src)},
			reject: []*trust.Signer{ghSigner("https://github.com/o/r-evil/.github/workflows/x.yml@refs/heads/main", src)},
		},
		{
			name: "owner and repo of that owner",
			args: []string{"--owner", "o", "--repo", "o/r"},
			want: trust.Identity{Name: "command-line", Issuer: gh, SubjectRegexp: anyRepoWorkflow, Extensions: map[string]string{
				"source_repository_uri": "https://github.com/o/r", "source_repository_owner_uri": "https://github.com/o",
			}},
		},
		{
			// A reusable workflow of another repository signs; the
			// certificate's subject is that workflow.
			name:   "signer-repo",
			args:   []string{"--signer-repo", "s/w"},
			want:   trust.Identity{Name: "command-line", Issuer: gh, SubjectRegexp: `^https://github\.com/s/w/\.github/workflows/[^@]+@.+$`, Extensions: map[string]string{}},
			accept: []*trust.Signer{ghSigner("https://github.com/s/w/.github/workflows/build.yml@refs/tags/v2", src)},
			reject: []*trust.Signer{
				ghSigner(wf, src),
				ghSigner("https://github.com/s/w-evil/.github/workflows/build.yml@refs/tags/v2", src),
			},
		},
		{
			name:   "repo and signer-repo",
			args:   []string{"--repo", "o/r", "--signer-repo", "https://github.com/s/w"},
			want:   trust.Identity{Name: "command-line", Issuer: gh, SubjectRegexp: `^https://github\.com/s/w/\.github/workflows/[^@]+@.+$`, Extensions: src},
			accept: []*trust.Signer{ghSigner("https://github.com/s/w/.github/workflows/build.yml@refs/tags/v2", src)},
			reject: []*trust.Signer{
				ghSigner(wf, src),
				ghSigner("https://github.com/s/w/.github/workflows/build.yml@refs/tags/v2", map[string]string{"source_repository_uri": "https://github.com/x/y"}),
			},
		},
		{
			// A workflow at a ref is one exact subject, which the build
			// signer extension repeats.
			name: "signer-workflow at a ref",
			args: []string{"--signer-workflow", "o/r/.github/workflows/x.yml@refs/tags/v1"},
			want: trust.Identity{
				Name: "command-line", Issuer: gh,
				Subject:    "https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1",
				Extensions: map[string]string{"build_signer_uri": "https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1"},
			},
			accept: []*trust.Signer{ghSigner("https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1", map[string]string{
				"build_signer_uri": "https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1",
			})},
			reject: []*trust.Signer{
				ghSigner("https://github.com/o/r/.github/workflows/x.yml@refs/tags/v2", map[string]string{
					"build_signer_uri": "https://github.com/o/r/.github/workflows/x.yml@refs/tags/v2",
				}),
				ghSigner("https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1", map[string]string{
					"build_signer_uri": "https://github.com/o/r/.github/workflows/y.yml@refs/tags/v1",
				}),
			},
		},
		{
			name: "signer-workflow as a URL, with a matching signer-repo",
			args: []string{"--signer-repo", "o/r", "--signer-workflow", "https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1"},
			want: trust.Identity{
				Name: "command-line", Issuer: gh,
				Subject:    "https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1",
				Extensions: map[string]string{"build_signer_uri": "https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1"},
			},
		},
		{
			name: "signer-workflow without a ref: any ref of that workflow",
			args: []string{"--signer-workflow", "o/r/.github/workflows/x.yml"},
			want: trust.Identity{
				Name: "command-line", Issuer: gh,
				SubjectRegexp: `^https://github\.com/o/r/\.github/workflows/x\.yml@.+$`,
				Extensions:    map[string]string{},
			},
			accept: []*trust.Signer{
				ghSigner(wf, nil),
				ghSigner("https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1", nil),
			},
			reject: []*trust.Signer{
				ghSigner("https://github.com/o/r/.github/workflows/y.yml@refs/heads/main", nil),
				ghSigner("https://github.com/o/r/.github/workflows/x.yml.evil@refs/heads/main", nil),
				ghSigner("https://github.com/o/r/.github/workflows/xxyml@refs/heads/main", nil),
				ghSigner("https://github.com/o/r/.github/workflows/x.yml@", nil),
			},
		},
		{
			name: "source-ref with repo",
			args: []string{"--repo", "o/r", "--source-ref", "refs/tags/v1"},
			want: trust.Identity{Name: "command-line", Issuer: gh, SubjectRegexp: anyRepoWorkflow, Extensions: map[string]string{
				"source_repository_uri": "https://github.com/o/r", "source_repository_ref": "refs/tags/v1",
			}},
			accept: []*trust.Signer{ghSigner(wf, map[string]string{"source_repository_uri": "https://github.com/o/r", "source_repository_ref": "refs/tags/v1"})},
			reject: []*trust.Signer{
				ghSigner(wf, map[string]string{"source_repository_uri": "https://github.com/o/r", "source_repository_ref": "refs/heads/main"}),
				ghSigner(wf, src),
			},
		},
		{
			// --source-ref constrains whatever identity the certificate
			// flags name, without gh-style flags.
			name:   "source-ref with certificate-identity",
			args:   []string{"--certificate-identity", wf, "--certificate-oidc-issuer", gh, "--source-ref", "refs/heads/main"},
			want:   trust.Identity{Name: "command-line", Subject: wf, Issuer: gh, Extensions: map[string]string{"source_repository_ref": "refs/heads/main"}},
			accept: []*trust.Signer{ghSigner(wf, map[string]string{"source_repository_ref": "refs/heads/main"})},
			reject: []*trust.Signer{ghSigner(wf, map[string]string{"source_repository_ref": "refs/heads/evil"}), ghSigner(wf, nil)},
		},
		{
			name: "deny-self-hosted-runners with repo",
			args: []string{"--repo", "o/r", "--deny-self-hosted-runners"},
			want: trust.Identity{Name: "command-line", Issuer: gh, SubjectRegexp: anyRepoWorkflow, Extensions: map[string]string{
				"source_repository_uri": "https://github.com/o/r", "runner_environment": "github-hosted",
			}},
			accept: []*trust.Signer{ghSigner(wf, map[string]string{"source_repository_uri": "https://github.com/o/r", "runner_environment": "github-hosted"})},
			reject: []*trust.Signer{
				ghSigner(wf, map[string]string{"source_repository_uri": "https://github.com/o/r", "runner_environment": "self-hosted"}),
				ghSigner(wf, src),
			},
		},
		{
			name:   "deny-self-hosted-runners with certificate-identity",
			args:   []string{"--certificate-identity", wf, "--certificate-oidc-issuer", gh, "--deny-self-hosted-runners"},
			want:   trust.Identity{Name: "command-line", Subject: wf, Issuer: gh, Extensions: map[string]string{"runner_environment": "github-hosted"}},
			accept: []*trust.Signer{ghSigner(wf, map[string]string{"runner_environment": "github-hosted"})},
			reject: []*trust.Signer{ghSigner(wf, map[string]string{"runner_environment": "self-hosted"})},
		},
		{
			// The SAN given stays the criterion; --repo adds only its
			// extension (and GitHub's issuer, none being given).
			name:   "certificate-identity and repo",
			args:   []string{"--certificate-identity", wf, "--repo", "o/r"},
			want:   trust.Identity{Name: "command-line", Subject: wf, Issuer: gh, Extensions: src},
			accept: []*trust.Signer{ghSigner(wf, src)},
			reject: []*trust.Signer{
				ghSigner("https://github.com/o/r/.github/workflows/y.yml@refs/heads/main", src),
				ghSigner(wf, map[string]string{"source_repository_uri": "https://github.com/o/r-evil"}),
			},
		},
		{
			name: "certificate-identity-regexp and owner",
			args: []string{"--certificate-identity-regexp", `https://github\.com/o/r/.*`, "--owner", "o"},
			want: trust.Identity{
				Name: "command-line", SubjectRegexp: `^(?:https://github\.com/o/r/.*)$`, Issuer: gh,
				Extensions: map[string]string{"source_repository_owner_uri": "https://github.com/o"},
			},
			accept: []*trust.Signer{ghSigner(wf, map[string]string{"source_repository_owner_uri": "https://github.com/o"})},
			reject: []*trust.Signer{ghSigner("https://github.com/o/s/.github/workflows/x.yml@refs/heads/main", map[string]string{"source_repository_owner_uri": "https://github.com/o"})},
		},
		{
			name: "certificate extension flags and gh-style flags together",
			args: []string{"--repo", "o/r", "--certificate-github-workflow-trigger", "push"},
			want: trust.Identity{Name: "command-line", Issuer: gh, SubjectRegexp: anyRepoWorkflow, Extensions: map[string]string{
				"source_repository_uri": "https://github.com/o/r", "github_workflow_trigger": "push",
			}},
		},
		{name: "certificate-identity and signer-repo", args: []string{"--certificate-identity", wf, "--signer-repo", "s/w"}, wantErr: []string{"gh-style flags", "subject"}},
		{name: "certificate-identity-regexp and signer-workflow", args: []string{"--certificate-identity-regexp", ".*", "--signer-workflow", "o/r/.github/workflows/x.yml@v1"}, wantErr: []string{"gh-style flags", "subject"}},
		{name: "repo of another owner", args: []string{"--owner", "a", "--repo", "b/c"}, wantErr: []string{`"b/c"`, `"a"`}},
		{name: "repo without owner", args: []string{"--repo", "nope"}, wantErr: []string{`repository "nope"`}},
		{name: "repo with a path", args: []string{"--repo", "o/r/x"}, wantErr: []string{`repository "o/r/x"`}},
		{name: "owner with a slash", args: []string{"--owner", "o/r"}, wantErr: []string{`owner "o/r"`}},
		{name: "signer-repo without owner", args: []string{"--signer-repo", "nope"}, wantErr: []string{`signer repository "nope"`}},
		{
			name:    "signer-workflow of another repository than signer-repo",
			args:    []string{"--signer-repo", "s/w", "--signer-workflow", "o/r/.github/workflows/x.yml@refs/tags/v1"},
			wantErr: []string{"--signer-workflow", "--signer-repo s/w"},
		},
		{name: "signer-workflow without a path", args: []string{"--signer-workflow", "o/r"}, wantErr: []string{"--signer-workflow"}},
		{
			// --source-ref alone names no signer.
			name:    "source-ref alone",
			args:    []string{"--source-ref", "refs/heads/main"},
			wantErr: []string{"--certificate-identity"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o options.Keyless
			tc.check(t, o.Flags(), o.Identity)
		})
	}
}

// TestKeylessIsSet: IsSet tells the verbs whether an identity flag was
// given, so that --key can refuse them instead of ignoring them.
func TestKeylessIsSet(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--certificate-identity", "a"}, true},
		{[]string{"--certificate-oidc-issuer-regexp", "a"}, true},
		{[]string{"--owner", "o"}, true},
		{[]string{"--repo", "o/r"}, true},
		{[]string{"--signer-repo", "o/r"}, true},
		{[]string{"--signer-workflow", "o/r/.github/workflows/x.yml"}, true},
		// Flags that only constrain a certificate count too: with --key
		// nothing would check them.
		{[]string{"--source-ref", "refs/heads/main"}, true},
		{[]string{"--deny-self-hosted-runners"}, true},
		{[]string{"--certificate-github-workflow-repository", "o/r"}, true},
		{[]string{"--certificate-github-workflow-ref", "refs/heads/main"}, true},
		{[]string{"--certificate-github-workflow-sha", "abc"}, true},
		{[]string{"--certificate-github-workflow-trigger", "push"}, true},
		{[]string{"--certificate-github-workflow-name", "release"}, true},
	}
	for _, tc := range tests {
		var o options.Keyless
		var got bool
		if err := runCmd(t, o.Flags(), func(*cli.Context) error { got = o.IsSet(); return nil }, tc.args...); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%q: IsSet %v, want %v", tc.args, got, tc.want)
		}
	}
}
