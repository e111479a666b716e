package trust_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

type realCase struct {
	ID               string `json:"id"`
	Format           string `json:"format"`
	Artifact         string `json:"artifact"`
	ArtifactDigest   string `json:"artifact_digest"`
	Bundle           string `json:"bundle"`
	TrustedRoot      string `json:"trusted_root"`
	PublicKey        string `json:"public_key"`
	Expected         string `json:"expected"`
	ExpectedIdentity *struct {
		SAN    string  `json:"san"`
		Issuer *string `json:"issuer"`
	} `json:"expected_identity"`
}

func readFixture(t *testing.T, dir, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRealFixtures runs a handful of cases.json through VerifyBundle with the
// trusted root, key, digest and identity each case names, and asserts the
// case's expected outcome.
func TestRealFixtures(t *testing.T) {
	dir := realfixtures.Dir(t)
	var cases []realCase
	if err := json.Unmarshal(readFixture(t, dir, "cases.json"), &cases); err != nil {
		t.Fatal(err)
	}
	byID := map[string]realCase{}
	for _, c := range cases {
		byID[c.ID] = c
	}

	tests := []struct {
		id string
		// wantTimeSources: prefixes of Outcome.TimeSources on pass.
		wantTimeSources []string
		// noTimeSource: a prefix that must not appear on pass.
		noTimeSource string
		wantErr      string // a substring of the error on fail
		// badMaterial: the case fails already when loading its key.
		badMaterial bool
	}{
		{id: "conformance/happy-path-v0.3", wantTimeSources: []string{"Tlog "}},
		{id: "conformance/happy-path-v0.1", wantTimeSources: []string{"Tlog "}},
		{id: "conformance/happy-path-intoto-in-dsse-v3"},
		{id: "conformance/signature-mismatch_fail", wantErr: "signature"},
		{id: "conformance/bundle-from-wrong-instance_fail"},
		{id: "conformance/managed-key-happy-path", wantTimeSources: []string{"Tlog "}},
		{id: "conformance/managed-key-wrong-key_fail", badMaterial: true}, // key.pub is not a point on P-256
		{id: "conformance/managed-key-no-key_fail", wantErr: "signed with a public key"},
		// GitHub's instance: no Rekor logs, no CT logs; requirements derived
		// from the root demand only a TSA timestamp.
		{id: "github-attestation/cli/github-instance-tsa-only", wantTimeSources: []string{"TimestampAuthority "}, noTimeSource: "Tlog "},
		{id: "github-attestation/release/bdehamer-delme-v6", wantTimeSources: []string{"TimestampAuthority "}, noTimeSource: "Tlog "},
		{id: "github-attestation/release/cli-cli-v2.96.0-stale-root", wantErr: "timestamp"},
		{id: "github-attestation/cli/missing-verification-material"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			c, ok := byID[tt.id]
			if !ok {
				t.Fatalf("case %s not in cases.json", tt.id)
			}
			var keys [][]byte
			if c.PublicKey != "" {
				keys = append(keys, readFixture(t, dir, c.PublicKey))
			}
			m, err := trust.NewMaterial(c.ID, readFixture(t, dir, c.TrustedRoot), keys)
			if err != nil {
				// A key that does not load is a failed verification too (the
				// host reports the artifact as fail).
				if c.Expected != "fail" || !tt.badMaterial {
					t.Fatalf("NewMaterial: %v", err)
				}
				t.Logf("failed as expected, loading the trust root: %v", err)
				return
			}
			if tt.badMaterial {
				t.Fatal("trust material loaded, want a load failure")
			}
			if strings.Contains(c.TrustedRoot, "github") && (m.HasTransparencyLogs() || m.HasCTLogs() || !m.HasTimestampAuthorities()) {
				t.Fatalf("GitHub root: tlog/ct/tsa = %v/%v/%v, want false/false/true", m.HasTransparencyLogs(), m.HasCTLogs(), m.HasTimestampAuthorities())
			}

			out, err := verifyCase(t, dir, m, c)

			switch c.Expected {
			case "pass":
				if out == nil {
					t.Fatalf("expected pass: %v", err)
				}
				if c.PublicKey != "" {
					if out.Signer == nil || out.Signer.KeyID != m.Keys[0].ID {
						t.Errorf("Signer = %+v, want key %s", out.Signer, m.Keys[0].ID)
					}
				} else if len(out.Matched) != 1 || out.Matched[0] != "expected" || out.Signer.Subject != c.ExpectedIdentity.SAN {
					t.Errorf("Matched %v, signer %+v", out.Matched, out.Signer)
				}
				for _, p := range tt.wantTimeSources {
					if !hasPrefixIn(out.TimeSources, p) {
						t.Errorf("TimeSources %v lack %q", out.TimeSources, p)
					}
				}
				if tt.noTimeSource != "" && hasPrefixIn(out.TimeSources, tt.noTimeSource) {
					t.Errorf("TimeSources %v contain %q", out.TimeSources, tt.noTimeSource)
				}
			case "fail":
				if out != nil {
					t.Fatalf("expected fail, passed: signer %+v", out.Signer)
				}
				if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantErr)
				}
				t.Logf("failed as expected: %v", err)
			default:
				t.Fatalf("case expects %q", c.Expected)
			}
		})
	}
}

// The real happy-path bundle against identities it was not made for: the
// explanation names the expected and the found values.
func TestRealFixtureIdentityMismatch(t *testing.T) {
	dir := realfixtures.Dir(t)
	const beacon = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	m := mustMaterial(t, "pg", readFixture(t, dir, "trusted-roots/sigstore-public-good.json"))
	b := readFixture(t, dir, "conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json")
	sum := sha256.Sum256(readFixture(t, dir, "conformance/bundle-verify/a.txt"))
	d := trust.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}

	tests := []struct {
		name    string
		id      trust.Identity
		wantErr string // "" : pass
	}{
		{name: "exact", id: trust.Identity{Name: "ok", Issuer: "https://token.actions.githubusercontent.com", Subject: beacon}},
		{name: "real extensions", id: trust.Identity{Name: "ok", Issuer: "https://token.actions.githubusercontent.com", Subject: beacon,
			Extensions: map[string]string{
				"source_repository_uri": "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon",
				"source_repository_ref": "refs/heads/main",
				"runner_environment":    "github-hosted",
			}}},
		{name: "wrong repository", id: trust.Identity{Name: "vmafx", Issuer: "https://token.actions.githubusercontent.com", Subject: beacon,
			Extensions: map[string]string{"source_repository_uri": "https://github.com/vmafx/vmafx"}},
			wantErr: "source_repository_uri: expected https://github.com/vmafx/vmafx, found https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon"},
		{name: "wrong ref regexp", id: trust.Identity{Name: "tags", Issuer: "https://token.actions.githubusercontent.com", Subject: beacon,
			ExtensionRegexps: map[string]string{"source_repository_ref": "^refs/tags/.*$"}},
			wantErr: "source_repository_ref: expected /^refs/tags/.*$/, found refs/heads/main"},
		{name: "wrong subject", id: trust.Identity{Name: "s", Issuer: "https://token.actions.githubusercontent.com", SubjectRegexp: "^https://github\\.com/vmafx/.*$"},
			wantErr: "subject: expected /^https://github\\.com/vmafx/.*$/, found " + beacon},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: b, Digest: d, Identities: []trust.Identity{tt.id}})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if out.Signer.Extensions["source_repository_uri"] == "" {
					t.Errorf("signer extensions not reported: %v", out.Signer.Extensions)
				}
				return
			}
			var idErr *trust.IdentityError
			if !errors.As(err, &idErr) {
				t.Fatalf("error %v is not an IdentityError", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func hasPrefixIn(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// caseInputs reads what verifying a case needs: the artifact's digest (of
// the file, or the case's digest alone), the expected identity, and the
// bundle documents (one, or each line of a JSON-lines file).
func caseInputs(t *testing.T, dir string, c realCase) (trust.Digest, []trust.Identity, [][]byte) {
	t.Helper()
	var digest trust.Digest
	if c.Artifact != "" {
		sum := sha256.Sum256(readFixture(t, dir, c.Artifact))
		digest = trust.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
		if c.ArtifactDigest != "" && c.ArtifactDigest != digest.String() {
			t.Fatalf("artifact hashes to %s, case says %s", digest, c.ArtifactDigest)
		}
	} else {
		var err error
		if digest, err = trust.ParseDigest(c.ArtifactDigest); err != nil {
			t.Fatal(err)
		}
	}
	var ids []trust.Identity
	if ei := c.ExpectedIdentity; ei != nil {
		id := trust.Identity{Name: "expected", Subject: ei.SAN}
		if ei.Issuer != nil {
			id.Issuer = *ei.Issuer
		} else {
			id.IssuerRegexp = "^$" // the certificate has no issuer extension
		}
		ids = append(ids, id)
	}

	docs := [][]byte{readFixture(t, dir, c.Bundle)}
	if c.Format == "sigstore-bundle-jsonl" {
		docs = nil
		for _, l := range bytes.Split(readFixture(t, dir, c.Bundle), []byte("\n")) {
			if l = bytes.TrimSpace(l); len(l) > 0 {
				docs = append(docs, l)
			}
		}
	}
	return digest, ids, docs
}

// verifyCase verifies a case's bundle documents against m, the first that
// verifies winning.
func verifyCase(t *testing.T, dir string, m *trust.Material, c realCase) (*trust.Outcome, error) {
	t.Helper()
	digest, ids, docs := caseInputs(t, dir, c)
	var errs []error
	for _, doc := range docs {
		o, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: doc, Digest: digest, Identities: ids, UseKey: c.PublicKey != ""})
		if err == nil {
			return o, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// TestRealTSAOneMaterial: GitHub's instance timestamps every bundle with
// its TSA. Verified through one loaded trust root, as a run does (each TSA
// remembering the chain it validated), the real cases keep their outcomes
// however often and in whatever order they come: passes pass again, and a
// bundle timestamped by a TSA certificate this root does not list (the
// stale-root case) fails after the root's own certificate was remembered.
func TestRealTSAOneMaterial(t *testing.T) {
	dir := realfixtures.Dir(t)
	var cases []realCase
	if err := json.Unmarshal(readFixture(t, dir, "cases.json"), &cases); err != nil {
		t.Fatal(err)
	}
	m := mustMaterial(t, "github", readFixture(t, dir, "trusted-roots/github.json"))
	var passes, fails int
	for round := range 2 {
		for _, c := range cases {
			if c.TrustedRoot != "trusted-roots/github.json" {
				continue
			}
			out, err := verifyCase(t, dir, m, c)
			switch {
			case c.Expected == "pass" && out == nil:
				t.Errorf("round %d, %s: %v", round+1, c.ID, err)
			case c.Expected == "fail" && out != nil:
				t.Errorf("round %d, %s passed, want fail", round+1, c.ID)
			case c.Expected == "pass":
				passes++
				if !hasPrefixIn(out.TimeSources, "TimestampAuthority ") {
					t.Errorf("round %d, %s: time sources %v, want the TSA's", round+1, c.ID, out.TimeSources)
				}
			default:
				fails++
			}
		}
	}
	if passes < 4 || fails < 6 {
		t.Errorf("%d passes and %d failures over two rounds; the fixtures changed?", passes, fails)
	}
}
