package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// Reference markers delimit the generated part of docs/policy.md.
const (
	ReferenceBegin = "<!-- BEGIN GENERATED: vmafx-trust policy schema -->"
	ReferenceEnd   = "<!-- END GENERATED -->"
)

// MarkdownReference renders the artifact kinds' schemas as the generated
// section of the policy reference.
func MarkdownReference(kinds []sdk.KindSchema) string {
	sorted := append([]sdk.KindSchema(nil), kinds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Kind < sorted[j].Kind })
	var b strings.Builder
	b.WriteString(ReferenceBegin + "\n")
	for _, k := range sorted {
		fmt.Fprintf(&b, "\n### `%s \"NAME\" { … }`\n\n%s\n\n", k.Kind, k.Description)
		writeAttrTable(&b, k.Attributes)
		b.WriteString("\nPlus the attributes every artifact takes: `identity`, `identities`, `require`, `trust_root` (see [Artifact blocks](#artifact-blocks)).\n")
		for _, nb := range k.Blocks {
			n := "at most once"
			if nb.Nesting == sdk.NestingList {
				n = "repeatable"
			}
			if nb.Required {
				n += ", required"
			}
			fmt.Fprintf(&b, "\n#### `%s { … }` (%s)\n\n%s\n\n", nb.TypeName, n, nb.Description)
			if nb.IdentityForm == sdk.IdentityTrustedPublisher {
				b.WriteString("This block is the artifact's identity: the host expands it itself (see [Trusted Publisher identities](pypi.md#trusted-publisher-identities)), so the block takes the place of `identity`.\n\n")
			}
			writeAttrTable(&b, nb.Attributes)
		}
	}
	b.WriteString("\n" + ReferenceEnd + "\n")
	return b.String()
}

func writeAttrTable(b *strings.Builder, attrs []sdk.Attribute) {
	b.WriteString("| attribute | type | required | description | example |\n|---|---|---|---|---|\n")
	for _, a := range attrs {
		req := "no"
		if a.Required {
			req = "yes"
		}
		ex := ""
		if a.Example != "" {
			ex = "`" + strings.ReplaceAll(a.Example, "|", "\\|") + "`"
		}
		typ := a.Type
		if a.Type == sdk.TypeReference && len(a.Kinds) > 0 {
			typ = "reference to " + strings.Join(a.Kinds, " or ")
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", a.Name, typ, req, strings.ReplaceAll(a.Description, "|", "\\|"), ex)
	}
}
