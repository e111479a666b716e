package document

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

func (r *jsonReader) cdxKey(key string) error {
	var err error
	switch key {
	case "bomFormat":
		r.bomFormat, err = r.readString()
	case "specVersion":
		r.specVersion, err = r.readString()
	case "serialNumber":
		r.doc.Serial, err = r.readString()
	case "metadata":
		err = r.cdxMetadata()
	case "components":
		return r.cdxComponents()
	case "dependencies":
		err = r.cdxDependencies()
	default:
		err = r.d.Skip()
	}
	if err != nil {
		return fmt.Errorf("reading the CycloneDX document: %s: %w", key, err)
	}
	return nil
}

// cdxSpecVersion checks specVersion with cyclonedx-go's own list: JSON
// exists from 1.2 on.
func cdxSpecVersion(v string) (string, error) {
	var sv cdx.SpecVersion
	if err := sv.UnmarshalJSON([]byte(strconv.Quote(v))); err != nil || sv < cdx.SpecVersion1_2 {
		return "", fmt.Errorf("unsupported CycloneDX specVersion %q (1.2 to %s are read)", v, cdx.SpecVersion1_7)
	}
	return sv.String(), nil
}

func (r *jsonReader) finishCycloneDX() error {
	if r.bomFormat != "CycloneDX" {
		if !r.seen["bomFormat"] {
			return fmt.Errorf("not a CycloneDX document: it has %q but no bomFormat", r.formatKey)
		}
		return fmt.Errorf("not a CycloneDX document: bomFormat is %q", r.bomFormat)
	}
	if !r.seen["specVersion"] {
		return fmt.Errorf("CycloneDX document without specVersion")
	}
	v, err := cdxSpecVersion(r.specVersion)
	if err != nil {
		return err
	}
	r.doc.SpecVersion = v
	return nil
}

// cdxMetadata reads metadata with cyclonedx-go: it is one small object, and
// the library knows its variants (tools as a list or as components and
// services, manufacture and manufacturer).
func (r *jsonReader) cdxMetadata() error {
	raw, err := r.d.Raw(r.raw[:0])
	r.raw = raw
	if err != nil {
		return err
	}
	var md cdx.Metadata
	if err := json.Unmarshal(raw, &md); err != nil {
		return err
	}
	applyCDXMetadata(r.doc, &md)
	return nil
}

func applyCDXMetadata(doc *Document, md *cdx.Metadata) {
	doc.CreatedText = md.Timestamp
	doc.Created = parseTime(md.Timestamp)
	if md.Authors != nil {
		for _, a := range *md.Authors {
			if n := contactName(a); n != "" {
				doc.Creators = append(doc.Creators, Creator{Kind: Person, Name: n})
			}
		}
	}
	for _, org := range []*cdx.OrganizationalEntity{md.Manufacturer, md.Manufacture, md.Supplier} {
		if org != nil && org.Name != "" {
			doc.Creators = append(doc.Creators, Creator{Kind: Organization, Name: org.Name})
		}
	}
	if t := md.Tools; t != nil {
		if t.Tools != nil {
			for _, tool := range *t.Tools {
				doc.Creators = append(doc.Creators, Creator{Kind: Tool, Name: joinNonEmpty(" ", tool.Vendor, tool.Name, tool.Version)})
			}
		}
		if t.Components != nil {
			for _, c := range *t.Components {
				doc.Creators = append(doc.Creators, Creator{Kind: Tool, Name: joinNonEmpty(" ", c.Group, c.Name, c.Version)})
			}
		}
		if t.Services != nil {
			for _, s := range *t.Services {
				doc.Creators = append(doc.Creators, Creator{Kind: Tool, Name: joinNonEmpty(" ", s.Group, s.Name, s.Version)})
			}
		}
	}
	if md.Component != nil {
		doc.Roots = []Root{newRoot(fromCDXComponent(md.Component))}
	}
}

func contactName(c cdx.OrganizationalContact) string {
	if c.Name != "" {
		return c.Name
	}
	return c.Email
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// fromCDXComponent is the model of a component cyclonedx-go decoded: the
// metadata's root, and in tests the reference the streaming reader must
// agree with.
func fromCDXComponent(c *cdx.Component) Component {
	var b builder
	b.set(fID, []byte(c.BOMRef))
	b.set(fName, []byte(c.Name))
	b.set(fVersion, []byte(c.Version))
	b.addPURL([]byte(c.PackageURL))
	if c.Supplier != nil {
		b.set(fSupplier, []byte(c.Supplier.Name))
	}
	if c.Manufacturer != nil {
		b.set(fManufacturer, []byte(c.Manufacturer.Name))
	}
	b.set(fPublisher, []byte(c.Publisher))
	b.set(fAuthor, []byte(c.Author))
	if c.Authors != nil {
		for _, a := range *c.Authors {
			if n := contactName(a); n != "" {
				b.authors = append(b.authors, b.add([]byte(n)))
			}
		}
	}
	if c.Hashes != nil {
		for _, h := range *c.Hashes {
			if h.Value != "" {
				b.addHash(string(h.Algorithm), []byte(h.Value))
			}
		}
	}
	if c.Licenses != nil {
		for _, l := range *c.Licenses {
			switch {
			case l.License != nil && l.License.ID != "":
				b.licenses = append(b.licenses, licensePart{'i', b.add([]byte(l.License.ID))})
			case l.License != nil && l.License.Name != "":
				b.licenses = append(b.licenses, licensePart{'n', b.add([]byte(l.License.Name))})
			case l.Expression != "":
				b.licenses = append(b.licenses, licensePart{'e', b.add([]byte(l.Expression))})
			}
		}
	}
	return b.build()
}

// cdxPath names the component being read, for errors.
func (r *jsonReader) cdxPath() string {
	var sb strings.Builder
	for i, n := range r.path {
		if i > 0 {
			sb.WriteByte('.')
		}
		fmt.Fprintf(&sb, "components[%d]", n)
	}
	return sb.String()
}

// cdxComponents streams a components array: each component is decoded and
// reduced to the model before the next is read.
func (r *jsonReader) cdxComponents() error {
	ok, err := r.d.BeginArray()
	if !ok || err != nil {
		if err != nil {
			return fmt.Errorf("reading the CycloneDX document: components: %w", err)
		}
		return nil
	}
	level := len(r.path)
	if level == len(r.builders) {
		r.builders = append(r.builders, builder{})
	}
	r.path = append(r.path, 0)
	defer func() { r.path = r.path[:level] }()
	for i := 0; ; i++ {
		r.path[level] = i
		more, err := r.d.Next()
		if err != nil {
			return fmt.Errorf("reading the CycloneDX document: %s: %w", r.cdxPath(), err)
		}
		if !more {
			return nil
		}
		if err := r.cdxComponent(level); err != nil {
			return err
		}
	}
}

// The component keys read; each may appear once.
const (
	kBOMRef uint32 = 1 << iota
	kName
	kVersion
	kPURL
	kSupplier
	kManufacturer
	kPublisher
	kAuthor
	kAuthors
	kHashes
	kLicenses
	kComponents
)

var (
	cdxComponentKeyNames = []string{"bom-ref", "name", "version", "purl", "supplier", "manufacturer", "publisher", "author", "authors", "hashes", "licenses", "components"}
	cdxLicenseKeys       = []string{"license", "expression"}
)

var cdxComponentKeys = map[string]uint32{
	"bom-ref": kBOMRef, "name": kName, "version": kVersion, "purl": kPURL, "supplier": kSupplier,
	"manufacturer": kManufacturer, "publisher": kPublisher, "author": kAuthor, "authors": kAuthors,
	"hashes": kHashes, "licenses": kLicenses, "components": kComponents,
}

func (r *jsonReader) cdxComponent(level int) error {
	if err := r.countComponent(); err != nil {
		return err
	}
	d := r.d
	ok, err := d.BeginObject()
	if err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("null where a component was expected")
		}
		return fmt.Errorf("reading the CycloneDX document: %s: %w", r.cdxPath(), err)
	}
	var seen uint32
	for {
		key, more, err := d.Key()
		r.key = key
		if err != nil {
			return fmt.Errorf("reading the CycloneDX document: %s: %w", r.cdxPath(), err)
		}
		if !more {
			break
		}
		bit := cdxComponentKey(key)
		if bit == 0 {
			if err := caseVariant(key, cdxComponentKeyNames); err != nil {
				return fmt.Errorf("reading the CycloneDX document: %s: %w", r.cdxPath(), err)
			}
			r.keyCopy = append(r.keyCopy[:0], key...)
			if err := d.Skip(); err != nil {
				return fmt.Errorf("reading the CycloneDX document: %s.%s: %w", r.cdxPath(), r.keyCopy, err)
			}
			continue
		}
		if seen&bit != 0 {
			return fmt.Errorf("reading the CycloneDX document: %s: key %q appears twice", r.cdxPath(), key)
		}
		seen |= bit
		if bit == kComponents {
			// Nested components: read with the next level's builder; this
			// level's builder keeps its fields meanwhile.
			if err := r.cdxComponents(); err != nil {
				return err
			}
			continue
		}
		if err := r.cdxField(&r.builders[level], bit); err != nil {
			return fmt.Errorf("reading the CycloneDX document: %s.%s: %w", r.cdxPath(), cdxKeyName(bit), err)
		}
	}
	b := &r.builders[level]
	c := b.build()
	b.reset()
	if err := r.emit(c); err != nil {
		return fmt.Errorf("reading the CycloneDX document: %s: %w", r.cdxPath(), err)
	}
	return nil
}

// cdxComponentKey is the bit of a component key read, 0 for others.
func cdxComponentKey(key []byte) uint32 {
	switch string(key) {
	case "bom-ref":
		return kBOMRef
	case "name":
		return kName
	case "version":
		return kVersion
	case "purl":
		return kPURL
	case "supplier":
		return kSupplier
	case "manufacturer":
		return kManufacturer
	case "publisher":
		return kPublisher
	case "author":
		return kAuthor
	case "authors":
		return kAuthors
	case "hashes":
		return kHashes
	case "licenses":
		return kLicenses
	case "components":
		return kComponents
	}
	return 0
}

func cdxKeyName(bit uint32) string {
	for k, v := range cdxComponentKeys {
		if v == bit {
			return k
		}
	}
	return "?"
}

// cdxField reads one known field of a component into b.
func (r *jsonReader) cdxField(b *builder, bit uint32) error {
	d := r.d
	switch bit {
	case kBOMRef, kName, kVersion, kPURL, kPublisher, kAuthor:
		v, err := d.ReadString()
		if err != nil {
			return err
		}
		switch bit {
		case kBOMRef:
			b.set(fID, v)
		case kName:
			b.set(fName, v)
		case kVersion:
			b.set(fVersion, v)
		case kPURL:
			b.addPURL(v)
		case kPublisher:
			b.set(fPublisher, v)
		case kAuthor:
			b.set(fAuthor, v)
		}
	case kSupplier, kManufacturer:
		f := fSupplier
		if bit == kManufacturer {
			f = fManufacturer
		}
		var out [1]span
		err := r.objectFields(b, orgKeys, out[:])
		b.fields[f] = out[0]
		return err
	case kAuthors:
		return r.arrayOf(func() error {
			var out [2]span
			err := r.objectFields(b, contactKeys, out[:])
			name := out[0]
			if name.end == name.start {
				name = out[1]
			}
			if name.end > name.start {
				b.authors = append(b.authors, name)
			}
			return err
		})
	case kHashes:
		return r.arrayOf(func() error {
			var out [2]span
			err := r.objectFields(b, cdxHashKeys, out[:])
			if err == nil && out[1].end > out[1].start {
				b.addHashSpans(out[0], out[1])
			}
			return err
		})
	case kLicenses:
		return r.arrayOf(func() error { return r.cdxLicense(b) })
	}
	return nil
}

// cdxLicense reads one licenses entry: {"license": {"id"|"name": …}} or
// {"expression": …}.
func (r *jsonReader) cdxLicense(b *builder) error {
	d := r.d
	if ok, err := d.BeginObject(); !ok || err != nil {
		return err
	}
	var id, name, expr span
	for {
		key, more, err := d.Key()
		r.key = key
		if err != nil || !more {
			if err == nil {
				switch {
				case id.end > id.start:
					b.licenses = append(b.licenses, licensePart{'i', id})
				case name.end > name.start:
					b.licenses = append(b.licenses, licensePart{'n', name})
				case expr.end > expr.start:
					b.licenses = append(b.licenses, licensePart{'e', expr})
				}
			}
			return err
		}
		r.keyCopy = append(r.keyCopy[:0], key...)
		switch string(key) {
		case "license":
			var out [2]span
			err = r.objectFields(b, licenseKeys, out[:])
			id, name = out[0], out[1]
		case "expression":
			var v []byte
			if v, err = d.ReadString(); err == nil {
				expr = b.add(v)
			}
		default:
			if err = caseVariant(key, cdxLicenseKeys); err == nil {
				err = d.Skip()
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", r.keyCopy, err)
		}
	}
}

// arrayOf reads an array (null is an empty one), calling each at every
// element's value.
func (r *jsonReader) arrayOf(each func() error) error {
	ok, err := r.d.BeginArray()
	if !ok || err != nil {
		return err
	}
	for i := 0; ; i++ {
		more, err := r.d.Next()
		if err != nil || !more {
			return err
		}
		if err := each(); err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
	}
}

// objectFields reads an object (null is an absent one), appending to b
// the string values of the keys named in keys and setting their spans in
// out (a key absent leaves its span empty); other keys are skipped. Fixed
// arrays rather than callbacks keep this allocation-free: it runs several
// times per component.
func (r *jsonReader) objectFields(b *builder, keys []string, out []span) error {
	d := r.d
	for i := range out {
		out[i] = span{}
	}
	ok, err := d.BeginObject()
	if !ok || err != nil {
		return err
	}
	for {
		key, more, err := d.Key()
		r.key = key
		if err != nil || !more {
			return err
		}
		i := 0
		for i < len(keys) && keys[i] != string(key) {
			i++
		}
		if i == len(keys) {
			if err := caseVariant(key, keys); err != nil {
				return err
			}
			r.keyCopy = append(r.keyCopy[:0], key...)
			if err := d.Skip(); err != nil {
				return fmt.Errorf("%s: %w", r.keyCopy, err)
			}
			continue
		}
		v, err := d.ReadString()
		if err != nil {
			return fmt.Errorf("%s: %w", keys[i], err)
		}
		out[i] = b.add(v)
	}
}

// Keys of the small objects read with objectFields.
var (
	orgKeys      = []string{"name"}
	contactKeys  = []string{"name", "email"}
	cdxHashKeys  = []string{"alg", "content"}
	licenseKeys  = []string{"id", "name"}
	checksumKeys = []string{"algorithm", "checksumValue"}
	extRefKeys   = []string{"referenceType", "referenceLocator"}
	relKeys      = []string{"spdxElementId", "relationshipType", "relatedSpdxElement"}
)

// cdxDependencies notes whether any dependency entry exists and validates
// the rest without keeping it.
func (r *jsonReader) cdxDependencies() error {
	ok, err := r.d.BeginArray()
	if !ok || err != nil {
		return err
	}
	for {
		more, err := r.d.Next()
		if err != nil || !more {
			return err
		}
		r.doc.HasDependencies = true
		if err := r.d.Skip(); err != nil {
			return err
		}
	}
}
