package policy

import (
	"encoding/hex"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// PluginPins reads the policy's `plugin "NAME" { sha256 = "…" }` blocks:
// the custom plugins it pins, by name, to the sha256 of their executable
// (lowercase hex). They are read from the syntax alone, before any plugin
// starts: a pinned plugin whose executable does not match must never run.
// The value must be a literal string, "<hex>" or "sha256:<hex>".
func (f *File) PluginPins() (map[string]string, hcl.Diagnostics) {
	if f == nil || f.Body == nil {
		return nil, nil
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported policy syntax",
			Detail: "Plugin pins are read from native HCL syntax only."}}
	}
	pins := map[string]string{}
	ranges := map[string]hcl.Range{}
	var diags hcl.Diagnostics
	schema := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "sha256", Required: true}}}
	for _, b := range body.Blocks {
		if b.Type != "plugin" {
			continue
		}
		rng := b.DefRange()
		if len(b.Labels) != 1 || b.Labels[0] == "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid plugin block",
				Detail: `A plugin block names one plugin: plugin "NAME" { sha256 = "…" }.`, Subject: &rng})
			continue
		}
		name := b.Labels[0]
		if prev, dup := ranges[name]; dup {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate plugin block",
				Detail: "Plugin " + name + " is already pinned at " + prev.String() + ".", Subject: &rng})
			continue
		}
		content, d := b.Body.Content(schema)
		diags = append(diags, d...)
		attr, ok := content.Attributes["sha256"]
		if !ok {
			continue
		}
		v, d := attr.Expr.Value(nil)
		if d.HasErrors() || v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid plugin pin",
				Detail: "sha256 must be a literal string: the digest of the plugin's executable, as `sha256sum` prints it.", Subject: attr.Expr.Range().Ptr()})
			continue
		}
		hx := strings.TrimPrefix(strings.TrimSpace(v.AsString()), "sha256:")
		if raw, err := hex.DecodeString(hx); err != nil || len(raw) != 32 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid plugin pin",
				Detail: "sha256 must be 64 hexadecimal digits (optionally after \"sha256:\"), as `sha256sum` prints it.", Subject: attr.Expr.Range().Ptr()})
			continue
		}
		pins[name] = strings.ToLower(hx)
		ranges[name] = rng
	}
	return pins, diags
}
