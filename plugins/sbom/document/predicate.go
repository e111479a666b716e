package document

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vmafx/vmafx-trust/plugins/sbom/internal/jsonstream"
)

// Predicate types of SBOM attestations.
const (
	// PredicateSPDX is cosign's (--type spdx, spdxjson) and the in-toto
	// SPDX predicate type; versioned forms add /v2.2 or /v2.3 (GitHub's
	// attest-sbom writes https://spdx.dev/Document/v2.3).
	PredicateSPDX = "https://spdx.dev/Document"
	// PredicateCycloneDX is the in-toto CycloneDX predicate type; versioned
	// forms add /v1.4 … /v1.7.
	PredicateCycloneDX = "https://cyclonedx.org/bom"
	// PredicateCycloneDXLegacy is what older cosign versions wrote.
	PredicateCycloneDXLegacy = "https://cyclonedx.org/schema"
	// PredicateCosignCustom is cosign's custom predicate, {"Data": "<any
	// text>", "Timestamp": "…"}: what cosign attest --type custom and syft
	// attest write.
	PredicateCosignCustom = "https://cosign.sigstore.dev/attestation/v1"
)

// family is what a predicate type promises.
type family struct {
	format  Format // empty for the custom wrapper
	version string // the spec version a versioned type names; empty for any
	custom  bool
}

// ErrNotSBOM is wrapped by the error for a predicate type that is no SBOM.
var ErrNotSBOM = errors.New("not an SBOM predicate type")

// predicateFamily classifies a predicate type.
func predicateFamily(t string) (family, error) {
	switch t {
	case PredicateSPDX:
		return family{format: SPDX}, nil
	case PredicateCycloneDX, PredicateCycloneDXLegacy:
		return family{format: CycloneDX}, nil
	case PredicateCosignCustom:
		return family{custom: true}, nil
	}
	if v, ok := strings.CutPrefix(t, PredicateSPDX+"/v"); ok {
		switch {
		case v == "2.2" || v == "2.3":
			return family{format: SPDX, version: v}, nil
		case strings.HasPrefix(v, "3"):
			return family{}, errSPDX3
		}
	}
	if v, ok := strings.CutPrefix(t, PredicateCycloneDX+"/v"); ok {
		if _, err := cdxSpecVersion(v); err == nil {
			return family{format: CycloneDX, version: v}, nil
		}
	}
	return family{}, fmt.Errorf("%w: %q (SPDX: %s[/v2.2|/v2.3]; CycloneDX: %s[/v1.N] or %s)",
		ErrNotSBOM, t, PredicateSPDX, PredicateCycloneDX, PredicateCycloneDXLegacy)
}

// ErrCosignCustom is wrapped by the error for cosign's custom wrapper when
// Options.AllowCosignCustom is off.
var ErrCosignCustom = errors.New("cosign's custom predicate is not accepted")

func errCustomRefused(t string) error {
	return fmt.Errorf("%w: predicate type %s is cosign's custom wrapper ({\"Data\": …}, what syft attest writes by default), which does not say what it holds; accept it explicitly (AllowCosignCustom) or attest with --type spdxjson or --type cyclonedx", ErrCosignCustom, t)
}

// IsSBOMPredicateType reports whether t is an SBOM predicate type this
// package reads (cosign's custom wrapper included: it may hold one).
func IsSBOMPredicateType(t string) bool {
	_, err := predicateFamily(t)
	return err == nil
}

// ReadPredicate reads the SBOM an attestation of predicateType carries:
// the predicate as a JSON object (SPDX or CycloneDX JSON) or as a JSON
// string holding the document's text (what cosign attest --type spdx
// embeds: tag-value or JSON). The document must be of the family the type
// names, and of the version a versioned type names. cosign's custom wrapper
// is read only with opts.AllowCosignCustom.
func ReadPredicate(ctx context.Context, predicateType string, predicate io.Reader, opts Options) (*Document, error) {
	fam, err := predicateFamily(predicateType)
	if err != nil {
		return nil, err
	}
	if fam.custom && !opts.AllowCosignCustom {
		return nil, errCustomRefused(predicateType)
	}
	r := newLimitReader(&ctxReader{ctx: ctx, r: predicate}, opts.maxBytes())
	d := jsonstream.NewDecoder(ctx, r, opts.maxDepth())
	doc, err := readPredicateValue(ctx, d, fam, opts)
	if err != nil {
		return nil, err
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("reading the %s predicate: after its value: %w", predicateType, err)
	}
	doc.PredicateType = predicateType
	return doc, nil
}

// ReadPredicateBytes is ReadPredicate of a predicate in memory.
func ReadPredicateBytes(ctx context.Context, predicateType string, predicate []byte, opts Options) (*Document, error) {
	return ReadPredicate(ctx, predicateType, bytes.NewReader(predicate), opts)
}

// readPredicateValue reads the predicate at d's position and checks it
// against what its type promises.
func readPredicateValue(ctx context.Context, d *jsonstream.Decoder, fam family, opts Options) (*Document, error) {
	k, err := d.Kind()
	if err != nil {
		return nil, fmt.Errorf("reading the predicate: %w", err)
	}
	var doc *Document
	switch {
	case fam.custom:
		doc, err = readCosignCustom(ctx, d, opts)
	case k == jsonstream.Object:
		doc, err = readJSON(d, opts)
	case k == jsonstream.String:
		doc, err = readEmbedded(ctx, d, opts)
	default:
		return nil, fmt.Errorf("reading the predicate: it is %s, neither an SBOM object nor a string holding one", withArticle(k.String()))
	}
	if err != nil {
		return nil, err
	}
	if fam.format != "" && doc.Format != fam.format {
		return nil, fmt.Errorf("the predicate type promises %s, but the predicate is a %s document", fam.format, doc.Format)
	}
	if fam.version != "" && doc.SpecVersion != fam.version {
		return nil, fmt.Errorf("the predicate type promises %s %s, but the document declares %s", fam.format, fam.version, doc.SpecVersion)
	}
	return doc, nil
}

// readEmbedded reads the document held by the JSON string at d's position,
// decoding the string as it is read.
func readEmbedded(ctx context.Context, d *jsonstream.Decoder, opts Options) (*Document, error) {
	sr, err := d.StringReader()
	if err != nil {
		return nil, err
	}
	doc, err := readAny(ctx, sr, opts)
	if err != nil {
		return nil, fmt.Errorf("reading the SBOM embedded as a JSON string: %w", err)
	}
	// Tag-value readers stop at EOF; a JSON one stops at the end of its
	// value and Finish reads on to EOF. Either way the string is consumed.
	if _, err := io.Copy(io.Discard, sr); err != nil {
		return nil, fmt.Errorf("reading the SBOM embedded as a JSON string: %w", err)
	}
	return doc, nil
}

// readCosignCustom unwraps {"Data": "<SBOM>", "Timestamp": "…"}.
func readCosignCustom(ctx context.Context, d *jsonstream.Decoder, opts Options) (*Document, error) {
	ok, err := d.BeginObject()
	if err != nil {
		return nil, fmt.Errorf("reading cosign's custom predicate: %w", err)
	}
	if !ok {
		return nil, errors.New("reading cosign's custom predicate: it is null")
	}
	var doc *Document
	var key []byte
	for {
		var more bool
		key, more, err = d.Key()
		if err != nil {
			return nil, fmt.Errorf("reading cosign's custom predicate: %w", err)
		}
		if !more {
			break
		}
		k := string(key)
		switch k {
		case "Data":
			if doc != nil {
				return nil, errors.New("reading cosign's custom predicate: Data appears twice")
			}
			if k, err := d.Kind(); err != nil || k != jsonstream.String {
				if err == nil {
					err = fmt.Errorf("its Data is %s, not a string holding an SBOM", withArticle(k.String()))
				}
				return nil, fmt.Errorf("reading cosign's custom predicate: %w", err)
			}
			if doc, err = readEmbedded(ctx, d, opts); err != nil {
				return nil, fmt.Errorf("reading cosign's custom predicate: Data: %w", err)
			}
		default:
			if err := caseVariant(key, []string{"Data"}); err != nil {
				return nil, fmt.Errorf("reading cosign's custom predicate: %w", err)
			}
			if err := d.Skip(); err != nil {
				return nil, fmt.Errorf("reading cosign's custom predicate: %s: %w", k, err)
			}
		}
	}
	if doc == nil {
		return nil, errors.New("reading cosign's custom predicate: it has no Data")
	}
	doc.Wrapper = "cosign-custom"
	return doc, nil
}
