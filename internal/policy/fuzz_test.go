package policy

import (
	"testing"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// FuzzDecode: no policy text makes parsing or evaluation panic or hang, and
// an accepted policy never has an artifact without an identity or key.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"",
		`trust_root "s" { trusted_root = "t.json" }
identity "r" {
  issuer = "https://token.actions.githubusercontent.com"
  subject_regexp = "^https://github\\.com/acme/app/.*$"
}
blob "a" {
  path = "a"
  identity = identity.r
}`,
		`variable "v" { type = string
 default = "1" }
locals { x = "${var.v}-${local.y}"
 y = upper("a") }
identity "g" { github { repository = "o/r" workflow = "w.yml" } }
blob "b" { digest = "sha256:${sha256(local.x)}" identity = identity.g bundle = "${self.digest}.json" }`,
		`blob "x" { identities = [identity.a, identity.b] require = 2 }`,
		`trust_root "k" { public_key = "k.pem" }
blob "k" { path = "p"
 verification { insecure_ignore_tlog = true
  tlog_threshold = 0 } }`,
	} {
		f.Add(seed)
	}
	schemas := Schemas{"blob": {Kind: "blob", Attributes: []sdk.Attribute{
		{Name: "path", Type: sdk.TypePath}, {Name: "digest", Type: sdk.TypeString}, {Name: "bundle", Type: sdk.TypePath},
		{Name: "bundles", Type: sdk.TypeListPath},
	}}}
	f.Fuzz(func(t *testing.T, src string) {
		file, diags := Parse("policy.hcl", "/tmp/policy.hcl", []byte(src))
		if diags.HasErrors() {
			return
		}
		pol, diags := Decode(file, schemas, Inputs{})
		if diags.HasErrors() {
			if pol != nil {
				t.Fatal("a policy with errors was returned")
			}
			return
		}
		for _, a := range pol.Artifacts {
			if len(a.Identities) == 0 && !a.UseKey {
				t.Fatalf("artifact %s accepted with no identity and no key", a.ID())
			}
		}
	})
}
