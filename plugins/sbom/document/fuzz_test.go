package document

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/sbomgen"
)

func addSeeds(f *testing.F) {
	f.Add(sbomgen.CycloneDX(3))
	f.Add(sbomgen.SPDX(3))
	f.Add([]byte("SPDXVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\nPackageName: a\nSPDXID: SPDXRef-a\nPackageLicenseConcluded: MIT\nRelationship SPDXRef-DOCUMENT DESCRIBES SPDXRef-a\n"))
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"tools":[{"name":"t"}],"component":{"name":"r","version":"sha256:` + sbomgen.Licenses[0] + `"}},"components":[{"name":"a","components":[{"name":"b","licenses":[{"license":{"name":"X Y"}}]}]}]}`))
	// The real documents, when the fixtures are there (they are not needed
	// to fuzz).
	if root, err := filepath.Abs("../../../../shared/fixtures/real/sbom/unsigned"); err == nil {
		for _, name := range []string{"guac/alpine-spdx.json", "guac/distroless-cyclonedx.json", "cosign/bom-go-mod.spdx.json"} {
			if data, err := os.ReadFile(filepath.Join(root, name)); err == nil {
				f.Add(data)
			}
		}
	}
}

// FuzzRead: any input is read or refused without a panic or a hang; the
// streamed read sees exactly what the kept read holds; and a JSON document
// both this reader and its format's library accept has the same components
// either way.
func FuzzRead(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{MaxComponents: 1000}
		doc, err := ReadBytes(context.Background(), data, opts)
		var streamed []Component
		opts.OnComponent = func(c *Component) error { streamed = append(streamed, *c); return nil }
		sdoc, serr := ReadBytes(context.Background(), data, opts)
		if (err == nil) != (serr == nil) {
			t.Fatalf("kept read: %v; streamed read: %v", err, serr)
		}
		if err != nil {
			return
		}
		if !equalComponents(doc.Components, streamed) || sdoc.ComponentCount != doc.ComponentCount || doc.ComponentCount != len(doc.Components) {
			t.Fatal("the streamed read differs from the kept one")
		}
		if doc.Syntax == JSON {
			if want, err := libraryComponents(t, data, doc.Format); err == nil && !equalComponents(doc.Components, want) {
				t.Fatalf("components differ from the library's reading:\n got %+v\nwant %+v", doc.Components, want)
			}
		}
	})
}

var fuzzPredicateTypes = []string{PredicateSPDX, PredicateSPDX + "/v2.3", PredicateCycloneDX, PredicateCycloneDX + "/v1.6", PredicateCosignCustom, "x"}

// FuzzReadPredicate: predicates of each type, objects and strings, are
// read or refused without a panic; cosign's wrapper only with the opt-in.
func FuzzReadPredicate(f *testing.F) {
	for i := range fuzzPredicateTypes {
		f.Add(uint8(i), sbomgen.CycloneDX(2))
		f.Add(uint8(i), []byte(strconv.Quote(string(sbomgen.SPDX(2)))))
		f.Add(uint8(i), []byte(`{"Data":`+strconv.Quote(string(sbomgen.CycloneDX(2)))+`}`))
	}
	f.Fuzz(func(t *testing.T, typ uint8, data []byte) {
		pt := fuzzPredicateTypes[int(typ)%len(fuzzPredicateTypes)]
		doc, err := ReadPredicateBytes(context.Background(), pt, data, Options{MaxComponents: 1000})
		if err == nil && pt == PredicateCosignCustom {
			t.Fatal("read cosign's custom predicate without the opt-in")
		}
		if err == nil && doc.PredicateType != pt {
			t.Fatalf("predicate type %q, read as %q", pt, doc.PredicateType)
		}
		_, _ = ReadPredicateBytes(context.Background(), pt, data, Options{MaxComponents: 1000, AllowCosignCustom: true})
	})
}

// FuzzReadStatement: in-toto statements are read or refused without a
// panic.
func FuzzReadStatement(f *testing.F) {
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"ab"}}],"predicateType":"https://cyclonedx.org/bom","predicate":` + string(sbomgen.CycloneDX(2)) + `}`))
	f.Add([]byte(`{"predicate":` + string(sbomgen.SPDX(1)) + `,"predicateType":"https://spdx.dev/Document"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, doc, err := ReadStatement(context.Background(), data, Options{MaxComponents: 1000, AllowCosignCustom: true})
		if err == nil && (st == nil || doc == nil || doc.PredicateType != st.PredicateType) {
			t.Fatalf("statement %+v, document %+v", st, doc)
		}
	})
}
