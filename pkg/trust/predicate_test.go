package trust_test

import (
	"testing"

	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// TestPredicateTypeMatches: an unversioned SBOM family name matches its
// versions; a versioned one and every other type only themselves.
func TestPredicateTypeMatches(t *testing.T) {
	const (
		spdx = "https://spdx.dev/Document"
		cdx  = "https://cyclonedx.org/bom"
	)
	tests := []struct {
		want, got string
		match     bool
	}{
		{spdx, spdx, true},
		{spdx, spdx + "/v2.2", true},
		{spdx, spdx + "/v2.3", true},
		{spdx, spdx + "/v3.0", false}, // SPDX 3 is another model
		{spdx, spdx + "/v2.3/", false},
		{spdx, spdx + "/v", false},
		{spdx, spdx + "x", false},
		{spdx, "https://spdx.dev/document", false},
		{spdx, cdx, false},
		{spdx + "/v2.3", spdx + "/v2.3", true},
		{spdx + "/v2.3", spdx, false},
		{spdx + "/v2.3", spdx + "/v2.2", false},

		{cdx, cdx, true},
		{cdx, cdx + "/v1.4", true},
		{cdx, cdx + "/v1.5", true},
		{cdx, cdx + "/v1.6", true},
		{cdx, cdx + "/v1.7", true},
		{cdx, cdx + "/v1.10", true},
		{cdx, "https://cyclonedx.org/schema", true},
		{cdx, cdx + "/v2.0", false},
		{cdx, cdx + "/v1.", false},
		{cdx, cdx + "/v1.6x", false},
		{cdx, cdx + "/v1.06", false},
		{cdx, cdx + "/v1.-6", false},
		{cdx, cdx + "/v1.6/x", false},
		{cdx, cdx + "s", false},
		{cdx, spdx, false},
		{cdx + "/v1.6", cdx + "/v1.6", true},
		{cdx + "/v1.6", cdx, false},
		{cdx + "/v1.6", cdx + "/v1.5", false},
		{"https://cyclonedx.org/schema", "https://cyclonedx.org/schema", true},
		{"https://cyclonedx.org/schema", cdx, false},

		{"https://slsa.dev/provenance/v1", "https://slsa.dev/provenance/v1", true},
		{"https://slsa.dev/provenance/v1", "https://slsa.dev/provenance/v0.2", false},
		{"https://slsa.dev/provenance/v0.2", "https://slsa.dev/provenance/v1", false},
		{"https://slsa.dev/provenance", "https://slsa.dev/provenance/v1", false},
		{"https://cosign.sigstore.dev/attestation/v1", "https://cosign.sigstore.dev/attestation/v1", true},
		{"https://cosign.sigstore.dev/attestation/v1", cdx, false},
		{cdx, "https://cosign.sigstore.dev/attestation/v1", false},
		{"", "", true},
		{"", cdx, false},
		{cdx, "", false},
	}
	for _, tt := range tests {
		if got := trust.PredicateTypeMatches(tt.want, tt.got); got != tt.match {
			t.Errorf("PredicateTypeMatches(%q, %q) = %v, want %v", tt.want, tt.got, got, tt.match)
		}
	}
	// cosign's short names expand to the family names.
	for short, got := range map[string]string{"spdxjson": spdx + "/v2.3", "spdx": spdx + "/v2.2", "cyclonedx": cdx + "/v1.6"} {
		if !trust.PredicateTypeMatches(trust.ExpandPredicateType(short), got) {
			t.Errorf("%s (%s) does not match %s", short, trust.ExpandPredicateType(short), got)
		}
	}
}
