package image

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// LayoutScheme prefixes an OCI image layout directory in a reference.
const LayoutScheme = "oci-layout://"

// imageRef is a parsed image reference: a registry repository with a tag
// or digest, or an OCI layout directory with an optional digest or tag.
type imageRef struct {
	text      string
	layoutDir string          // oci-layout://DIR
	repo      name.Repository // registry
	digest    string          // pinned: sha256:<hex>
	tag       string
}

func (r *imageRef) isLayout() bool { return r.layoutDir != "" }

// host is the registry's host without port ("" for layouts).
func (r *imageRef) host() string {
	if r.isLayout() {
		return ""
	}
	h := r.repo.RegistryStr()
	if hh, _, err := net.SplitHostPort(h); err == nil {
		return hh
	}
	return h
}

// parseRef parses registry/repo[:tag][@sha256:…] or
// oci-layout://DIR[@sha256:…|:TAG]; a relative DIR is relative to the
// policy's directory.
func parseRef(s, policyDir string, insecure bool) (*imageRef, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("ref is empty")
	}
	if rest, ok := strings.CutPrefix(s, LayoutScheme); ok {
		r := &imageRef{text: s}
		if i := strings.LastIndex(rest, "@"); i >= 0 {
			r.digest, rest = rest[i+1:], rest[:i]
			if !validDigest(r.digest) {
				return nil, fmt.Errorf("ref %q: digest %q is not sha256:<64 lowercase hex>", s, r.digest)
			}
		} else if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
			r.tag, rest = rest[i+1:], rest[:i]
			if r.tag == "" {
				return nil, fmt.Errorf("ref %q: empty tag", s)
			}
		}
		if rest == "" {
			return nil, fmt.Errorf("ref %q: no directory after %s", s, LayoutScheme)
		}
		if !filepath.IsAbs(rest) {
			rest = filepath.Join(policyDir, rest)
		}
		r.layoutDir = filepath.Clean(rest)
		return r, nil
	}
	if strings.Contains(s, "://") {
		return nil, fmt.Errorf("ref %q: want registry/repository[:tag][@sha256:…] (no scheme) or %sDIR", s, LayoutScheme)
	}
	opts := []name.Option{name.WeakValidation}
	if insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(s, opts...)
	if err != nil {
		return nil, fmt.Errorf("ref %q: %w", s, err)
	}
	r := &imageRef{text: s, repo: ref.Context()}
	switch t := ref.(type) {
	case name.Digest:
		r.digest = t.DigestStr()
		if !validDigest(r.digest) {
			return nil, fmt.Errorf("ref %q: digest %q is not sha256:<64 lowercase hex>", s, r.digest)
		}
	case name.Tag:
		r.tag = t.TagStr()
	}
	return r, nil
}

// normalizeRepo returns the repository name of a docker-reference as
// go-containerregistry spells it (docker.io/x → index.docker.io/library/x),
// so that cosign's payloads compare with the reference verified.
func normalizeRepo(s string) string {
	if ref, err := name.ParseReference(s, name.WeakValidation); err == nil {
		return ref.Context().Name()
	}
	if repo, err := name.NewRepository(s, name.WeakValidation); err == nil {
		return repo.Name()
	}
	return s
}
