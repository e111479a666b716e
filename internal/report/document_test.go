package report_test

import (
	"reflect"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/report"
)

// TestDocumentTypesAreOwn: every named type the JSON encoder reaches from a
// Document is the report's own (or a basic or standard-library one), so a
// change to the host's, the SDK's or the trust package's types cannot
// change the schema.
func TestDocumentTypesAreOwn(t *testing.T) {
	own := reflect.TypeFor[report.Document]().PkgPath()
	seen := map[reflect.Type]bool{}
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		if pkg := typ.PkgPath(); pkg != "" && pkg != own && pkg != "time" {
			t.Errorf("%s is %s, from %s", path, typ, pkg)
		}
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(typ.Elem(), path+"[]")
		case reflect.Map:
			walk(typ.Key(), path+"{key}")
			walk(typ.Elem(), path+"{}")
		case reflect.Struct:
			if typ.PkgPath() == "time" {
				return
			}
			for f := range typ.Fields() {
				if f.IsExported() {
					walk(f.Type, path+"."+f.Name)
				}
			}
		case reflect.Interface:
			t.Errorf("%s is an interface: what it holds decides the JSON", path)
		}
	}
	walk(reflect.TypeFor[report.Document](), "Document")
}
