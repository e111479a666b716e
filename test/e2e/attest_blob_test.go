package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
)

// evidenceReport is the part of the JSON report that says what the host
// verified of each piece of evidence.
type evidenceReport struct {
	Results []struct {
		Status   string `json:"status"`
		Reason   string `json:"reason"`
		Evidence []struct {
			SubjectDigest string `json:"subject_digest"`
			Verified      bool   `json:"verified"`
			PredicateType string `json:"predicate_type"`
		} `json:"evidence"`
	} `json:"results"`
}

// wantVerifiedAttestation asserts a JSON report of one artifact that passed
// on one piece of evidence, verified by the host as an attestation of
// predicateType bound to digest.
func wantVerifiedAttestation(t *testing.T, res result, digest, predicateType string) {
	t.Helper()
	var rep evidenceReport
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, res.stdout)
	}
	if len(rep.Results) != 1 || len(rep.Results[0].Evidence) != 1 {
		t.Fatalf("want one result with one piece of evidence:\n%s", res.stdout)
	}
	ev := rep.Results[0].Evidence[0]
	if !ev.Verified || ev.SubjectDigest != digest || ev.PredicateType != predicateType {
		t.Errorf("host verified %v, subject %s, predicate type %q; want an attestation of %s bound to %s", ev.Verified, ev.SubjectDigest, ev.PredicateType, predicateType, digest)
	}
}

// TestSBOMAttestationFixtures: the real `cosign attest-blob --bundle` files
// of fixtures/real/sbom (cosign's legacy bundle JSON, keyless public-good,
// Rekor dsse entries) through `verify-blob-attestation DIGEST`: each case
// of sbom/cases.json has its expected outcome, and each passing case fails
// with another predicate type, another identity or another digest.
func TestSBOMAttestationFixtures(t *testing.T) {
	fixtures := realfixtures.Dir(t)
	var cases []struct {
		fixtureCase
		PredicateType string `json:"predicate_type"`
	}
	data, err := os.ReadFile(filepath.Join(fixtures, "sbom", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	const (
		v401 = "sha256:f7d810ba24b6f953614c0e029cd6d408a84d722035ad5b0a4fb9359039c38c83"
		v400 = "sha256:4a8b9c7637265522e831381e75c05e68cc799fa2b94d67b611789b72dd04c21c"
	)
	// The short name a user gives for each predicate type, and one that
	// must not match it.
	types := map[string]struct{ good, bad string }{
		"https://cyclonedx.org/bom":                  {"cyclonedx", "spdxjson"},
		"https://cosign.sigstore.dev/attestation/v1": {"custom", "cyclonedx"},
	}
	passing := 0
	for _, c := range cases {
		if c.Kind != "sbom-attestation" || c.Format != "cosign-legacy-attest-blob-bundle" || c.Artifact != "" {
			t.Fatalf("%s: not a digest-only legacy attest-blob case (%s, %s)", c.ID, c.Kind, c.Format)
		}
		ty, ok := types[c.PredicateType]
		if !ok {
			t.Fatalf("%s: no short name for %s", c.ID, c.PredicateType)
		}
		otherDigest := v400
		if c.ArtifactDigest == v400 {
			otherDigest = v401
		}
		// args is the case's command line with a digest, type and SAN.
		args := func(digest, typ, san string) []string {
			return []string{"verify-blob-attestation", digest,
				"--bundle", filepath.Join(fixtures, c.Bundle), "--type", typ,
				"--trusted-root", filepath.Join(fixtures, c.TrustedRoot),
				"--certificate-identity", san, "--certificate-oidc-issuer", *c.ExpectedIdentity.Issuer,
				"--offline", "--format", "json"}
		}
		type variant struct {
			name   string
			args   []string
			want   int
			reason string // in the report's reason, on fail
		}
		variants := []variant{
			{name: "as expected", args: args(c.ArtifactDigest, ty.good, c.ExpectedIdentity.SAN), want: map[string]int{"pass": 0, "fail": 1}[c.Expected]},
		}
		if c.Expected == "pass" {
			passing++
			variants = append(variants,
				variant{name: "full predicate type", args: args(c.ArtifactDigest, c.PredicateType, c.ExpectedIdentity.SAN), want: 0},
				variant{name: "--type " + ty.bad, args: args(c.ArtifactDigest, ty.bad, c.ExpectedIdentity.SAN), want: 1, reason: "predicate type: expected "},
				variant{name: "another identity", args: args(c.ArtifactDigest, ty.good, "release@example.com"), want: 1, reason: "subject: expected release@example.com, found wp732@nyu.edu"},
				variant{name: "another digest", args: args(otherDigest, ty.good, c.ExpectedIdentity.SAN), want: 1, reason: "digest"},
			)
		}
		for _, v := range variants {
			t.Run(c.ID+"/"+v.name, func(t *testing.T) {
				res := runCLI(t, nil, v.args...)
				if res.code != v.want {
					t.Fatalf("exit %d, want %d (%s)\nstdout: %s\nstderr: %s", res.code, v.want, c.Reason, res.stdout, res.stderr)
				}
				if v.want == 0 {
					wantVerifiedAttestation(t, res, c.ArtifactDigest, c.PredicateType)
					if !strings.Contains(res.stderr, "Verified OK") {
						t.Errorf("no \"Verified OK\" on success")
					}
					return
				}
				rep := parseReport(t, res)
				if len(rep.Results) != 1 || rep.Results[0].Status != "fail" || !strings.Contains(rep.Results[0].Reason, v.reason) {
					t.Errorf("want a fail whose reason contains %q:\n%s", v.reason, res.stdout)
				}
			})
		}
	}
	if passing != 3 {
		t.Fatalf("%d passing SBOM attestation cases, want 3: the fixture set changed", passing)
	}
}

// editLegacyEnvelope rewrites the DSSE envelope that a legacy attest-blob
// bundle file carries, base64, in base64Signature.
func editLegacyEnvelope(t *testing.T, p string, edit func(env map[string]any)) {
	t.Helper()
	editJSON(t, p, func(s string) string {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		var env map[string]any
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatalf("base64Signature is not a DSSE envelope: %v", err)
		}
		edit(env)
		out, _ := json.Marshal(env)
		return base64.StdEncoding.EncodeToString(out)
	}, "base64Signature")
}

// firstSig returns the first signature object of a DSSE envelope.
func firstSig(env map[string]any) map[string]any {
	return env["signatures"].([]any)[0].(map[string]any)
}

// TestCosignAttestBlobInterop: `cosign attest-blob` with a key, in the
// legacy bundle format and in the Sigstore bundle format, over a real
// CycloneDX SBOM as predicate: the bundle verifies by file with
// `verify-blob-attestation --type cyclonedx`, and fails with the file
// modified, the envelope's payload or signature modified, or another
// predicate type required.
func TestCosignAttestBlobInterop(t *testing.T) {
	cosign := cosignBinary(t)
	predicate := filepath.Join(realfixtures.Dir(t), "sbom", "wp732-ssc_assignment_1", "cyclonedx-sbom.json")
	formats := []struct {
		name   string
		flags  []string // cosign attest-blob flags naming the bundle
		bundle string
		// payload and sig flip a bit in the envelope's payload and
		// signature.
		payload, sig func(t *testing.T, p string)
	}{
		{
			name: "legacy bundle", flags: []string{"--bundle", "art.bundle"}, bundle: "art.bundle",
			payload: func(t *testing.T, p string) {
				editLegacyEnvelope(t, p, func(env map[string]any) { env["payload"] = flipBase64(t, env["payload"].(string)) })
			},
			sig: func(t *testing.T, p string) {
				editLegacyEnvelope(t, p, func(env map[string]any) { firstSig(env)["sig"] = flipBase64(t, firstSig(env)["sig"].(string)) })
			},
		},
		{
			name: "new bundle format", flags: []string{"--new-bundle-format", "--bundle", "art.sigstore.json"}, bundle: "art.sigstore.json",
			payload: func(t *testing.T, p string) {
				editJSON(t, p, func(s string) string { return flipBase64(t, s) }, "dsseEnvelope", "payload")
			},
			sig: func(t *testing.T, p string) {
				var doc map[string]any
				if err := json.Unmarshal([]byte(mustRead(t, p)), &doc); err != nil {
					t.Fatal(err)
				}
				s := firstSig(doc["dsseEnvelope"].(map[string]any))
				s["sig"] = flipBase64(t, s["sig"].(string))
				out, _ := json.Marshal(doc)
				if err := os.WriteFile(p, out, 0o644); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, f := range formats {
		dir := t.TempDir()
		runCosign(t, cosign, dir, "generate-key-pair")
		writeFile(t, dir, "art.whl", strings.Repeat("vmafx wheel bytes\n", 100))
		runCosign(t, cosign, dir, append([]string{"attest-blob", "--key", "cosign.key", "--type", "cyclonedx", "--predicate", predicate, "--tlog-upload=false", "--yes"}, append(f.flags, "art.whl")...)...)
		if f.name == "legacy bundle" {
			// It is the format this test is about: the envelope in
			// base64Signature.
			var doc struct {
				Base64Signature string `json:"base64Signature"`
			}
			_ = json.Unmarshal([]byte(mustRead(t, filepath.Join(dir, f.bundle))), &doc)
			if raw, _ := base64.StdEncoding.DecodeString(doc.Base64Signature); !strings.HasPrefix(string(raw), `{"payloadType":"application/vnd.in-toto+json"`) {
				t.Fatalf("cosign wrote no legacy attest-blob bundle: %.200s", mustRead(t, filepath.Join(dir, f.bundle)))
			}
		}
		for _, variant := range []string{"intact", "file modified", "payload modified", "signature modified", "--type spdxjson"} {
			t.Run(f.name+"/"+variant, func(t *testing.T) {
				work := t.TempDir()
				for _, n := range []string{"art.whl", f.bundle, "cosign.pub"} {
					copyFile(t, filepath.Join(dir, n), filepath.Join(work, n))
				}
				file, bundle, typ, want := filepath.Join(work, "art.whl"), filepath.Join(work, f.bundle), "cyclonedx", 0
				switch variant {
				case "file modified":
					flipFileByte(t, file)
					want = 1
				case "payload modified":
					f.payload(t, bundle)
					want = 1
				case "signature modified":
					f.sig(t, bundle)
					want = 1
				case "--type spdxjson":
					typ, want = "spdxjson", 1
				}
				res := runCLI(t, nil, "verify-blob-attestation", file, "--bundle", bundle, "--type", typ,
					"--key", filepath.Join(work, "cosign.pub"), "--insecure-ignore-tlog", "--offline", "--format", "json")
				if res.code != want {
					t.Fatalf("exit %d, want %d\n%s\n%s", res.code, want, res.stdout, res.stderr)
				}
				if want == 0 {
					wantVerifiedAttestation(t, res, "sha256:"+sha256Hex(t, file), "https://cyclonedx.org/bom")
				}
			})
		}
	}
}
