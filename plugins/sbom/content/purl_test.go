package content

import (
	"testing"

	"github.com/package-url/packageurl-go"
)

var purls = []string{
	"pkg:pypi/Typing_Extensions@4.8.0",
	"pkg:pypi/zope.interface@6.0",
	"pkg:npm/%40angular/core@16.0.0",
	"pkg:npm/@angular/core",
	"pkg:npm/Left-Pad@1.3.0?foo=bar#sub/path",
	"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar",
	"pkg:golang/github.com/Azure/go-autorest@v14.2.0%2Bincompatible",
	"pkg:oci/app@sha256%3Aabcdef?repository_url=registry.example/app",
	"pkg:deb/debian/base-files@11.1+deb11u5?arch=amd64&distro=debian-11",
	"pkg:alpine/alpine-baselayout@3.2.0-r22?arch=x86_64",
	"pkg:github/Package-URL/purl-spec@244fd47e07d1004",
	"pkg:generic/openssl@1.1.10g?download_url=https://openssl.org/source/openssl-1.1.0g.tar.gz",
	"PKG:cargo/dual@1.0.0",
}

// The fast key reader reads what packageurl-go reads.
func TestPURLKeyAgreesWithPackageURL(t *testing.T) {
	for _, s := range purls {
		checkPURL(t, s)
	}
	for _, bad := range []string{"", "pkg:", "pkg:npm", "pkg:npm/", "npm/left-pad", "pkg:/x"} {
		if _, _, ok := parsePURLKey(bad); ok {
			t.Errorf("%q read as a purl", bad)
		}
	}
}

func checkPURL(t *testing.T, s string) {
	t.Helper()
	p, err := packageurl.FromString(s)
	k, v, ok := parsePURLKey(s)
	if err != nil {
		return // the fast reader may accept more; it never matches a policy purl packageurl-go cannot read
	}
	if !ok {
		t.Fatalf("%q: packageurl-go reads it, the fast reader does not", s)
	}
	want := purlKey{typ: p.Type, namespace: p.Namespace, name: p.Name}.normalise()
	if k != want || v != p.Version {
		t.Fatalf("%q: key %+v version %q, packageurl-go %+v %q", s, k, v, want, p.Version)
	}
}

func TestPURLNormalisation(t *testing.T) {
	for a, b := range map[string]string{
		"pkg:pypi/Typing_Extensions": "pkg:pypi/typing-extensions",
		"pkg:pypi/zope.interface":    "pkg:pypi/zope-interface",
		"pkg:npm/Left-Pad":           "pkg:npm/left-pad",
		"pkg:NPM/%40Angular/Core":    "pkg:npm/@angular/core",
	} {
		ka, _, _ := parsePURLKey(a)
		kb, _, _ := parsePURLKey(b)
		if ka != kb {
			t.Errorf("%s → %+v, %s → %+v", a, ka, b, kb)
		}
	}
	ka, _, _ := parsePURLKey("pkg:maven/Org/A")
	kb, _, _ := parsePURLKey("pkg:maven/org/a")
	if ka == kb {
		t.Error("maven names are case-sensitive")
	}
}

func FuzzPURLKey(f *testing.F) {
	for _, s := range purls {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkPURL(t, s)
		if _, err := parsePackageSpec(s); err == nil {
			_, _ = parsePackageSpec(s + " >=1.0")
		}
	})
}
