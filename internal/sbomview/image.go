package sbomview

import (
	"context"
	"fmt"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/plugins/image"
	"github.com/vmafx/vmafx-trust/plugins/sbom/document"
)

// Images finds an image's attestations (the image plugin does).
type Images interface {
	Attestations(ctx context.Context, req *sdk.Request, q image.AttestationQuery) ([]image.PartAttestations, []sdk.Diagnostic, error)
}

// LoadImage reads the SBOMs of every part of the image q names whose
// attestations verify for req's signer (the image plugin verifies each
// before it returns it); a part without one is an error, as in sbom
// verify. Each view is named by its part.
func LoadImage(ctx context.Context, images Images, req *sdk.Request, q image.AttestationQuery, allowCustom bool) ([]View, error) {
	parts, _, err := images.Attestations(ctx, req, q)
	if err != nil {
		return nil, err
	}
	var views []View
	var missing []string
	for _, pa := range parts {
		if pa.Status != sdk.StatusPass {
			if len(parts) > 1 && pa.Name == "index" && len(pa.Found) == 0 {
				continue // an index needs no SBOM of its own when its platforms have theirs
			}
			missing = append(missing, pa.Reason)
			continue
		}
		for _, att := range pa.Found {
			_, doc, err := document.ReadStatement(ctx, att.Statement, document.Options{AllowCosignCustom: allowCustom})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", att.Source, err)
			}
			v := New(doc, true)
			v.Part = pa.Name
			v.Digest = pa.Digest
			views = append(views, v)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(missing, "; "))
	}
	return views, nil
}
