package policy

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// publisherSchemas is a kind whose publisher block is an identity form, as
// the pypi plugin declares it.
var publisherSchemas = Schemas{"pypi": {
	Kind:       "pypi",
	Attributes: []sdk.Attribute{{Name: "version", Type: sdk.TypeString}},
	Blocks: []sdk.NestedBlock{{
		TypeName: "publisher", Nesting: sdk.NestingSingle, IdentityForm: sdk.IdentityTrustedPublisher,
		Attributes: []sdk.Attribute{
			{Name: "kind", Type: sdk.TypeString, Required: true}, {Name: "repository", Type: sdk.TypeString},
			{Name: "workflow", Type: sdk.TypeString}, {Name: "workflow_filepath", Type: sdk.TypeString},
			{Name: "environment", Type: sdk.TypeString}, {Name: "email", Type: sdk.TypeString},
		},
	}},
}, "odd": {
	Kind:   "odd",
	Blocks: []sdk.NestedBlock{{TypeName: "signer", Nesting: sdk.NestingSingle, IdentityForm: "x509_fingerprint"}},
}}

func decodeWith(t *testing.T, schemas Schemas, src string) (*Policy, hcl.Diagnostics) {
	t.Helper()
	f, diags := Parse("policy.hcl", filepath.Join(t.TempDir(), "policy.hcl"), []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return Decode(f, schemas, Inputs{})
}

// TestTrustedPublisherBlockIsTheIdentity: the documented policy form, with no
// identity attribute, decodes; the host derives the identity itself.
func TestTrustedPublisherBlockIsTheIdentity(t *testing.T) {
	p, diags := decodeWith(t, publisherSchemas, `
pypi "vmaf-mcp" {
  version = "1.4.0"
  publisher {
    kind        = "github"
    repository  = "lusoris/vmaf"
    workflow    = "release.yml"
    environment = "pypi"
  }
}`)
	if diags.HasErrors() {
		t.Fatal(diagText(diags))
	}
	a := p.Artifacts[0]
	want := trust.Identity{
		Name:          PublisherIdentityName,
		Issuer:        trust.GitHubIssuer,
		SubjectRegexp: `^https://github\.com/.+$`,
		Extensions:    map[string]string{"source_repository_uri": "https://github.com/lusoris/vmaf"},
		ExtensionRegexps: map[string]string{
			"build_config_uri": `^https://github\.com/lusoris/vmaf/\.github/workflows/release\.yml@.+$`,
		},
	}
	if len(a.Identities) != 1 || !reflect.DeepEqual(a.Identities[0], want) {
		t.Fatalf("identities %+v, want %+v", a.Identities, want)
	}
	if a.UseKey || a.Require != 1 {
		t.Errorf("use key %v, require %d", a.UseKey, a.Require)
	}
	// The block still reaches the plugin.
	if pub, _ := a.Attributes["publisher"].(map[string]any); pub["environment"] != "pypi" {
		t.Errorf("publisher attribute %v", a.Attributes["publisher"])
	}
}

func TestTrustedPublisherIdentities(t *testing.T) {
	for _, tc := range []struct {
		attrs map[string]any
		want  trust.Identity
		err   string
	}{
		{attrs: map[string]any{"kind": "GitLab", "repository": "group/sub/project", "workflow_filepath": ".gitlab-ci.yml"}, want: trust.Identity{
			Name: PublisherIdentityName, Issuer: trust.GitLabIssuer, SubjectRegexp: `^https://gitlab\.com/.+$`,
			Extensions:       map[string]string{"source_repository_uri": "https://gitlab.com/group/sub/project"},
			ExtensionRegexps: map[string]string{"build_config_uri": `^https://gitlab\.com/group/sub/project//\.gitlab-ci\.yml@.+$`},
		}},
		{attrs: map[string]any{"kind": "google", "email": "r@p.iam.gserviceaccount.com"}, want: trust.Identity{
			Name: PublisherIdentityName, Issuer: trust.GoogleIssuer, Subject: "r@p.iam.gserviceaccount.com",
			Extensions: map[string]string{}, ExtensionRegexps: map[string]string{},
		}},
		{attrs: map[string]any{"kind": "github", "repository": "a/b", "workflow": ".github/workflows/r.yml"}, want: trust.Identity{
			Name: PublisherIdentityName, Issuer: trust.GitHubIssuer, SubjectRegexp: `^https://github\.com/.+$`,
			Extensions:       map[string]string{"source_repository_uri": "https://github.com/a/b"},
			ExtensionRegexps: map[string]string{"build_config_uri": `^https://github\.com/a/b/\.github/workflows/r\.yml@.+$`},
		}},
		{attrs: map[string]any{"kind": "activestate", "repository": "a/b"}, err: `unknown publisher kind "activestate"`},
		{attrs: map[string]any{"repository": "a/b"}, err: "kind is required"},
		{attrs: map[string]any{"kind": "github", "repository": "a", "workflow": "r.yml"}, err: "want owner/name"},
		{attrs: map[string]any{"kind": "github", "repository": "a/b"}, err: "workflow"},
		{attrs: map[string]any{"kind": "github", "repository": "a/b", "workflow": "r.yml@main"}, err: "workflow"},
		{attrs: map[string]any{"kind": "github", "repository": "a/b", "workflow": "r.yml", "email": "x@y"}, err: "takes no email"},
		{attrs: map[string]any{"kind": "gitlab", "repository": "a/b", "workflow": "x.yml"}, err: "workflow_filepath"},
		{attrs: map[string]any{"kind": "google", "email": "x@y", "environment": "pypi"}, err: "takes no environment"},
		{attrs: map[string]any{"kind": "google"}, err: "email"},
	} {
		got, err := TrustedPublisherIdentity(tc.attrs)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: %v, want an error saying %q", tc.attrs, err, tc.err)
			}
		case err != nil:
			t.Errorf("%v: %v", tc.attrs, err)
		case !reflect.DeepEqual(got, tc.want):
			t.Errorf("%v:\n got %+v\nwant %+v", tc.attrs, got, tc.want)
		}
	}
}

func TestTrustedPublisherPolicyErrors(t *testing.T) {
	for _, tc := range []struct{ src, summary, detail string }{
		{`identity "x" {
  issuer  = "https://token.actions.githubusercontent.com"
  subject = "s"
}
pypi "p" {
  identity = identity.x
  publisher {
    kind = "github"
    repository = "a/b"
    workflow = "r.yml"
  }
}`, "Identity given twice", "remove identity"},
		{`pypi "p" {
  publisher {
    kind = "activestate"
  }
}`, "Invalid publisher block", `unknown publisher kind "activestate"`},
		{`pypi "p" {
  version = "1"
}`, "No identity or key", ""},
		{`odd "o" {
  signer {}
}`, "Invalid signer block", `identity form "x509_fingerprint"`},
	} {
		_, diags := decodeWith(t, publisherSchemas, tc.src)
		d := findDiag(diags, hcl.DiagError, tc.summary)
		if d == nil || !strings.Contains(d.Detail, tc.detail) {
			t.Errorf("want %q (%q); got:\n%s", tc.summary, tc.detail, diagText(diags))
		}
	}
}
