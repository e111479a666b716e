package trust_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/pkg/trust"
)

func TestIdentityValidate(t *testing.T) {
	const iss, sub = "https://token.actions.githubusercontent.com", "https://github.com/o/r/.github/workflows/w.yml@refs/heads/main"
	tests := []struct {
		name    string
		id      trust.Identity
		wantErr []string // nil: valid
	}{
		{name: "exact", id: trust.Identity{Name: "x", Issuer: iss, Subject: sub}},
		{name: "regexps", id: trust.Identity{Name: "x", IssuerRegexp: "^https://.*$", SubjectRegexp: "^.*$"}},
		{name: "extensions", id: trust.Identity{Name: "x", Issuer: iss, Subject: sub,
			Extensions:       map[string]string{"source_repository_uri": "https://github.com/o/r", "runner_environment": "github-hosted"},
			ExtensionRegexps: map[string]string{"source_repository_ref": "^refs/tags/v.*$"}}},
		{name: "no issuer", id: trust.Identity{Name: "x", Subject: sub}, wantErr: []string{`identity "x"`, "issuer or issuer_regexp is required"}},
		{name: "no subject", id: trust.Identity{Name: "x", Issuer: iss}, wantErr: []string{"subject or subject_regexp is required"}},
		{name: "nothing", id: trust.Identity{Name: "x"}, wantErr: []string{"is required"}},
		{name: "only extensions", id: trust.Identity{Name: "x", Extensions: map[string]string{"issuer": iss}}, wantErr: []string{"is required"}},
		{name: "issuer both ways", id: trust.Identity{Name: "x", Issuer: iss, IssuerRegexp: "^.*$", Subject: sub}, wantErr: []string{"issuer and issuer_regexp are mutually exclusive"}},
		{name: "subject both ways", id: trust.Identity{Name: "x", Issuer: iss, Subject: sub, SubjectRegexp: "^.*$"}, wantErr: []string{"subject and subject_regexp are mutually exclusive"}},
		{name: "bad subject regexp", id: trust.Identity{Name: "x", Issuer: iss, SubjectRegexp: "a(b"}, wantErr: []string{`identity "x"`, "missing closing )"}},
		{name: "bad issuer regexp", id: trust.Identity{Name: "x", IssuerRegexp: "[z-a]", Subject: sub}, wantErr: []string{"invalid character class range"}},
		{name: "unknown extension", id: trust.Identity{Name: "x", Issuer: iss, Subject: sub, Extensions: map[string]string{"sourceRepositoryURI": "u"}}, wantErr: []string{`unknown certificate extension "sourceRepositoryURI"`}},
		{name: "unknown extension regexp", id: trust.Identity{Name: "x", Issuer: iss, Subject: sub, ExtensionRegexps: map[string]string{"repo": "^u$"}}, wantErr: []string{`unknown certificate extension "repo"`}},
		{name: "bad extension regexp", id: trust.Identity{Name: "x", Issuer: iss, Subject: sub, ExtensionRegexps: map[string]string{"build_trigger": "*push"}}, wantErr: []string{"extension build_trigger", "missing argument to repetition operator"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.id.Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			wantErrContains(t, err, tt.wantErr...)
		})
	}
}

func TestExtensionNames(t *testing.T) {
	names := trust.ExtensionNames()
	if !sort.StringsAreSorted(names) {
		t.Errorf("ExtensionNames not sorted: %v", names)
	}
	for _, want := range []string{"issuer", "source_repository_uri", "source_repository_ref", "build_signer_uri", "runner_environment", "github_workflow_repository", "build_config_uri"} {
		if !trust.IsExtensionName(want) {
			t.Errorf("IsExtensionName(%q) = false", want)
		}
	}
	for _, bad := range []string{"", "sourceRepositoryURI", "1.3.6.1.4.1.57264.1.12", "subject"} {
		if trust.IsExtensionName(bad) {
			t.Errorf("IsExtensionName(%q) = true", bad)
		}
	}
	for _, n := range names {
		if !trust.IsExtensionName(n) {
			t.Errorf("listed name %q is not an extension name", n)
		}
	}
}

func TestIdentityMatch(t *testing.T) {
	signer := &trust.Signer{
		Subject: "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1",
		Issuer:  "https://token.actions.githubusercontent.com",
		Extensions: map[string]string{
			"source_repository_uri": "https://github.com/o/r",
			"source_repository_ref": "refs/tags/v1",
		},
	}
	tests := []struct {
		name string
		id   trust.Identity
		want []trust.Mismatch
	}{
		{name: "all match", id: trust.Identity{Issuer: signer.Issuer, Subject: signer.Subject,
			Extensions:       map[string]string{"source_repository_uri": "https://github.com/o/r"},
			ExtensionRegexps: map[string]string{"source_repository_ref": "^refs/tags/v[0-9]+$"}}},
		{name: "unanchored regexp used as given", id: trust.Identity{Issuer: signer.Issuer, SubjectRegexp: "o/r"}},
		{name: "subject differs", id: trust.Identity{Issuer: signer.Issuer, Subject: "s"},
			want: []trust.Mismatch{{Field: "subject", Expected: "s", Found: signer.Subject}}},
		{name: "issuer regexp differs", id: trust.Identity{IssuerRegexp: "^https://gitlab\\.com$", Subject: signer.Subject},
			want: []trust.Mismatch{{Field: "issuer", Expected: "/^https://gitlab\\.com$/", Found: signer.Issuer}}},
		{name: "extensions in name order, exact then regexp", id: trust.Identity{Issuer: signer.Issuer, Subject: signer.Subject,
			Extensions:       map[string]string{"source_repository_uri": "https://github.com/x/y", "build_trigger": "push"},
			ExtensionRegexps: map[string]string{"source_repository_ref": "^refs/heads/main$"}},
			want: []trust.Mismatch{
				{Field: "build_trigger", Expected: "push", Found: ""},
				{Field: "source_repository_uri", Expected: "https://github.com/x/y", Found: "https://github.com/o/r"},
				{Field: "source_repository_ref", Expected: "/^refs/heads/main$/", Found: "refs/tags/v1"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.id.Match(signer)
			if len(got) != len(tt.want) {
				t.Fatalf("Match = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("mismatch %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestIdentityErrorMessage(t *testing.T) {
	found := &trust.Signer{Subject: "s@example.com", Issuer: "https://iss"}
	tests := []struct {
		name string
		err  *trust.IdentityError
		want []string
		not  []string
	}{
		{
			name: "one unnamed identity",
			err: &trust.IdentityError{Found: found, Identities: []trust.Identity{{}},
				Mismatches: [][]trust.Mismatch{{{Field: "subject", Expected: "a@example.com", Found: "s@example.com"}, {Field: "issuer", Expected: "https://x", Found: "https://iss"}}}},
			want: []string{"signer identity not accepted: subject: expected a@example.com, found s@example.com, issuer: expected https://x, found https://iss"},
			not:  []string{"identity \"\""},
		},
		{
			name: "absent value",
			err: &trust.IdentityError{Found: found, Identities: []trust.Identity{{Name: "r"}},
				Mismatches: [][]trust.Mismatch{{{Field: "build_trigger", Expected: "push", Found: ""}}}},
			want: []string{`identity "r": build_trigger: expected push, found (absent)`},
		},
		{
			name: "two identities",
			err: &trust.IdentityError{Found: found, Identities: []trust.Identity{{Name: "a"}, {Name: "b"}},
				Mismatches: [][]trust.Mismatch{{{Field: "subject", Expected: "1", Found: "2"}}, {{Field: "issuer", Expected: "3", Found: "4"}}}},
			want: []string{`identity "a": subject: expected 1, found 2`, `identity "b": issuer: expected 3, found 4`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q does not contain %q", msg, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(msg, n) {
					t.Errorf("%q contains %q", msg, n)
				}
			}
		})
	}
}

func TestSignerString(t *testing.T) {
	tests := []struct {
		s    *trust.Signer
		want string
	}{
		{nil, ""},
		{&trust.Signer{Subject: "a@b"}, "a@b"},
		{&trust.Signer{KeyID: "abc"}, "key abc"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.s, got, tt.want)
		}
	}
}
