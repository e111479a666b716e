package pypi

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"vmaf-mcp": "vmaf-mcp", "VMAF_MCP": "vmaf-mcp", "vmaf.mcp": "vmaf-mcp", "vmaf__-.mcp": "vmaf-mcp", "Sigstore": "sigstore",
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVersionEquality(t *testing.T) {
	equal := [][2]string{
		{"1.0", "1.0.0"}, {"v1.4.0", "1.4"}, {"1.0a1", "1.0.alpha.1"}, {"1.0-rc1", "1.0c1"}, {"1.0.post1", "1.0-1"},
		{"1.0.dev0", "1.0dev"}, {"0.0.4a2", "0.0.4a2"}, {"1!2.0", "1!2.0.0"}, {"1.0+local.7", "1.0+local-7"}, {"01.02", "1.2"},
	}
	for _, p := range equal {
		if !sameVersion(p[0], p[1]) {
			t.Errorf("%s and %s must be equal under PEP 440", p[0], p[1])
		}
	}
	different := [][2]string{{"1.0", "1.0.1"}, {"1.0a1", "1.0b1"}, {"1.0", "1.0.post0"}, {"1.0", "1!1.0"}, {"1.0+a", "1.0"}}
	for _, p := range different {
		if sameVersion(p[0], p[1]) {
			t.Errorf("%s and %s must differ", p[0], p[1])
		}
	}
	if _, err := versionKey("not a version"); err == nil {
		t.Error("an invalid version parsed")
	}
}

func TestDistFileNames(t *testing.T) {
	same := [][2]string{
		// Compressed tag sets, in any order (pypi-attestations compares parsed names).
		{"spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"},
		{"vmaf_mcp-1.4.0-py3-none-any.whl", "vmaf.mcp-1.4-py3-none-any.whl"},
		{"vmaf_mcp-1.4.0-py2.py3-none-any.whl", "vmaf_mcp-1.4.0-py3.py2-none-any.whl"},
		{"vmaf_mcp-1.4.0.tar.gz", "vmaf-mcp-1.4.0.tar.gz"},
		{"Vmaf_MCP-1.4.0.tar.gz", "vmaf_mcp-1.4.tar.gz"},
		{"pkg-1.0-1a-py3-none-any.whl", "pkg-1.0-01a-py3-none-any.whl"},
	}
	for _, p := range same {
		a, err := parseDistFile(p[0])
		if err != nil {
			t.Fatalf("%s: %v", p[0], err)
		}
		b, err := parseDistFile(p[1])
		if err != nil {
			t.Fatalf("%s: %v", p[1], err)
		}
		if !a.equal(b) {
			t.Errorf("%s and %s name the same distribution", p[0], p[1])
		}
	}
	different := [][2]string{
		{"vmaf_mcp-1.4.0-py3-none-any.whl", "vmaf_mcp-1.4.0.tar.gz"},
		{"vmaf_mcp-1.4.0-py3-none-any.whl", "vmaf_mcp-1.4.1-py3-none-any.whl"},
		{"vmaf_mcp-1.4.0-py3-none-any.whl", "vmaf_mcp-1.4.0-cp312-cp312-win_amd64.whl"},
		{"vmaf_mcp-1.4.0-py3-none-any.whl", "other-1.4.0-py3-none-any.whl"},
		{"vmaf_mcp-1.4.0.tar.gz", "vmaf_mcp-1.4.0.zip"},
		{"pkg-1.0-1-py3-none-any.whl", "pkg-1.0-py3-none-any.whl"},
	}
	for _, p := range different {
		a, _ := parseDistFile(p[0])
		b, _ := parseDistFile(p[1])
		if a.equal(b) {
			t.Errorf("%s and %s name different distributions", p[0], p[1])
		}
	}
	for _, bad := range []string{"pkg.egg", "pkg-1.0.tar.bz2", "pkg-py3-none-any.whl", "pkg__x-1.0-py3-none-any.whl", "pkg-1.0-x-py3-none-any.whl", "-1.0.tar.gz", "pkg-notaversion.tar.gz", "pkg-1.0-py3..x-none-any.whl"} {
		if _, err := parseDistFile(bad); err == nil {
			t.Errorf("%s parsed as a distribution", bad)
		}
	}
}

func TestInRelease(t *testing.T) {
	for _, tc := range []struct {
		file string
		want bool
	}{
		{"vmaf_mcp-1.4.0-py3-none-any.whl", true},
		{"vmaf_mcp-1.4.0.tar.gz", true},
		{"vmaf_mcp-1.4-py3-none-any.whl", true},
		{"vmaf_mcp-1.4.0.1.tar.gz", false},
		{"vmaf_mcp-1.4.1.tar.gz", false},
		{"vmaf_mcp_extra-1.4.0.tar.gz", false},
		{"vmaf_mcp-1.4.0.win32.exe", true}, // legacy: listed, then fails as unattestable
		{"vmaf_mcp-1.4.0.1.win32.exe", false},
	} {
		if got := inRelease(tc.file, "vmaf-mcp", "1.4.0"); got != tc.want {
			t.Errorf("inRelease(%s) = %v", tc.file, got)
		}
	}
}

func TestNewIndex(t *testing.T) {
	for in, want := range map[string][2]string{
		"":                             {"https://pypi.org/simple/", "https://pypi.org/integrity/a/1/f/provenance"},
		"https://pypi.org/":            {"https://pypi.org/simple/", "https://pypi.org/integrity/a/1/f/provenance"},
		"https://test.pypi.org/simple": {"https://test.pypi.org/simple/", "https://test.pypi.org/integrity/a/1/f/provenance"},
		"http://127.0.0.1:8080/mirror": {"http://127.0.0.1:8080/mirror/simple/", "http://127.0.0.1:8080/mirror/integrity/a/1/f/provenance"},
	} {
		ix, err := newIndex(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if ix.simpleRoot != want[0] || ix.integrityURL("A", "1", "f") != want[1] {
			t.Errorf("%q: %s, %s", in, ix.simpleRoot, ix.integrityURL("A", "1", "f"))
		}
	}
	for _, bad := range []string{"ftp://x", "pypi.org", "https://u:p@pypi.org", "https://pypi.org/?x=1"} {
		if _, err := newIndex(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseListing(t *testing.T) {
	page := `{"meta":{"api-version":"1.1"},"name":"vmaf-mcp","files":[
	 {"filename":"vmaf_mcp-1.4.0.tar.gz","url":"../../packages/a/vmaf_mcp-1.4.0.tar.gz#sha256=x","hashes":{"sha256":"` + strings.Repeat("A", 64) + `"},"provenance":"https://idx/integrity/vmaf-mcp/1.4.0/vmaf_mcp-1.4.0.tar.gz/provenance","yanked":false},
	 {"filename":"vmaf_mcp-1.4.0-py3-none-any.whl","url":"https://files/w.whl","hashes":{},"provenance":null,"yanked":"bad build"},
	 {"filename":"vmaf_mcp-1.3.0.tar.gz","url":"https://files/old.tar.gz","hashes":{"sha256":"` + strings.Repeat("b", 64) + `"}}]}`
	files, err := parseListing([]byte(page), "https://idx/simple/vmaf-mcp/", "vmaf-mcp", "1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("%d files", len(files))
	}
	if f := files[0]; f.url != "https://idx/packages/a/vmaf_mcp-1.4.0.tar.gz" || f.sha256 != strings.Repeat("a", 64) || f.provenance == "" || f.yanked {
		t.Errorf("%+v", f)
	}
	if f := files[1]; f.sha256 != "" || f.provenance != "" || !f.yanked {
		t.Errorf("%+v", f)
	}
	for name, bad := range map[string]string{
		"api version 2": `{"meta":{"api-version":"2.0"},"files":[]}`,
		"HTML":          `<html><body>hi</body></html>`,
		"bad hash":      `{"meta":{"api-version":"1.0"},"files":[{"filename":"vmaf_mcp-1.4.0.tar.gz","url":"x","hashes":{"sha256":"zz"}}]}`,
		"path name":     `{"meta":{"api-version":"1.0"},"files":[{"filename":"../vmaf_mcp-1.4.0.tar.gz","url":"x"}]}`,
		"twice":         `{"meta":{"api-version":"1.0"},"files":[{"filename":"vmaf_mcp-1.4.0.tar.gz","url":"x"},{"filename":"vmaf_mcp-1.4.0.tar.gz","url":"y"}]}`,
		"other project": `{"meta":{"api-version":"1.0"},"name":"other","files":[]}`,
		"file URL":      `{"meta":{"api-version":"1.0"},"files":[{"filename":"vmaf_mcp-1.4.0.tar.gz","url":"file:///etc/passwd"}]}`,
	} {
		if _, err := parseListing([]byte(bad), "https://idx/simple/vmaf-mcp/", "vmaf-mcp", "1.4.0"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func fixture(t *testing.T, rel string) []byte {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "fixtures", "real", rel)
	b, err := os.ReadFile(p)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("fixture %s: %v", rel, err)
	}
	return b
}

// TestConversionMatchesActionsBundle: the PEP 740 attestation and the Sigstore
// bundle actions/attest produced for pypi_attestation_models 0.0.4a2 are the
// same signature; converting one into the other gives the same material.
func TestConversionMatchesActionsBundle(t *testing.T) {
	att := fixture(t, "pypi/pypi_attestation_models-0.0.4a2.tar.gz.attestation")
	want := fixture(t, "pypi/pypi_attestation_models-0.0.4a2.tar.gz.sigstore")
	got, err := BundleFromAttestation(att)
	if err != nil {
		t.Fatal(err)
	}
	var g, w protobundle.Bundle
	if err := protojson.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g.GetVerificationMaterial().GetCertificate().GetRawBytes(), w.GetVerificationMaterial().GetCertificate().GetRawBytes()) {
		t.Error("certificates differ")
	}
	if !proto.Equal(g.GetDsseEnvelope(), w.GetDsseEnvelope()) {
		t.Error("DSSE envelopes differ")
	}
	if !proto.Equal(g.GetVerificationMaterial().GetTlogEntries()[0], w.GetVerificationMaterial().GetTlogEntries()[0]) {
		t.Error("transparency log entries differ")
	}
	// And back: the attestation round-trips.
	back, err := AttestationFromBundle(got)
	if err != nil {
		t.Fatal(err)
	}
	var a1, a2 Attestation
	json.Unmarshal(att, &a1)
	json.Unmarshal(back, &a2)
	if a1.VerificationMaterial.Certificate != a2.VerificationMaterial.Certificate || a1.Envelope != a2.Envelope {
		t.Error("attestation does not round-trip")
	}
}

func TestCheckStatement(t *testing.T) {
	name := "vmaf_mcp-1.4.0-py3-none-any.whl"
	sha := strings.Repeat("ab", 32)
	st := func(subjects, predicate string) []byte {
		return []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[` + subjects + `],"predicateType":"` + predicate + `","predicate":null}`)
	}
	one := `{"name":"` + name + `","digest":{"sha256":"` + sha + `"}}`
	if p, err := checkStatement(st(one, PublishPredicate), name, sha); err != nil || p != PublishPredicate {
		t.Fatalf("%s, %v", p, err)
	}
	if _, err := checkStatement(st(one, SLSAProvenancePredicate), name, sha); err != nil {
		t.Fatal(err)
	}
	for label, tc := range map[string]struct {
		payload []byte
		want    string
	}{
		"two subjects":      {st(one+","+one, PublishPredicate), "2 subjects"},
		"no subject":        {st("", PublishPredicate), "0 subjects"},
		"other file":        {st(strings.Replace(one, "1.4.0", "1.4.1", 1), PublishPredicate), "subject name: expected " + name},
		"other digest":      {st(strings.Replace(one, sha, strings.Repeat("cd", 32), 1), PublishPredicate), "subject digest: expected sha256:" + sha},
		"sha512 only":       {st(`{"name":"`+name+`","digest":{"sha512":"`+sha+`"}}`, PublishPredicate), "no sha256"},
		"unknown predicate": {st(one, "https://slsa.dev/provenance/v0.2"), "predicate type"},
		"statement v0.1":    {bytes.Replace(st(one, PublishPredicate), []byte("Statement/v1"), []byte("Statement/v0.1"), 1), "_type"},
		"not JSON":          {[]byte("{"), "not an in-toto statement"},
		"subject not dist":  {st(`{"name":"README.md","digest":{"sha256":"`+sha+`"}}`, PublishPredicate), "neither a wheel"},
	} {
		if _, err := checkStatement(tc.payload, name, sha); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", label, err, tc.want)
		}
	}
}
