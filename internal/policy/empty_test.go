package policy

import (
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// TestEmptyConstraintsRejected: an unset variable must not turn an identity
// constraint into "anything".
func TestEmptyConstraintsRejected(t *testing.T) {
	schemas := Schemas{"blob": {Kind: "blob", Attributes: []sdk.Attribute{{Name: "path", Type: sdk.TypePath}}}}
	tests := map[string]string{
		"github ref": `variable "ref" {
  default = ""
}
identity "r" {
  github {
    repository = "o/r"
    ref        = var.ref
  }
}`,
		"extension": `identity "r" {
  issuer     = "https://token.actions.githubusercontent.com"
  subject    = "s"
  extensions = { source_repository_ref = "" }
}`,
		"extension regexp": `identity "r" {
  issuer            = "https://token.actions.githubusercontent.com"
  subject           = "s"
  extension_regexps = { source_repository_uri = "" }
}`,
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			f, diags := Parse("policy.hcl", "/tmp/policy.hcl", []byte(src+"\nblob \"a\" {\n  path = \"a\"\n  identity = identity.r\n}\n"))
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			_, diags = Decode(f, schemas, Inputs{})
			if !diags.HasErrors() || !strings.Contains(diags.Error(), "empty") {
				t.Errorf("accepted, or the error does not say empty: %v", diags)
			}
		})
	}
}
