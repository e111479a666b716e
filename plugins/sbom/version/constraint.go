package version

import (
	"fmt"
	"strings"
)

// Constraint is a version range: alternatives separated by "||", each a
// comma-separated list of comparisons that must all hold, such as
// ">=2.0.0, <2.17.1 || ==3.0.0". A bare version means "==".
type Constraint struct {
	text string
	any  [][]comparison
}

type comparison struct {
	op      string // ==, !=, <, <=, >, >=
	version string
}

// ParseConstraint reads a constraint; the versions are read under a scheme
// only when compared, since one constraint may apply to components of
// different ecosystems.
func ParseConstraint(s string) (Constraint, error) {
	c := Constraint{text: strings.TrimSpace(s)}
	if c.text == "" {
		return c, fmt.Errorf("empty version constraint")
	}
	for _, alt := range strings.Split(c.text, "||") {
		var all []comparison
		for _, part := range strings.Split(alt, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				return c, fmt.Errorf("version constraint %q: empty comparison", s)
			}
			op := ""
			for _, o := range []string{"==", "!=", "<=", ">=", "<", ">", "="} {
				if strings.HasPrefix(part, o) {
					op = o
					break
				}
			}
			v := strings.TrimSpace(part[len(op):])
			if op == "" || op == "=" {
				op = "=="
			}
			if v == "" || strings.ContainsAny(v, " <>=!") {
				return c, fmt.Errorf("version constraint %q: %q is not a comparison", s, part)
			}
			all = append(all, comparison{op: op, version: v})
		}
		c.any = append(c.any, all)
	}
	return c, nil
}

// String is the constraint as written.
func (c Constraint) String() string { return c.text }

// IsZero reports whether c is the zero Constraint, which every version
// matches.
func (c Constraint) IsZero() bool { return c.any == nil }

// Match reports whether v satisfies c under scheme s. An error says that a
// version cannot be read under s: whether it matches is then unknown.
func (c Constraint) Match(s Scheme, v string) (bool, error) {
	if c.IsZero() {
		return true, nil
	}
	var firstErr error
	for _, all := range c.any {
		ok := true
		for _, cmp := range all {
			r, err := Compare(s, v, cmp.version)
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				ok = false
				break
			}
			switch cmp.op {
			case "==":
				ok = r == 0
			case "!=":
				ok = r != 0
			case "<":
				ok = r < 0
			case "<=":
				ok = r <= 0
			case ">":
				ok = r > 0
			case ">=":
				ok = r >= 0
			}
			if !ok {
				break
			}
		}
		if ok {
			return true, nil
		}
	}
	return false, firstErr
}
