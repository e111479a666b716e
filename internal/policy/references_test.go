package policy

import (
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// refSchemas add kinds whose blocks refer to others: sbom to an image or a
// blob, and loop to loop (to make cycles).
func refSchemas() Schemas {
	s := Schemas{}
	for k, v := range testSchemas {
		s[k] = v
	}
	s["sbom"] = sdk.KindSchema{Kind: "sbom", Attributes: []sdk.Attribute{
		{Name: "image", Type: sdk.TypeReference, Kinds: []string{"image"}},
		{Name: "describes", Type: sdk.TypeReference, Kinds: []string{"blob", "image"}},
		{Name: "path", Type: sdk.TypePath},
	}}
	s["loop"] = sdk.KindSchema{Kind: "loop", Attributes: []sdk.Attribute{
		{Name: "after", Type: sdk.TypeReference, Kinds: []string{"loop"}},
	}}
	return s
}

func TestReferences(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr string
		// wantOrder is the run order of the artifacts by ID.
		wantOrder []string
	}{
		{
			name: "reference before its target",
			body: `sbom "s" {
  identity = identity.release
  image    = image.app
}
image "app" {
  identity = identity.release
  ref      = "r/app:1"
}`,
			wantOrder: []string{"image.app", "sbom.s"},
		},
		{
			name: "two kinds allowed",
			body: `blob "b" {
  identity = identity.release
  path     = "b"
}
sbom "s" {
  identity  = identity.release
  path      = "s.json"
  describes = blob.b
}`,
			wantOrder: []string{"blob.b", "sbom.s"},
		},
		{
			name:    "kind not allowed",
			body:    "blob \"b\" {\n  identity = identity.release\n  path = \"b\"\n}\nsbom \"s\" {\n  identity = identity.release\n  image = blob.b\n}",
			wantErr: "image cannot name a blob block: it names image.<name>",
		},
		{
			name:    "undeclared artifact",
			body:    "sbom \"s\" {\n  identity = identity.release\n  image = image.nope\n}",
			wantErr: `the policy declares no image block "nope"`,
		},
		{
			name:    "not a reference",
			body:    "sbom \"s\" {\n  identity = identity.release\n  image = \"image.app\"\n}",
			wantErr: "image must name an artifact block of this policy, like image.<name>",
		},
		{
			name:    "too long a traversal",
			body:    "image \"app\" {\n  identity = identity.release\n  ref = \"r\"\n}\nsbom \"s\" {\n  identity = identity.release\n  image = image.app.ref\n}",
			wantErr: "image must name an artifact block of this policy",
		},
		{
			name:    "cycle",
			body:    "loop \"a\" {\n  identity = identity.release\n  after = loop.b\n}\nloop \"b\" {\n  identity = identity.release\n  after = loop.a\n}",
			wantErr: "loop.a refers to itself through loop.a → loop.b → loop.a",
		},
		{
			name:    "self",
			body:    "loop \"a\" {\n  identity = identity.release\n  after = loop.a\n}",
			wantErr: "refers to itself",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := idRelease + tt.body
			f, diags := Parse("policy.hcl", "/p/policy.hcl", []byte(src))
			if diags.HasErrors() {
				t.Fatal(diagText(diags))
			}
			p, diags := Decode(f, refSchemas(), Inputs{})
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diagText(diags), tt.wantErr) {
					t.Fatalf("diagnostics %q, want an error containing %q", diagText(diags), tt.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diagText(diags))
			}
			for _, a := range p.Artifacts {
				if _, leaked := a.Attributes["image"]; leaked {
					t.Errorf("%s: the reference reached the plugin's attributes", a.ID())
				}
			}
			order, err := p.RunOrder()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, i := range order {
				got = append(got, p.Artifacts[i].ID())
			}
			if strings.Join(got, " ") != strings.Join(tt.wantOrder, " ") {
				t.Errorf("run order %v, want %v", got, tt.wantOrder)
			}
		})
	}
}

func TestCheckReferenceSchema(t *testing.T) {
	for name, k := range map[string]sdk.KindSchema{
		"no kinds": {Kind: "k", Attributes: []sdk.Attribute{{Name: "x", Type: sdk.TypeReference}}},
		"nested":   {Kind: "k", Blocks: []sdk.NestedBlock{{TypeName: "b", Attributes: []sdk.Attribute{{Name: "x", Type: sdk.TypeReference, Kinds: []string{"blob"}}}}}},
	} {
		if err := CheckKindSchema(k); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ok := sdk.KindSchema{Kind: "k", Attributes: []sdk.Attribute{{Name: "x", Type: sdk.TypeReference, Kinds: []string{"blob"}}}}
	if err := CheckKindSchema(ok); err != nil {
		t.Errorf("a reference attribute with kinds refused: %v", err)
	}
}
