package trust

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
