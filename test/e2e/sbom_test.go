package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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
	// typ is cosign's --type; ownType and otherType are sbom verify's
	// --type of the SBOM's format and of the other one.
	predicates := []struct {
		typ, file, ownType, otherType string
	}{
		{"cyclonedx", "guac/distroless-cyclonedx.json", "cyclonedx", "spdx"},
		{"cyclonedx", "cosign/bom-go-mod.cyclonedx.json", "cyclonedx", "spdx"},
		{"spdxjson", "guac/alpine-spdx.json", "spdx", "cyclonedx"},
		{"spdx", "cosign/bom-go-mod.spdx", "spdx", "cyclonedx"},
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
				modify                           bool // verify a modified copy of the subject file
				reasons                          []string
			}
			variants := []variant{
				{name: "intact", subject: subject, bundle: good, want: "pass"},
				{name: "--type " + p.ownType, subject: subject, bundle: good, typ: p.ownType, want: "pass"},
				{name: "bundle signed by another key", subject: subject, bundle: otherKey, want: "fail", reasons: []string{"signature"}},
				{name: "--type " + p.otherType, subject: subject, bundle: good, typ: p.otherType, want: "fail", reasons: []string{format, fmt.Sprintf("format = %q", p.otherType)}},
			}
			if root == "" {
				variants = append(variants, variant{name: "file modified", subject: artifact, modify: true, bundle: good, want: "fail", reasons: []string{"subject mismatch"}})
			} else {
				variants = append(variants,
					variant{name: "another digest", subject: wrongSubject, bundle: good, want: "fail", reasons: []string{"subject mismatch", root, wrongSubject}},
					variant{name: "about a file the SBOM does not describe", subject: artifact, bundle: attest(keys, "undescribed"+f.suffix, ""), want: "fail",
						reasons: []string{"root names " + root, artifactDigest}})
			}
			for _, v := range variants {
				t.Run(p.file+"/"+f.name+"/"+v.name, func(t *testing.T) {
					subject := v.subject
					if v.modify {
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

// contentRules are content rules as flags of sbom verify and as a
// policy's content block.
type contentRules struct {
	packages, denyPackages, allowLicenses, denyLicenses []string
	unlicensed                                          string
	minComponents                                       int
}

func (r contentRules) flags() []string {
	var out []string
	for _, l := range []struct {
		flag string
		list []string
	}{{"--require-package", r.packages}, {"--deny-package", r.denyPackages}, {"--allow-license", r.allowLicenses}, {"--deny-license", r.denyLicenses}} {
		for _, v := range l.list {
			out = append(out, l.flag, v)
		}
	}
	if r.unlicensed != "" {
		out = append(out, "--unlicensed", r.unlicensed)
	}
	if r.minComponents != 0 {
		out = append(out, "--min-components", strconv.Itoa(r.minComponents))
	}
	return out
}

func (r contentRules) block() string {
	var b strings.Builder
	b.WriteString("  content {\n")
	list := func(name string, l []string) {
		if len(l) == 0 {
			return
		}
		q := make([]string, len(l))
		for i, v := range l {
			q[i] = strconv.Quote(v)
		}
		fmt.Fprintf(&b, "    %s = [%s]\n", name, strings.Join(q, ", "))
	}
	list("packages", r.packages)
	list("deny_packages", r.denyPackages)
	list("allow_licenses", r.allowLicenses)
	list("deny_licenses", r.denyLicenses)
	if r.unlicensed != "" {
		fmt.Fprintf(&b, "    unlicensed = %q\n", r.unlicensed)
	}
	if r.minComponents != 0 {
		fmt.Fprintf(&b, "    min_components = %d\n", r.minComponents)
	}
	b.WriteString("  }\n")
	return b.String()
}

// contentCase is a rule set on an SBOM and what it must give.
type contentCase struct {
	name  string
	sbom  string
	rules contentRules
	rule  string // the check "content: <rule>" reports
	want  string // pass, fail or warn
	// named must each appear in the rule's detail (and in the reason on
	// fail); unnamed must not.
	named, unnamed []string
}

// licenceDocs writes SPDX and CycloneDX documents of two components, one
// under "MIT OR GPL-3.0-only" and one under "MIT AND GPL-3.0-only", and
// documents of the first alone; it returns their paths and components.
func licenceDocs(t *testing.T) (docs map[string]string, dual, both fixtureComponent) {
	t.Helper()
	dual = fixtureComponent{Name: "dual-licensed", Version: "1.0.0", PURL: "pkg:pypi/dual-licensed@1.0.0", License: "MIT OR GPL-3.0-only"}
	both = fixtureComponent{Name: "both-licensed", Version: "2.0.0", PURL: "pkg:pypi/both-licensed@2.0.0", License: "MIT AND GPL-3.0-only"}
	spdx := func(cs ...fixtureComponent) string {
		var pkgs []string
		for i, c := range cs {
			pkgs = append(pkgs, fmt.Sprintf(`{"SPDXID":"SPDXRef-Package-%d","name":%q,"versionInfo":%q,"downloadLocation":"NOASSERTION","licenseConcluded":%q,"externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":%q}]}`, i, c.Name, c.Version, c.License, c.PURL))
		}
		return `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"licences","documentNamespace":"https://example.com/licences","creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: e2e"]},"packages":[` + strings.Join(pkgs, ",") + `]}`
	}
	cdx := func(cs ...fixtureComponent) string {
		var comps []string
		for _, c := range cs {
			comps = append(comps, fmt.Sprintf(`{"type":"library","name":%q,"version":%q,"purl":%q,"licenses":[{"expression":%q}]}`, c.Name, c.Version, c.PURL, c.License))
		}
		return `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[` + strings.Join(comps, ",") + `]}`
	}
	dir := t.TempDir()
	docs = map[string]string{
		"spdx: OR and AND":      writeFile(t, dir, "both.spdx.json", spdx(dual, both)),
		"cyclonedx: OR and AND": writeFile(t, dir, "both.cdx.json", cdx(dual, both)),
		"spdx: OR":              writeFile(t, dir, "dual.spdx.json", spdx(dual)),
		"cyclonedx: OR":         writeFile(t, dir, "dual.cdx.json", cdx(dual)),
	}
	return docs, dual, both
}

// TestSBOMContentRules: content rules on signed copies of the real SBOMs
// (and of small documents for licence expressions), through sbom verify's
// flags on the signed file and through a policy's content block on an
// attestation of it. A rule that does not hold fails the SBOM and its
// reason names each offending component by name and purl; a rule that
// holds passes; unlicensed = "warn" passes with a warning that names them.
func TestSBOMContentRules(t *testing.T) {
	alpinePath := unsignedSBOM(t, "guac/alpine-spdx.json")
	distrolessPath := unsignedSBOM(t, "guac/distroless-cyclonedx.json")
	emptyPath := unsignedSBOM(t, "cosign/bom-go-mod.cyclonedx.json")
	tagValuePath := unsignedSBOM(t, "cosign/bom-go-mod.spdx")
	alpine, distroless := readComponents(t, alpinePath), readComponents(t, distrolessPath)
	if n := len(readComponents(t, emptyPath)); n != 0 {
		t.Fatalf("%s lists %d components, want none", emptyPath, n)
	}
	tagValueCount := strings.Count(mustRead(t, tagValuePath), "\nPackageName:")
	docs, dual, both := licenceDocs(t)

	gpl := componentsWhere(alpine, func(c fixtureComponent) bool { return strings.Contains(c.License, "GPL-2.0-only") })
	unlicensed := componentsWhere(distroless, func(c fixtureComponent) bool { return c.License == "" })
	if len(gpl) < 6 || len(unlicensed) < 2 || len(componentsWhere(alpine, func(c fixtureComponent) bool { return strings.Contains(c.License, "GPL-3.0") || c.Name == "curl" })) > 0 {
		t.Fatalf("the fixtures changed: %d GPL-2.0-only components in alpine, %d unlicensed in distroless", len(gpl), len(unlicensed))
	}
	busybox, musl, zlib := component(t, alpine, "busybox"), component(t, alpine, "musl"), component(t, alpine, "zlib")
	tzdata := component(t, distroless, "tzdata")
	tzdataPURL, _, _ := strings.Cut(tzdata.PURL, "@")
	muslPURL, _, _ := strings.Cut(musl.PURL, "@")

	tests := []contentCase{
		{name: "deny_licenses hit", sbom: alpinePath, rules: contentRules{denyLicenses: []string{"GPL-2.0-only"}}, rule: "deny_licenses", want: "fail",
			named:   append(namesAndPURLs(gpl[:5]), fmt.Sprintf("%d violation(s)", len(gpl)), fmt.Sprintf("and %d more", len(gpl)-5)),
			unnamed: []string{musl.PURL, zlib.PURL}},
		{name: "deny_licenses miss", sbom: alpinePath, rules: contentRules{denyLicenses: []string{"GPL-3.0-only"}}, rule: "deny_licenses", want: "pass"},
		{name: "packages present with a version constraint", sbom: alpinePath, rules: contentRules{packages: []string{"busybox >=" + busybox.Version, muslPURL + " >=" + musl.Version}}, rule: "packages", want: "pass"},
		{name: "packages present in another version", sbom: alpinePath, rules: contentRules{packages: []string{"busybox >" + busybox.Version}}, rule: "packages", want: "fail",
			named: []string{"busybox >" + busybox.Version, fmt.Sprintf("only versions %q", busybox.Version)}},
		{name: "packages absent", sbom: alpinePath, rules: contentRules{packages: []string{"curl >=7.0"}}, rule: "packages", want: "fail",
			named: []string{`"curl >=7.0" is not in the SBOM`}},
		{name: "deny_packages range hit", sbom: alpinePath, rules: contentRules{denyPackages: []string{"zlib >=1.0, <=" + zlib.Version}}, rule: "deny_packages", want: "fail",
			named: []string{zlib.Name + " " + zlib.Version, zlib.PURL}, unnamed: []string{musl.PURL}},
		{name: "deny_packages range miss", sbom: alpinePath, rules: contentRules{denyPackages: []string{"zlib >=1.0, <" + zlib.Version}}, rule: "deny_packages", want: "pass"},
		{name: "deny_packages by purl hit", sbom: distrolessPath, rules: contentRules{denyPackages: []string{tzdataPURL + " >=" + tzdata.Version}}, rule: "deny_packages", want: "fail",
			named: []string{tzdata.Name, tzdata.PURL}},
		{name: "deny_packages by purl miss", sbom: distrolessPath, rules: contentRules{denyPackages: []string{tzdataPURL + " <" + tzdata.Version}}, rule: "deny_packages", want: "pass"},
		{name: "min_components met", sbom: alpinePath, rules: contentRules{minComponents: len(alpine)}, rule: "min_components", want: "pass", named: []string{fmt.Sprintf("%d components", len(alpine))}},
		{name: "min_components not met", sbom: alpinePath, rules: contentRules{minComponents: len(alpine) + 1}, rule: "min_components", want: "fail",
			named: []string{fmt.Sprintf("lists %d components, fewer than %d", len(alpine), len(alpine)+1)}},
		{name: "min_components of an empty SBOM", sbom: emptyPath, rules: contentRules{minComponents: 1}, rule: "min_components", want: "fail", named: []string{"lists 0 components"}},
		{name: "min_components of a tag-value SBOM", sbom: tagValuePath, rules: contentRules{minComponents: tagValueCount}, rule: "min_components", want: "pass"},
		{name: "min_components of a tag-value SBOM not met", sbom: tagValuePath, rules: contentRules{minComponents: tagValueCount + 1}, rule: "min_components", want: "fail",
			named: []string{fmt.Sprintf("lists %d components", tagValueCount)}},
		{name: "unlicensed fail", sbom: distrolessPath, rules: contentRules{denyLicenses: []string{"GPL-3.0-only"}, unlicensed: "fail"}, rule: "unlicensed", want: "fail",
			named: append(namesAndPURLs(unlicensed), "no licence data"), unnamed: []string{component(t, distroless, "netbase").PURL}},
		{name: "unlicensed warn", sbom: distrolessPath, rules: contentRules{denyLicenses: []string{"GPL-3.0-only"}, unlicensed: "warn"}, rule: "unlicensed", want: "warn",
			named: append(namesAndPURLs(unlicensed), "no licence data")},
	}
	for _, syntax := range []string{"spdx", "cyclonedx"} {
		tests = append(tests,
			contentCase{name: syntax + ": allow_licenses with OR allowed, AND denied", sbom: docs[syntax+": OR and AND"], rules: contentRules{allowLicenses: []string{"MIT"}}, rule: "allow_licenses", want: "fail",
				named: []string{"1 violation(s)", both.Name, both.PURL, both.License}, unnamed: []string{dual.PURL}},
			contentCase{name: syntax + ": allow_licenses with OR", sbom: docs[syntax+": OR"], rules: contentRules{allowLicenses: []string{"MIT"}}, rule: "allow_licenses", want: "pass"},
			contentCase{name: syntax + ": deny_licenses of one side of OR and AND", sbom: docs[syntax+": OR and AND"], rules: contentRules{denyLicenses: []string{"GPL-3.0-only"}}, rule: "deny_licenses", want: "fail",
				named: []string{"1 violation(s)", both.Name, both.PURL}, unnamed: []string{dual.PURL}},
		)
	}

	signer := newKeylessSigner(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data := []byte(mustRead(t, tc.sbom))
			signed := signer.signFile(t, dir, filepath.Base(tc.sbom), data)
			// The attestation is about what the SBOM describes: its root's
			// digest when it names one.
			subject := describedDigest(t, tc.sbom)
			if subject == "" {
				subject = "sha256:" + sha256Hex(t, writeFile(t, dir, "artifact.bin", "the artifact "+tc.name))
			}
			predicate, predicateType := string(data), "https://cyclonedx.org/bom"
			if !strings.HasPrefix(strings.TrimSpace(predicate), "{") {
				// cosign attest --type spdx signs tag-value text as a string.
				predicate = strconv.Quote(predicate)
			}
			if strings.Contains(predicate, "spdxVersion") || strings.Contains(predicate, "SPDXVersion") {
				predicateType = "https://spdx.dev/Document"
			}
			bundle := signer.attest(t, dir, "sbom.intoto.sigstore.json", statement(strings.TrimPrefix(subject, "sha256:"), predicateType, predicate))
			policy := writeFile(t, dir, "policy.hcl", signer.policyHead()+fmt.Sprintf("sbom \"attested\" {\n  digest = %q\n  bundle = %q\n  identity = identity.sbom\n", subject, bundle)+tc.rules.block()+"}\n")
			for _, via := range []struct {
				name string
				args []string
			}{
				{"sbom verify flags", append(append([]string{"sbom", "verify", "--sbom", signed, "-o", "json"}, signer.flags()...), tc.rules.flags()...)},
				{"policy content block", []string{"check", policy, "--offline", "--format", "json"}},
			} {
				res := runCLI(t, nil, via.args...)
				want := map[string]string{"warn": "pass"}[tc.want]
				if want == "" {
					want = tc.want
				}
				row := wantSBOMOutcome(t, res, want, "", tc.named...)
				detail, ok, found := row.check("content: " + tc.rule)
				if !found {
					t.Fatalf("%s: no check content: %s in %+v", via.name, tc.rule, row.Checks)
				}
				if ok != (tc.want != "fail") || strings.HasPrefix(detail, "warning: ") != (tc.want == "warn") {
					t.Errorf("%s: content: %s ok %v, %q; want %s", via.name, tc.rule, ok, detail, tc.want)
				}
				for _, n := range tc.named {
					if !strings.Contains(detail, n) {
						t.Errorf("%s: content: %s %q does not name %q", via.name, tc.rule, detail, n)
					}
				}
				for _, n := range tc.unnamed {
					if strings.Contains(detail, n) || strings.Contains(row.Reason, n) {
						t.Errorf("%s: content: %s names %q, which satisfies the rule: %q", via.name, tc.rule, n, detail)
					}
				}
			}
		})
	}
}

// namesAndPURLs are the name and purl of each component, as a violation
// must name them.
func namesAndPURLs(cs []fixtureComponent) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name+" "+c.Version, c.PURL)
	}
	return out
}

// nested is a JSON value nested depth arrays deep.
func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// TestSBOMBadInput: malformed, oversized and misbound SBOMs in signed
// attestations and signed files fail with a reason that says what is
// wrong (exit 1, or 3 where nothing could be checked), never pass and
// never crash.
func TestSBOMBadInput(t *testing.T) {
	signer := newKeylessSigner(t)
	dir := t.TempDir()
	artifact := writeFile(t, dir, "vmafx.whl", "the wheel the SBOMs are about")
	digest := sha256Hex(t, artifact)
	otherDigest := sha256Hex(t, writeFile(t, dir, "other.whl", "another wheel"))
	cdx := mustRead(t, unsignedSBOM(t, "guac/distroless-cyclonedx.json"))
	spdx := mustRead(t, unsignedSBOM(t, "guac/alpine-spdx.json"))
	const (
		cdxType  = "https://cyclonedx.org/bom"
		spdxType = "https://spdx.dev/Document"
		slsa     = `{"buildDefinition":{"buildType":"https://example.com/build/v1","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}`
	)
	custom := func(data string) string {
		return fmt.Sprintf(`{"Data":%s,"Timestamp":"2026-01-01T00:00:00Z"}`, strconv.Quote(data))
	}
	full := string(statement(digest, spdxType, spdx))
	tests := []struct {
		name    string
		payload string   // the signed DSSE payload
		flags   []string // extra sbom verify flags
		reasons []string // in the reason
	}{
		{name: "statement truncated inside the SBOM", payload: full[:len(full)/2], reasons: []string{"reading the SPDX document", "truncated document"}},
		{name: "SBOM truncated inside cosign's custom wrapper", payload: string(statement(digest, "https://cosign.sigstore.dev/attestation/v1", custom(cdx[:len(cdx)/2]))),
			flags: []string{"--allow-cosign-custom"}, reasons: []string{"cosign's custom predicate", "reading the CycloneDX document", "truncated document"}},
		{name: "SLSA provenance, not an SBOM", payload: string(statement(digest, "https://slsa.dev/provenance/v1", slsa)), reasons: []string{"not an SBOM", "https://slsa.dev/provenance/v1"}},
		{name: "SLSA provenance under an SBOM predicate type", payload: string(statement(digest, cdxType, slsa)), reasons: []string{"not an SBOM", "neither SPDX keys", "nor CycloneDX keys"}},
		{name: "SPDX-9.9", payload: string(statement(digest, spdxType, strings.Replace(spdx, `"SPDX-2.2"`, `"SPDX-9.9"`, 1))), reasons: []string{`unsupported spdxVersion "SPDX-9.9"`}},
		{name: "CycloneDX 9.9", payload: string(statement(digest, cdxType, strings.Replace(cdx, `"specVersion": "1.4"`, `"specVersion": "9.9"`, 1))), reasons: []string{`unsupported CycloneDX specVersion "9.9"`}},
		{name: "10,000-deep nesting", payload: string(statement(digest, cdxType, `{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"properties":`+nested(10000)+`}}`)), reasons: []string{"nested too deeply"}},
		{name: "null predicate", payload: string(statement(digest, cdxType, "null")), reasons: []string{"reading the predicate", "null"}},
		{name: "payload that is not JSON", payload: "SPDXVersion: SPDX-2.2\n", reasons: []string{"reading the in-toto statement"}},
		{name: "subject digest of another artifact", payload: string(statement(otherDigest, spdxType, spdx)), reasons: []string{"subject mismatch", "sha256:" + otherDigest, "sha256:" + digest}},
	}
	if !strings.Contains(tests[5].payload, `"9.9"`) || !strings.Contains(tests[4].payload, "SPDX-9.9") {
		t.Fatal("the fixtures changed: the version edits did not apply")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bundle := signer.attest(t, t.TempDir(), "sbom.sigstore.json", []byte(tc.payload))
			for _, subject := range []string{artifact, "sha256:" + digest} {
				args := append(append([]string{"sbom", "verify", subject, "--bundle", bundle, "-o", "json"}, signer.flags()...), tc.flags...)
				res := runCLI(t, nil, args...)
				wantBadInput(t, res, tc.reasons...)
			}
		})
	}
	// The same malformed documents as signed SBOM files.
	for _, tc := range []struct {
		name, doc string
		reasons   []string
	}{
		{"truncated SBOM", spdx[:len(spdx)/2], []string{"reading the SPDX document", "truncated document"}},
		{"SPDX-9.9", strings.Replace(spdx, `"SPDX-2.2"`, `"SPDX-9.9"`, 1), []string{`unsupported spdxVersion "SPDX-9.9"`}},
		{"10,000-deep nesting", `{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"properties":` + nested(10000) + `}}`, []string{"nested too deeply"}},
		{"SLSA provenance", slsa, []string{"not an SBOM"}},
		{"empty file", "", []string{"not an SBOM", "empty"}},
	} {
		t.Run("signed file/"+tc.name, func(t *testing.T) {
			signed := signer.signFile(t, t.TempDir(), "sbom.json", []byte(tc.doc))
			wantBadInput(t, runCLI(t, nil, append([]string{"sbom", "verify", "--sbom", signed, "-o", "json"}, signer.flags()...)...), tc.reasons...)
			// sbom show reads a plain file the same way.
			res := runCLI(t, nil, "sbom", "show", signed)
			wantNoPanic(t, res)
			if res.code != 1 || res.stdout != "" {
				t.Errorf("sbom show: exit %d, want 1 and nothing listed:\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			for _, r := range tc.reasons {
				if !strings.Contains(res.stderr, r) {
					t.Errorf("sbom show: stderr %q does not say %q", res.stderr, r)
				}
			}
		})
	}
}

// wantBadInput asserts a verification that fails (exit 1) or could not
// check (exit 3), without a crash, for the reasons given.
func wantBadInput(t *testing.T, res result, reasons ...string) {
	t.Helper()
	wantNoPanic(t, res)
	if res.code != 1 && res.code != 3 {
		t.Fatalf("exit %d, want 1 or 3\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	row := oneRow(t, res)
	if row.Status == "pass" || row.Reason == "" {
		t.Fatalf("status %s, reason %q: want a failure that says why", row.Status, row.Reason)
	}
	for _, r := range reasons {
		if !strings.Contains(row.Reason, r) {
			t.Errorf("reason %q does not say %q", row.Reason, r)
		}
	}
}

// TestSBOMMaxSize: max_size bounds the attestation bundle and the SBOM
// file read: one byte under their size fails and names the limit, their
// size passes.
func TestSBOMMaxSize(t *testing.T) {
	signer := newKeylessSigner(t)
	dir := t.TempDir()
	data := []byte(mustRead(t, unsignedSBOM(t, "guac/alpine-spdx.json")))
	signed := signer.signFile(t, dir, "alpine.spdx.json", data)
	digest := sha256Hex(t, writeFile(t, dir, "image.tar", "the image the SBOM is about"))
	bundle := signer.attest(t, dir, "alpine.intoto.sigstore.json", statement(digest, "https://spdx.dev/Document", string(data)))
	bundleSize := len(mustRead(t, bundle))
	for _, tc := range []struct {
		name, source string
		size         int
	}{
		{"attestation", fmt.Sprintf("digest = %q\n  bundle = %q", "sha256:"+digest, bundle), bundleSize},
		{"signed file", fmt.Sprintf("path = %q", signed), len(data)},
	} {
		for _, limit := range []int{tc.size - 1, tc.size} {
			t.Run(fmt.Sprintf("%s/max_size=size%+d", tc.name, limit-tc.size), func(t *testing.T) {
				policy := writeFile(t, t.TempDir(), "policy.hcl", signer.policyHead()+fmt.Sprintf("sbom \"s\" {\n  %s\n  identity = identity.sbom\n  max_size = %d\n}\n", tc.source, limit))
				res := runCLI(t, nil, "check", policy, "--offline", "--format", "json")
				if limit < tc.size {
					wantBadInput(t, res, strconv.Itoa(limit))
					return
				}
				wantSBOMOutcome(t, res, "pass", "SPDX 2.2")
			})
		}
	}
}

// bigCycloneDX writes a CycloneDX document of at least size bytes: valid
// JSON throughout, components with a long description each (fewer than the
// million-component limit), so that only its size is wrong.
func bigCycloneDX(t *testing.T, p string, size int) []byte {
	t.Helper()
	desc := strings.Repeat("generated to exceed the SBOM size limit ", 25)
	var b strings.Builder
	b.Grow(size + 4096)
	b.WriteString(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[`)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"library","name":"pkg-%d","version":"1.0.%d","purl":"pkg:generic/pkg-%d@1.0.%d","description":%q}`, i, i, i, i, desc)
	}
	b.WriteString("]}")
	data := []byte(b.String())
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSBOMOverDefaultLimit: a signed 300 MB SBOM file is refused under the
// default 256 MiB limit by sbom verify --sbom, and sbom show stops reading
// it there; both say so, neither lists anything.
func TestSBOMOverDefaultLimit(t *testing.T) {
	const size = 300 << 20
	start := time.Now()
	signer := newKeylessSigner(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "big.cdx.json")
	data := bigCycloneDX(t, p, size)
	b, err := signer.ss.SignBlob(sbomSAN, sbomIssuer, data)
	if err != nil {
		t.Fatal(err)
	}
	data = nil
	writeFile(t, dir, "big.cdx.json.sigstore.json", string(b))
	limit := strconv.Itoa(256 << 20)

	res := runCLI(t, nil, append([]string{"sbom", "verify", "--sbom", p, "-o", "json"}, signer.flags()...)...)
	wantBadInput(t, res, "more than the "+limit+" allowed")

	res = runCLI(t, nil, "sbom", "show", p)
	wantNoPanic(t, res)
	if res.code != 1 || res.stdout != "" || !strings.Contains(res.stderr, "exceeds the size limit of "+limit+" bytes") {
		t.Errorf("sbom show: exit %d, want 1 saying the limit and listing nothing\nstdout: %.300s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	t.Logf("%d MiB SBOM written, signed and refused twice in %v", size>>20, time.Since(start))
}

// showView is `sbom show -o json` of one SBOM.
type showView struct {
	Format      string `json:"format"`
	SpecVersion string `json:"spec_version"`
	Verified    *bool  `json:"verified"`
	Components  []struct {
		Name, Version, PURL, License string
	} `json:"components"`
}

// wantShown asserts sbom show's output lists exactly the components of
// the SBOM file want, as JSON or as text.
func wantShown(t *testing.T, res result, asJSON, verified bool, format string, want []fixtureComponent) {
	t.Helper()
	wantNoPanic(t, res)
	if res.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if got := strings.Contains(res.stderr, "NOT VERIFIED"); got == verified {
		t.Errorf("verified %v, but NOT VERIFIED on stderr is %v:\n%s", verified, got, res.stderr)
	}
	if got := strings.Contains(res.stderr, "Verified OK"); got != verified {
		t.Errorf("verified %v, but Verified OK on stderr is %v:\n%s", verified, got, res.stderr)
	}
	if !asJSON {
		if !strings.HasPrefix(res.stdout, fmt.Sprintf("%s, %d components\n", format, len(want))) {
			t.Errorf("text output does not start with %q:\n%.300s", fmt.Sprintf("%s, %d components", format, len(want)), res.stdout)
		}
		for _, c := range want {
			if !strings.Contains(res.stdout, c.Name) || !strings.Contains(res.stdout, c.PURL) || (c.License != "" && !strings.Contains(res.stdout, c.License)) {
				t.Errorf("text output does not list %+v", c)
			}
		}
		return
	}
	var v showView
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, res.stdout)
	}
	if v.Format+" "+v.SpecVersion != format || v.Verified == nil || *v.Verified != verified {
		t.Errorf("format %s %s, verified %v; want %s, verified %v", v.Format, v.SpecVersion, v.Verified, format, verified)
	}
	if len(v.Components) != len(want) {
		t.Fatalf("%d components, want %d", len(v.Components), len(want))
	}
	for i, c := range want {
		g := v.Components[i]
		if g.Name != c.Name || g.Version != c.Version || g.PURL != c.PURL || g.License != c.License {
			t.Errorf("component %d is %+v, want %+v", i, g, c)
		}
	}
}

// TestSBOMShow: sbom show lists the components of a verified SBOM
// attestation (real fixture) and of a verified signed SBOM file, as text
// and JSON with "verified": true; of a plain file with NOT VERIFIED on
// stderr and "verified": false; and lists nothing when verification fails.
func TestSBOMShow(t *testing.T) {
	fixtures := realfixtures.Dir(t)
	var c sbomFixtureCase
	for _, x := range loadSBOMCases(t, fixtures) {
		if x.Expected == "pass" && x.ExpectedAsSBOM == "" && strings.HasSuffix(x.Bundle, "/sbom-attestation.bundle") {
			c = x
		}
	}
	if c.ID == "" {
		t.Fatal("no passing case of sbom-attestation.bundle in sbom/cases.json")
	}
	// The fixture's SBOM file is the predicate of that attestation.
	attested := readComponents(t, filepath.Join(fixtures, "sbom", "wp732-ssc_assignment_1", "cyclonedx-sbom.json"))
	if len(attested) != c.SBOM.Components {
		t.Fatalf("cyclonedx-sbom.json lists %d components, the case %d", len(attested), c.SBOM.Components)
	}
	attestedFormat := c.SBOM.Format + " " + c.SBOM.SpecVersion
	identity := []string{"--trusted-root", filepath.Join(fixtures, c.TrustedRoot), "--certificate-identity", c.ExpectedIdentity.SAN,
		"--certificate-oidc-issuer", *c.ExpectedIdentity.Issuer, "--offline"}

	signer := newKeylessSigner(t)
	plainPath := unsignedSBOM(t, "guac/alpine-spdx.json")
	plain := readComponents(t, plainPath)
	plainFormat, _ := fixtureFormat(t, plainPath)
	signedDir := t.TempDir()
	signed := signer.signFile(t, signedDir, "alpine.spdx.json", []byte(mustRead(t, plainPath)))
	modified := signer.signFile(t, signedDir, "modified.spdx.json", []byte(mustRead(t, plainPath)))
	flipFileByte(t, modified)

	for _, output := range []string{"text", "json"} {
		asJSON := output == "json"
		o := []string{"-o", output}
		t.Run(output+"/attestation", func(t *testing.T) {
			args := append(append([]string{"sbom", "show", c.ArtifactDigest, "--bundle", filepath.Join(fixtures, c.Bundle)}, identity...), o...)
			wantShown(t, runCLI(t, nil, args...), asJSON, true, attestedFormat, attested)
		})
		t.Run(output+"/signed file", func(t *testing.T) {
			args := append(append([]string{"sbom", "show", "--sbom", signed}, signer.flags()...), o...)
			wantShown(t, runCLI(t, nil, args...), asJSON, true, plainFormat, plain)
		})
		t.Run(output+"/signed file, --bundle", func(t *testing.T) {
			args := append(append([]string{"sbom", "show", "--sbom", signed, "--bundle", signed + ".sigstore.json"}, signer.flags()...), o...)
			wantShown(t, runCLI(t, nil, args...), asJSON, true, plainFormat, plain)
		})
		t.Run(output+"/plain file", func(t *testing.T) {
			wantShown(t, runCLI(t, nil, append([]string{"sbom", "show", plainPath}, o...)...), asJSON, false, plainFormat, plain)
		})
		for _, bad := range []struct {
			name string
			args []string
		}{
			{"attestation of another digest", append([]string{"sbom", "show", "sha256:" + strings.Repeat("ab", 32), "--bundle", filepath.Join(fixtures, c.Bundle)}, identity...)},
			{"attestation by another signer than required", []string{"sbom", "show", c.ArtifactDigest, "--bundle", filepath.Join(fixtures, c.Bundle),
				"--trusted-root", filepath.Join(fixtures, c.TrustedRoot), "--certificate-identity", "release@example.com",
				"--certificate-oidc-issuer", *c.ExpectedIdentity.Issuer, "--offline"}},
			{"signed file modified", append([]string{"sbom", "show", "--sbom", modified}, signer.flags()...)},
		} {
			t.Run(output+"/"+bad.name, func(t *testing.T) {
				res := runCLI(t, nil, append(bad.args, o...)...)
				wantNoPanic(t, res)
				if res.code != 1 || res.stdout != "" || strings.Contains(res.stderr, "Verified OK") || !strings.Contains(res.stderr, "FAIL") {
					t.Errorf("exit %d, want 1 with the failure on stderr and nothing listed\nstdout:\n%.300s\nstderr:\n%s", res.code, res.stdout, res.stderr)
				}
			})
		}
	}
}
