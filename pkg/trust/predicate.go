package trust

import "strings"

// predicateTypeAliases are cosign's --type short names for in-toto
// predicate types; the CLI and the plugins accept them wherever a predicate
// type is asked for.
var predicateTypeAliases = map[string]string{
	"slsaprovenance":   "https://slsa.dev/provenance/v0.2",
	"slsaprovenance02": "https://slsa.dev/provenance/v0.2",
	"slsaprovenance1":  "https://slsa.dev/provenance/v1",
	"link":             "https://in-toto.io/Link/v1",
	"spdx":             "https://spdx.dev/Document",
	"spdxjson":         "https://spdx.dev/Document",
	"cyclonedx":        "https://cyclonedx.org/bom",
	"vuln":             "https://cosign.sigstore.dev/attestation/vuln/v1",
	"openvex":          "https://openvex.dev/ns",
	"custom":           "https://cosign.sigstore.dev/attestation/v1",
}

// ExpandPredicateType returns the predicate type URI a cosign short name
// stands for (slsaprovenance, spdxjson, cyclonedx, …), or s itself.
func ExpandPredicateType(s string) string {
	if full, ok := predicateTypeAliases[s]; ok {
		return full
	}
	return s
}

// Unversioned SBOM predicate types, which name a family of versions.
const (
	predicateSPDX            = "https://spdx.dev/Document"
	predicateCycloneDX       = "https://cyclonedx.org/bom"
	predicateCycloneDXLegacy = "https://cyclonedx.org/schema"
)

// PredicateTypeMatches reports whether a statement of predicate type got
// meets a requirement for predicate type want (a URI; expand cosign's short
// names with ExpandPredicateType first). SBOM attestations name the same
// format with and without a version: GitHub's attest-sbom writes
// https://spdx.dev/Document/v2.3 where cosign writes
// https://spdx.dev/Document. So the unversioned family names match their
// versions:
//
//   - https://spdx.dev/Document matches itself, …/Document/v2.2 and
//     …/Document/v2.3 (the SPDX 2 JSON versions in use);
//   - https://cyclonedx.org/bom matches itself, any …/bom/v1.N, and
//     https://cyclonedx.org/schema, which older cosign versions wrote.
//
// A versioned want matches only itself, and every other type is compared
// exactly.
func PredicateTypeMatches(want, got string) bool {
	if want == got {
		return true
	}
	switch want {
	case predicateSPDX:
		v, ok := strings.CutPrefix(got, predicateSPDX+"/v")
		return ok && (v == "2.2" || v == "2.3")
	case predicateCycloneDX:
		if got == predicateCycloneDXLegacy {
			return true
		}
		v, ok := strings.CutPrefix(got, predicateCycloneDX+"/v1.")
		return ok && isDecimal(v)
	}
	return false
}

// isDecimal reports whether s is a non-negative decimal number without
// sign or leading zero.
func isDecimal(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
