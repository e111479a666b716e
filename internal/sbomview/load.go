package sbomview

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
	"github.com/vmafx/vmafx-trust/plugins/sbom"
	"github.com/vmafx/vmafx-trust/plugins/sbom/document"
)

// ErrUnreadable wraps a file that could not be read, as opposed to one
// that is no SBOM.
var ErrUnreadable = errors.New("cannot read")

// Source is what `sbom show` lists, as its command line or policy block
// names it: an SBOM file (Path), or the SBOM attestations in Bundle about
// File or Digest.
type Source struct {
	Path              string
	Bundle            string
	File              string
	Digest            string
	AllowCosignCustom bool
}

// SourceOf reads a source from an sbom block's attributes.
func SourceOf(attrs map[string]any) Source {
	s := func(name string) string { v, _ := attrs[name].(string); return v }
	allow, _ := attrs["allow_cosign_custom"].(bool)
	return Source{Path: s("path"), Bundle: s("bundle"), File: s("file"), Digest: s("digest"), AllowCosignCustom: allow}
}

// Load reads the SBOMs of src; verified says whether a run verified them
// (it verifies nothing itself).
func Load(ctx context.Context, src Source, verified bool) ([]View, error) {
	if src.Path != "" {
		f, err := os.Open(src.Path)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
		}
		defer f.Close()
		doc, err := document.Read(ctx, io.Reader(f), document.Options{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.Path, err)
		}
		return []View{New(doc, verified)}, nil
	}
	subject, err := subjectOf(ctx, src)
	if err != nil {
		return nil, err
	}
	data, err := sdk.ReadFile(src.Bundle, trust.MaxAttestationBundleSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnreadable, src.Bundle, err)
	}
	docs, err := sbom.ReadAttestations(ctx, data, subject, document.Options{AllowCosignCustom: src.AllowCosignCustom})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.Bundle, err)
	}
	views := make([]View, 0, len(docs))
	for _, d := range docs {
		views = append(views, New(d, verified))
	}
	return views, nil
}

func subjectOf(ctx context.Context, src Source) (trust.Digest, error) {
	if src.Digest != "" {
		return trust.ParseDigest(src.Digest)
	}
	d, err := sdk.DigestFile(ctx, src.File, "sha256")
	if err != nil {
		return trust.Digest{}, fmt.Errorf("%w: %s: %v", ErrUnreadable, src.File, err)
	}
	return trust.Digest{Algorithm: d.Algorithm, Hex: d.Hex}, nil
}

// Write prints views in format: json, else text.
func Write(w io.Writer, format string, views []View) error {
	if format == "json" {
		return WriteJSON(w, views)
	}
	return WriteText(w, views)
}
