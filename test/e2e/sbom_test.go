package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
)

// sbomCaseReasons is what the report's reason must say for each failing
// case of sbom/cases.json: what differed.
var sbomCaseReasons = map[string][]string{
	"sbom/custom-wrapper-wp732-4.0.0":     {"cosign's custom wrapper", "allow_cosign_custom"},
	"sbom/cdx-wp732-4.0.1-wrong-digest":   {"subject mismatch", "sha256:f7d810ba24b6f953614c0e029cd6d408a84d722035ad5b0a4fb9359039c38c83", "sha256:4a8b9c7637265522e831381e75c05e68cc799fa2b94d67b611789b72dd04c21c"},
	"sbom/cdx-wp732-4.0.1-wrong-identity": {"subject: expected release@example.com, found wp732@nyu.edu"},
	"sbom/cdx-wp732-4.0.1-staging-root":   {"transparency log"},
}

// sbomCaseFormat is the format check a passing case must report: the
// format, version and component count cases.json gives.
func sbomCaseFormat(c sbomFixtureCase) string {
	s := c.SBOM.Format + " " + c.SBOM.SpecVersion
	if c.SBOM.Components > 0 {
		s += fmt.Sprintf(" (JSON), %d components", c.SBOM.Components)
	}
	return s
}

// sbomFixturePolicy declares every case as an sbom block with digest and
// bundle, its own trust root and identity; allowCustom opts every block
// into cosign's custom wrapper.
func sbomFixturePolicy(t *testing.T, fixtures string, cases []sbomFixtureCase, allowCustom bool) string {
	t.Helper()
	var b strings.Builder
	q := strconv.Quote
	for i, c := range cases {
		name := fmt.Sprintf("s%02d", i)
		fmt.Fprintf(&b, "trust_root %q {\n  trusted_root = %s\n}\n", name, q(filepath.Join(fixtures, c.TrustedRoot)))
		fmt.Fprintf(&b, "identity %q {\n  subject = %s\n  issuer = %s\n}\n", name, q(c.ExpectedIdentity.SAN), q(*c.ExpectedIdentity.Issuer))
		fmt.Fprintf(&b, "sbom %q {\n  digest = %s\n  bundle = %s\n  identity = identity.%s\n  trust_root = trust_root.%s\n", name, q(c.ArtifactDigest), q(filepath.Join(fixtures, c.Bundle)), name, name)
		if allowCustom {
			b.WriteString("  allow_cosign_custom = true\n")
		}
		b.WriteString("}\n\n")
	}
	return writeFile(t, t.TempDir(), "policy.hcl", b.String())
}

// wantSBOMCase asserts one case's row: its expected outcome, the format a
// pass reports (unwrapped from cosign's custom predicate when it is one)
// and the reason a fail gives.
func wantSBOMCase(t *testing.T, c sbomFixtureCase, row sbomRow, want string) {
	t.Helper()
	if row.Status != want {
		t.Fatalf("%s: %s, want %s (%s); reason: %s", c.ID, row.Status, want, c.Reason, row.Reason)
	}
	if want == "pass" {
		detail, ok, _ := row.check("format")
		if !ok || !strings.Contains(detail, sbomCaseFormat(c)) {
			t.Errorf("%s: format check %q, want %q", c.ID, detail, sbomCaseFormat(c))
		}
		if c.SBOM.Wrapped != "" && !strings.Contains(detail, "unwrapped from cosign-custom") {
			t.Errorf("%s: format check %q does not say the SBOM was unwrapped", c.ID, detail)
		}
		if row.Signer != c.ExpectedIdentity.SAN {
			t.Errorf("%s: signer %q, want %q", c.ID, row.Signer, c.ExpectedIdentity.SAN)
		}
		if len(row.Evidence) != 1 || !row.Evidence[0].Verified || row.Evidence[0].SubjectDigest != c.ArtifactDigest || row.Evidence[0].PredicateType != c.PredicateType {
			t.Errorf("%s: evidence %+v, want one verified %s attestation of %s", c.ID, row.Evidence, c.PredicateType, c.ArtifactDigest)
		}
		return
	}
	reasons, ok := sbomCaseReasons[c.ID]
	if !ok {
		t.Fatalf("%s fails (%s) and sbomCaseReasons does not say why it must", c.ID, row.Reason)
	}
	for _, r := range reasons {
		if !strings.Contains(row.Reason, r) {
			t.Errorf("%s: reason %q does not contain %q", c.ID, row.Reason, r)
		}
	}
}

// TestSBOMFixtureCasesThroughCheck: every case of sbom/cases.json reaches
// its expected outcome as an sbom block (digest + bundle) of a policy, and
// the custom-wrapper case passes only once the policy accepts cosign's
// custom predicate.
func TestSBOMFixtureCasesThroughCheck(t *testing.T) {
	fixtures := realfixtures.Dir(t)
	cases := loadSBOMCases(t, fixtures)
	for _, allowCustom := range []bool{false, true} {
		t.Run(fmt.Sprintf("allow_cosign_custom=%v", allowCustom), func(t *testing.T) {
			res := runCLI(t, nil, "check", sbomFixturePolicy(t, fixtures, cases, allowCustom), "--offline", "--format", "json")
			wantNoPanic(t, res)
			var rep struct {
				Results []struct {
					Name string
					sbomRow
				}
			}
			if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil || len(rep.Results) != len(cases) {
				t.Fatalf("want %d results (err %v):\n%s\n%s", len(cases), err, res.stdout, res.stderr)
			}
			failing := 0
			for i, c := range cases {
				r := rep.Results[i]
				if r.Name != fmt.Sprintf("s%02d", i) {
					t.Fatalf("result %d is %q: out of policy order", i, r.Name)
				}
				want := c.asSBOM(allowCustom)
				if want == "fail" {
					failing++
				}
				wantSBOMCase(t, c, r.sbomRow, want)
			}
			if wantCode := map[bool]int{true: 1, false: 0}[failing > 0]; res.code != wantCode {
				t.Errorf("exit %d, want %d", res.code, wantCode)
			}
		})
	}
}

// TestSBOMFixtureCasesThroughVerify: the same cases through `sbom verify
// DIGEST --bundle`, with --allow-cosign-custom for the custom wrapper.
func TestSBOMFixtureCasesThroughVerify(t *testing.T) {
	fixtures := realfixtures.Dir(t)
	custom := 0
	for _, c := range loadSBOMCases(t, fixtures) {
		for _, allowCustom := range []bool{false, true} {
			if allowCustom && c.ExpectedAsSBOM == "" {
				continue
			}
			if allowCustom {
				custom++
			}
			t.Run(fmt.Sprintf("%s/allow-cosign-custom=%v", c.ID, allowCustom), func(t *testing.T) {
				args := []string{"sbom", "verify", c.ArtifactDigest, "--bundle", filepath.Join(fixtures, c.Bundle),
					"--trusted-root", filepath.Join(fixtures, c.TrustedRoot),
					"--certificate-identity", c.ExpectedIdentity.SAN, "--certificate-oidc-issuer", *c.ExpectedIdentity.Issuer,
					"--offline", "-o", "json"}
				if allowCustom {
					args = append(args, "--allow-cosign-custom")
				}
				res := runCLI(t, nil, args...)
				wantNoPanic(t, res)
				want := c.asSBOM(allowCustom)
				if code := map[string]int{"pass": 0, "fail": 1}[want]; res.code != code {
					t.Fatalf("exit %d, want %d (%s)\nstdout:\n%s\nstderr:\n%s", res.code, code, c.Reason, res.stdout, res.stderr)
				}
				wantSBOMCase(t, c, oneRow(t, res), want)
				if want == "pass" && !strings.Contains(res.stderr, "Verified OK") {
					t.Errorf("no \"Verified OK\" on stderr")
				}
			})
		}
	}
	if custom != 1 {
		t.Fatalf("%d cases wrap the SBOM in cosign's custom predicate, want 1: the fixture set changed", custom)
	}
}

// TestSBOMVerifyTypeFlag: --type restricts the format. The CycloneDX 1.6
// attestation of the real fixtures fails with --type spdx and passes with
// --type cyclonedx, and the report names the format either way.
func TestSBOMVerifyTypeFlag(t *testing.T) {
	fixtures := realfixtures.Dir(t)
	var c sbomFixtureCase
	for _, x := range loadSBOMCases(t, fixtures) {
		if x.Expected == "pass" && x.ExpectedAsSBOM == "" && x.SBOM != nil && x.SBOM.Format == "CycloneDX" {
			c = x
			break
		}
	}
	if c.ID == "" {
		t.Fatal("no passing CycloneDX case in sbom/cases.json")
	}
	format := c.SBOM.Format + " " + c.SBOM.SpecVersion
	for _, tc := range []struct {
		typ, want string
	}{
		{"cyclonedx", "pass"},
		{"CycloneDX", "pass"},
		{"spdx", "fail"},
		{"spdxjson", "fail"},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			res := runCLI(t, nil, "sbom", "verify", c.ArtifactDigest, "--bundle", filepath.Join(fixtures, c.Bundle), "--type", tc.typ,
				"--trusted-root", filepath.Join(fixtures, c.TrustedRoot),
				"--certificate-identity", c.ExpectedIdentity.SAN, "--certificate-oidc-issuer", *c.ExpectedIdentity.Issuer,
				"--offline", "-o", "json")
			row := wantSBOMOutcome(t, res, tc.want, format, format, fmt.Sprintf("format = %q", tc.typ))
			if detail, _, found := row.check("format"); !found || !strings.Contains(detail, format) {
				t.Errorf("format check %q does not name %s", detail, format)
			}
		})
	}
}

// sbomPredicateTypes are the predicate types cosign attest-blob writes
// for its SBOM --type names.
var sbomPredicateTypes = map[string]string{
	"cyclonedx": "https://cyclonedx.org/bom",
	"spdxjson":  "https://spdx.dev/Document",
	"spdx":      "https://spdx.dev/Document",
}

// cosignBundleFormats are the two bundle files cosign writes: its legacy
// blob-bundle JSON and the Sigstore bundle.
var cosignBundleFormats = []struct {
	name   string
	suffix string   // the bundle file's suffix, as sbom verify finds it by default
	flags  []string // cosign's flags before --bundle
	// modified is what the reason says for a signed file modified: a
	// Sigstore bundle names the digest it signs, a legacy bundle only
	// holds a signature that no longer matches.
	modified func(signed string) []string
}{
	{name: "legacy bundle", suffix: ".bundle", modified: func(string) []string { return []string{"signature", "invalid signature"} }},
	{name: "new bundle format", suffix: ".sigstore.json", flags: []string{"--new-bundle-format"}, modified: func(signed string) []string { return []string{"digest mismatch", signed} }},
}

// TestSBOMCosignAttestBlob: real `cosign attest-blob --key` SBOM
// attestations (--type cyclonedx, spdxjson, and spdx with a tag-value
// predicate) over real SBOMs, in both bundle formats, verified by `sbom
// verify --key --insecure-ignore-tlog`: they pass naming the format, and
// fail for another artifact, a bundle signed by another key and --type of
// the other format. An SBOM whose root names a digest is attested about
// that digest (cosign --hash); attested about a file it does not describe,
// it fails.
func TestSBOMCosignAttestBlob(t *testing.T) {
	cosign := cosignBinary(t)
	keys := t.TempDir()
	runCosign(t, cosign, keys, "generate-key-pair")
	other := t.TempDir()
	runCosign(t, cosign, other, "generate-key-pair")
	artifact := writeFile(t, t.TempDir(), "vmafx-1.0.0.whl", strings.Repeat("vmafx wheel bytes\n", 200))
	artifactDigest := "sha256:" + sha256Hex(t, artifact)
	predicates := []struct {
		typ, file, otherType string
	}{
		{"cyclonedx", "guac/distroless-cyclonedx.json", "spdx"},
		{"cyclonedx", "cosign/bom-go-mod.cyclonedx.json", "spdx"},
		{"spdxjson", "guac/alpine-spdx.json", "cyclonedx"},
		{"spdx", "cosign/bom-go-mod.spdx", "cyclonedx"},
	}
	rooted := 0
	for _, p := range predicates {
		predicate := unsignedSBOM(t, p.file)
		format, syntax := fixtureFormat(t, predicate)
		root := describedDigest(t, predicate)
		if root != "" {
			rooted++
		}
		for _, f := range cosignBundleFormats {
			dir := t.TempDir()
			// attest writes an attestation of the artifact (of digest,
			// when given) signed with the key in keyDir.
			attest := func(keyDir, bundle, digest string) string {
				args := []string{"attest-blob", "--key", filepath.Join(keyDir, "cosign.key"), "--type", p.typ, "--predicate", predicate,
					"--tlog-upload=false", "--yes"}
				args = append(append(args, f.flags...), "--bundle", bundle)
				if digest != "" {
					// cosign still wants a file argument; --hash is the subject.
					args = append(args, "--hash", strings.TrimPrefix(digest, "sha256:"))
				}
				runCosign(t, cosign, dir, append(args, artifact)...)
				return filepath.Join(dir, bundle)
			}
			// The subject is what the SBOM describes: its root's digest,
			// else the artifact file.
			subject, wrongSubject := artifact, artifactDigest
			if root != "" {
				subject = root
			}
			good := attest(keys, "sbom"+f.suffix, root)
			otherKey := attest(other, "other-key"+f.suffix, root)
			type variant struct {
				name, subject, bundle, typ, want string
				reasons                          []string
			}
			variants := []variant{
				{name: "intact", subject: subject, bundle: good, want: "pass"},
				{name: "full type name", subject: subject, bundle: good, typ: strings.TrimSuffix(p.typ, "json"), want: "pass"},
				{name: "bundle signed by another key", subject: subject, bundle: otherKey, want: "fail", reasons: []string{"signature"}},
				{name: "--type " + p.otherType, subject: subject, bundle: good, typ: p.otherType, want: "fail", reasons: []string{format, fmt.Sprintf("format = %q", p.otherType)}},
			}
			if root == "" {
				variants = append(variants, variant{name: "file modified", subject: "modified", bundle: good, want: "fail", reasons: []string{"subject mismatch"}})
			} else {
				variants = append(variants,
					variant{name: "another digest", subject: wrongSubject, bundle: good, want: "fail", reasons: []string{"subject mismatch", root, wrongSubject}},
					variant{name: "about a file the SBOM does not describe", subject: artifact, bundle: attest(keys, "undescribed"+f.suffix, ""), want: "fail",
						reasons: []string{"root names " + root, artifactDigest}})
			}
			for _, v := range variants {
				t.Run(p.file+"/"+f.name+"/"+v.name, func(t *testing.T) {
					subject := v.subject
					if subject == "modified" {
						subject = filepath.Join(t.TempDir(), filepath.Base(artifact))
						copyFile(t, artifact, subject)
						flipFileByte(t, subject)
					}
					args := []string{"sbom", "verify", subject, "--bundle", v.bundle, "--key", filepath.Join(keys, "cosign.pub"),
						"--insecure-ignore-tlog", "--offline", "-o", "json"}
					if v.typ != "" {
						args = append(args, "--type", v.typ)
					}
					row := wantSBOMOutcome(t, runCLI(t, nil, args...), v.want, format+" ("+syntax+")", v.reasons...)
					if v.want != "pass" {
						return
					}
					wantDigest := subject
					if !strings.HasPrefix(subject, "sha256:") {
						wantDigest = artifactDigest
					}
					if len(row.Evidence) != 1 || row.Evidence[0].SubjectDigest != wantDigest || row.Evidence[0].PredicateType != sbomPredicateTypes[p.typ] {
						t.Errorf("evidence %+v, want a %s attestation of %s", row.Evidence, sbomPredicateTypes[p.typ], wantDigest)
					}
				})
			}
		}
	}
	if rooted != 2 {
		t.Fatalf("%d of the SBOMs name a root digest, want 2: the fixtures changed", rooted)
	}
}

// TestSBOMCosignSignBlob: real SBOM files signed with `cosign sign-blob
// --key`, in both bundle formats, verified as signed SBOM files (`sbom
// verify --sbom`, and a policy's path block): they pass with the bundle
// found beside them or given, fail once modified, and with a digest to
// describe pass only when the SBOM's root names it.
func TestSBOMCosignSignBlob(t *testing.T) {
	cosign := cosignBinary(t)
	keys := t.TempDir()
	runCosign(t, cosign, keys, "generate-key-pair")
	other := writeFile(t, t.TempDir(), "other.whl", "an artifact no SBOM describes")
	otherDigest := "sha256:" + sha256Hex(t, other)
	for _, name := range []string{"guac/distroless-cyclonedx.json", "guac/alpine-spdx.json", "cosign/bom-go-mod.spdx"} {
		src := unsignedSBOM(t, name)
		format, syntax := fixtureFormat(t, src)
		root := describedDigest(t, src)
		for _, f := range cosignBundleFormats {
			dir := t.TempDir()
			sbomFile := filepath.Join(dir, filepath.Base(name))
			copyFile(t, src, sbomFile)
			// The bundle is named as sbom verify looks for it by default.
			bundle := sbomFile + f.suffix
			runCosign(t, cosign, dir, append(append([]string{"sign-blob", "--key", filepath.Join(keys, "cosign.key"), "--tlog-upload=false", "--yes"}, f.flags...), "--bundle", bundle, sbomFile)...)
			sbomDigest := "sha256:" + sha256Hex(t, sbomFile)
			type variant struct {
				name     string
				bundle   bool   // give --bundle rather than rely on the default name
				describe string // the digest the SBOM must describe
				modify   bool
				want     string
				reasons  []string
			}
			variants := []variant{
				{name: "bundle found beside the SBOM", want: "pass"},
				{name: "--bundle", bundle: true, want: "pass"},
				{name: "SBOM modified", bundle: true, modify: true, want: "fail", reasons: f.modified(sbomDigest)},
				{name: "describes an artifact it does not name", describe: otherDigest, want: "fail", reasons: []string{"cannot be shown to describe", otherDigest}},
			}
			if root != "" {
				variants = append(variants, variant{name: "describes its root", describe: root, want: "pass"})
			}
			for _, v := range variants {
				t.Run(name+"/"+f.name+"/"+v.name, func(t *testing.T) {
					work := t.TempDir()
					file := filepath.Join(work, filepath.Base(sbomFile))
					copyFile(t, sbomFile, file)
					copyFile(t, bundle, file+f.suffix)
					if v.modify {
						flipFileByte(t, file)
					}
					cli := []string{"sbom", "verify", "--sbom", file, "--key", filepath.Join(keys, "cosign.pub"), "--insecure-ignore-tlog", "--offline", "-o", "json"}
					block := fmt.Sprintf("trust_root \"key\" {\n  public_key = %q\n}\nsbom \"s\" {\n  path = %q\n  trust_root = trust_root.key\n  verification {\n    insecure_ignore_tlog = true\n  }\n", filepath.Join(keys, "cosign.pub"), file)
					if v.bundle {
						cli = append(cli, "--bundle", file+f.suffix)
						block += fmt.Sprintf("  bundle = %q\n", file+f.suffix)
					}
					if v.describe != "" {
						cli = append(cli, v.describe)
						block += fmt.Sprintf("  describes_digest = %q\n", v.describe)
					}
					policy := writeFile(t, work, "policy.hcl", block+"}\n")
					for via, args := range map[string][]string{"sbom verify": cli, "check": {"check", policy, "--offline", "--format", "json"}} {
						row := wantSBOMOutcome(t, runCLI(t, nil, args...), v.want, format+" ("+syntax+")", v.reasons...)
						if v.want != "pass" {
							continue
						}
						if len(row.Evidence) != 1 || row.Evidence[0].SubjectDigest != sbomDigest {
							t.Errorf("%s: evidence %+v, want the signature of %s", via, row.Evidence, sbomDigest)
						}
						if _, ok, found := row.check("describes"); found != (v.describe != "") || (found && !ok) {
							t.Errorf("%s: describes check found %v ok %v, want it exactly when a digest is given", via, found, ok)
						}
					}
				})
			}
		}
	}
}
