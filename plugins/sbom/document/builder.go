package document

import (
	"bytes"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
)

// field is a string of a component under construction.
type field uint8

const (
	fID field = iota
	fName
	fVersion
	fPURL
	fSupplier
	fManufacturer // CycloneDX: the supplier when supplier is absent
	fPublisher    // CycloneDX: the supplier when both are absent
	fAuthor
	fLicenseConcluded // SPDX
	fLicenseDeclared  // SPDX
	nFields
)

type span struct{ start, end int32 }

type hashSpan struct {
	alg, val span
}

// licensePart is one CycloneDX licenses entry.
type licensePart struct {
	kind byte // 'i' id, 'n' name, 'e' expression
	s    span
}

// builder collects one component's strings in a single buffer, so that the
// finished component holds one allocation for all of them: a model of a
// hundred thousand components costs a hundred thousand strings, not a
// million.
type builder struct {
	buf      []byte
	fields   [nFields]span
	hashes   []hashSpan
	purls    []span
	licenses []licensePart
	authors  []span
}

func (b *builder) reset() {
	b.buf = b.buf[:0]
	b.fields = [nFields]span{}
	b.hashes = b.hashes[:0]
	b.purls = b.purls[:0]
	b.licenses = b.licenses[:0]
	b.authors = b.authors[:0]
}

func (b *builder) add(v []byte) span {
	s := span{start: int32(len(b.buf))}
	b.buf = append(b.buf, v...)
	s.end = int32(len(b.buf))
	return s
}

func (b *builder) set(f field, v []byte) { b.fields[f] = b.add(v) }

func (b *builder) has(f field) bool { return b.fields[f].end > b.fields[f].start }

func (b *builder) bytes(s span) []byte { return b.buf[s.start:s.end] }

// addPURL records a purl: the first is the component's PURL.
func (b *builder) addPURL(v []byte) {
	if len(v) == 0 {
		return
	}
	if !b.has(fPURL) {
		b.set(fPURL, v)
		return
	}
	b.purls = append(b.purls, b.add(v))
}

// addHash records a hash.
func (b *builder) addHash(alg string, v []byte) {
	b.addHashSpans(b.add([]byte(alg)), b.add(v))
}

// addHashSpans records a hash whose algorithm and value are in buf; the
// value is lower-cased in place.
func (b *builder) addHashSpans(alg, val span) {
	for i := val.start; i < val.end; i++ {
		if c := b.buf[i]; c >= 'A' && c <= 'Z' {
			b.buf[i] = c + 'a' - 'A'
		}
	}
	b.hashes = append(b.hashes, hashSpan{alg: alg, val: val})
}

// addPURLSpan records a purl already in buf.
func (b *builder) addPURLSpan(s span) {
	if s.end == s.start {
		return
	}
	if !b.has(fPURL) {
		b.fields[fPURL] = s
		return
	}
	b.purls = append(b.purls, s)
}

// spdxLicense is an SPDX licence field's value as the model keeps it:
// NOASSERTION and NONE carry no licence data.
func spdxLicense(v []byte) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && string(v) != "NOASSERTION" && string(v) != "NONE"
}

// composeLicenses writes the CycloneDX licenses entries as one expression
// after the other fields, returning its span.
func (b *builder) composeLicenses() span {
	if len(b.licenses) == 1 && b.licenses[0].kind != 'n' {
		return b.licenses[0].s
	}
	start := int32(len(b.buf))
	for i, l := range b.licenses {
		if i > 0 {
			b.buf = append(b.buf, " AND "...)
		}
		v := b.bytes(l.s)
		switch l.kind {
		case 'e':
			if len(b.licenses) > 1 {
				b.buf = append(b.buf, '(')
				b.buf = append(b.buf, v...)
				b.buf = append(b.buf, ')')
			} else {
				b.buf = append(b.buf, v...)
			}
		case 'i':
			b.buf = append(b.buf, v...)
		case 'n':
			b.buf = appendLicenseName(b.buf, string(v))
		}
	}
	return span{start: start, end: int32(len(b.buf))}
}

// appendLicenseName writes a CycloneDX licence name: the SPDX identifier it
// is, when it is one, else a LicenseRef made from it, so that a name can
// never be read as an expression ("MIT OR GPL-3.0-only" as a name is one
// unknown licence, not a choice).
func appendLicenseName(dst []byte, name string) []byte {
	name = strings.TrimSpace(name)
	if ok, id := spdxexp.ActiveLicense(name); ok {
		return append(dst, id...)
	}
	dst = append(dst, "LicenseRef-"...)
	if name == "" {
		return append(dst, "unnamed"...)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
			dst = append(dst, c)
		} else {
			dst = append(dst, '-')
		}
	}
	return dst
}

// build makes the component, with one string for all its text.
func (b *builder) build() Component {
	var lic span
	switch {
	case len(b.licenses) > 0:
		lic = b.composeLicenses()
	case b.has(fLicenseConcluded) && spdxLicense(b.bytes(b.fields[fLicenseConcluded])):
		lic = b.fields[fLicenseConcluded]
	case b.has(fLicenseDeclared) && spdxLicense(b.bytes(b.fields[fLicenseDeclared])):
		lic = b.fields[fLicenseDeclared]
	}
	author := b.fields[fAuthor]
	if len(b.authors) > 0 {
		author.start = int32(len(b.buf))
		for i, a := range b.authors {
			if i > 0 {
				b.buf = append(b.buf, ", "...)
			}
			b.buf = append(b.buf, b.bytes(a)...)
		}
		author.end = int32(len(b.buf))
	}
	supplier := b.fields[fSupplier]
	for _, f := range []field{fManufacturer, fPublisher} {
		if supplier.end == supplier.start {
			supplier = b.fields[f]
		}
	}
	all := string(b.buf)
	str := func(s span) string { return all[s.start:s.end] }
	c := Component{
		ID:       str(b.fields[fID]),
		Name:     str(b.fields[fName]),
		Version:  str(b.fields[fVersion]),
		PURL:     str(b.fields[fPURL]),
		License:  strings.TrimSpace(str(lic)),
		Supplier: str(supplier),
		Author:   str(author),
	}
	if len(b.purls) > 0 {
		c.OtherPURLs = make([]string, len(b.purls))
		for i, p := range b.purls {
			c.OtherPURLs[i] = str(p)
		}
	}
	if len(b.hashes) > 0 {
		c.Hashes = make([]Digest, len(b.hashes))
		for i, h := range b.hashes {
			c.Hashes[i] = Digest{Algorithm: digestAlgorithmBytes(b.bytes(h.alg)), Value: str(h.val)}
		}
	}
	return c
}
