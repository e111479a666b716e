package policy

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// EnvVarPrefix is the prefix of environment variables that set policy
// variables: VMAFX_TRUST_VAR_version=1.4.0 sets var.version.
const EnvVarPrefix = "VMAFX_TRUST_VAR_"

// Inputs are variable values from outside the policy, lowest precedence
// first: environment, variable files, then --var flags.
type Inputs struct {
	Env      []string // os.Environ() form; nil means none
	VarFiles []string
	Vars     []string // k=v
}

type rawValue struct {
	expr   hcl.Expression // from a var file
	str    string         // from env / --var
	isStr  bool
	source string
}

var variableBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "condition", Required: true}, {Name: "error_message", Required: true}},
}

// evalVariables evaluates `variable` blocks against the inputs.
func evalVariables(blocks hcl.Blocks, in Inputs, baseCtx *hcl.EvalContext) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	raw, rdiags := collectInputs(in)
	diags = append(diags, rdiags...)

	vals := map[string]cty.Value{}
	declared := map[string]bool{}
	for _, b := range blocks {
		name := b.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid variable name", Detail: fmt.Sprintf("%q is not a valid identifier.", name), Subject: b.LabelRanges[0].Ptr()})
			continue
		}
		if declared[name] {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate variable", Detail: fmt.Sprintf("Variable %q is declared twice.", name), Subject: b.DefRange.Ptr()})
			continue
		}
		declared[name] = true
		content, d := b.Body.Content(variableBlockSchema)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		ty := cty.DynamicPseudoType
		if attr, ok := content.Attributes["type"]; ok {
			t, d := typeexpr.TypeConstraint(attr.Expr)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			ty = t
		}
		var val cty.Value
		var valRange *hcl.Range = b.DefRange.Ptr()
		if r, ok := raw[name]; ok {
			v, d := r.value(ty)
			if d.HasErrors() {
				for _, dd := range d {
					if dd.Subject == nil {
						dd.Subject = b.DefRange.Ptr()
					}
					dd.Detail = fmt.Sprintf("%s (value from %s)", dd.Detail, r.source)
				}
				diags = append(diags, d...)
				continue
			}
			val = v
			if r.expr != nil {
				valRange = r.expr.Range().Ptr()
			}
		} else if attr, ok := content.Attributes["default"]; ok {
			v, d := attr.Expr.Value(nil)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			val = v
			valRange = attr.Expr.Range().Ptr()
		} else {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "No value for required variable",
				Detail:  fmt.Sprintf("Variable %q has no default: set it with --var %s=…, --var-file, or %s%s.", name, name, EnvVarPrefix, name),
				Subject: b.DefRange.Ptr(),
			})
			continue
		}
		conv, err := convert.Convert(val, ty)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable", Detail: fmt.Sprintf("Variable %q: %s.", name, err), Subject: valRange})
			continue
		}
		// Validation blocks see only this variable.
		vctx := baseCtx.NewChild()
		vctx.Variables = map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{name: conv})}
		ok := true
		for _, vb := range content.Blocks {
			vc, d := vb.Body.Content(validationSchema)
			diags = append(diags, d...)
			if d.HasErrors() {
				ok = false
				continue
			}
			cond, d := vc.Attributes["condition"].Expr.Value(vctx)
			diags = append(diags, d...)
			if d.HasErrors() {
				ok = false
				continue
			}
			msg, d := vc.Attributes["error_message"].Expr.Value(vctx)
			diags = append(diags, d...)
			if cond.Type() != cty.Bool || cond.IsNull() || !cond.IsKnown() {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid validation condition", Detail: "The condition must be a bool.", Subject: vc.Attributes["condition"].Expr.Range().Ptr()})
				ok = false
				continue
			}
			if cond.False() {
				text := "validation failed"
				if msg.Type() == cty.String && msg.IsKnown() && !msg.IsNull() {
					text = msg.AsString()
				}
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable", Detail: fmt.Sprintf("var.%s: %s", name, text), Subject: valRange})
				ok = false
			}
		}
		if ok {
			vals[name] = conv
		}
	}
	// Values for variables the policy does not declare are mistakes (a typo
	// would otherwise silently keep a default).
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !declared[n] && raw[n].source != "environment" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Undeclared variable", Detail: fmt.Sprintf("A value was given for %q (from %s), but the policy declares no such variable.", n, raw[n].source)})
		}
	}
	return vals, diags
}

func (r rawValue) value(ty cty.Type) (cty.Value, hcl.Diagnostics) {
	if r.expr != nil {
		return r.expr.Value(nil)
	}
	// Strings from the command line are taken literally for string
	// variables and parsed as HCL expressions otherwise (lists, numbers…).
	if ty == cty.String || ty == cty.DynamicPseudoType {
		return cty.StringVal(r.str), nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(r.str), r.source, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	return expr.Value(nil)
}

func collectInputs(in Inputs) (map[string]rawValue, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	raw := map[string]rawValue{}
	for _, kv := range in.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, EnvVarPrefix) {
			continue
		}
		raw[strings.TrimPrefix(k, EnvVarPrefix)] = rawValue{str: v, isStr: true, source: "environment"}
	}
	for _, path := range in.VarFiles {
		src, err := readBounded(path, MaxPolicySize)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read variables file", Detail: err.Error()})
			continue
		}
		f, d := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		attrs, d := f.Body.JustAttributes()
		diags = append(diags, d...)
		for name, a := range attrs {
			raw[name] = rawValue{expr: a.Expr, source: path}
		}
	}
	for _, kv := range in.Vars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid --var", Detail: fmt.Sprintf("%q: want name=value.", kv)})
			continue
		}
		raw[k] = rawValue{str: v, isStr: true, source: "--var " + k}
	}
	return raw, diags
}

// EnvInputs returns the process environment for Inputs.Env.
func EnvInputs() []string { return os.Environ() }
