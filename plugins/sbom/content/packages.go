package content

import (
	"fmt"
	"strings"

	"github.com/vmafx/vmafx-trust/plugins/sbom/document"
	"github.com/vmafx/vmafx-trust/plugins/sbom/version"
)

// packageSpec is a packages / deny_packages / describes entry: "NAME" or
// "PURL", optionally followed by a space and a version constraint.
type packageSpec struct {
	text       string
	name       string   // a NAME entry
	purl       *purlKey // a PURL entry
	constraint version.Constraint
}

func parsePackageSpec(s string) (*packageSpec, error) {
	s = strings.TrimSpace(s)
	head, rest, _ := strings.Cut(s, " ")
	rest = strings.TrimSpace(rest)
	spec := &packageSpec{text: s}
	if head == "" {
		return nil, fmt.Errorf("empty package entry")
	}
	if strings.HasPrefix(strings.ToLower(head), "pkg:") {
		k, v, err := policyPURL(head)
		if err != nil {
			return nil, fmt.Errorf("package entry %q: %w", s, err)
		}
		spec.purl = &k
		if v != "" {
			if rest != "" {
				return nil, fmt.Errorf("package entry %q: a purl with a version and a constraint", s)
			}
			rest = "==" + v
		}
	} else {
		spec.name = head
	}
	if rest != "" {
		c, err := version.ParseConstraint(rest)
		if err != nil {
			return nil, fmt.Errorf("package entry %q: %w", s, err)
		}
		spec.constraint = c
	}
	return spec, nil
}

// componentKeys is what specs are matched on, worked out once per
// component. The first purls sit in arrays, so the usual component (one
// purl) costs no allocation.
type componentKeys struct {
	n    int
	k    [2]purlKey
	v    [2]string // each purl's version
	more []purlKey
	mv   []string
}

func (ck *componentKeys) add(k purlKey, v string) {
	if ck.n < len(ck.k) {
		ck.k[ck.n], ck.v[ck.n] = k, v
	} else {
		ck.more, ck.mv = append(ck.more, k), append(ck.mv, v)
	}
	ck.n++
}

func (ck *componentKeys) key(i int) (purlKey, string) {
	if i < len(ck.k) {
		return ck.k[i], ck.v[i]
	}
	return ck.more[i-len(ck.k)], ck.mv[i-len(ck.k)]
}

func (ck *componentKeys) fill(c *document.Component) {
	for i := -1; i < len(c.OtherPURLs); i++ {
		p := c.PURL
		if i >= 0 {
			p = c.OtherPURLs[i]
		}
		if p == "" {
			continue
		}
		if k, v, ok := parsePURLKey(p); ok {
			ck.add(k, v)
		}
	}
}

// matches reports whether the component is what the spec names, version
// constraint aside.
func (s *packageSpec) matches(c *document.Component, ck *componentKeys) bool {
	if s.purl == nil {
		return c.Name == s.name
	}
	for i := 0; i < ck.n; i++ {
		if k, _ := ck.key(i); k == *s.purl {
			return true
		}
	}
	return false
}

// versionMatch checks the spec's constraint against the component's
// version (its version field, else its purl's), ordered by the spec's purl
// type or else the component's. An error means the version cannot be read
// in that ordering, or there is none.
func (s *packageSpec) versionMatch(c *document.Component, ck *componentKeys) (bool, string, error) {
	v := c.Version
	typ := ""
	if s.purl != nil {
		typ = s.purl.typ
	} else if ck.n > 0 {
		typ = ck.k[0].typ
	}
	if v == "" && ck.n > 0 {
		v = ck.v[0]
	}
	if s.constraint.IsZero() {
		return true, v, nil
	}
	if v == "" {
		return false, v, fmt.Errorf("the component has no version")
	}
	ok, err := s.constraint.Match(version.ForPURLType(typ), v)
	return ok, v, err
}

// packageIndex finds the specs that may match a component without trying
// each: by normalised purl key and by name.
type packageIndex struct {
	byKey  map[purlKey][]int
	byName map[string][]int
	specs  []*packageSpec
}

func newPackageIndex(entries []string) (*packageIndex, error) {
	ix := &packageIndex{byKey: map[purlKey][]int{}, byName: map[string][]int{}}
	for _, e := range entries {
		s, err := parsePackageSpec(e)
		if err != nil {
			return nil, err
		}
		i := len(ix.specs)
		ix.specs = append(ix.specs, s)
		if s.purl != nil {
			ix.byKey[*s.purl] = append(ix.byKey[*s.purl], i)
		} else {
			ix.byName[s.name] = append(ix.byName[s.name], i)
		}
	}
	return ix, nil
}

// candidates calls f with each spec index naming the component.
func (ix *packageIndex) candidates(c *document.Component, ck *componentKeys, f func(int)) {
	if len(ix.byName) > 0 {
		for _, i := range ix.byName[c.Name] {
			f(i)
		}
	}
	if len(ix.byKey) == 0 {
		return
	}
	for j := 0; j < ck.n; j++ {
		k, _ := ck.key(j)
		dup := false
		for m := 0; m < j && !dup; m++ {
			km, _ := ck.key(m)
			dup = km == k
		}
		if dup {
			continue
		}
		for _, i := range ix.byKey[k] {
			f(i)
		}
	}
}
