package realfixtures

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// PyPICase is a "pypi" case of cases.json: a genuine PyPI attestation,
// provenance object or bundle, with the distribution's name and sha256.
type PyPICase struct {
	ID               string `json:"id"`
	Kind             string `json:"kind"`
	Bundle           string `json:"bundle"`
	TrustedRoot      string `json:"trusted_root"`
	ArtifactDigest   string `json:"artifact_digest"`
	ArtifactName     string `json:"artifact_name"`
	Expected         string `json:"expected"`
	Reason           string `json:"reason"`
	ExpectedIdentity struct {
		SAN    string `json:"san"`
		Issuer string `json:"issuer"`
		// Publisher is the Trusted Publisher (kind, repository, workflow,
		// environment, …); values are strings or null.
		Publisher map[string]any `json:"publisher"`
	} `json:"expected_identity"`
}

// PyPICases returns the pypi cases of dir/cases.json; fewer than 17 means
// the fixture set is incomplete, and the test fails.
func PyPICases(t testing.TB, dir string) []PyPICase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all, out []PyPICase
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.Kind == "pypi" {
			out = append(out, c)
		}
	}
	if len(out) < 17 {
		t.Fatalf("only %d pypi cases; the fixture set is incomplete", len(out))
	}
	return out
}

// FileName is the distribution a case is about: its artifact_name, else the
// attestation's file name without the attestation suffix.
func (c PyPICase) FileName() string {
	if c.ArtifactName != "" {
		return c.ArtifactName
	}
	base := filepath.Base(c.Bundle)
	for _, s := range []string{".publish.attestation", ".slsa.attestation", ".attestation", ".provenance", ".sigstore"} {
		if strings.HasSuffix(base, s) {
			return strings.TrimSuffix(base, s)
		}
	}
	return base
}

// PublisherField is one field of the case's Trusted Publisher, "" when it
// is absent or null.
func (c PyPICase) PublisherField(k string) string {
	s, _ := c.ExpectedIdentity.Publisher[k].(string)
	return s
}
