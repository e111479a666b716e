package content

import (
	"fmt"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
)

// Licence semantics, with go-spdx's expression reading and its notion of a
// licence satisfying another (the same licence, or one in the range a "+"
// or "-or-later" names; an exception must match exactly):
//
//   - allow_licenses: a component passes when some way to satisfy its
//     expression uses only allowed licences: "MIT OR GPL-3.0-only" passes
//     allow ["MIT"], "MIT AND GPL-3.0-only" does not. go-spdx's Satisfies.
//   - deny_licenses: a component is denied when every way to satisfy its
//     expression uses a denied licence. A licence term of the expression is
//     denied when a deny entry satisfies it by go-spdx's rules, or when the
//     term carries a WITH exception and a deny entry satisfies its licence
//     alone: denying GPL-2.0-only denies "GPL-2.0-only WITH
//     Classpath-exception-2.0", while denying "GPL-2.0-only WITH
//     Classpath-exception-2.0" leaves plain GPL-2.0-only alone. The
//     component is then denied unless the expression is satisfied by its
//     terms that are not denied: "MIT OR GPL-3.0-only" is not denied by
//     deny ["GPL-3.0-only"], "MIT AND GPL-3.0-only" is.
//   - An expression go-spdx cannot read (an unknown identifier, bad
//     syntax) fails allow_licenses, which cannot show it allowed, and is a
//     warning under deny_licenses, which cannot show it denied.

// licenseVerdict is what one expression gets from the licence rules; it is
// computed once per distinct expression of a document.
type licenseVerdict struct {
	allowed    bool
	allowWhy   string // why not allowed
	denied     bool
	denyWhy    string // which denied licences leave no way out
	unreadable string // go-spdx's error, when it cannot read the expression
}

type licensePolicy struct {
	allow, deny []string
	cache       map[string]licenseVerdict
}

func newLicensePolicy(allow, deny []string) (*licensePolicy, error) {
	for _, list := range [][]string{allow, deny} {
		for _, l := range list {
			if strings.Contains(strings.TrimSpace(l), " ") && !isWithException(l) {
				return nil, fmt.Errorf("licence list entry %q: one licence (optionally WITH an exception), not an expression", l)
			}
			if _, err := spdxexp.Satisfies(l, []string{l}); err != nil {
				return nil, fmt.Errorf("licence list entry %q: %w", l, err)
			}
		}
	}
	return &licensePolicy{allow: allow, deny: deny, cache: map[string]licenseVerdict{}}, nil
}

func isWithException(l string) bool {
	f := strings.Fields(l)
	return len(f) == 3 && strings.EqualFold(f[1], "WITH")
}

// verdict evaluates one expression, memoised: SBOMs repeat a few dozen
// expressions over thousands of components.
func (p *licensePolicy) verdict(expr string) licenseVerdict {
	if v, ok := p.cache[expr]; ok {
		return v
	}
	v := p.evaluate(expr)
	p.cache[expr] = v
	return v
}

func (p *licensePolicy) evaluate(expr string) licenseVerdict {
	var v licenseVerdict
	terms, err := spdxexp.ExtractLicenses(expr)
	if err != nil {
		v.unreadable = err.Error()
		return v
	}
	if len(p.allow) > 0 {
		ok, err := spdxexp.Satisfies(expr, p.allow)
		switch {
		case err != nil:
			v.unreadable = err.Error()
		case ok:
			v.allowed = true
		default:
			v.allowWhy = fmt.Sprintf("licence %s is not satisfied by the allowed licences", expr)
		}
	}
	if len(p.deny) > 0 {
		var free, denied []string
		for _, t := range terms {
			if p.termDenied(t) {
				denied = append(denied, t)
			} else {
				free = append(free, t)
			}
		}
		if len(denied) > 0 {
			ok := false
			if len(free) > 0 {
				ok, err = spdxexp.Satisfies(expr, free)
				if err != nil {
					v.unreadable = err.Error()
					return v
				}
			}
			if !ok {
				v.denied = true
				v.denyWhy = fmt.Sprintf("licence %s cannot be satisfied without %s, which is denied", expr, strings.Join(sortStrings(denied), ", "))
			}
		}
	}
	return v
}

// termDenied reports whether a licence term (a licence, maybe with "+" and
// a WITH exception) is denied.
func (p *licensePolicy) termDenied(t string) bool {
	if ok, err := spdxexp.Satisfies(t, p.deny); err == nil && ok {
		return true
	}
	if base, _, found := strings.Cut(t, " WITH "); found {
		if ok, err := spdxexp.Satisfies(base, p.deny); err == nil && ok {
			return true
		}
	}
	return false
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}
