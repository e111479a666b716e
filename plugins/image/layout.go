package image

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// Annotations of OCI image layouts.
const (
	annotationRefName = "org.opencontainers.image.ref.name"
	// cosign save marks each manifest of its layout with its role.
	annotationCosignKind = "kind"
	cosignKindSigs       = "dev.cosignproject.cosign/sigs"
	cosignKindAtts       = "dev.cosignproject.cosign/atts"
	cosignKindSBOMs      = "dev.cosignproject.cosign/sboms"
)

// legacyTag matches cosign's and the referrers fallback's tags.
var legacyTag = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^sha256-[0-9a-f]{64}(\.[a-z]+)?$`)
})

// layoutStore is an OCI image layout directory (oci-layout://DIR), as
// written by `cosign save`, `oras copy --to-oci-layout`, `crane` or
// `skopeo copy … oci:DIR`: index.json lists the manifests, blobs/sha256/
// holds every manifest and blob by digest. Nothing is trusted by location:
// every blob read is checked against its digest.
type layoutStore struct {
	dir   string
	index ociManifest
}

func openLayout(dir string) (*layoutStore, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", dir, unwrapPathError(err))
	} else if !st.IsDir() {
		return nil, fmt.Errorf("OCI layout %s: not a directory", dir)
	}
	raw, err := sdk.ReadFile(filepath.Join(dir, "index.json"), maxManifestSize)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: index.json: %w", dir, err)
	}
	m, err := parseManifest(raw, "index.json", "application/vnd.oci.image.index.v1+json")
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	return &layoutStore{dir: dir, index: m.m}, nil
}

func (s *layoutStore) name() string  { return "" }
func (s *layoutStore) where() string { return "oci-layout://" + s.dir }

// image picks the image the reference means when it names neither a
// digest nor a tag: the one entry of index.json that is not a signature,
// an attestation, a referrer or a fallback index.
func (s *layoutStore) image(ctx context.Context) (string, error) {
	var found []string
	for _, d := range s.index.Manifests {
		switch d.Annotations[annotationCosignKind] {
		case cosignKindSigs, cosignKindAtts, cosignKindSBOMs:
			continue
		}
		if legacyTag().MatchString(d.Annotations[annotationRefName]) {
			continue
		}
		if strings.HasPrefix(d.ArtifactType, bundleArtifactPrefix) {
			continue
		}
		if m, err := s.get(ctx, d.Digest); err == nil && m.m.Subject != nil {
			continue // a referrer
		}
		found = append(found, d.Digest)
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%s: index.json lists no image", s.where())
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%s: index.json lists %d images (%s): name one with @sha256:… or :TAG", s.where(), len(found), strings.Join(found, ", "))
}

func (s *layoutStore) get(ctx context.Context, ref string) (*manifest, error) {
	digest := ref
	mediaType := ""
	if !validDigest(ref) {
		var hits []descriptor
		for _, d := range s.index.Manifests {
			if d.Annotations[annotationRefName] == ref {
				hits = append(hits, d)
			}
		}
		switch len(hits) {
		case 0:
			return nil, fmt.Errorf("%s: tag %q: %w", s.where(), ref, errNotFound)
		case 1:
			digest, mediaType = hits[0].Digest, hits[0].MediaType
		default:
			return nil, fmt.Errorf("%s: tag %q names %d manifests", s.where(), ref, len(hits))
		}
	} else {
		for _, d := range s.index.Manifests {
			if d.Digest == ref {
				mediaType = d.MediaType
			}
		}
	}
	raw, err := s.blob(ctx, digest, maxManifestSize)
	if err != nil {
		return nil, err
	}
	return parseManifest(raw, digest, mediaType)
}

// tagged returns the manifests under a tag; for cosign's .sig and .att
// tags also the manifests `cosign save` marks as signatures or
// attestations (their binding to the image is checked from their content).
func (s *layoutStore) tagged(ctx context.Context, tag string) ([]*manifest, error) {
	var out []*manifest
	seen := map[string]bool{}
	for _, d := range s.index.Manifests {
		kind := d.Annotations[annotationCosignKind]
		match := d.Annotations[annotationRefName] == tag ||
			(strings.HasSuffix(tag, ".sig") && kind == cosignKindSigs) ||
			(strings.HasSuffix(tag, ".att") && kind == cosignKindAtts)
		if !match || seen[d.Digest] {
			continue
		}
		seen[d.Digest] = true
		m, err := s.get(ctx, d.Digest)
		if err != nil {
			return nil, err
		}
		m.loose = d.Annotations[annotationRefName] != tag
		out = append(out, m)
	}
	return out, nil
}

// referrers: every manifest of index.json whose subject is digest, plus the
// entries of a referrers fallback index tagged sha256-<hex>.
func (s *layoutStore) referrers(ctx context.Context, digest string) ([]descriptor, string, error) {
	var out []descriptor
	for _, d := range s.index.Manifests {
		if !strings.HasPrefix(d.MediaType, "application/vnd.oci.image.manifest") && d.MediaType != "" {
			continue
		}
		m, err := s.get(ctx, d.Digest)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if m.m.Subject != nil && m.m.Subject.Digest == digest {
			d.ArtifactType = m.m.ArtifactType
			out = append(out, d)
		}
	}
	if m, err := s.get(ctx, strings.Replace(digest, ":", "-", 1)); err == nil {
		out = append(out, m.m.Manifests...)
	} else if !errors.Is(err, errNotFound) {
		return nil, "", err
	}
	return out, "OCI layout subjects", nil
}

func (s *layoutStore) blob(_ context.Context, digest string, limit int64) ([]byte, error) {
	if !validDigest(digest) {
		return nil, fmt.Errorf("%s: digest %q is not sha256:<64 hex>", s.where(), digest)
	}
	alg, hx, _ := strings.Cut(digest, ":")
	data, err := sdk.ReadFile(filepath.Join(s.dir, "blobs", alg, hx), limit)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: blob %s: %w", s.where(), short(digest), errNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: blob %s: %w", s.where(), short(digest), err)
	}
	if err := checkDigest(data, digest); err != nil {
		return nil, fmt.Errorf("%s: %w", s.where(), err)
	}
	return data, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
