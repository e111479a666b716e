package document

import (
	"strings"

	"github.com/package-url/packageurl-go"
)

// digestAlgorithm names a hash algorithm as in-toto does, from the names
// SPDX ("SHA256", "SHA3-256", "BLAKE2b-256") and CycloneDX ("SHA-256",
// "SHA3-256", "BLAKE2b-256") use.
func digestAlgorithm(alg string) string {
	a := strings.ToLower(alg)
	switch a {
	case "sha-1", "sha1":
		return "sha1"
	case "sha-224", "sha224":
		return "sha224"
	case "sha-256", "sha256":
		return "sha256"
	case "sha-384", "sha384":
		return "sha384"
	case "sha-512", "sha512":
		return "sha512"
	case "md5", "md2", "md4", "md6", "adler32", "blake3":
		return a
	}
	// sha3-256 → sha3_256, blake2b-256 → blake2b_256, as in-toto spells them.
	return strings.ReplaceAll(a, "-", "_")
}

// digestAlgorithmBytes is digestAlgorithm without allocating for the
// common names.
func digestAlgorithmBytes(alg []byte) string {
	switch string(alg) {
	case "SHA-256", "SHA256", "sha256":
		return "sha256"
	case "SHA-512", "SHA512", "sha512":
		return "sha512"
	case "SHA-1", "SHA1", "sha1":
		return "sha1"
	case "SHA-384", "SHA384", "sha384":
		return "sha384"
	case "MD5", "md5":
		return "md5"
	}
	return digestAlgorithm(string(alg))
}

// digestLengths are the hex lengths of the digests a version or purl may
// carry in "alg:hex" form.
var digestLengths = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// parseDigestString reads "sha256:<hex>" (an image digest); false for
// anything else.
func parseDigestString(s string) (Digest, bool) {
	alg, hex, ok := strings.Cut(s, ":")
	if !ok {
		return Digest{}, false
	}
	alg = strings.ToLower(alg)
	n, known := digestLengths[alg]
	if !known || len(hex) != n {
		return Digest{}, false
	}
	for i := 0; i < len(hex); i++ {
		c := hex[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return Digest{}, false
		}
	}
	return Digest{Algorithm: alg, Value: strings.ToLower(hex)}, true
}

// purlDigest is the digest of an OCI or Docker purl whose version is one
// (pkg:oci/alpine@sha256%3A…, as syft and the purl spec write images).
func purlDigest(purl string) (Digest, bool) {
	if !strings.HasPrefix(purl, "pkg:oci/") && !strings.HasPrefix(purl, "pkg:docker/") {
		return Digest{}, false
	}
	p, err := packageurl.FromString(purl)
	if err != nil {
		return Digest{}, false
	}
	return parseDigestString(p.Version)
}

// rootDigests collects every digest a root names, without repeats.
func rootDigests(c *Component) []Digest {
	var out []Digest
	add := func(d Digest) {
		for _, e := range out {
			if e == d {
				return
			}
		}
		out = append(out, d)
	}
	for _, h := range c.Hashes {
		add(h)
	}
	for _, p := range c.PURLs() {
		if d, ok := purlDigest(p); ok {
			add(d)
		}
	}
	if d, ok := parseDigestString(c.Version); ok {
		add(d)
	}
	return out
}

func newRoot(c Component) Root {
	return Root{Component: c, Digests: rootDigests(&c)}
}
