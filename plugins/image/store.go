package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// errNotFound is a manifest, tag or blob the store does not have (HTTP 404,
// or absent from an OCI layout): "nothing there", not "could not look".
var errNotFound = errors.New("not found")

// descriptor is an OCI content descriptor.
type descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Platform     *platform         `json:"platform,omitempty"`
}

type platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

func (p *platform) String() string {
	if p == nil {
		return ""
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// ociManifest holds the fields of an image manifest and of an image index
// that verification reads (Docker schema 2 manifests and lists share them).
type ociManifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        *descriptor       `json:"config"`
	Layers        []descriptor      `json:"layers"`
	Manifests     []descriptor      `json:"manifests"`
	Subject       *descriptor       `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
}

// manifest is a fetched manifest or index: its digest (of exactly these
// bytes), media type and parsed form.
type manifest struct {
	digest    string
	mediaType string
	raw       []byte
	m         ociManifest
	// loose: found by role, not by a tag naming the image's digest (an OCI
	// layout's cosign "sigs"/"atts" manifests may belong to another image
	// of the layout), so content bound to another digest is skipped, not
	// reported.
	loose bool
}

func (m *manifest) isIndex() bool {
	switch m.mediaType {
	case "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json":
		return true
	}
	return m.mediaType == "" && len(m.m.Manifests) > 0 && len(m.m.Layers) == 0
}

// parseManifest parses raw manifest bytes; the media type comes from the
// registry's Content-Type or, failing that, the document itself.
func parseManifest(raw []byte, digest, mediaType string) (*manifest, error) {
	m := &manifest{digest: digest, mediaType: mediaType, raw: raw}
	if err := json.Unmarshal(raw, &m.m); err != nil {
		return nil, fmt.Errorf("manifest %s is not valid JSON: %w", short(digest), err)
	}
	if m.m.SchemaVersion != 2 {
		return nil, fmt.Errorf("manifest %s: schemaVersion %d, want 2 (schema 1 manifests cannot carry signatures)", short(digest), m.m.SchemaVersion)
	}
	if m.m.MediaType != "" && (m.mediaType == "" || strings.HasPrefix(m.mediaType, "application/json") || m.mediaType == "text/plain") {
		m.mediaType = m.m.MediaType
	}
	if m.mediaType == "" && len(m.m.Manifests) > 0 {
		m.mediaType = "application/vnd.oci.image.index.v1+json"
	}
	return m, nil
}

// store is where an image and its signatures live: a registry repository or
// an OCI image layout directory.
type store interface {
	// name is the repository name the simplesigning payload's
	// docker-reference must match ("" when the store has none).
	name() string
	// where names the store in messages.
	where() string
	// get fetches a manifest by digest ("sha256:…") or by tag.
	get(ctx context.Context, ref string) (*manifest, error)
	// tagged returns the manifests stored under a tag (cosign's legacy
	// sha256-<hex>.sig/.att tags; an OCI layout may hold several).
	tagged(ctx context.Context, tag string) ([]*manifest, error)
	// referrers lists the manifests whose subject is digest, and says how
	// they were found (referrers API or tag-schema fallback).
	referrers(ctx context.Context, digest string) ([]descriptor, string, error)
	// blob reads a blob, at most limit bytes, verified against its digest.
	blob(ctx context.Context, digest string, limit int64) ([]byte, error)
}

// onceCache runs each keyed fetch once per plugin process (a whole run)
// and shares the result with every caller, concurrent or later. Failures
// other than errNotFound are not kept, so a timeout in one artifact does
// not poison another: a caller that waited on a fetch which failed because
// the context of the caller running it ended (its artifact's deadline, or
// a prefetch no longer wanted) runs the fetch again under its own.
type onceCache struct {
	mu sync.Mutex
	m  map[string]*cacheEntry
}

type cacheEntry struct {
	done chan struct{}
	val  any
	err  error
	// ownerGone: the fetch failed after its caller's context ended.
	ownerGone bool
}

func (c *onceCache) do(ctx context.Context, key string, fn func() (any, error)) (any, error) {
	for {
		c.mu.Lock()
		if c.m == nil {
			c.m = map[string]*cacheEntry{}
		}
		if e, ok := c.m[key]; ok {
			c.mu.Unlock()
			select {
			case <-e.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if e.err != nil && e.ownerGone && ctx.Err() == nil {
				continue
			}
			return e.val, e.err
		}
		e := &cacheEntry{done: make(chan struct{})}
		c.m[key] = e
		c.mu.Unlock()
		return c.fetch(ctx, key, e, fn)
	}
}

// fetch runs fn for the entry e of key and publishes its result. A panic
// in fn is not kept either: waiters fetch again, and the panic goes on to
// the caller's recovery.
func (c *onceCache) fetch(ctx context.Context, key string, e *cacheEntry, fn func() (any, error)) (any, error) {
	returned := false
	defer func() {
		if !returned {
			e.val, e.err, e.ownerGone = nil, errors.New("the fetch panicked"), true
		}
		if e.err != nil && !errors.Is(e.err, errNotFound) {
			c.mu.Lock()
			delete(c.m, key)
			c.mu.Unlock()
		}
		close(e.done)
	}()
	e.val, e.err = fn()
	returned = true
	if e.err != nil {
		e.ownerGone = ctx.Err() != nil
	}
	return e.val, e.err
}

// put records a value under a key unless one is there.
func (c *onceCache) put(key string, val any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*cacheEntry{}
	}
	if _, ok := c.m[key]; ok {
		return
	}
	e := &cacheEntry{done: make(chan struct{}), val: val}
	close(e.done)
	c.m[key] = e
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// checkDigest verifies that data hashes to digest ("sha256:<hex>").
func checkDigest(data []byte, digest string) error {
	alg, hx, ok := strings.Cut(digest, ":")
	if !ok || alg != "sha256" {
		return fmt.Errorf("digest %q: only sha256 is supported", digest)
	}
	if got := sha256Hex(data); got != hx {
		return fmt.Errorf("content of %s hashes to sha256:%s", short(digest), got)
	}
	return nil
}

// short abbreviates a digest for messages: sha256:0123456789ab….
func short(d string) string {
	if alg, hx, ok := strings.Cut(d, ":"); ok && len(hx) > 12 {
		return alg + ":" + hx[:12] + "…"
	}
	return d
}

func validDigest(d string) bool {
	alg, hx, ok := strings.Cut(d, ":")
	if !ok || alg != "sha256" || len(hx) != 64 {
		return false
	}
	_, err := hex.DecodeString(hx)
	return err == nil && strings.ToLower(hx) == hx
}
