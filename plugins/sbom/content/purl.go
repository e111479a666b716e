package content

import (
	"net/url"
	"strings"

	"github.com/package-url/packageurl-go"
)

// purlKey is what a package entry and a component are matched on: a
// purl's type, namespace and name, normalised as the purl specification
// says for the type. Version, qualifiers and subpath are not part of it.
type purlKey struct {
	typ, namespace, name string
}

func (k purlKey) String() string {
	if k.namespace == "" {
		return "pkg:" + k.typ + "/" + k.name
	}
	return "pkg:" + k.typ + "/" + k.namespace + "/" + k.name
}

// normalise applies the purl specification's per-type rules, as
// packageurl-go applies them, and two more: npm names are lower-cased (npm
// refuses upper case in new names), and pypi names fold '.' and runs of
// separators as PEP 503 does, as pip compares names.
func (k purlKey) normalise() purlKey {
	k.typ = strings.ToLower(k.typ)
	switch k.typ {
	case "alpm", "apk", "bitbucket", "brew", "composer", "deb", "github", "golang", "rpm", "qpkg":
		k.namespace = strings.ToLower(k.namespace)
	}
	switch k.typ {
	case "alpm", "apk", "bitbucket", "bitnami", "brew", "chrome-extension", "composer", "deb", "github", "golang", "npm":
		k.name = strings.ToLower(k.name)
	case "pypi":
		k.name = pep503(k.name)
	}
	if k.typ == "npm" {
		k.namespace = strings.ToLower(k.namespace)
	}
	return k
}

func pep503(name string) string {
	name = strings.ToLower(name)
	var b strings.Builder
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteByte(c)
	}
	return b.String()
}

// parsePURLKey reads the key and version of a component's purl. It runs for
// every component of every evaluation, so it takes only what the key needs
// instead of building packageurl-go's whole PackageURL (qualifiers map and
// all): the tests hold it to packageurl-go's reading.
func parsePURLKey(p string) (purlKey, string, bool) {
	rest, ok := cutPrefixFold(p, "pkg:")
	if !ok {
		return purlKey{}, "", false
	}
	rest = strings.TrimLeft(rest, "/")
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	slash := strings.IndexByte(rest, '/')
	if slash <= 0 {
		return purlKey{}, "", false
	}
	typ, remainder := rest[:slash], rest[slash+1:]
	if strings.HasPrefix(remainder, "@") && (!strings.EqualFold(typ, "npm") || !strings.Contains(remainder, "/")) {
		return purlKey{}, "", false
	}
	// The version follows the last '@' that does not start the remainder
	// (an npm scope, "@babel/core"), as the purl specification and
	// packageurl-go split it.
	version := ""
	if at := strings.LastIndexByte(remainder, '@'); at > 0 {
		remainder, version = remainder[:at], remainder[at+1:]
		v, err := url.PathUnescape(version)
		if err != nil {
			return purlKey{}, "", false
		}
		version = v
	}
	k := purlKey{typ: typ}
	if remainder != "" && strings.IndexByte(remainder, '%') < 0 && !strings.Contains(remainder, "//") &&
		remainder[0] != '/' && remainder[len(remainder)-1] != '/' {
		// The common case, without allocating: nothing to decode and no
		// empty segment to drop.
		if i := strings.LastIndexByte(remainder, '/'); i >= 0 {
			k.namespace, k.name = remainder[:i], remainder[i+1:]
		} else {
			k.name = remainder
		}
		return k.normalise(), version, true
	}
	segs := strings.Split(remainder, "/")
	var ns []string
	for i, s := range segs {
		if s == "" {
			continue
		}
		if strings.IndexByte(s, '%') >= 0 {
			u, err := url.PathUnescape(s)
			if err != nil {
				return purlKey{}, "", false
			}
			s = u
		}
		if i == len(segs)-1 {
			k.name = s
		} else {
			ns = append(ns, s)
		}
	}
	if k.name == "" {
		return purlKey{}, "", false
	}
	k.namespace = strings.Join(ns, "/")
	return k.normalise(), version, true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// policyPURL reads a policy's purl with packageurl-go, which validates it.
func policyPURL(s string) (purlKey, string, error) {
	p, err := packageurl.FromString(s)
	if err != nil {
		return purlKey{}, "", err
	}
	return purlKey{typ: p.Type, namespace: p.Namespace, name: p.Name}.normalise(), p.Version, nil
}
