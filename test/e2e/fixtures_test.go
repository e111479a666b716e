package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
)

type fixtureCase struct {
	ID               string `json:"id"`
	Kind             string `json:"kind"`
	Format           string `json:"format"`
	Artifact         string `json:"artifact"`
	ArtifactDigest   string `json:"artifact_digest"`
	Bundle           string `json:"bundle"`
	TrustedRoot      string `json:"trusted_root"`
	PublicKey        string `json:"public_key"`
	Expected         string `json:"expected"`
	Reason           string `json:"reason"`
	ExpectedIdentity *struct {
		SAN    string            `json:"san"`
		Issuer *string           `json:"issuer"`
		Claims map[string]string `json:"claims"`
	} `json:"expected_identity"`
}

func loadCases(t *testing.T, dir string) []fixtureCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []fixtureCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// claimExtension maps cases.json claim names to policy extension names.
var claimExtension = map[string]string{
	"sourceRepositoryURI":    "source_repository_uri",
	"sourceRepositoryRef":    "source_repository_ref",
	"sourceRepositoryDigest": "source_repository_digest",
	"buildSignerURI":         "build_signer_uri",
	"buildConfigURI":         "build_config_uri",
	"runnerEnvironment":      "runner_environment",
}

// blobPolicy writes one policy declaring every case as a blob block with its
// own trust root and identity, as a user would write them.
func blobPolicy(t *testing.T, fixtures string, cases []fixtureCase) string {
	t.Helper()
	var b strings.Builder
	q := strconv.Quote
	for i, c := range cases {
		name := fmt.Sprintf("c%03d", i)
		fmt.Fprintf(&b, "trust_root %q {\n  trusted_root = %s\n", name, q(filepath.Join(fixtures, c.TrustedRoot)))
		if c.PublicKey != "" {
			fmt.Fprintf(&b, "  public_key = %s\n", q(filepath.Join(fixtures, c.PublicKey)))
		}
		b.WriteString("}\n")
		identity := ""
		switch {
		case c.ExpectedIdentity != nil:
			fmt.Fprintf(&b, "identity %q {\n  subject = %s\n", name, q(c.ExpectedIdentity.SAN))
			issuer := ""
			if c.ExpectedIdentity.Issuer != nil {
				issuer = *c.ExpectedIdentity.Issuer
			}
			if issuer == "" {
				// The certificate carries no issuer: any issuer, anchored.
				b.WriteString("  issuer_regexp = \".*\"\n")
			} else {
				fmt.Fprintf(&b, "  issuer = %s\n", q(issuer))
			}
			if len(c.ExpectedIdentity.Claims) > 0 {
				b.WriteString("  extensions = {\n")
				for k, v := range c.ExpectedIdentity.Claims {
					ext, ok := claimExtension[k]
					if !ok {
						t.Fatalf("%s: unknown claim %q", c.ID, k)
					}
					fmt.Fprintf(&b, "    %s = %s\n", ext, q(v))
				}
				b.WriteString("  }\n")
			}
			b.WriteString("}\n")
			identity = fmt.Sprintf("  identity = identity.%s\n", name)
		case c.PublicKey == "":
			// Neither identity nor key in the case (it must fail anyway):
			// declare the identity a user of these fixtures would.
			fmt.Fprintf(&b, "identity %q {\n  issuer = \"https://github.com/login/oauth\"\n  subject = \"nobody@example.com\"\n}\n", name)
			identity = fmt.Sprintf("  identity = identity.%s\n", name)
		}
		fmt.Fprintf(&b, "blob %q {\n", name)
		if c.Artifact != "" {
			fmt.Fprintf(&b, "  path = %s\n", q(filepath.Join(fixtures, c.Artifact)))
		} else {
			fmt.Fprintf(&b, "  digest = %s\n", q(c.ArtifactDigest))
		}
		fmt.Fprintf(&b, "  bundle = %s\n  trust_root = trust_root.%s\n%s}\n\n", q(filepath.Join(fixtures, c.Bundle)), name, identity)
	}
	dir := t.TempDir()
	return writeFile(t, dir, "policy.hcl", b.String())
}

// TestFixtureCasesThroughCheck runs every blob, conformance and GitHub
// attestation case through `check` and asserts its expected outcome.
func TestFixtureCasesThroughCheck(t *testing.T) {
	fixtures := realfixtures.Dir(t)
	var cases []fixtureCase
	for _, c := range loadCases(t, fixtures) {
		if c.Kind == "blob" || c.Kind == "conformance" || c.Kind == "github-attestation" {
			cases = append(cases, c)
		}
	}
	if len(cases) < 120 {
		t.Fatalf("only %d blob/conformance bundle cases found; the fixture set is incomplete", len(cases))
	}
	policy := blobPolicy(t, fixtures, cases)
	res := runCLI(t, nil, "check", policy, "--offline", "--format", "json")
	rep := parseReport(t, res)
	if len(rep.Results) != len(cases) {
		t.Fatalf("report has %d results for %d cases; stderr:\n%s", len(rep.Results), len(cases), res.stderr)
	}
	failures := 0
	for i, c := range cases {
		r := rep.Results[i]
		if r.Name != fmt.Sprintf("c%03d", i) {
			t.Fatalf("result %d is %q: results out of policy order", i, r.Name)
		}
		if r.Status != c.Expected {
			failures++
			t.Errorf("%s: got %s, want %s (%s); reason: %s", c.ID, r.Status, c.Expected, c.Reason, r.Reason)
		}
		if r.Status == "fail" && r.Reason == "" {
			t.Errorf("%s: failed without a reason", c.ID)
		}
	}
	if res.code != 1 {
		t.Errorf("exit code %d, want 1 (some cases must fail)", res.code)
	}
	t.Logf("%d cases, %d mismatches", len(cases), failures)
}

// verifyBlobArgs is the cosign-style command line for a case, as a user
// would copy it from a release page.
func verifyBlobArgs(t *testing.T, fixtures string, c fixtureCase) []string {
	t.Helper()
	args := []string{"verify-blob"}
	if c.Artifact != "" {
		args = append(args, filepath.Join(fixtures, c.Artifact))
	} else {
		args = append(args, c.ArtifactDigest)
	}
	args = append(args, "--bundle", filepath.Join(fixtures, c.Bundle), "--trusted-root", filepath.Join(fixtures, c.TrustedRoot), "--offline")
	switch {
	case c.PublicKey != "":
		args = append(args, "--key", filepath.Join(fixtures, c.PublicKey))
	case c.ExpectedIdentity != nil:
		args = append(args, "--certificate-identity", c.ExpectedIdentity.SAN)
		if c.ExpectedIdentity.Issuer != nil && *c.ExpectedIdentity.Issuer != "" {
			args = append(args, "--certificate-oidc-issuer", *c.ExpectedIdentity.Issuer)
		} else {
			args = append(args, "--certificate-oidc-issuer-regexp", ".*")
		}
		for k, v := range c.ExpectedIdentity.Claims {
			if k != "sourceRepositoryURI" {
				t.Fatalf("%s: no flag for claim %s", c.ID, k)
			}
			args = append(args, "--repo", strings.TrimPrefix(v, "https://github.com/"))
		}
	default:
		args = append(args, "--certificate-identity", "nobody@example.com", "--certificate-oidc-issuer", "https://github.com/login/oauth")
	}
	return args
}

// TestFixtureCasesThroughVerifyBlob runs the same cases through cosign-style
// verify-blob command lines.
func TestFixtureCasesThroughVerifyBlob(t *testing.T) {
	fixtures := realfixtures.Dir(t)
	n := 0
	for _, c := range loadCases(t, fixtures) {
		if c.Kind != "blob" && c.Kind != "conformance" && c.Kind != "github-attestation" {
			continue
		}
		n++
		res := runCLI(t, nil, verifyBlobArgs(t, fixtures, c)...)
		want := map[string]int{"pass": 0, "fail": 1}[c.Expected]
		if res.code != want {
			t.Errorf("%s: exit %d, want %d (%s)\nstdout: %s\nstderr: %s", c.ID, res.code, want, c.Reason, res.stdout, res.stderr)
			continue
		}
		if want == 0 && !strings.Contains(res.stderr, "Verified OK") {
			t.Errorf("%s: no \"Verified OK\" on success", c.ID)
		}
	}
	if n < 120 {
		t.Fatalf("only %d cases", n)
	}
}
