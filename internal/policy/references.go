package policy

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// ArtifactRef is a reference attribute's value: the artifact block it
// names, as written (`image.app`).
type ArtifactRef struct {
	Kind  string
	Name  string
	Range hcl.Range
}

// ID is "kind.name", as Artifact.ID.
func (r ArtifactRef) ID() string { return r.Kind + "." + r.Name }

// checkReferenceSchema refuses reference attributes a host cannot honour:
// one inside a nested block (a reference orders the run, so it belongs to
// the artifact), or one that names no kinds.
func checkReferenceSchema(k sdk.KindSchema) error {
	for _, a := range k.Attributes {
		if a.Type == sdk.TypeReference && len(a.Kinds) == 0 {
			return fmt.Errorf("kind %q declares reference attribute %q with no kinds it may name", k.Kind, a.Name)
		}
	}
	for _, b := range k.Blocks {
		for _, a := range b.Attributes {
			if a.Type == sdk.TypeReference {
				return fmt.Errorf("kind %q declares reference attribute %q in block %q: references are attributes of the artifact block itself", k.Kind, a.Name, b.TypeName)
			}
		}
	}
	return nil
}

// decodeReference reads `kind.name` from a reference attribute. Whether
// that artifact exists is checked once every block is decoded
// (checkReferences).
func decodeReference(attr *hcl.Attribute, schema sdk.Attribute) (ArtifactRef, hcl.Diagnostics) {
	want := make([]string, 0, len(schema.Kinds))
	for _, k := range schema.Kinds {
		want = append(want, k+".<name>")
	}
	bad := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid reference",
		Detail:  fmt.Sprintf("%s must name an artifact block of this policy, like %s.", attr.Name, strings.Join(want, " or ")),
		Subject: attr.Expr.Range().Ptr()}
	tr, d := hcl.AbsTraversalForExpr(attr.Expr)
	if d.HasErrors() || len(tr) != 2 {
		return ArtifactRef{}, hcl.Diagnostics{bad}
	}
	name, ok := tr[1].(hcl.TraverseAttr)
	if !ok {
		return ArtifactRef{}, hcl.Diagnostics{bad}
	}
	ref := ArtifactRef{Kind: tr.RootName(), Name: name.Name, Range: attr.Expr.Range()}
	if !slices.Contains(schema.Kinds, ref.Kind) {
		bad.Detail = fmt.Sprintf("%s cannot name a %s block: it names %s.", attr.Name, ref.Kind, strings.Join(want, " or "))
		return ArtifactRef{}, hcl.Diagnostics{bad}
	}
	return ref, nil
}

// checkReferences makes sure every reference names an artifact of the
// policy and that no artifact depends on itself, directly or not.
func (p *Policy) checkReferences() hcl.Diagnostics {
	var diags hcl.Diagnostics
	byID := map[string]*Artifact{}
	for _, a := range p.Artifacts {
		byID[a.ID()] = a
	}
	for _, a := range p.Artifacts {
		for _, attr := range sortedKeys(a.References) {
			ref := a.References[attr]
			if _, ok := byID[ref.ID()]; !ok {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to an undeclared artifact",
					Detail:  fmt.Sprintf("%s %q: %s = %s, but the policy declares no %s block %q.", a.Kind, a.Name, attr, ref.ID(), ref.Kind, ref.Name),
					Subject: ref.Range.Ptr()})
			}
		}
	}
	if diags.HasErrors() {
		return diags
	}
	if _, err := p.RunOrder(); err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Circular reference", Detail: err.Error() + "."})
	}
	return diags
}

// RunOrder is the order to verify the artifacts in: policy order, except
// that an artifact comes after every artifact it references. It fails on
// a cycle.
func (p *Policy) RunOrder() ([]int, error) {
	index := map[string]int{}
	for i, a := range p.Artifacts {
		index[a.ID()] = i
	}
	const (
		unseen = iota
		visiting
		done
	)
	state := make([]int, len(p.Artifacts))
	order := make([]int, 0, len(p.Artifacts))
	var visit func(i int, path []string) error
	visit = func(i int, path []string) error {
		a := p.Artifacts[i]
		switch state[i] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("%s refers to itself through %s", a.ID(), strings.Join(append(path, a.ID()), " → "))
		}
		state[i] = visiting
		for _, attr := range sortedKeys(a.References) {
			if j, ok := index[a.References[attr].ID()]; ok {
				if err := visit(j, append(path, a.ID())); err != nil {
					return err
				}
			}
		}
		state[i] = done
		order = append(order, i)
		return nil
	}
	for i := range p.Artifacts {
		if err := visit(i, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
