package document

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
)

const spdxRefPrefix = "SPDXRef-"

// spdxJSONVersions and spdxTagValueVersions are the spdxVersion values read
// (JSON exists from SPDX 2.2 on).
var (
	spdxJSONVersions     = map[string]string{"SPDX-2.2": "2.2", "SPDX-2.3": "2.3"}
	spdxTagValueVersions = map[string]string{"SPDX-2.1": "2.1", "SPDX-2.2": "2.2", "SPDX-2.3": "2.3"}
)

// spdxVersion maps spdxVersion to the model's SpecVersion. tools-golang
// converts every 2.x document to its 2.3 model, so the version is read from
// the document itself.
func spdxVersion(v string, known map[string]string) (string, error) {
	if s, ok := known[v]; ok {
		return s, nil
	}
	if strings.HasPrefix(v, "SPDX-3") {
		return "", errSPDX3
	}
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	return "", fmt.Errorf("unsupported spdxVersion %q (%s are read)", v, strings.Join(sortedStrings(names), ", "))
}

func sortedStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// dependencyRelationships are the SPDX relationship types that state that
// one element is part of, or needed by, another.
var dependencyRelationships = map[string]bool{
	"DEPENDS_ON": true, "DEPENDENCY_OF": true, "DEPENDENCY_MANIFEST_OF": true, "BUILD_DEPENDENCY_OF": true,
	"DEV_DEPENDENCY_OF": true, "OPTIONAL_DEPENDENCY_OF": true, "PROVIDED_DEPENDENCY_OF": true,
	"TEST_DEPENDENCY_OF": true, "RUNTIME_DEPENDENCY_OF": true, "CONTAINS": true, "CONTAINED_BY": true,
}

func (r *jsonReader) spdxKey(key string) error {
	var err error
	switch key {
	case "spdxVersion":
		r.spdxVersion, err = r.readString()
	case "SPDXID":
		r.docID, err = r.readString()
	case "name":
		r.doc.Name, err = r.readString()
	case "documentNamespace":
		r.doc.Namespace, err = r.readString()
	case "creationInfo":
		err = r.spdxCreationInfo()
	case "packages":
		return r.spdxPackages()
	case "relationships":
		err = r.arrayOf(r.spdxRelationship)
	case "documentDescribes":
		err = r.arrayOf(func() error {
			id, err := r.readString()
			if err == nil && id != "" {
				r.describes = append(r.describes, id)
			}
			return err
		})
	default:
		err = r.d.Skip()
	}
	if err != nil {
		return fmt.Errorf("reading the SPDX document: %s: %w", key, err)
	}
	return nil
}

// spdxCreationInfo reads creationInfo with tools-golang: one small object,
// and the library parses its "Tool: name" creators.
func (r *jsonReader) spdxCreationInfo() error {
	raw, err := r.d.Raw(r.raw[:0])
	r.raw = raw
	if err != nil {
		return err
	}
	var ci v2_3.CreationInfo
	if err := json.Unmarshal(raw, &ci); err != nil {
		return err
	}
	applySPDXCreationInfo(r.doc, &ci)
	return nil
}

func applySPDXCreationInfo(doc *Document, ci *v2_3.CreationInfo) {
	doc.CreatedText = ci.Created
	doc.Created = parseTime(ci.Created)
	for _, c := range ci.Creators {
		doc.Creators = append(doc.Creators, Creator{Kind: CreatorKind(c.CreatorType), Name: c.Creator})
	}
}

func (r *jsonReader) finishSPDX() error {
	if !r.seen["spdxVersion"] {
		return fmt.Errorf("not an SPDX document: it has %q but no spdxVersion", r.formatKey)
	}
	v, err := spdxVersion(r.spdxVersion, spdxJSONVersions)
	if err != nil {
		return err
	}
	r.doc.SpecVersion = v
	docID := r.docID
	if docID == "" {
		docID = spdxRefPrefix + "DOCUMENT"
	}
	ids := r.describes
	for _, rel := range r.describesRel {
		// rel is {from, to} of a DESCRIBES relationship.
		if rel[0] == docID {
			ids = append(ids, rel[1])
		}
	}
	pool := r.doc.Components
	if r.opts.OnComponent != nil {
		pool = r.kept
	}
	r.doc.Roots = spdxRoots(pool, ids)
	return nil
}

// spdxRoots makes the roots from the described elements' IDs: the packages
// with those IDs (an ID no package has is a root with only its ID).
func spdxRoots(pool []Component, ids []string) []Root {
	var want []string
	for _, id := range ids {
		dup := false
		for _, w := range want {
			dup = dup || w == id
		}
		if !dup {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return nil
	}
	found := make([]int, len(want))
	for i := range found {
		found[i] = -1
	}
	for i := range pool {
		for j, id := range want {
			if found[j] < 0 && pool[i].ID == id {
				found[j] = i
			}
		}
	}
	var roots []Root
	for j, id := range want {
		if found[j] >= 0 {
			roots = append(roots, newRoot(pool[found[j]]))
		} else {
			roots = append(roots, Root{Component: Component{ID: id}})
		}
	}
	return roots
}

// spdxRelationship reads one relationship, keeping DESCRIBES ones (few) and
// noting whether any states a dependency.
func (r *jsonReader) spdxRelationship() error {
	b := &r.relBuilder
	b.reset()
	var out [3]span
	if err := r.objectFields(b, relKeys, out[:]); err != nil {
		return err
	}
	from, typ, to := b.bytes(out[0]), b.bytes(out[1]), b.bytes(out[2])
	switch {
	case equalFold(typ, "DESCRIBES"):
		r.describesRel = append(r.describesRel, [2]string{string(from), string(to)})
	case equalFold(typ, "DESCRIBED_BY"):
		r.describesRel = append(r.describesRel, [2]string{string(to), string(from)})
	case dependencyRelationships[string(typ)]:
		r.doc.HasDependencies = true
	case len(typ) < 32 && dependencyRelationships[strings.ToUpper(string(typ))]:
		r.doc.HasDependencies = true
	}
	return nil
}

func equalFold(b []byte, s string) bool { return len(b) == len(s) && strings.EqualFold(string(b), s) }

// spdxPackages streams the packages array, one package at a time.
func (r *jsonReader) spdxPackages() error {
	if len(r.builders) == 0 {
		r.builders = append(r.builders, builder{})
	}
	err := r.arrayOf(func() error { return r.spdxPackage(&r.builders[0]) })
	if err != nil {
		return fmt.Errorf("reading the SPDX document: packages%w", err)
	}
	return nil
}

// The package keys read; each may appear once.
const (
	pSPDXID uint32 = 1 << iota
	pName
	pVersion
	pSupplier
	pOriginator
	pConcluded
	pDeclared
	pChecksums
	pExternalRefs
)

var spdxPackageKeys = map[string]uint32{
	"SPDXID": pSPDXID, "name": pName, "versionInfo": pVersion, "supplier": pSupplier, "originator": pOriginator,
	"licenseConcluded": pConcluded, "licenseDeclared": pDeclared, "checksums": pChecksums, "externalRefs": pExternalRefs,
}

func (r *jsonReader) spdxPackage(b *builder) error {
	if err := r.countComponent(); err != nil {
		return err
	}
	d := r.d
	ok, err := d.BeginObject()
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("null where a package was expected")
	}
	var seen uint32
	for {
		key, more, err := d.Key()
		r.key = key
		if err != nil {
			return err
		}
		if !more {
			break
		}
		bit := spdxPackageKeys[string(key)]
		if bit == 0 {
			if err := caseVariantOf(string(key), spdxPackageKeys); err != nil {
				return err
			}
			r.keyCopy = append(r.keyCopy[:0], key...)
			if err := d.Skip(); err != nil {
				return fmt.Errorf("%s: %w", r.keyCopy, err)
			}
			continue
		}
		if seen&bit != 0 {
			return fmt.Errorf("key %q appears twice", key)
		}
		seen |= bit
		if err := r.spdxField(b, bit); err != nil {
			if b.has(fID) {
				return fmt.Errorf("%s: %s: %w", b.bytes(b.fields[fID]), spdxKeyName(bit), err)
			}
			return fmt.Errorf("%s: %w", spdxKeyName(bit), err)
		}
	}
	if !b.has(fID) {
		return fmt.Errorf("package %q has no SPDXID", b.bytes(b.fields[fName]))
	}
	c := b.build()
	b.reset()
	return r.emit(c)
}

func spdxKeyName(bit uint32) string {
	for k, v := range spdxPackageKeys {
		if v == bit {
			return k
		}
	}
	return "?"
}

func (r *jsonReader) spdxField(b *builder, bit uint32) error {
	d := r.d
	switch bit {
	case pChecksums:
		return r.arrayOf(func() error {
			var out [2]span
			err := r.objectFields(b, checksumKeys, out[:])
			if err == nil && out[1].end > out[1].start {
				b.addHashSpans(out[0], out[1])
			}
			return err
		})
	case pExternalRefs:
		return r.arrayOf(func() error {
			var out [2]span
			err := r.objectFields(b, extRefKeys, out[:])
			if err == nil && string(b.bytes(out[0])) == "purl" {
				b.addPURLSpan(out[1])
			}
			return err
		})
	}
	v, err := d.ReadString()
	if err != nil {
		return err
	}
	switch bit {
	case pSPDXID:
		if !strings.HasPrefix(string(v), spdxRefPrefix) || len(v) == len(spdxRefPrefix) {
			return fmt.Errorf("%q is not an SPDX element ID (SPDXRef-…)", v)
		}
		b.set(fID, v)
	case pName:
		b.set(fName, v)
	case pVersion:
		b.set(fVersion, v)
	case pSupplier, pOriginator:
		name, err := spdxAgent(v)
		if err != nil {
			return err
		}
		if bit == pSupplier {
			b.set(fSupplier, name)
		} else {
			b.set(fAuthor, name)
		}
	case pConcluded:
		b.set(fLicenseConcluded, v)
	case pDeclared:
		b.set(fLicenseDeclared, v)
	}
	return nil
}

// spdxAgent reads a supplier or originator: "Organization: NAME",
// "Person: NAME" or NOASSERTION (no data), as tools-golang's Supplier does.
func spdxAgent(v []byte) ([]byte, error) {
	if string(v) == "NOASSERTION" {
		return nil, nil
	}
	i := strings.IndexByte(string(v), ':')
	if i < 0 {
		return nil, fmt.Errorf("%q is neither \"Organization: NAME\", \"Person: NAME\" nor NOASSERTION", v)
	}
	return trimSpace(v[i+1:]), nil
}

func trimSpace(b []byte) []byte { return bytes.TrimSpace(b) }

// fromSPDXPackage is the model of a package tools-golang decoded: the
// tag-value reader's packages, and in tests the reference the streaming
// JSON reader must agree with.
func fromSPDXPackage(p *v2_3.Package) Component {
	var b builder
	b.set(fID, []byte(spdxRefPrefix+string(p.PackageSPDXIdentifier)))
	b.set(fName, []byte(p.PackageName))
	b.set(fVersion, []byte(p.PackageVersion))
	if s := p.PackageSupplier; s != nil && s.Supplier != "NOASSERTION" {
		b.set(fSupplier, []byte(s.Supplier))
	}
	if o := p.PackageOriginator; o != nil && o.Originator != "NOASSERTION" {
		b.set(fAuthor, []byte(o.Originator))
	}
	b.set(fLicenseConcluded, []byte(p.PackageLicenseConcluded))
	b.set(fLicenseDeclared, []byte(p.PackageLicenseDeclared))
	for _, c := range p.PackageChecksums {
		if c.Value != "" {
			b.addHash(string(c.Algorithm), []byte(c.Value))
		}
	}
	for _, ref := range p.PackageExternalReferences {
		if ref != nil && ref.RefType == "purl" {
			b.addPURL([]byte(ref.Locator))
		}
	}
	return b.build()
}

// fromSPDXDocument is the model of a document tools-golang decoded (the
// tag-value reader's), with the version the document itself declares.
func fromSPDXDocument(d *v2_3.Document, specVersion string, opts Options) (*Document, error) {
	doc := &Document{Format: SPDX, SpecVersion: specVersion, Syntax: TagValue, Name: d.DocumentName, Namespace: d.DocumentNamespace}
	if d.CreationInfo != nil {
		applySPDXCreationInfo(doc, d.CreationInfo)
	}
	if len(d.Packages) > opts.maxComponents() {
		return nil, fmt.Errorf("reading the SPDX document: more than %d components (the limit)", opts.maxComponents())
	}
	var kept []Component
	for _, p := range d.Packages {
		if p == nil {
			continue
		}
		c := fromSPDXPackage(p)
		doc.ComponentCount++
		if opts.OnComponent == nil {
			doc.Components = append(doc.Components, c)
			continue
		}
		kept = append(kept, c)
		if err := opts.OnComponent(&c); err != nil {
			return nil, err
		}
	}
	if opts.OnComponent == nil {
		kept = doc.Components
	}
	docID := common.ElementID("DOCUMENT")
	if d.SPDXIdentifier != "" {
		docID = d.SPDXIdentifier
	}
	var ids []string
	for _, rel := range d.Relationships {
		if rel == nil {
			continue
		}
		t := strings.ToUpper(rel.Relationship)
		switch {
		case t == "DESCRIBES" && rel.RefA.DocumentRefID == "" && rel.RefA.ElementRefID == docID && rel.RefB.ElementRefID != "":
			ids = append(ids, spdxRefPrefix+string(rel.RefB.ElementRefID))
		case t == "DESCRIBED_BY" && rel.RefB.DocumentRefID == "" && rel.RefB.ElementRefID == docID && rel.RefA.ElementRefID != "":
			ids = append(ids, spdxRefPrefix+string(rel.RefA.ElementRefID))
		case dependencyRelationships[t]:
			doc.HasDependencies = true
		}
	}
	doc.Roots = spdxRoots(kept, ids)
	return doc, nil
}
