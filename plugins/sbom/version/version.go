// Package version orders package versions the way their ecosystems do —
// PEP 440 for Python, semantic versioning for npm, Go and Cargo, Maven's
// ComparableVersion for Maven, a dotted numeric order otherwise — and reads
// constraints such as ">=2.0.0, <2.17.1".
//
// Semantic versions are compared with golang.org/x/mod/semver. The PEP 440
// and Maven orders are small and written here: the Go libraries for them
// are unmaintained single-purpose modules that would each bring further
// dependencies for some hundred lines of well-specified code.
package version

import (
	"fmt"
	"strings"

	"golang.org/x/mod/semver"
)

// Scheme is a version ordering.
type Scheme string

// The schemes.
const (
	PEP440  Scheme = "pep440"
	Semver  Scheme = "semver"
	Maven   Scheme = "maven"
	Generic Scheme = "generic"
)

// ForPURLType is the scheme of a purl type's ecosystem.
func ForPURLType(t string) Scheme {
	switch strings.ToLower(t) {
	case "pypi":
		return PEP440
	case "npm", "golang", "cargo":
		return Semver
	case "maven":
		return Maven
	}
	return Generic
}

// Compare orders a and b under s: -1, 0 or 1. An error says which version
// the scheme cannot read.
func Compare(s Scheme, a, b string) (int, error) {
	switch s {
	case PEP440:
		ka, err := parsePEP440(a)
		if err != nil {
			return 0, err
		}
		kb, err := parsePEP440(b)
		if err != nil {
			return 0, err
		}
		return ka.compare(kb), nil
	case Semver:
		va, err := semverOf(a)
		if err != nil {
			return 0, err
		}
		vb, err := semverOf(b)
		if err != nil {
			return 0, err
		}
		return semver.Compare(va, vb), nil
	case Maven:
		return compareMaven(a, b), nil
	}
	return compareGeneric(a, b), nil
}

// semverOf is v as x/mod/semver wants it: with a "v" (Go versions have
// one; npm and Cargo versions do not), without npm's "=".
func semverOf(v string) (string, error) {
	s := strings.TrimPrefix(strings.TrimSpace(v), "=")
	if !strings.HasPrefix(s, "v") {
		s = "v" + s
	}
	if !semver.IsValid(s) {
		return "", fmt.Errorf("%q is not a semantic version", v)
	}
	return s, nil
}
