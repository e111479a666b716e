// Package content evaluates content rules on an SBOM read by package
// document: required and denied packages (by name or purl, with version
// constraints in the ecosystem's ordering), allowed and denied licences
// (SPDX expressions), minimum component count, maximum age, the NTIA
// minimum elements, and the binding of the SBOM's described root to the
// attested subject.
//
// A Policy is compiled once from Rules; an Evaluation takes components one
// at a time (so a streamed document is never held whole) and gives a
// Result whose violation lists are bounded.
package content

import (
	"fmt"
	"strings"
	"time"

	"github.com/vmafx/vmafx-trust/plugins/sbom/document"
)

// Unlicensed settings.
const (
	UnlicensedFail   = "fail"
	UnlicensedWarn   = "warn"
	UnlicensedIgnore = "ignore"
)

// DefaultMaxViolations bounds each rule's violation list.
const DefaultMaxViolations = 100

// Rules are the content rules of a policy. Zero values are unset rules.
type Rules struct {
	// Packages must each be present: "NAME" or "PURL", optionally a space
	// and a version constraint ("pkg:pypi/requests >=2.31").
	Packages []string
	// DenyPackages must each be absent; same syntax.
	DenyPackages []string
	// AllowLicenses and DenyLicenses are SPDX licence identifiers,
	// optionally "ID WITH EXCEPTION" (see licenses.go for the semantics).
	AllowLicenses []string
	DenyLicenses  []string
	// Unlicensed decides what a component without licence data does when
	// a licence rule is set: "fail", "warn" or "ignore". Default: "fail"
	// with AllowLicenses (an allow list admits only what it can see), else
	// "warn".
	Unlicensed string
	// MinComponents is the fewest components the SBOM may list.
	MinComponents int
	// MaxAge is the oldest the SBOM's creation time may be.
	MaxAge time.Duration
	// NTIAMinimumElements requires supplier, name, version and unique ID of
	// every component, and an author, a timestamp and dependency
	// relationships of the document.
	NTIAMinimumElements bool
	// Describes must be named by the SBOM's root: "NAME" or "PURL" with an
	// optional version constraint, as in Packages.
	Describes string
	// MaxViolations bounds each rule's violation list (default 100); the
	// count of all violations is kept.
	MaxViolations int
}

// Input is what the evaluation is about.
type Input struct {
	// Now is the time max_age is measured to.
	Now time.Time
	// SubjectDigests are the attested artifact's digests; when the SBOM's
	// root names a digest, one of them must equal it.
	SubjectDigests []document.Digest
}

// Policy is a compiled rule set.
type Policy struct {
	rules      Rules
	required   *packageIndex
	denied     *packageIndex
	describes  *packageSpec
	licenses   *licensePolicy
	unlicensed string
	limit      int
}

// Compile checks the rules and prepares them.
func Compile(r Rules) (*Policy, error) {
	p := &Policy{rules: r, limit: r.MaxViolations}
	if p.limit <= 0 {
		p.limit = DefaultMaxViolations
	}
	var err error
	if p.required, err = newPackageIndex(r.Packages); err != nil {
		return nil, fmt.Errorf("packages: %w", err)
	}
	if p.denied, err = newPackageIndex(r.DenyPackages); err != nil {
		return nil, fmt.Errorf("deny_packages: %w", err)
	}
	if r.Describes != "" {
		if p.describes, err = parsePackageSpec(r.Describes); err != nil {
			return nil, fmt.Errorf("describes: %w", err)
		}
	}
	if len(r.AllowLicenses) > 0 || len(r.DenyLicenses) > 0 {
		if p.licenses, err = newLicensePolicy(r.AllowLicenses, r.DenyLicenses); err != nil {
			return nil, err
		}
	}
	switch r.Unlicensed {
	case "":
		p.unlicensed = UnlicensedWarn
		if len(r.AllowLicenses) > 0 {
			p.unlicensed = UnlicensedFail
		}
	case UnlicensedFail, UnlicensedWarn, UnlicensedIgnore:
		p.unlicensed = r.Unlicensed
	default:
		return nil, fmt.Errorf("unlicensed = %q: want fail, warn or ignore", r.Unlicensed)
	}
	if r.MinComponents < 0 || r.MaxAge < 0 {
		return nil, fmt.Errorf("min_components and max_age cannot be negative")
	}
	return p, nil
}

// Evaluate evaluates the rules on a document whose components it holds.
func (p *Policy) Evaluate(doc *document.Document, in Input) *Result {
	e := p.NewEvaluation(in)
	for i := range doc.Components {
		e.Component(&doc.Components[i])
	}
	return e.Finish(doc)
}

// Evaluation is one evaluation in progress: feed it every component (for
// instance from document.Options.OnComponent), then Finish.
type Evaluation struct {
	p  *Policy
	in Input

	requiredFound []bool
	requiredSeen  [][]string // versions of components that matched by name but not by version
	deny          RuleResult
	allow         RuleResult
	denyLic       RuleResult
	unlicensed    RuleResult
	ntia          RuleResult
	components    int
}

// NewEvaluation starts an evaluation.
func (p *Policy) NewEvaluation(in Input) *Evaluation {
	return &Evaluation{
		p: p, in: in,
		requiredFound: make([]bool, len(p.required.specs)),
		requiredSeen:  make([][]string, len(p.required.specs)),
		deny:          RuleResult{Rule: RuleDenyPackages},
		allow:         RuleResult{Rule: RuleAllowLicenses},
		denyLic:       RuleResult{Rule: RuleDenyLicenses},
		unlicensed:    RuleResult{Rule: RuleUnlicensed},
		ntia:          RuleResult{Rule: RuleNTIA},
	}
}

// Component evaluates one component. The evaluation keeps no reference to
// it beyond its strings in violations.
func (e *Evaluation) Component(c *document.Component) {
	p := e.p
	e.components++
	var ck componentKeys
	if len(p.required.specs)+len(p.denied.specs) > 0 {
		ck.fill(c)
	}
	if len(p.denied.specs) > 0 {
		p.denied.candidates(c, &ck, func(i int) {
			s := p.denied.specs[i]
			if !s.matches(c, &ck) {
				return
			}
			ok, v, err := s.versionMatch(c, &ck)
			switch {
			case err != nil:
				// Fail closed: a denied package whose version cannot be
				// compared may be a denied version.
				e.deny.add(p.limit, Violation{refOf(c), fmt.Sprintf("denied by %q; version %q cannot be compared (%v), so it counts as denied", s.text, v, err)})
			case ok:
				e.deny.add(p.limit, Violation{refOf(c), fmt.Sprintf("denied by %q", s.text)})
			}
		})
	}
	if len(p.required.specs) > 0 {
		p.required.candidates(c, &ck, func(i int) {
			s := p.required.specs[i]
			if e.requiredFound[i] || !s.matches(c, &ck) {
				return
			}
			if ok, v, err := s.versionMatch(c, &ck); ok && err == nil {
				e.requiredFound[i] = true
			} else if len(e.requiredSeen[i]) < 5 {
				e.requiredSeen[i] = append(e.requiredSeen[i], v)
			}
		})
	}
	if p.licenses != nil {
		e.license(c)
	}
	if p.rules.NTIAMinimumElements {
		var missing []string
		for _, f := range []struct{ name, value string }{{"supplier", c.Supplier}, {"name", c.Name}, {"version", c.Version}, {"unique identifier", c.ID}} {
			if strings.TrimSpace(f.value) == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			e.ntia.add(p.limit, Violation{refOf(c), "missing " + strings.Join(missing, ", ")})
		}
	}
}

func (e *Evaluation) license(c *document.Component) {
	p := e.p
	if c.License == "" {
		if p.unlicensed != UnlicensedIgnore {
			e.unlicensed.add(p.limit, Violation{refOf(c), "no licence data"})
		}
		return
	}
	v := p.licenses.verdict(c.License)
	if v.unreadable != "" {
		msg := fmt.Sprintf("licence %q is not an SPDX expression go-spdx reads: %s", c.License, v.unreadable)
		if len(p.rules.AllowLicenses) > 0 {
			e.allow.add(p.limit, Violation{refOf(c), msg})
		}
		if len(p.rules.DenyLicenses) > 0 {
			e.denyLic.add(p.limit, Violation{refOf(c), msg + " (not shown denied)"})
		}
		return
	}
	if len(p.rules.AllowLicenses) > 0 && !v.allowed {
		e.allow.add(p.limit, Violation{refOf(c), v.allowWhy})
	}
	if v.denied {
		e.denyLic.add(p.limit, Violation{refOf(c), v.denyWhy})
	}
}

// Finish evaluates the document-level rules and returns the result. doc
// supplies the document's metadata and roots; its Components are not read
// (they went through Component).
func (e *Evaluation) Finish(doc *document.Document) *Result {
	p, r := e.p, e.p.rules
	res := &Result{Status: Pass}
	push := func(rr RuleResult) {
		if rr.Status == "" {
			rr.Status = Pass
			if rr.Count > 0 {
				rr.Status = Fail
			}
		}
		res.Status = worse(res.Status, rr.Status)
		res.Rules = append(res.Rules, rr)
	}
	if len(p.required.specs) > 0 {
		rr := RuleResult{Rule: RulePackages}
		for i, s := range p.required.specs {
			if e.requiredFound[i] {
				continue
			}
			reason := fmt.Sprintf("required package %q is not in the SBOM", s.text)
			if seen := e.requiredSeen[i]; len(seen) > 0 {
				reason = fmt.Sprintf("required package %q: only versions %s are in the SBOM", s.text, quoteList(seen))
			}
			ref := ComponentRef{Name: s.name}
			if s.purl != nil {
				ref.PURL = s.purl.String()
			}
			rr.add(p.limit, Violation{ref, reason})
		}
		push(rr)
	}
	if len(p.denied.specs) > 0 {
		push(e.deny)
	}
	if len(r.AllowLicenses) > 0 {
		push(e.allow)
	}
	if len(r.DenyLicenses) > 0 {
		e.denyLic.Status = Pass
		if e.denyLic.Count > 0 {
			e.denyLic.Status = Fail
			if e.onlyUnreadable() {
				e.denyLic.Status = Warn
			}
		}
		push(e.denyLic)
	}
	if p.licenses != nil && p.unlicensed != UnlicensedIgnore {
		e.unlicensed.Status = Pass
		if e.unlicensed.Count > 0 {
			e.unlicensed.Status = Fail
			if p.unlicensed == UnlicensedWarn {
				e.unlicensed.Status = Warn
			}
		}
		push(e.unlicensed)
	}
	if r.MinComponents > 0 {
		rr := RuleResult{Rule: RuleMinComponents, Detail: fmt.Sprintf("%d components", e.components)}
		if e.components < r.MinComponents {
			rr.add(p.limit, Violation{Reason: fmt.Sprintf("the SBOM lists %d components, fewer than %d", e.components, r.MinComponents)})
		}
		push(rr)
	}
	if r.MaxAge > 0 {
		push(e.maxAge(doc))
	}
	if r.NTIAMinimumElements {
		e.ntiaDocument(doc)
		push(e.ntia)
	}
	if len(e.in.SubjectDigests) > 0 {
		push(rootDigest(doc, e.in.SubjectDigests, p.limit))
	}
	if p.describes != nil {
		push(describes(doc, p.describes, p.limit))
	}
	return res
}

// onlyUnreadable reports whether every deny_licenses violation is an
// expression go-spdx could not read (a warning: not shown denied).
func (e *Evaluation) onlyUnreadable() bool {
	for _, v := range e.denyLic.Violations {
		if !strings.HasSuffix(v.Reason, "(not shown denied)") {
			return false
		}
	}
	return len(e.denyLic.Violations) == e.denyLic.Count
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

func (e *Evaluation) maxAge(doc *document.Document) RuleResult {
	r := e.p.rules
	rr := RuleResult{Rule: RuleMaxAge}
	switch {
	case doc.Created.IsZero() && doc.CreatedText != "":
		rr.add(e.p.limit, Violation{Reason: fmt.Sprintf("the creation time %q is not an RFC 3339 time", doc.CreatedText)})
	case doc.Created.IsZero():
		rr.add(e.p.limit, Violation{Reason: "the SBOM has no creation time"})
	default:
		age := e.in.Now.Sub(doc.Created)
		rr.Detail = fmt.Sprintf("created %s", doc.Created.UTC().Format(time.RFC3339))
		if age > r.MaxAge {
			rr.add(e.p.limit, Violation{Reason: fmt.Sprintf("created %s, %s before %s: older than %s", doc.Created.UTC().Format(time.RFC3339), age.Round(time.Second), e.in.Now.UTC().Format(time.RFC3339), r.MaxAge)})
		}
	}
	return rr
}

// ntiaDocument adds the document-level NTIA elements: the author of the
// SBOM data (a Person or Organization creator; a tool alone is not one),
// the timestamp and dependency relationships.
func (e *Evaluation) ntiaDocument(doc *document.Document) {
	author := false
	for _, c := range doc.Creators {
		if (c.Kind == document.Person || c.Kind == document.Organization) && strings.TrimSpace(c.Name) != "" {
			author = true
		}
	}
	if !author {
		e.ntia.add(e.p.limit, Violation{Reason: "the document names no author (a Person or Organization creator)"})
	}
	if doc.Created.IsZero() {
		e.ntia.add(e.p.limit, Violation{Reason: "the document has no readable timestamp"})
	}
	if !doc.HasDependencies {
		e.ntia.add(e.p.limit, Violation{Reason: "the document states no dependency relationships"})
	}
}

// rootDigest binds the SBOM to the subject: when its roots name digests of
// an algorithm the subject has, one must be equal. Roots naming no digest
// pass (with a note); digests only of other algorithms cannot be compared
// and warn.
func rootDigest(doc *document.Document, subject []document.Digest, limit int) RuleResult {
	rr := RuleResult{Rule: RuleRootDigest}
	var named []string
	comparable := false
	for _, root := range doc.Roots {
		for _, d := range root.Digests {
			named = append(named, d.String())
			for _, s := range subject {
				if s.Algorithm != d.Algorithm {
					continue
				}
				comparable = true
				if strings.EqualFold(s.Value, d.Value) {
					rr.Status = Pass
					rr.Detail = fmt.Sprintf("root %s names %s, the subject's digest", rootName(&root), d)
					return rr
				}
			}
		}
	}
	subj := make([]string, len(subject))
	for i, s := range subject {
		subj[i] = s.String()
	}
	switch {
	case len(named) == 0:
		rr.Status = Pass
		rr.Detail = "the SBOM's root names no digest"
	case comparable:
		rr.add(limit, Violation{Reason: fmt.Sprintf("the SBOM's root names %s, not the subject's %s", strings.Join(named, ", "), strings.Join(subj, ", "))})
	default:
		rr.Status = Warn
		rr.add(limit, Violation{Reason: fmt.Sprintf("the SBOM's root names %s, which cannot be compared with the subject's %s", strings.Join(named, ", "), strings.Join(subj, ", "))})
	}
	return rr
}

func rootName(r *document.Root) string {
	for _, s := range []string{r.PURL, r.Name, r.ID} {
		if s != "" {
			return s
		}
	}
	return "(unnamed)"
}

// describes checks that some root is what the spec names.
func describes(doc *document.Document, s *packageSpec, limit int) RuleResult {
	rr := RuleResult{Rule: RuleDescribes}
	if len(doc.Roots) == 0 {
		rr.add(limit, Violation{Reason: fmt.Sprintf("the SBOM describes no root, so not %q", s.text)})
		return rr
	}
	var names []string
	for i := range doc.Roots {
		c := &doc.Roots[i].Component
		var ck componentKeys
		ck.fill(c)
		if s.matches(c, &ck) {
			if ok, _, err := s.versionMatch(c, &ck); ok && err == nil {
				rr.Detail = fmt.Sprintf("root %s", rootName(&doc.Roots[i]))
				return rr
			}
		}
		names = append(names, fmt.Sprintf("%q", strings.TrimSpace(rootName(&doc.Roots[i])+" "+c.Version)))
	}
	rr.add(limit, Violation{Reason: fmt.Sprintf("the SBOM describes %s, not %q", strings.Join(names, ", "), s.text)})
	return rr
}
