package content

import "github.com/vmafx/vmafx-trust/plugins/sbom/document"

// Status is a rule's outcome.
type Status string

// The outcomes, in increasing severity.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
)

func worse(a, b Status) Status {
	rank := map[Status]int{Pass: 0, Warn: 1, Fail: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Rule names, as a policy spells them.
const (
	RulePackages      = "packages"
	RuleDenyPackages  = "deny_packages"
	RuleAllowLicenses = "allow_licenses"
	RuleDenyLicenses  = "deny_licenses"
	RuleUnlicensed    = "unlicensed"
	RuleMinComponents = "min_components"
	RuleMaxAge        = "max_age"
	RuleNTIA          = "ntia_minimum_elements"
	RuleRootDigest    = "root_digest"
	RuleDescribes     = "describes"
)

// ComponentRef names the component a violation is about; empty for a
// violation about the document or a missing package.
type ComponentRef struct {
	ID, Name, Version, PURL, License string
}

func refOf(c *document.Component) ComponentRef {
	return ComponentRef{ID: c.ID, Name: c.Name, Version: c.Version, PURL: c.PURL, License: c.License}
}

// Violation is one reason a rule did not pass.
type Violation struct {
	Component ComponentRef
	Reason    string
}

// RuleResult is one rule's outcome.
type RuleResult struct {
	Rule   string
	Status Status
	// Violations are the first Rules.MaxViolations; Count is how many there
	// were in all.
	Violations []Violation
	Count      int
	// Detail says what passed, for rules about the whole document.
	Detail string
}

func (r *RuleResult) add(limit int, v Violation) {
	r.Count++
	if len(r.Violations) < limit {
		r.Violations = append(r.Violations, v)
	}
}

// Result is the outcome of every rule set, in a fixed order.
type Result struct {
	Status Status
	Rules  []RuleResult
}

// Rule returns the result of the named rule, nil when it was not set.
func (r *Result) Rule(name string) *RuleResult {
	for i := range r.Rules {
		if r.Rules[i].Rule == name {
			return &r.Rules[i]
		}
	}
	return nil
}
