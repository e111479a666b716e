package trust

import (
	"strings"
	"testing"
)

// TestEmptyExtensionValuesRejected: an empty value (an unset variable, say)
// would match anything; it is an error, not a wildcard.
func TestEmptyExtensionValuesRejected(t *testing.T) {
	base := Identity{Name: "r", Issuer: "https://token.actions.githubusercontent.com", Subject: "s"}
	exact := base
	exact.Extensions = map[string]string{"source_repository_ref": ""}
	re := base
	re.ExtensionRegexps = map[string]string{"source_repository_uri": ""}
	for name, id := range map[string]Identity{"exact": exact, "regexp": re} {
		if err := id.Validate(); err == nil || !strings.Contains(err.Error(), "empty") {
			t.Errorf("%s: Validate() = %v, want an error about the empty value", name, err)
		}
	}
}
