// Package workloads turns what a cluster reports about its containers into
// artifacts to verify: the digest each container runs (from pod status,
// not from the spec's tag) and the image block of the policy that governs
// its repository.
package workloads

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// ErrNoRepoDigest is wrapped by the error for an image ID that names no
// repository digest: a bare "sha256:…" (the runtime's local image ID, or a
// registry that served no digest) is the config's digest, which no
// signature covers.
var ErrNoRepoDigest = errors.New("no repository digest reported")

// Running is the image a container runs, as its pod status reports it.
type Running struct {
	// Repository is the normalised repository ("docker.io/library/nginx").
	Repository string
	// Digest is the manifest digest ("sha256:…").
	Digest string
}

// Ref is the running image pinned by digest, as an image block's ref.
func (r Running) Ref() string { return r.Repository + "@" + r.Digest }

// runtimePrefixes are the URL-like prefixes container runtimes put before
// an image ID in status.containerStatuses[].imageID (dockershim and
// cri-dockerd write docker-pullable://; containerd and CRI-O none).
var runtimePrefixes = []string{"docker-pullable://", "docker://"}

// ParseImageID reads status.*ContainerStatuses[].imageID: REPO@sha256:HEX,
// possibly behind a runtime prefix. A bare digest is ErrNoRepoDigest.
func ParseImageID(imageID string) (Running, error) {
	id := strings.TrimSpace(imageID)
	for _, p := range runtimePrefixes {
		id = strings.TrimPrefix(id, p)
	}
	if id == "" {
		return Running{}, fmt.Errorf("imageID is empty: the container has not started")
	}
	repo, digest, ok := strings.Cut(id, "@")
	if !ok {
		if strings.HasPrefix(id, "sha256:") {
			return Running{}, fmt.Errorf("imageID %q: %w (a local image ID, which no signature covers)", imageID, ErrNoRepoDigest)
		}
		return Running{}, fmt.Errorf("imageID %q: %w", imageID, ErrNoRepoDigest)
	}
	d, err := name.NewDigest(repo+"@"+digest, name.WeakValidation)
	if err != nil {
		return Running{}, fmt.Errorf("imageID %q: %w", imageID, err)
	}
	if !strings.HasPrefix(d.DigestStr(), "sha256:") {
		return Running{}, fmt.Errorf("imageID %q: digest %s is not sha256", imageID, d.DigestStr())
	}
	return Running{Repository: d.Context().Name(), Digest: d.DigestStr()}, nil
}

// Rule says which repositories an image block governs: its ref's
// repository, and glob patterns (path.Match, where * stays within one
// path segment: "ghcr.io/vmafx/*" is every repository directly under
// ghcr.io/vmafx).
type Rule struct {
	Block      string
	Repository string
	Patterns   []string
}

// NewRule is the rule of an image block whose ref is ref, with patterns
// (each normalised as a repository would be, so that "vmafx/*" and
// "docker.io/vmafx/*" are the same).
func NewRule(block, ref string, patterns []string) (Rule, error) {
	r := Rule{Block: block}
	parsed, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return r, fmt.Errorf("image %q: ref %q: %w", block, ref, err)
	}
	r.Repository = parsed.Context().Name()
	for _, p := range patterns {
		np, err := normalisePattern(p)
		if err != nil {
			return r, fmt.Errorf("image %q: workloads pattern %q: %w", block, p, err)
		}
		r.Patterns = append(r.Patterns, np)
	}
	return r, nil
}

// normalisePattern gives a pattern the registry and library prefixes a
// repository name gets, and checks that it is a valid pattern.
func normalisePattern(p string) (string, error) {
	if _, err := path.Match(p, ""); err != nil {
		return "", err
	}
	if strings.Contains(p, "**") {
		// path.Match reads ** as *, which would surprise anyone expecting
		// it to cross path segments.
		return "", errors.New("** is not supported: * matches within one path segment; list each depth")
	}
	first, _, hasSlash := strings.Cut(p, "/")
	if !hasSlash || !(strings.ContainsAny(first, ".:") || first == "localhost") {
		p = name.DefaultRegistry + "/" + p
		if !strings.Contains(strings.TrimPrefix(p, name.DefaultRegistry+"/"), "/") {
			p = name.DefaultRegistry + "/library/" + strings.TrimPrefix(p, name.DefaultRegistry+"/")
		}
	}
	return p, nil
}

// Matches reports whether the rule governs repository (normalised).
func (r Rule) Matches(repository string) bool {
	if repository == r.Repository {
		return true
	}
	for _, p := range r.Patterns {
		if ok, _ := path.Match(p, repository); ok {
			return true
		}
	}
	return false
}

// Match is the block governing repository: the first rule whose ref names
// the repository exactly, else the first whose pattern matches it; "" when
// none does.
func Match(rules []Rule, repository string) string {
	for _, r := range rules {
		if r.Repository == repository {
			return r.Block
		}
	}
	for _, r := range rules {
		if r.Matches(repository) {
			return r.Block
		}
	}
	return ""
}
