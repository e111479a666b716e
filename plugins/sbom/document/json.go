package document

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vmafx/vmafx-trust/plugins/sbom/internal/jsonstream"
)

// jsonReader reads one SBOM JSON object from a decoder positioned at it,
// deciding the format from its keys as they come: the keys of SPDX and of
// CycloneDX differ, and neither format fixes their order, so no key can be
// waited for before the components are read.
type jsonReader struct {
	d    *jsonstream.Decoder
	opts Options
	doc  *Document
	key  []byte // scratch for keys
	// keyCopy holds a key while its value is read, for error messages: a
	// key may be a view of the decoder's buffer, which reading moves.
	keyCopy []byte
	raw     []byte // scratch for the small objects decoded with the libraries
	// builders holds one builder per nesting level of CycloneDX components.
	builders []builder
	// path is the index of the component being read at each nesting level,
	// for error messages.
	path []int

	formatKey string // the key that decided the format
	seen      map[string]bool

	// CycloneDX
	bomFormat, specVersion string
	// SPDX
	spdxVersion  string
	docID        string
	describes    []string // IDs the document describes
	describesRel [][2]string
	kept         []Component // SPDX root candidates, with OnComponent
	relBuilder   builder     // scratch for relationships
	emitted      Component   // what OnComponent receives
}

// errSPDX3 is the error for SPDX 3.0 JSON-LD, which no released Go library
// reads.
var errSPDX3 = errors.New("unsupported: SPDX 3.0 (JSON-LD); SPDX 2.2 and 2.3 are read")

// spdxKeys and cdxKeys are the top-level keys that identify each format.
var spdxKeys = map[string]bool{
	"spdxVersion": true, "SPDXID": true, "name": true, "documentNamespace": true, "creationInfo": true,
	"packages": true, "relationships": true, "documentDescribes": true, "dataLicense": true, "files": true,
	"snippets": true, "hasExtractedLicensingInfos": true, "externalDocumentRefs": true,
}

var cdxKeys = map[string]bool{
	"bomFormat": true, "specVersion": true, "serialNumber": true, "metadata": true, "components": true,
	"dependencies": true, "services": true, "compositions": true, "vulnerabilities": true, "formulation": true,
}

func readJSON(d *jsonstream.Decoder, opts Options) (*Document, error) {
	r := &jsonReader{d: d, opts: opts, doc: &Document{Syntax: JSON}, seen: map[string]bool{}}
	k, err := d.Kind()
	if err != nil {
		return nil, fmt.Errorf("reading the SBOM: %w", err)
	}
	if k != jsonstream.Object {
		return nil, fmt.Errorf("not an SBOM: the JSON is %s, not an object", withArticle(k.String()))
	}
	if _, err := d.BeginObject(); err != nil {
		return nil, fmt.Errorf("reading the SBOM: %w", err)
	}
	for {
		key, more, err := d.Key()
		r.key = key
		if err != nil {
			return nil, fmt.Errorf("reading the %s: %w", r.what(), err)
		}
		if !more {
			break
		}
		if err := r.topLevel(string(key)); err != nil {
			return nil, err
		}
	}
	switch r.doc.Format {
	case CycloneDX:
		if err := r.finishCycloneDX(); err != nil {
			return nil, err
		}
	case SPDX:
		if err := r.finishSPDX(); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("not an SBOM: the JSON object has neither SPDX keys (spdxVersion, packages, …) nor CycloneDX keys (bomFormat, components, …)")
	}
	return r.doc, nil
}

func withArticle(s string) string {
	if strings.IndexByte("aeiou", s[0]) >= 0 {
		return "an " + s
	}
	return "a " + s
}

// what names the document being read, for errors.
func (r *jsonReader) what() string {
	switch r.doc.Format {
	case CycloneDX:
		return "CycloneDX document"
	case SPDX:
		return "SPDX document"
	}
	return "SBOM"
}

func (r *jsonReader) setFormat(f Format, key string) error {
	if r.doc.Format == "" {
		r.doc.Format, r.formatKey = f, key
		return nil
	}
	if r.doc.Format != f {
		return fmt.Errorf("not an SBOM: the JSON object mixes %s key %q with %s key %q", r.doc.Format, r.formatKey, f, key)
	}
	return nil
}

func (r *jsonReader) topLevel(key string) error {
	if key == "@context" || key == "@graph" {
		return errSPDX3
	}
	switch {
	case spdxKeys[key]:
		if err := r.setFormat(SPDX, key); err != nil {
			return err
		}
	case cdxKeys[key]:
		if err := r.setFormat(CycloneDX, key); err != nil {
			return err
		}
	default:
		if err := caseVariantOf(key, spdxKeys, cdxKeys); err != nil {
			return fmt.Errorf("reading the %s: %w", r.what(), err)
		}
		if err := r.d.Skip(); err != nil {
			return fmt.Errorf("reading the %s: %s: %w", r.what(), key, err)
		}
		return nil
	}
	// A repeated key is read differently by different parsers (the first
	// or the last wins); a signed SBOM must mean one thing.
	if r.seen[key] {
		return fmt.Errorf("reading the %s: key %q appears twice", r.what(), key)
	}
	r.seen[key] = true
	var err error
	if r.doc.Format == CycloneDX {
		err = r.cdxKey(key)
	} else {
		err = r.spdxKey(key)
	}
	return err
}

// readString reads a string value.
func (r *jsonReader) readString() (string, error) {
	s, err := r.d.ReadString()
	return string(s), err
}

// parseTime reads a creation time: RFC 3339, as both formats specify.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t
}

// countComponent enforces the component limit before a component is read.
func (r *jsonReader) countComponent() error {
	if r.doc.ComponentCount >= r.opts.maxComponents() {
		return fmt.Errorf("reading the %s: more than %d components (the limit)", r.what(), r.opts.maxComponents())
	}
	r.doc.ComponentCount++
	return nil
}

// emit hands a finished component to OnComponent, or keeps it.
func (r *jsonReader) emit(c Component) error {
	if r.opts.OnComponent == nil {
		r.doc.Components = append(r.doc.Components, c)
		return nil
	}
	if r.doc.Format == SPDX && r.rootCandidate(&c) {
		r.kept = append(r.kept, c)
	}
	r.emitted = c
	return r.opts.OnComponent(&r.emitted)
}

// rootCandidate reports whether an SPDX package streamed to OnComponent is
// kept in case it is a described root.
func (r *jsonReader) rootCandidate(c *Component) bool {
	for _, id := range r.describes {
		if id == c.ID {
			return true
		}
	}
	for _, rel := range r.describesRel {
		if rel[1] == c.ID {
			return true
		}
	}
	return len(r.kept) < MaxRootCandidates && len(rootDigests(c)) > 0
}

// caseVariant refuses a key that differs from a key this reader reads only
// in case. encoding/json, and so cyclonedx-go and tools-golang, match keys
// case-insensitively, while this reader matches them exactly: a document
// with "Components" would list components to those libraries and none to
// this reader. Such a document is refused rather than read one way.
func caseVariant(key []byte, known []string) error {
	for _, k := range known {
		if len(k) == len(key) && string(key) != k && strings.EqualFold(string(key), k) {
			return fmt.Errorf("key %q is %q in another case; keys are case-sensitive", key, k)
		}
	}
	return nil
}

func caseVariantOf[V any](key string, known ...map[string]V) error {
	for _, m := range known {
		for k := range m {
			if len(k) == len(key) && string(key) != k && strings.EqualFold(string(key), k) {
				return fmt.Errorf("key %q is %q in another case; keys are case-sensitive", key, k)
			}
		}
	}
	return nil
}
