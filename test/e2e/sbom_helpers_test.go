package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
	"github.com/vmafx/vmafx-trust/internal/testsigstore"
)

// sbomFixtureCase is a case of fixtures/real/sbom/cases.json.
type sbomFixtureCase struct {
	fixtureCase
	PredicateType string `json:"predicate_type"`
	// ExpectedAsSBOM is the outcome as an SBOM when it differs from
	// Expected (the signature's outcome): cosign's custom wrapper.
	ExpectedAsSBOM string `json:"expected_as_sbom"`
	SBOM           *struct {
		Format      string `json:"format"`
		SpecVersion string `json:"spec_version"`
		Components  int    `json:"components"`
		Wrapped     string `json:"wrapped"`
	} `json:"sbom"`
}

// asSBOM is the case's outcome through the sbom kind, with or without
// cosign's custom wrapper accepted.
func (c sbomFixtureCase) asSBOM(allowCustom bool) string {
	if c.ExpectedAsSBOM != "" && !allowCustom {
		return c.ExpectedAsSBOM
	}
	return c.Expected
}

func loadSBOMCases(t *testing.T, fixtures string) []sbomFixtureCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, "sbom", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []sbomFixtureCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 6 {
		t.Fatalf("%d SBOM cases: the fixture set is incomplete", len(cases))
	}
	return cases
}

// unsignedSBOM is the path of a real unsigned SBOM of fixtures/real/sbom/unsigned.
func unsignedSBOM(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(realfixtures.Dir(t), "sbom", "unsigned", name)
}

// sbomRow is the one result of a JSON report, with its checks.
type sbomRow struct {
	Status, Reason, Signer string
	Checks                 []struct {
		Name   string
		OK     bool
		Detail string
	}
	Evidence []struct {
		SubjectDigest string `json:"subject_digest"`
		Verified      bool
		PredicateType string `json:"predicate_type"`
	}
}

// oneRow parses a report of one artifact.
func oneRow(t *testing.T, res result) sbomRow {
	t.Helper()
	var rep struct{ Results []sbomRow }
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("report is not JSON (exit %d): %v\nstdout:\n%s\nstderr:\n%s", res.code, err, res.stdout, res.stderr)
	}
	if len(rep.Results) != 1 {
		t.Fatalf("want one result, got %d:\n%s", len(rep.Results), res.stdout)
	}
	return rep.Results[0]
}

// check returns the named check's detail and whether it is there.
func (r sbomRow) check(name string) (detail string, ok, found bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c.Detail, c.OK, true
		}
	}
	return "", false, false
}

// wantSBOMOutcome asserts the exit code and JSON report of one SBOM
// verification: a pass whose format check contains format, or a fail
// whose reason contains every one of reasons.
func wantSBOMOutcome(t *testing.T, res result, want, format string, reasons ...string) sbomRow {
	t.Helper()
	wantNoPanic(t, res)
	code := map[string]int{"pass": 0, "fail": 1}[want]
	if res.code != code {
		t.Fatalf("exit %d, want %d (%s)\nstdout:\n%s\nstderr:\n%s", res.code, code, want, res.stdout, res.stderr)
	}
	row := oneRow(t, res)
	if row.Status != want {
		t.Fatalf("status %s, want %s: %s", row.Status, want, row.Reason)
	}
	if want == "pass" {
		if detail, ok, _ := row.check("format"); !ok || !strings.Contains(detail, format) {
			t.Errorf("format check %q (ok %v), want it to name %q", detail, ok, format)
		}
		if len(row.Evidence) == 0 {
			t.Errorf("passed without evidence")
		}
		for _, ev := range row.Evidence {
			if !ev.Verified {
				t.Errorf("passed on evidence the host did not verify: %+v", ev)
			}
		}
		return row
	}
	if row.Reason == "" {
		t.Errorf("failed without a reason")
	}
	for _, r := range reasons {
		if !strings.Contains(row.Reason, r) {
			t.Errorf("reason %q does not contain %q", row.Reason, r)
		}
	}
	return row
}

// wantNoPanic fails when the binary crashed.
func wantNoPanic(t *testing.T, res result) {
	t.Helper()
	if strings.Contains(res.stderr, "panic") || strings.Contains(res.stderr, "goroutine ") {
		t.Fatalf("vmafx-trust panicked (exit %d):\n%s", res.code, res.stderr)
	}
}

// keylessSigner is an in-process Sigstore and its trusted root on disk,
// for SBOMs and attestations the tests make up.
type keylessSigner struct {
	ss   *testsigstore.Sigstore
	root string
}

const (
	sbomSAN    = "sbom@example.com"
	sbomIssuer = "https://accounts.example.com"
)

func newKeylessSigner(t *testing.T) *keylessSigner {
	t.Helper()
	ss, err := testsigstore.New()
	if err != nil {
		t.Fatal(err)
	}
	root, err := ss.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	return &keylessSigner{ss: ss, root: writeFile(t, t.TempDir(), "trusted_root.json", string(root))}
}

// flags are the command-line flags that accept the signer.
func (k *keylessSigner) flags() []string {
	return []string{"--trusted-root", k.root, "--certificate-identity", sbomSAN, "--certificate-oidc-issuer", sbomIssuer, "--offline"}
}

// policyHead declares the signer's trust root and identity as
// trust_root.local and identity.sbom.
func (k *keylessSigner) policyHead() string {
	return fmt.Sprintf("trust_root \"local\" {\n  trusted_root = %q\n}\nidentity \"sbom\" {\n  subject = %q\n  issuer = %q\n}\n", k.root, sbomSAN, sbomIssuer)
}

// signFile writes a copy of data to dir/name and its sign-blob bundle to
// dir/name.sigstore.json, and returns the copy's path.
func (k *keylessSigner) signFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := writeFile(t, dir, name, string(data))
	b, err := k.ss.SignBlob(sbomSAN, sbomIssuer, data)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, name+".sigstore.json", string(b))
	return p
}

// attest signs payload (an in-toto statement, well formed or not) as a
// DSSE attestation and writes its bundle to dir/name.
func (k *keylessSigner) attest(t *testing.T, dir, name string, payload []byte) string {
	t.Helper()
	b, err := k.ss.Attest(sbomSAN, sbomIssuer, payload)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, string(b))
}

// statement is an in-toto v1 statement about digest (sha256 hex) whose
// predicate is the raw JSON given, which may be malformed.
func statement(digest, predicateType, predicate string) []byte {
	return []byte(fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"artifact","digest":{"sha256":%q}}],"predicateType":%q,"predicate":%s}`, digest, predicateType, predicate))
}

// fixtureComponent is a component of a real SBOM as the tests read it,
// independently of the verifier.
type fixtureComponent struct {
	Name, Version, PURL, License string
}

// readComponents lists the components of an SPDX or CycloneDX JSON file.
func readComponents(t *testing.T, p string) []fixtureComponent {
	t.Helper()
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct {
			Name             string `json:"name"`
			VersionInfo      string `json:"versionInfo"`
			LicenseConcluded string `json:"licenseConcluded"`
			LicenseDeclared  string `json:"licenseDeclared"`
			ExternalRefs     []struct {
				ReferenceType    string `json:"referenceType"`
				ReferenceLocator string `json:"referenceLocator"`
			} `json:"externalRefs"`
		} `json:"packages"`
		Components []struct {
			Name     string `json:"name"`
			Version  string `json:"version"`
			PURL     string `json:"purl"`
			Licenses []struct {
				Expression string `json:"expression"`
				License    struct {
					ID, Name string
				} `json:"license"`
			} `json:"licenses"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(mustRead(t, p)), &doc); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	var out []fixtureComponent
	for _, p := range doc.Packages {
		c := fixtureComponent{Name: p.Name, Version: p.VersionInfo, License: p.LicenseConcluded}
		if c.License == "" || c.License == "NOASSERTION" || c.License == "NONE" {
			c.License = p.LicenseDeclared
		}
		if c.License == "NOASSERTION" || c.License == "NONE" {
			c.License = ""
		}
		for _, r := range p.ExternalRefs {
			if r.ReferenceType == "purl" {
				c.PURL = r.ReferenceLocator
			}
		}
		out = append(out, c)
	}
	for _, x := range doc.Components {
		c := fixtureComponent{Name: x.Name, Version: x.Version, PURL: x.PURL}
		var lics []string
		for _, l := range x.Licenses {
			switch {
			case l.Expression != "":
				lics = append(lics, l.Expression)
			case l.License.ID != "":
				lics = append(lics, l.License.ID)
			case l.License.Name != "":
				lics = append(lics, l.License.Name)
			}
		}
		c.License = strings.Join(lics, " AND ")
		out = append(out, c)
	}
	return out
}

// component is the named component of cs; the test fails when it is not
// there.
func component(t *testing.T, cs []fixtureComponent, name string) fixtureComponent {
	t.Helper()
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no component %q in the fixture", name)
	return fixtureComponent{}
}

// componentsWhere returns the components for which keep is true.
func componentsWhere(cs []fixtureComponent, keep func(fixtureComponent) bool) []fixtureComponent {
	var out []fixtureComponent
	for _, c := range cs {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// fixtureFormat is an SBOM file's format and version ("CycloneDX 1.4",
// "SPDX 2.2") and syntax ("JSON", "tag-value"), as the file says.
func fixtureFormat(t *testing.T, p string) (format, syntax string) {
	t.Helper()
	data := mustRead(t, p)
	if v, ok := tagValue(data, "SPDXVersion"); ok {
		return "SPDX " + strings.TrimPrefix(v, "SPDX-"), "tag-value"
	}
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
	}
	if err := json.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	if doc.SPDXVersion != "" {
		return "SPDX " + strings.TrimPrefix(doc.SPDXVersion, "SPDX-"), "JSON"
	}
	if doc.BOMFormat == "" {
		t.Fatalf("%s is neither SPDX nor CycloneDX", p)
	}
	return doc.BOMFormat + " " + doc.SpecVersion, "JSON"
}

// tagValue is the first value of an SPDX tag-value tag.
func tagValue(data, tag string) (string, bool) {
	for _, line := range strings.Split(data, "\n") {
		if v, ok := strings.CutPrefix(line, tag+":"); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// describedDigest is the sha256 digest an SBOM's described root names (a
// CycloneDX metadata.component whose version is a digest, as syft writes
// for images; the SHA256 checksum of the package an SPDX tag-value
// document DESCRIBES), "" when it names none.
func describedDigest(t *testing.T, p string) string {
	t.Helper()
	data := mustRead(t, p)
	if _, ok := tagValue(data, "SPDXVersion"); ok {
		root := ""
		for _, line := range strings.Split(data, "\n") {
			f := strings.Fields(strings.TrimPrefix(line, "Relationship:"))
			if len(f) == 4 && f[0] == "Relationship" {
				f = f[1:]
			}
			if len(f) == 3 && f[0] == "SPDXRef-DOCUMENT" && f[1] == "DESCRIBES" {
				root = f[2]
				break
			}
		}
		inRoot := false
		for _, line := range strings.Split(data, "\n") {
			if v, ok := strings.CutPrefix(line, "SPDXID:"); ok {
				inRoot = strings.TrimSpace(v) == root
			}
			if v, ok := strings.CutPrefix(line, "PackageChecksum: SHA256:"); ok && inRoot {
				return "sha256:" + strings.ToLower(strings.TrimSpace(v))
			}
		}
		return ""
	}
	var doc struct {
		Metadata struct {
			Component struct {
				Version string `json:"version"`
			} `json:"component"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	if v := doc.Metadata.Component.Version; strings.HasPrefix(v, "sha256:") {
		return v
	}
	return ""
}
