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
// component.
type componentKeys struct {
	keys     []purlKey
	versions []string // each purl's version
}

func keysOf(c *document.Component) componentKeys {
	var ck componentKeys
	for i := -1; i < len(c.OtherPURLs); i++ {
		p := c.PURL
		if i >= 0 {
			p = c.OtherPURLs[i]
		}
		if p == "" {
			continue
		}
		if k, v, ok := parsePURLKey(p); ok {
			ck.keys = append(ck.keys, k)
			ck.versions = append(ck.versions, v)
		}
	}
	return ck
}

// matches reports whether the component is what the spec names, version
// constraint aside.
func (s *packageSpec) matches(c *document.Component, ck *componentKeys) bool {
	if s.purl == nil {
		return c.Name == s.name
	}
	for _, k := range ck.keys {
		if k == *s.purl {
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
	} else if len(ck.keys) > 0 {
		typ = ck.keys[0].typ
	}
	if v == "" && len(ck.versions) > 0 {
		v = ck.versions[0]
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
	for _, i := range ix.byName[c.Name] {
		f(i)
	}
	if len(ix.byKey) == 0 {
		return
	}
	seen := -1
	for j, k := range ck.keys {
		if j > 0 && k == ck.keys[0] {
			continue
		}
		for _, i := range ix.byKey[k] {
			if i != seen {
				f(i)
				seen = i
			}
		}
	}
}
