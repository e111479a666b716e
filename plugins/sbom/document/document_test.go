package document

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"

	"github.com/vmafx/vmafx-trust/internal/sbomgen"
	"github.com/vmafx/vmafx-trust/plugins/sbom/internal/jsonstream"
)

func equalComponents(a, b []Component) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if len(x.OtherPURLs) == 0 {
			x.OtherPURLs = nil
		}
		if len(y.OtherPURLs) == 0 {
			y.OtherPURLs = nil
		}
		if len(x.Hashes) == 0 {
			x.Hashes = nil
		}
		if len(y.Hashes) == 0 {
			y.Hashes = nil
		}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// libraryComponents is the reference reading: the whole document decoded by
// cyclonedx-go or tools-golang, each component reduced to the model.
func libraryComponents(t testing.TB, data []byte, f Format) ([]Component, error) {
	switch f {
	case CycloneDX:
		var bom cdx.BOM
		if err := json.Unmarshal(data, &bom); err != nil {
			return nil, err
		}
		var out []Component
		var walk func([]cdx.Component)
		walk = func(cs []cdx.Component) {
			for i := range cs {
				if cs[i].Components != nil {
					walk(*cs[i].Components)
				}
				out = append(out, fromCDXComponent(&cs[i]))
			}
		}
		if bom.Components != nil {
			walk(*bom.Components)
		}
		return out, nil
	case SPDX:
		doc, err := spdxjson.Read(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		var out []Component
		for _, p := range doc.Packages {
			out = append(out, fromSPDXPackage(p))
		}
		return out, nil
	}
	return nil, fmt.Errorf("format %q", f)
}

func TestStreamingAgreesWithTheLibraries(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"cyclonedx", sbomgen.CycloneDX(300)},
		{"spdx", sbomgen.SPDX(300)},
		{"cyclonedx nested, names, authors, escapes", []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
			{"bom-ref":"a","name":"p\u00e9\"q","version":"1","authors":[{"name":"A"},{"email":"b@x"}],"manufacturer":{"name":"M"},
			 "licenses":[{"license":{"name":"Apache License 2.0"}},{"license":{"id":"MIT"}},{"expression":"ISC OR 0BSD"}],
			 "hashes":[{"alg":"SHA-512","content":"ABCDEF"},{"alg":"SHA-256","content":""}],
			 "components":[{"bom-ref":"b","name":"inner","publisher":"P","author":"old","licenses":[{"license":{"name":"MIT"}}]}]},
			{"bom-ref":"c","name":"nolicence","supplier":{"name":"S","url":["u"]},"licenses":[{"license":{}}]}]}`)},
		{"spdx several purls and checksums", []byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[
			{"SPDXID":"SPDXRef-p","name":"p","versionInfo":"1","supplier":"Person: Jo","originator":"Organization: O",
			 "licenseConcluded":"NOASSERTION","licenseDeclared":"MIT AND (ISC OR 0BSD)",
			 "checksums":[{"algorithm":"SHA1","checksumValue":"AA"},{"algorithm":"BLAKE2b-256","checksumValue":"bb"}],
			 "externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/p@1"},
			   {"referenceCategory":"SECURITY","referenceType":"cpe23Type","referenceLocator":"cpe:2.3:a"},
			   {"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:github/o/p@v1"}]},
			{"SPDXID":"SPDXRef-q","name":"q","supplier":"NOASSERTION","licenseConcluded":"NONE"}]}`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, err := ReadBytes(context.Background(), c.data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want, err := libraryComponents(t, c.data, doc.Format)
			if err != nil {
				t.Fatal(err)
			}
			if !equalComponents(doc.Components, want) {
				for i := range want {
					if i < len(doc.Components) && !equalComponents(doc.Components[i:i+1], want[i:i+1]) {
						t.Fatalf("component %d:\n got %+v\nwant %+v", i, doc.Components[i], want[i])
					}
				}
				t.Fatalf("%d components, want %d", len(doc.Components), len(want))
			}
		})
	}
}

func TestModelDetails(t *testing.T) {
	doc, err := ReadBytes(context.Background(), []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
		{"name":"x","licenses":[{"license":{"name":"Apache License 2.0"}},{"license":{"name":"MIT"}},{"expression":"ISC OR 0BSD"}],
		 "hashes":[{"alg":"SHA-256","content":"ABCD"}],"authors":[{"name":"A"},{"email":"b@x"}],"manufacturer":{"name":"M"}}]}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := doc.Components[0]
	if c.License != "LicenseRef-Apache-License-2.0 AND MIT AND (ISC OR 0BSD)" {
		t.Errorf("licence %q", c.License)
	}
	if c.Author != "A, b@x" || c.Supplier != "M" || len(c.Hashes) != 1 || c.Hashes[0].String() != "sha256:abcd" {
		t.Errorf("component %+v", c)
	}
	doc, err = ReadBytes(context.Background(), []byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","documentDescribes":["SPDXRef-img"],
		"packages":[{"SPDXID":"SPDXRef-img","name":"app","versionInfo":"sha256:`+strings.Repeat("A", 64)+`",
		 "licenseConcluded":"NOASSERTION","licenseDeclared":"Apache-2.0",
		 "externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:oci/app@sha256%3A`+strings.Repeat("b", 64)+`?arch=amd64"}]}],
		"relationships":[{"spdxElementId":"SPDXRef-img","relationshipType":"DEPENDS_ON","relatedSpdxElement":"SPDXRef-x"}]}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Roots) != 1 || len(doc.Roots[0].Digests) != 2 || doc.Roots[0].Digests[0].Value != strings.Repeat("b", 64) || doc.Roots[0].Digests[1].Value != strings.Repeat("a", 64) {
		t.Errorf("roots %+v", doc.Roots)
	}
	if doc.Components[0].License != "Apache-2.0" || !doc.HasDependencies {
		t.Errorf("licence %q (declared when concluded is NOASSERTION), dependencies %v", doc.Components[0].License, doc.HasDependencies)
	}
}

func TestSPDXRootsWhenStreamed(t *testing.T) {
	data := sbomgen.SPDX(50)
	var n int
	doc, err := ReadBytes(context.Background(), data, Options{OnComponent: func(*Component) error { n++; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if n != 51 || len(doc.Roots) != 1 || doc.Roots[0].Name != "registry.example/app" || len(doc.Roots[0].Digests) != 1 {
		t.Fatalf("%d components, roots %+v", n, doc.Roots)
	}
	stop := errors.New("stop")
	_, err = ReadBytes(context.Background(), data, Options{OnComponent: func(*Component) error { return stop }})
	if !errors.Is(err, stop) {
		t.Fatalf("OnComponent's error: %v", err)
	}
}

func TestPredicates(t *testing.T) {
	spdx22 := `{"spdxVersion":"SPDX-2.2","SPDXID":"SPDXRef-DOCUMENT","packages":[{"SPDXID":"SPDXRef-a","name":"a"}]}`
	spdx23 := strings.Replace(spdx22, "2.2", "2.3", 1)
	cdx16 := `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"a"}]}`
	tagValue := "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: d\nDocumentNamespace: https://x\nCreator: Tool: t\nCreated: 2024-01-01T00:00:00Z\n\nPackageName: a\nSPDXID: SPDXRef-a\nPackageDownloadLocation: NOASSERTION\nPackageLicenseConcluded: MIT\n"
	str := func(s string) string { return strconv.Quote(s) }
	custom := func(s string) string { return `{"Data":` + str(s) + `,"Timestamp":"2024-01-01T00:00:00Z"}` }
	cases := []struct {
		name, typ, predicate string
		opts                 Options
		format               Format
		spec                 string
		syntax               Syntax
		err                  string
	}{
		{"spdx object", PredicateSPDX, spdx22, Options{}, SPDX, "2.2", JSON, ""},
		{"spdx v2.3 type", PredicateSPDX + "/v2.3", spdx23, Options{}, SPDX, "2.3", JSON, ""},
		{"spdx v2.2 type", PredicateSPDX + "/v2.2", spdx22, Options{}, SPDX, "2.2", JSON, ""},
		{"spdx type version mismatch", PredicateSPDX + "/v2.3", spdx22, Options{}, "", "", "", "promises SPDX 2.3, but the document declares 2.2"},
		{"spdx tag-value as a string", PredicateSPDX, str(tagValue), Options{}, SPDX, "2.3", TagValue, ""},
		{"spdx JSON as a string", PredicateSPDX, str(spdx23), Options{}, SPDX, "2.3", JSON, ""},
		{"cyclonedx", PredicateCycloneDX, cdx16, Options{}, CycloneDX, "1.6", JSON, ""},
		{"cyclonedx v1.6 type", PredicateCycloneDX + "/v1.6", cdx16, Options{}, CycloneDX, "1.6", JSON, ""},
		{"cyclonedx legacy type", PredicateCycloneDXLegacy, cdx16, Options{}, CycloneDX, "1.6", JSON, ""},
		{"cyclonedx type version mismatch", PredicateCycloneDX + "/v1.5", cdx16, Options{}, "", "", "", "promises CycloneDX 1.5"},
		{"format mismatch", PredicateSPDX, cdx16, Options{}, "", "", "", "promises SPDX, but the predicate is a CycloneDX document"},
		{"custom refused", PredicateCosignCustom, custom(cdx16), Options{}, "", "", "", "AllowCosignCustom"},
		{"custom accepted", PredicateCosignCustom, custom(cdx16), Options{AllowCosignCustom: true}, CycloneDX, "1.6", JSON, ""},
		{"custom tag-value", PredicateCosignCustom, custom(tagValue), Options{AllowCosignCustom: true}, SPDX, "2.3", TagValue, ""},
		{"custom without Data", PredicateCosignCustom, `{"Timestamp":"x"}`, Options{AllowCosignCustom: true}, "", "", "", "no Data"},
		{"custom Data not a string", PredicateCosignCustom, `{"Data":{}}`, Options{AllowCosignCustom: true}, "", "", "", "Data is an object"},
		{"not an SBOM type", "https://slsa.dev/provenance/v1", cdx16, Options{}, "", "", "", "not an SBOM predicate type"},
		{"SPDX 3 type", "https://spdx.dev/Document/v3.0", cdx16, Options{}, "", "", "", "unsupported: SPDX 3.0"},
		{"neither format", PredicateSPDX, `{"builder":{"id":"x"},"buildType":"y"}`, Options{}, "", "", "", "neither SPDX keys"},
		{"a number", PredicateSPDX, `42`, Options{}, "", "", "", "it is a number"},
		{"truncated", PredicateCycloneDX, cdx16[:40], Options{}, "", "", "", "truncated"},
		{"trailing data", PredicateCycloneDX, cdx16 + "{}", Options{}, "", "", "", "after its value"},
		{"a string that is no SBOM", PredicateSPDX, str("hello world"), Options{}, "", "", "", "not an SBOM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := ReadPredicateBytes(context.Background(), c.typ, []byte(c.predicate), c.opts)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if doc.Format != c.format || doc.SpecVersion != c.spec || doc.Syntax != c.syntax || doc.PredicateType != c.typ || doc.ComponentCount != 1 {
				t.Errorf("got %s %s %s (type %q, %d components)", doc.Format, doc.SpecVersion, doc.Syntax, doc.PredicateType, doc.ComponentCount)
			}
			if IsSBOMPredicateType(c.typ) != true {
				t.Errorf("IsSBOMPredicateType(%q) = false", c.typ)
			}
		})
	}
}

func TestStatementWithPredicateFirst(t *testing.T) {
	stmt := `{"predicate":{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"name":"a"},{"name":"b"}]},
		"subject":[{"name":"f","digest":{"SHA256":"ABCD"}}],"predicateType":"https://cyclonedx.org/bom/v1.4","_type":"https://in-toto.io/Statement/v1"}`
	st, doc, err := ReadStatement(context.Background(), []byte(stmt), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if doc.ComponentCount != 2 || st.Subjects[0].Digests[0].String() != "sha256:abcd" || st.Type != "https://in-toto.io/Statement/v1" {
		t.Fatalf("statement %+v, document %+v", st, doc)
	}
	for _, bad := range []struct{ stmt, err string }{
		{`{"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`, "not an SBOM predicate type"},
		{`{"predicate":{}}`, "no predicateType"},
		{`{"predicateType":"https://cyclonedx.org/bom"}`, "no predicate"},
		{`{"predicateType":"https://cyclonedx.org/bom","predicateType":"x","predicate":{}}`, "appears twice"},
	} {
		if _, _, err := ReadStatement(context.Background(), []byte(bad.stmt), Options{}); err == nil || !strings.Contains(err.Error(), bad.err) {
			t.Errorf("%s: error = %v, want %q", bad.stmt, err, bad.err)
		}
	}
}

func TestBadDocuments(t *testing.T) {
	deep := `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[` + strings.Repeat(`{"name":"x","components":[`, 5000) + strings.Repeat(`]}`, 5000) + `]}`
	deepRaw := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	cases := []struct {
		name, doc, err string
		opts           Options
	}{
		{"truncated JSON", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"a"`, "truncated", Options{}},
		{"SPDX-9.9", `{"spdxVersion":"SPDX-9.9","SPDXID":"SPDXRef-DOCUMENT"}`, `unsupported spdxVersion "SPDX-9.9"`, Options{}},
		{"SPDX 3.0 JSON-LD", `{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}`, "unsupported: SPDX 3.0", Options{}},
		{"SPDX-3.0 version", `{"spdxVersion":"SPDX-3.0","SPDXID":"SPDXRef-DOCUMENT"}`, "unsupported: SPDX 3.0", Options{}},
		{"unknown CycloneDX specVersion", `{"bomFormat":"CycloneDX","specVersion":"1.9"}`, `unsupported CycloneDX specVersion "1.9"`, Options{}},
		{"CycloneDX 1.1", `{"bomFormat":"CycloneDX","specVersion":"1.1"}`, `unsupported CycloneDX specVersion "1.1"`, Options{}},
		{"wrong bomFormat", `{"bomFormat":"SWID","specVersion":"1.6"}`, `bomFormat is "SWID"`, Options{}},
		{"no bomFormat", `{"specVersion":"1.6","components":[]}`, "no bomFormat", Options{}},
		{"no spdxVersion", `{"SPDXID":"SPDXRef-DOCUMENT","packages":[]}`, "no spdxVersion", Options{}},
		{"neither", `{"foo":1}`, "neither SPDX keys", Options{}},
		{"mixed", `{"spdxVersion":"SPDX-2.3","components":[]}`, "mixes SPDX key", Options{}},
		{"an array", `[1,2]`, "is an array, not an object", Options{}},
		{"XML", `<?xml version="1.0"?><bom/>`, "XML", Options{}},
		{"empty", "  \n", "empty", Options{}},
		{"binary", "\x00\x01", "neither JSON nor SPDX tag-value", Options{}},
		{"name of the wrong type", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":5}]}`, "components[0].name: at byte", Options{}},
		{"licenses of the wrong type", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"a"},{"licenses":"MIT"}]}`, "components[1].licenses", Options{}},
		{"package name of the wrong type", `{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"SPDXRef-a","name":[]}]}`, "packages[0]: SPDXRef-a: name", Options{}},
		{"package without SPDXID", `{"spdxVersion":"SPDX-2.3","packages":[{"name":"n"}]}`, `package "n" has no SPDXID`, Options{}},
		{"bad SPDXID", `{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"x","name":"n"}]}`, "not an SPDX element ID", Options{}},
		{"bad supplier", `{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"SPDXRef-a","supplier":"Acme"}]}`, "supplier", Options{}},
		{"invalid UTF-8", "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":[{\"name\":\"a\xffb\"}]}", "invalid UTF-8", Options{}},
		{"duplicate top-level key", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[],"components":[]}`, `"components" appears twice`, Options{}},
		{"duplicate component key", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"a","name":"b"}]}`, `"name" appears twice`, Options{}},
		{"case-variant key", `{"bomFormat":"CycloneDX","specVersion":"1.6","Components":[{"name":"a"}]}`, `"Components" is "components" in another case`, Options{}},
		{"case-variant component key", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"Name":"a"}]}`, "in another case", Options{}},
		{"nested components 5,000 deep", deep, "nested too deeply", Options{}},
		{"10,000-deep array", `{"bomFormat":"CycloneDX","x":` + deepRaw + `}`, "nested too deeply", Options{}},
		{"over the byte limit", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}]}`, "exceeds the size limit of 64 bytes", Options{MaxBytes: 64}},
		{"over the component limit", string(sbomgen.CycloneDX(11)), "more than 10 components", Options{MaxComponents: 10}},
		{"tag-value without SPDXVersion", "PackageName: a\n", "without an SPDXVersion", Options{}},
		{"tag-value SPDX-9.9", "SPDXVersion: SPDX-9.9\n", `unsupported spdxVersion "SPDX-9.9"`, Options{}},
		{"tag-value invalid UTF-8", "SPDXVersion: SPDX-2.3\nPackageName: a\xff\n", "line 2 is not valid UTF-8", Options{}},
		{"tag-value line too long", "SPDXVersion: SPDX-2.3\nPackageComment: " + strings.Repeat("x", 70_000) + "\n", "line 2 is longer than", Options{}},
		{"tag-value garbage line", "SPDXVersion: SPDX-2.3\nthis is no tag\n", "no colon", Options{}},
		{"trailing garbage", `{"bomFormat":"CycloneDX","specVersion":"1.6"} x`, "after the document", Options{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := ReadBytes(context.Background(), []byte(c.doc), c.opts)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("error = %v, want one containing %q", err, c.err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
	_, err := ReadBytes(context.Background(), []byte(deep), Options{})
	if !errors.Is(err, jsonstream.ErrTooDeep) {
		t.Errorf("deep nesting: %v is not ErrTooDeep", err)
	}
	_, err = ReadBytes(context.Background(), []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","x":"`+strings.Repeat("a", 100)+`"}`), Options{MaxBytes: 64})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v is not ErrTooLarge", err)
	}
}

// lazyReader produces a CycloneDX document of size bytes on the fly: a
// header, then one endless string value, never held in memory.
type lazyReader struct {
	header string
	size   int64
	read   int64
}

func (l *lazyReader) Read(p []byte) (int, error) {
	if l.read >= l.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && l.read < l.size {
		if l.read < int64(len(l.header)) {
			c := copy(p[n:], l.header[l.read:])
			n += c
			l.read += int64(c)
			continue
		}
		p[n] = 'a'
		n++
		l.read++
	}
	return n, nil
}

func TestByteLimitStopsA300MBReaderWithoutHoldingIt(t *testing.T) {
	for _, limit := range []int64{1 << 20, DefaultMaxBytes} {
		lr := &lazyReader{header: `{"bomFormat":"CycloneDX","specVersion":"1.6","comment":"`, size: 300 << 20}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Read(context.Background(), lr, Options{MaxBytes: limit})
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("limit %d: error = %v, want ErrTooLarge", limit, err)
		}
		if lr.read > limit+1 {
			t.Errorf("limit %d: read %d bytes", limit, lr.read)
		}
		if lr.read < limit {
			t.Errorf("limit %d: stopped after %d bytes, before the limit", limit, lr.read)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
			t.Errorf("limit %d: allocated %d bytes reading it", limit, alloc)
		}
	}
}

func TestContextCancelsARead(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ReadBytes(ctx, sbomgen.CycloneDX(10), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v", err)
	}
}

// The small objects decoded with the libraries (metadata, creationInfo)
// are copied out of the decoder's buffer intact across refills.
func TestMetadataAcrossRefills(t *testing.T) {
	long := strings.Repeat("t", 150_000)
	doc := `{"bomFormat":"CycloneDX","serialNumber":"urn:x","specVersion":"1.6","components":[{"name":"a","version":"1"}],` +
		`"metadata":{"timestamp":"2024-01-01T00:00:00Z","tools":[{"name":"` + long + `"}],"authors":[{"name":"Jo"}],` +
		`"component":{"name":"root","hashes":[{"alg":"SHA-256","content":"AB"}]}}}`
	for _, r := range []io.Reader{strings.NewReader(doc), iotest.HalfReader(strings.NewReader(doc)), iotest.OneByteReader(strings.NewReader(doc))} {
		d, err := Read(context.Background(), r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Created.IsZero() || len(d.Creators) != 2 || d.Creators[1].Name != long || d.Creators[0].Name != "Jo" ||
			len(d.Roots) != 1 || d.Roots[0].Digests[0].String() != "sha256:ab" || d.Serial != "urn:x" || d.Components[0].Version != "1" {
			t.Fatalf("read %+v", d.Roots)
		}
	}
}
