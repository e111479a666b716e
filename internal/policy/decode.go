package policy

import (
	"fmt"
	"math/big"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/vmafx/vmafx-trust/internal/trustroot"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// Names the host owns in every artifact block, whatever its kind: who must
// have signed, against which trust root, with which requirements.
const (
	attrIdentity      = "identity"
	attrIdentities    = "identities"
	attrRequire       = "require"
	attrTrustRoot     = "trust_root"
	blockVerification = "verification"
)

// hostAttributes are the attributes every artifact block accepts in
// addition to its kind's schema.
var hostAttributes = []sdk.Attribute{
	{Name: attrIdentity, Type: "reference", Description: "The identity that must have signed the artifact, e.g. identity.release."},
	{Name: attrIdentities, Type: "list(reference)", Description: "Several accepted identities, e.g. [identity.a, identity.b]; see require."},
	{Name: attrRequire, Type: sdk.TypeNumber, Description: "How many of identities must each have signed (default 1)."},
	{Name: attrTrustRoot, Type: "reference", Description: "The trust root to verify against, e.g. trust_root.sigstore; optional when the policy declares exactly one."},
}

// HostAttributes documents the attributes the host adds to every kind.
func HostAttributes() []sdk.Attribute { return append([]sdk.Attribute(nil), hostAttributes...) }

// HostBlocks are the nested blocks the host adds to every kind.
func HostBlocks() []string { return []string{blockVerification} }

// CheckKindSchema refuses a kind that declares an attribute or block the
// host owns in every artifact block: its plugin would take over who must
// sign, or the verification requirements.
func CheckKindSchema(k sdk.KindSchema) error {
	owned := func(name string) bool {
		if name == blockVerification {
			return true
		}
		for _, a := range hostAttributes {
			if a.Name == name {
				return true
			}
		}
		return false
	}
	for _, a := range k.Attributes {
		if owned(a.Name) {
			return fmt.Errorf("kind %q declares attribute %q, which the host owns in every artifact block", k.Kind, a.Name)
		}
	}
	for _, b := range k.Blocks {
		if owned(b.TypeName) {
			return fmt.Errorf("kind %q declares block %q, which the host owns in every artifact block", k.Kind, b.TypeName)
		}
	}
	return checkReferenceSchema(k)
}

var reservedNames = map[string]bool{"variable": true, "locals": true, "trust_root": true, "identity": true, "plugin": true, "var": true, "local": true, "self": true}

// Decode evaluates a parsed policy with the artifact schemas the plugins
// returned and the variable inputs.
func Decode(f *File, schemas Schemas, in Inputs) (*Policy, hcl.Diagnostics) {
	if f == nil || f.Body == nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No policy body"}}
	}
	top := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "trust_root", LabelNames: []string{"name"}},
		{Type: "identity", LabelNames: []string{"name"}},
		{Type: "plugin", LabelNames: []string{"name"}},
	}}
	for _, k := range schemas.kinds() {
		if reservedNames[k] {
			continue
		}
		if err := CheckKindSchema(schemas[k]); err != nil {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid artifact kind", Detail: err.Error() + "."}}
		}
		top.Blocks = append(top.Blocks, hcl.BlockHeaderSchema{Type: k, LabelNames: []string{"name"}})
	}
	content, diags := f.Body.Content(top)
	for _, d := range diags {
		if d.Summary == "Unsupported block type" {
			d.Detail += fmt.Sprintf(" Known artifact kinds: %s.", strings.Join(schemas.kinds(), ", "))
		}
	}
	byType := map[string]hcl.Blocks{}
	for _, b := range content.Blocks {
		byType[b.Type] = append(byType[b.Type], b)
	}

	base := &hcl.EvalContext{Functions: functions(f.Dir)}
	vars, d := evalVariables(byType["variable"], in, base)
	diags = append(diags, d...)
	varObj := cty.ObjectVal(vars)
	if len(vars) == 0 {
		varObj = cty.EmptyObjectVal
	}
	locals, d := evalLocals(byType["locals"], base, varObj)
	diags = append(diags, d...)
	ctx := base.NewChild()
	ctx.Variables = map[string]cty.Value{"var": varObj, "local": locals}
	if diags.HasErrors() {
		return nil, diags
	}

	p := &Policy{File: f.Path, Dir: f.Dir, Identities: map[string]*Identity{}}
	// Pins apply before plugins start (File.PluginPins); here they are
	// only validated, for `policy validate`.
	_, d = f.PluginPins()
	diags = append(diags, d...)
	d = p.decodeTrustRoots(byType["trust_root"], ctx)
	diags = append(diags, d...)
	for _, b := range byType["identity"] {
		id, d := decodeIdentity(b, ctx)
		diags = append(diags, d...)
		if id == nil {
			continue
		}
		if _, dup := p.Identities[id.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate identity", Detail: fmt.Sprintf("Identity %q is declared twice.", id.Name), Subject: b.DefRange.Ptr()})
			continue
		}
		p.Identities[id.Name] = id
	}
	seen := map[string]bool{}
	for _, b := range content.Blocks {
		schema, ok := schemas[b.Type]
		if !ok || reservedNames[b.Type] {
			continue
		}
		a, d := p.decodeArtifact(b, schema, ctx)
		diags = append(diags, d...)
		if a == nil {
			continue
		}
		if seen[a.ID()] {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate artifact", Detail: fmt.Sprintf("%s %q is declared twice.", a.Kind, a.Name), Subject: b.DefRange.Ptr()})
			continue
		}
		seen[a.ID()] = true
		p.Artifacts = append(p.Artifacts, a)
	}
	if !diags.HasErrors() {
		diags = append(diags, p.checkReferences()...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return p, diags
}

func evalLocals(blocks hcl.Blocks, base *hcl.EvalContext, varObj cty.Value) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	pending := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		attrs, d := b.Body.JustAttributes()
		diags = append(diags, d...)
		for name, a := range attrs {
			if _, dup := pending[name]; dup {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate local", Detail: fmt.Sprintf("local.%s is defined twice.", name), Subject: a.NameRange.Ptr()})
				continue
			}
			pending[name] = a
		}
	}
	vals := map[string]cty.Value{}
	// Evaluate in dependency order: each pass evaluates the locals whose
	// references to other locals are all resolved.
	for len(pending) > 0 {
		progressed := false
		for name, a := range pending {
			ready := true
			for _, tr := range a.Expr.Variables() {
				if tr.RootName() != "local" || len(tr) < 2 {
					continue
				}
				if attr, ok := tr[1].(hcl.TraverseAttr); ok {
					if _, done := vals[attr.Name]; !done {
						ready = false
					}
				}
			}
			if !ready {
				continue
			}
			ctx := base.NewChild()
			ctx.Variables = map[string]cty.Value{"var": varObj, "local": objOrEmpty(vals)}
			v, d := a.Expr.Value(ctx)
			diags = append(diags, d...)
			vals[name] = v
			delete(pending, name)
			progressed = true
		}
		if !progressed {
			for name, a := range pending {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unresolvable local", Detail: fmt.Sprintf("local.%s refers to an undefined local or to itself through a cycle.", name), Subject: a.Expr.Range().Ptr()})
			}
			break
		}
	}
	return objOrEmpty(vals), diags
}

func objOrEmpty(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

var trustRootSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "trusted_root"}, {Name: "public_key"}, {Name: "public_keys"}, {Name: "tuf_mirror"}, {Name: "tuf_root"}, {Name: "public_good"},
}}

func (p *Policy) decodeTrustRoots(blocks hcl.Blocks, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	names := map[string]bool{}
	for _, b := range blocks {
		name := b.Labels[0]
		if names[name] {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate trust root", Detail: fmt.Sprintf("Trust root %q is declared twice.", name), Subject: b.DefRange.Ptr()})
			continue
		}
		names[name] = true
		content, d := b.Body.Content(trustRootSchema)
		diags = append(diags, d...)
		tr := &TrustRoot{Spec: trustroot.Spec{Name: name}, Range: b.DefRange}
		get := func(attr string) string {
			a, ok := content.Attributes[attr]
			if !ok {
				return ""
			}
			s, d := evalString(a, ctx)
			diags = append(diags, d...)
			return s
		}
		tr.TrustedRoot = p.resolve(get("trusted_root"))
		if k := get("public_key"); k != "" {
			tr.PublicKeys = append(tr.PublicKeys, p.resolve(k))
		}
		if a, ok := content.Attributes["public_keys"]; ok {
			list, d := evalStringList(a, ctx)
			diags = append(diags, d...)
			for _, k := range list {
				tr.PublicKeys = append(tr.PublicKeys, p.resolve(k))
			}
		}
		if a, ok := content.Attributes["public_good"]; ok {
			v, d := a.Expr.Value(ctx)
			diags = append(diags, d...)
			if b, err := convert.Convert(v, cty.Bool); err != nil || b.IsNull() || !b.IsKnown() {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect attribute value type", Detail: "public_good must be a bool.", Subject: a.Expr.Range().Ptr()})
			} else {
				tr.WithTUF = b.True()
			}
		}
		tr.TUFMirror = get("tuf_mirror")
		tr.TUFRoot = p.resolve(get("tuf_root"))
		if (tr.TUFMirror == "") != (tr.TUFRoot == "") {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incomplete TUF mirror", Detail: "tuf_mirror and tuf_root go together: a custom TUF repository needs its initial root.json.", Subject: b.DefRange.Ptr()})
		}
		if tr.TUFMirror != "" && tr.TrustedRoot != "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Conflicting trust root", Detail: "Give either trusted_root (a file) or tuf_mirror, not both.", Subject: b.DefRange.Ptr()})
		}
		p.TrustRoots = append(p.TrustRoots, tr)
	}
	return diags
}

var identitySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "issuer"}, {Name: "issuer_regexp"}, {Name: "subject"}, {Name: "subject_regexp"},
		{Name: "extensions"}, {Name: "extension_regexps"}, {Name: "unanchored"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "github"}},
}

var githubSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "repository", Required: true}, {Name: "workflow"}, {Name: "ref"},
	{Name: "signer_repository"}, {Name: "signer_workflow"}, {Name: "signer_ref"}, {Name: "runner"},
}}

func decodeIdentity(b *hcl.Block, ctx *hcl.EvalContext) (*Identity, hcl.Diagnostics) {
	content, diags := b.Body.Content(identitySchema)
	if diags.HasErrors() {
		return nil, diags
	}
	id := &Identity{Range: b.DefRange}
	id.Name = b.Labels[0]
	str := func(name string) (string, *hcl.Range) {
		a, ok := content.Attributes[name]
		if !ok {
			return "", nil
		}
		s, d := evalString(a, ctx)
		diags = append(diags, d...)
		return s, a.Expr.Range().Ptr()
	}
	var ranges = map[string]*hcl.Range{}
	var r *hcl.Range
	id.Issuer, _ = str("issuer")
	id.IssuerRegexp, ranges["issuer_regexp"] = str("issuer_regexp")
	id.Subject, _ = str("subject")
	id.SubjectRegexp, ranges["subject_regexp"] = str("subject_regexp")
	unanchored := false
	if a, ok := content.Attributes["unanchored"]; ok {
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		if v2, err := convert.Convert(v, cty.Bool); err != nil || v2.IsNull() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect attribute value type", Detail: "unanchored must be a bool.", Subject: a.Expr.Range().Ptr()})
		} else {
			unanchored = v2.True()
		}
	}
	for _, attr := range []string{"extensions", "extension_regexps"} {
		a, ok := content.Attributes[attr]
		if !ok {
			continue
		}
		m, d := evalStringMap(a, ctx)
		diags = append(diags, d...)
		for k := range m {
			if !trust.IsExtensionName(k) {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown certificate extension", Detail: fmt.Sprintf("%q is not a Fulcio extension; known: %s.", k, strings.Join(trust.ExtensionNames(), ", ")), Subject: a.Expr.Range().Ptr()})
			}
		}
		if attr == "extensions" {
			id.Extensions = m
		} else {
			id.ExtensionRegexps = m
			ranges["extension_regexps"] = a.Expr.Range().Ptr()
		}
	}
	switch len(content.Blocks) {
	case 0:
	case 1:
		diags = append(diags, expandGitHub(id, content.Blocks[0], ctx)...)
	default:
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate github block", Detail: "An identity takes at most one github block.", Subject: content.Blocks[1].DefRange.Ptr()})
	}
	_ = r
	// Each regular expression must compile as written: one that does not,
	// such as `a\.com)|(.*`, can compile once wrapped in ^(?:…)$ and would
	// then match anything.
	given := map[string]string{"subject_regexp": id.SubjectRegexp, "issuer_regexp": id.IssuerRegexp}
	for k, v := range id.ExtensionRegexps {
		given["extension_regexps."+k] = v
	}
	for field, re := range given {
		if re == "" {
			continue
		}
		if _, err := regexp.Compile(re); err != nil {
			where := ranges[field]
			if where == nil {
				where = ranges["extension_regexps"]
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid regular expression", Detail: fmt.Sprintf("%s: %s", field, err), Subject: where})
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	// Anchor regular expressions unless the author opted out.
	anchor := func(re string) string {
		if unanchored {
			return re
		}
		return AnchorRegexp(re)
	}
	if unanchored && (id.SubjectRegexp != "" || id.IssuerRegexp != "" || len(id.ExtensionRegexps) > 0) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Unanchored identity regexp",
			Detail:  fmt.Sprintf("Identity %q matches its regular expressions anywhere in the value: https://github.com/acme/app also matches https://github.com/acme/app-evil. Anchor them with ^…$ or remove unanchored = true.", id.Name),
			Subject: b.DefRange.Ptr()})
	}
	id.SubjectRegexp = anchor(id.SubjectRegexp)
	id.IssuerRegexp = anchor(id.IssuerRegexp)
	for k, v := range id.ExtensionRegexps {
		id.ExtensionRegexps[k] = anchor(v)
	}
	for field, re := range map[string]string{"subject_regexp": id.SubjectRegexp, "issuer_regexp": id.IssuerRegexp} {
		if re == "" {
			continue
		}
		if _, err := regexp.Compile(re); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid regular expression", Detail: fmt.Sprintf("%s: %s", field, err), Subject: ranges[field]})
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if err := id.Validate(); err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid identity", Detail: err.Error() + ".", Subject: b.DefRange.Ptr()})
		return nil, diags
	}
	return id, diags
}

// expandGitHub turns a github {} block into an exact or anchored SAN match
// plus Fulcio extension checks, without hand-written regular expressions.
func expandGitHub(id *Identity, b *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	content, diags := b.Body.Content(githubSchema)
	if diags.HasErrors() {
		return diags
	}
	get := func(name string) string {
		a, ok := content.Attributes[name]
		if !ok {
			return ""
		}
		s, d := evalString(a, ctx)
		diags = append(diags, d...)
		if s == "" && !d.HasErrors() {
			// An empty value (an unset variable, say) must not widen the
			// identity to "any".
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty github attribute", Detail: fmt.Sprintf("github.%s is empty; omit it to accept any value, or give one.", name), Subject: a.Expr.Range().Ptr()})
		}
		return s
	}
	g := GitHub{
		Repository: get("repository"), Workflow: get("workflow"), Ref: get("ref"),
		SignerRepository: get("signer_repository"), SignerWorkflow: get("signer_workflow"), SignerRef: get("signer_ref"),
		Runner: get("runner"),
	}
	if diags.HasErrors() {
		return diags
	}
	bad := func(detail string) hcl.Diagnostics {
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid github identity", Detail: detail, Subject: b.DefRange.Ptr()})
	}
	// The block names a whole signer: a subject of its own, or half of a
	// reusable workflow, would leave what signs ambiguous.
	if id.Subject != "" || id.SubjectRegexp != "" {
		return bad("A github block sets the subject itself: remove subject / subject_regexp.")
	}
	if (g.SignerRepository == "") != (g.SignerWorkflow == "") {
		return bad("signer_repository and signer_workflow go together.")
	}
	if err := g.Apply(&id.Identity); err != nil {
		return bad(err.Error() + ".")
	}
	return diags
}

// AnchorRegexp makes re match a whole value: ^(?:re)$, keeping an escaped
// literal "$" at the end.
func AnchorRegexp(re string) string {
	if re == "" {
		return ""
	}
	return "^(?:" + trimEndAnchor(strings.TrimPrefix(re, "^")) + ")$"
}

// trimEndAnchor removes a trailing "$" anchor, but not an escaped literal
// dollar ("\\$"), which would leave a dangling backslash.
func trimEndAnchor(re string) string {
	if !strings.HasSuffix(re, "$") {
		return re
	}
	backslashes := 0
	for i := len(re) - 2; i >= 0 && re[i] == '\\'; i-- {
		backslashes++
	}
	if backslashes%2 == 1 {
		return re
	}
	return re[:len(re)-1]
}

// workflowURI is a workflow's URI without the @ref: release.yml and
// .github/workflows/release.yml both name .github/workflows/release.yml.
func workflowURI(repo, workflow string) string {
	path := workflow
	if !strings.Contains(path, "/") {
		path = ".github/workflows/" + path
	}
	return "https://github.com/" + repo + "/" + strings.TrimPrefix(path, "/")
}

func mergeMap(a, b map[string]string) map[string]string {
	if a == nil {
		a = map[string]string{}
	}
	for k, v := range b {
		a[k] = v
	}
	return a
}

func (p *Policy) resolve(path string) string {
	if path == "" || filepath.IsAbs(path) || strings.Contains(path, "://") {
		return path
	}
	return filepath.Join(p.Dir, path)
}

func (p *Policy) trustRoot(name string) *TrustRoot {
	for _, tr := range p.TrustRoots {
		if tr.Name == name {
			return tr
		}
	}
	return nil
}

func (p *Policy) decodeArtifact(b *hcl.Block, ks sdk.KindSchema, ctx *hcl.EvalContext) (*Artifact, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	a := &Artifact{Kind: b.Type, Name: b.Labels[0], Range: b.DefRange, Attributes: map[string]any{}}
	schema := &hcl.BodySchema{}
	types := map[string]sdk.Attribute{}
	for _, attr := range ks.Attributes {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: attr.Name, Required: attr.Required})
		types[attr.Name] = attr
	}
	for _, attr := range hostAttributes {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: attr.Name})
	}
	nested := map[string]sdk.NestedBlock{}
	schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: blockVerification})
	for _, nb := range ks.Blocks {
		schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: nb.TypeName})
		nested[nb.TypeName] = nb
	}
	content, d := b.Body.Content(schema)
	diags = append(diags, d...)
	if d.HasErrors() {
		return nil, diags
	}

	seenVerification := false
	var derived []trust.Identity // from blocks of an identity form
	// `self` lets attributes refer to siblings: bundle = "${self.path}.sigstore.json".
	selfVals := map[string]cty.Value{}
	var deferred []*hcl.Attribute
	for name, attr := range content.Attributes {
		if _, ok := types[name]; !ok {
			continue
		}
		if types[name].Type == sdk.TypeReference {
			ref, d := decodeReference(attr, types[name])
			diags = append(diags, d...)
			if !d.HasErrors() {
				if a.References == nil {
					a.References = map[string]ArtifactRef{}
				}
				a.References[name] = ref
			}
			continue
		}
		if refersTo(attr.Expr, "self") {
			deferred = append(deferred, attr)
			continue
		}
		v, d := p.decodeValue(attr, types[name], ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		a.Attributes[name] = v
		selfVals[name] = goToCty(v)
	}
	selfCtx := ctx.NewChild()
	selfCtx.Variables = map[string]cty.Value{"self": objOrEmpty(selfVals)}
	for _, attr := range deferred {
		v, d := p.decodeValue(attr, types[attr.Name], selfCtx)
		diags = append(diags, d...)
		if !d.HasErrors() {
			a.Attributes[attr.Name] = v
		}
	}
	for _, blk := range content.Blocks {
		if blk.Type == blockVerification {
			if seenVerification {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate block", Detail: "Only one verification block is allowed here.", Subject: blk.DefRange.Ptr()})
				continue
			}
			seenVerification = true
			req, d := decodeRequirements(blk, ctx)
			diags = append(diags, d...)
			a.Requirements = req
			continue
		}
		nb := nested[blk.Type]
		v, d := p.decodeNested(blk, nb, ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if nb.IdentityForm != "" {
			// The block names the signer: the host expands it itself.
			id, err := identityFromForm(nb.IdentityForm, v)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + blk.Type + " block", Detail: err.Error() + ".", Subject: blk.DefRange.Ptr()})
				continue
			}
			derived = append(derived, id)
		}
		if nb.Nesting == sdk.NestingList {
			list, _ := a.Attributes[blk.Type].([]any)
			a.Attributes[blk.Type] = append(list, v)
			continue
		}
		if _, dup := a.Attributes[blk.Type]; dup {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate block", Detail: fmt.Sprintf("Only one %s block is allowed here.", blk.Type), Subject: blk.DefRange.Ptr()})
			continue
		}
		a.Attributes[blk.Type] = v
	}
	for _, nb := range ks.Blocks {
		if _, ok := a.Attributes[nb.TypeName]; nb.Required && !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing required block", Detail: fmt.Sprintf("A %s block is required in %s %q.", nb.TypeName, a.Kind, a.Name), Subject: b.DefRange.Ptr()})
		}
	}
	if len(derived) > 0 {
		for _, name := range []string{attrIdentity, attrIdentities} {
			if attr, ok := content.Attributes[name]; ok {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Identity given twice",
					Detail:  fmt.Sprintf("%s %q already names who must have signed it in a block the host expands (e.g. publisher {}): remove %s, or that block.", a.Kind, a.Name, name),
					Subject: attr.NameRange.Ptr()})
			}
		}
		a.Identities = derived
	}
	diags = append(diags, p.decodeHostAttributes(a, content, ctx)...)
	return a, diags
}

func (p *Policy) decodeHostAttributes(a *Artifact, content *hcl.BodyContent, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	host := func(name string) (*hcl.Attribute, bool) {
		attr, ok := content.Attributes[name]
		return attr, ok
	}
	var refs []hcl.Traversal
	var refRanges []hcl.Range
	if attr, ok := host(attrIdentity); ok {
		tr, d := hcl.AbsTraversalForExpr(attr.Expr)
		if d.HasErrors() {
			diags = append(diags, referenceDiag("identity", attr.Expr.Range()))
		} else {
			refs, refRanges = append(refs, tr), append(refRanges, attr.Expr.Range())
		}
	}
	if attr, ok := host(attrIdentities); ok {
		exprs, d := hcl.ExprList(attr.Expr)
		if d.HasErrors() {
			diags = append(diags, referenceDiag("identities", attr.Expr.Range()))
		}
		for _, e := range exprs {
			tr, d := hcl.AbsTraversalForExpr(e)
			if d.HasErrors() {
				diags = append(diags, referenceDiag("identities", e.Range()))
				continue
			}
			refs, refRanges = append(refs, tr), append(refRanges, e.Range())
		}
	}
	seen := map[string]bool{}
	for i, tr := range refs {
		name, ok := referenceName(tr, "identity")
		if !ok {
			diags = append(diags, referenceDiag("identity", refRanges[i]))
			continue
		}
		id, ok := p.Identities[name]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to undeclared identity", Detail: fmt.Sprintf("No identity %q is declared in this policy.", name), Subject: refRanges[i].Ptr()})
			continue
		}
		if !seen[name] {
			seen[name] = true
			a.Identities = append(a.Identities, id.Identity)
		}
	}
	// A bad identity reference is already an error; "no identity" on top
	// of it would be wrong.
	identityErr := diags.HasErrors()
	a.Require = 1
	if attr, ok := host(attrRequire); ok {
		v, d := attr.Expr.Value(ctx)
		diags = append(diags, d...)
		n, err := convert.Convert(v, cty.Number)
		if err != nil || n.IsNull() || !n.IsKnown() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect attribute value type", Detail: "require must be a number.", Subject: attr.Expr.Range().Ptr()})
		} else {
			bf := n.AsBigFloat()
			i, acc := bf.Int64()
			if acc != big.Exact || i < 1 || int(i) > max(len(a.Identities), 1) {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid require", Detail: fmt.Sprintf("require must be a whole number from 1 to the number of identities (%d).", len(a.Identities)), Subject: attr.Expr.Range().Ptr()})
			} else {
				a.Require = int(i)
			}
		}
	}
	if attr, ok := host(attrTrustRoot); ok {
		tr, d := hcl.AbsTraversalForExpr(attr.Expr)
		name, ok := referenceName(tr, "trust_root")
		switch {
		case d.HasErrors() || !ok:
			diags = append(diags, referenceDiag("trust_root", attr.Expr.Range()))
		case p.trustRoot(name) == nil:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to undeclared trust root", Detail: fmt.Sprintf("No trust_root %q is declared in this policy.", name), Subject: attr.Expr.Range().Ptr()})
		default:
			a.TrustRoot = name
		}
	} else {
		switch len(p.TrustRoots) {
		case 0:
			// No trust root declared: Sigstore public-good, the way cosign
			// defaults.
			p.TrustRoots = append(p.TrustRoots, &TrustRoot{Spec: trustroot.Spec{Name: "public-good"}, Implicit: true})
			a.TrustRoot = "public-good"
		case 1:
			a.TrustRoot = p.TrustRoots[0].Name
		default:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Ambiguous trust root", Detail: fmt.Sprintf("The policy declares %d trust roots: say which one %s %q uses with trust_root = trust_root.<name>.", len(p.TrustRoots), a.Kind, a.Name), Subject: a.Range.Ptr()})
		}
	}
	if len(a.Identities) == 0 && !identityErr {
		tr := p.trustRoot(a.TrustRoot)
		if tr != nil && len(tr.PublicKeys) > 0 {
			a.UseKey = true
		} else if a.TrustRoot != "" || tr == nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No identity or key",
				Detail:  fmt.Sprintf("%s %q names no identity and its trust root has no public key: nothing would limit who may sign it. Add identity = identity.<name>, or verify with a trust_root that has public_key.", a.Kind, a.Name),
				Subject: a.Range.Ptr()})
		}
	}
	return diags
}

func referenceName(tr hcl.Traversal, root string) (string, bool) {
	if len(tr) != 2 || tr.RootName() != root {
		return "", false
	}
	attr, ok := tr[1].(hcl.TraverseAttr)
	if !ok {
		return "", false
	}
	return attr.Name, true
}

func referenceDiag(attr string, r hcl.Range) *hcl.Diagnostic {
	what := map[string]string{"identity": "identity.<name>", "identities": "[identity.<name>, …]", "trust_root": "trust_root.<name>"}[attr]
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid reference", Detail: fmt.Sprintf("%s must be a reference like %s.", attr, what), Subject: r.Ptr()}
}

func refersTo(expr hcl.Expression, root string) bool {
	for _, tr := range expr.Variables() {
		if tr.RootName() == root {
			return true
		}
	}
	return false
}

func (p *Policy) decodeNested(blk *hcl.Block, nb sdk.NestedBlock, ctx *hcl.EvalContext) (map[string]any, hcl.Diagnostics) {
	schema := &hcl.BodySchema{}
	types := map[string]sdk.Attribute{}
	for _, attr := range nb.Attributes {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: attr.Name, Required: attr.Required})
		types[attr.Name] = attr
	}
	content, diags := blk.Body.Content(schema)
	out := map[string]any{}
	for name, attr := range content.Attributes {
		v, d := p.decodeValue(attr, types[name], ctx)
		diags = append(diags, d...)
		if !d.HasErrors() {
			out[name] = v
		}
	}
	return out, diags
}

// decodeValue evaluates an attribute and converts it to the schema's type,
// returning a JSON-ready Go value.
func (p *Policy) decodeValue(attr *hcl.Attribute, schema sdk.Attribute, ctx *hcl.EvalContext) (any, hcl.Diagnostics) {
	v, diags := attr.Expr.Value(ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	ty, ok := attributeType(schema.Type)
	if schema.Type == sdk.TypeStringOrList && v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
		ty = cty.String
	}
	if !ok {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported schema type", Detail: fmt.Sprintf("The plugin declared attribute %q with type %q, which the host does not understand.", schema.Name, schema.Type), Subject: attr.NameRange.Ptr()}}
	}
	conv, err := convert.Convert(v, ty)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Incorrect attribute value type", Detail: fmt.Sprintf("Inappropriate value for attribute %q: %s.", attr.Name, err), Subject: attr.Expr.Range().Ptr()}}
	}
	if conv.IsNull() {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Null attribute", Detail: fmt.Sprintf("Attribute %q must not be null.", attr.Name), Subject: attr.Expr.Range().Ptr()}}
	}
	if !conv.IsWhollyKnown() {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unknown value", Detail: fmt.Sprintf("Attribute %q depends on a value not known before verification.", attr.Name), Subject: attr.Expr.Range().Ptr()}}
	}
	g := ctyToGo(conv)
	switch schema.Type {
	case sdk.TypePath:
		g = p.resolve(g.(string))
	case sdk.TypeListPath:
		list := g.([]any)
		for i, e := range list {
			list[i] = p.resolve(e.(string))
		}
	}
	return g, diags
}

func attributeType(t string) (cty.Type, bool) {
	switch t {
	case sdk.TypeString, sdk.TypePath:
		return cty.String, true
	case sdk.TypeNumber:
		return cty.Number, true
	case sdk.TypeBool:
		return cty.Bool, true
	case sdk.TypeListString, sdk.TypeListPath, sdk.TypeStringOrList:
		return cty.List(cty.String), true
	case sdk.TypeMapString:
		return cty.Map(cty.String), true
	}
	return cty.NilType, false
}

func ctyToGo(v cty.Value) any {
	switch {
	case v.IsNull():
		return nil
	case v.Type() == cty.String:
		return v.AsString()
	case v.Type() == cty.Bool:
		return v.True()
	case v.Type() == cty.Number:
		bf := v.AsBigFloat()
		if i, acc := bf.Int64(); acc == big.Exact {
			return i
		}
		f, _ := bf.Float64()
		return f
	case v.Type().IsListType() || v.Type().IsTupleType() || v.Type().IsSetType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, ctyToGo(e))
		}
		return out
	case v.Type().IsMapType() || v.Type().IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = ctyToGo(e)
		}
		return out
	}
	return nil
}

func goToCty(v any) cty.Value {
	switch x := v.(type) {
	case string:
		return cty.StringVal(x)
	case bool:
		return cty.BoolVal(x)
	case int64:
		return cty.NumberIntVal(x)
	case float64:
		return cty.NumberFloatVal(x)
	case []any:
		if len(x) == 0 {
			return cty.EmptyTupleVal
		}
		vals := make([]cty.Value, len(x))
		for i, e := range x {
			vals[i] = goToCty(e)
		}
		return cty.TupleVal(vals)
	case map[string]any:
		m := map[string]cty.Value{}
		for k, e := range x {
			m[k] = goToCty(e)
		}
		return objOrEmpty(m)
	}
	return cty.NullVal(cty.DynamicPseudoType)
}

func evalString(a *hcl.Attribute, ctx *hcl.EvalContext) (string, hcl.Diagnostics) {
	v, diags := a.Expr.Value(ctx)
	if diags.HasErrors() {
		return "", diags
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() || !s.IsKnown() {
		return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Incorrect attribute value type", Detail: fmt.Sprintf("Attribute %q must be a string.", a.Name), Subject: a.Expr.Range().Ptr()}}
	}
	return s.AsString(), diags
}

func evalStringList(a *hcl.Attribute, ctx *hcl.EvalContext) ([]string, hcl.Diagnostics) {
	v, diags := a.Expr.Value(ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	l, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || l.IsNull() || !l.IsWhollyKnown() {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Incorrect attribute value type", Detail: fmt.Sprintf("Attribute %q must be a list of strings.", a.Name), Subject: a.Expr.Range().Ptr()}}
	}
	var out []string
	for _, e := range l.AsValueSlice() {
		out = append(out, e.AsString())
	}
	return out, diags
}

func evalStringMap(a *hcl.Attribute, ctx *hcl.EvalContext) (map[string]string, hcl.Diagnostics) {
	v, diags := a.Expr.Value(ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	m, err := convert.Convert(v, cty.Map(cty.String))
	if err != nil || m.IsNull() || !m.IsWhollyKnown() {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Incorrect attribute value type", Detail: fmt.Sprintf("Attribute %q must be a map of strings.", a.Name), Subject: a.Expr.Range().Ptr()}}
	}
	out := map[string]string{}
	for k, e := range m.AsValueMap() {
		out[k] = e.AsString()
	}
	return out, diags
}

var _ = hclsyntax.ValidIdentifier

var verificationSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "tlog_threshold"}, {Name: "sct_threshold"}, {Name: "timestamp_threshold"},
	{Name: "insecure_ignore_tlog"}, {Name: "require_inclusion_proof"}, {Name: "time_source"},
}}

func decodeRequirements(blk *hcl.Block, ctx *hcl.EvalContext) (trust.Requirements, hcl.Diagnostics) {
	var r trust.Requirements
	content, diags := blk.Body.Content(verificationSchema)
	if diags.HasErrors() {
		return r, diags
	}
	num := func(name string) *int {
		a, ok := content.Attributes[name]
		if !ok {
			return nil
		}
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		n, err := convert.Convert(v, cty.Number)
		if err != nil || n.IsNull() || !n.IsKnown() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect attribute value type", Detail: name + " must be a number.", Subject: a.Expr.Range().Ptr()})
			return nil
		}
		i, acc := n.AsBigFloat().Int64()
		if acc != big.Exact || i < 0 || i > 64 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid threshold", Detail: name + " must be a whole number from 0 to 64.", Subject: a.Expr.Range().Ptr()})
			return nil
		}
		x := int(i)
		return &x
	}
	boolean := func(name string) bool {
		a, ok := content.Attributes[name]
		if !ok {
			return false
		}
		v, d := a.Expr.Value(ctx)
		diags = append(diags, d...)
		b, err := convert.Convert(v, cty.Bool)
		if err != nil || b.IsNull() || !b.IsKnown() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect attribute value type", Detail: name + " must be a bool.", Subject: a.Expr.Range().Ptr()})
			return false
		}
		return b.True()
	}
	r.TlogThreshold = num("tlog_threshold")
	r.SCTThreshold = num("sct_threshold")
	r.TimestampThreshold = num("timestamp_threshold")
	r.IgnoreTlog = boolean("insecure_ignore_tlog")
	r.RequireInclusionProof = boolean("require_inclusion_proof")
	if a, ok := content.Attributes["time_source"]; ok {
		s, d := evalString(a, ctx)
		diags = append(diags, d...)
		r.TimeSource = s
	}
	if err := r.Validate(); err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid verification block", Detail: err.Error() + ".", Subject: blk.DefRange.Ptr()})
	}
	return r, diags
}
