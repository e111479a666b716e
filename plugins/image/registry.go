package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Environment variables for registry credentials in CI, used for every
// registry of the run (the Docker config keychain and credential helpers
// are consulted when they are not set). The verbs' --registry-token,
// --registry-username and --registry-password set them for the plugin.
const (
	EnvRegistryToken    = "VMAFX_TRUST_REGISTRY_TOKEN"
	EnvRegistryUsername = "VMAFX_TRUST_REGISTRY_USERNAME"
	EnvRegistryPassword = "VMAFX_TRUST_REGISTRY_PASSWORD"
)

// registryStore is one repository of a registry, reached through the
// plugin's shared puller (auth tokens and connections reused for the run)
// and cache.
type registryStore struct {
	p      *Plugin
	repo   name.Repository
	puller *remote.Puller
}

func (s *registryStore) name() string  { return s.repo.Name() }
func (s *registryStore) where() string { return s.repo.Name() }

func (s *registryStore) key(parts ...string) string {
	return "registry " + s.repo.Name() + " " + strings.Join(parts, " ")
}

func (s *registryStore) get(ctx context.Context, ref string) (*manifest, error) {
	key := s.key("manifest", ref)
	v, err := s.p.cache.do(ctx, key, func() (any, error) {
		var r name.Reference
		if validDigest(ref) {
			r = s.repo.Digest(ref)
		} else {
			r = s.repo.Tag(ref)
		}
		release, err := s.p.acquire(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
		d, err := s.puller.Get(ctx, r)
		if err != nil {
			return nil, registryError(err, r.String())
		}
		// By digest go-containerregistry checks the bytes against it; by
		// tag the digest is computed from the bytes received.
		if err := checkDigest(d.Manifest, d.Digest.String()); err != nil {
			return nil, fmt.Errorf("%s: %w", r, err)
		}
		m, err := parseManifest(d.Manifest, d.Digest.String(), string(d.MediaType))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r, err)
		}
		if !validDigest(ref) {
			s.p.cache.put(s.key("manifest", m.digest), m)
		}
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*manifest), nil
}

func (s *registryStore) tagged(ctx context.Context, tag string) ([]*manifest, error) {
	m, err := s.get(ctx, tag)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []*manifest{m}, nil
}

type referrersList struct {
	descs []descriptor
	how   string
}

func (s *registryStore) referrers(ctx context.Context, digest string) ([]descriptor, string, error) {
	v, err := s.p.cache.do(ctx, s.key("referrers", digest), func() (any, error) {
		release, err := s.p.acquire(ctx)
		if err != nil {
			return nil, err
		}
		idx, err := remote.Referrers(s.repo.Digest(digest), remote.Reuse(s.puller), remote.WithContext(ctx))
		release()
		if err == nil {
			raw, err := idx.RawManifest()
			if err != nil {
				return nil, err
			}
			var list ociManifest
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, fmt.Errorf("referrers of %s: not valid JSON: %w", short(digest), err)
			}
			return &referrersList{descs: list.Manifests, how: "referrers API"}, nil
		}
		// go-containerregistry says so when the registry answers 404,
		// 400 or 406 (or not with an index): no referrers API.
		if !strings.Contains(err.Error(), "does not support the Referrers API") {
			return nil, registryError(err, "referrers of "+short(digest))
		}
		tag := strings.Replace(digest, ":", "-", 1)
		how := "referrers tag " + tag[:min(len(tag), 19)] + "… (no referrers API)"
		m, err := s.get(ctx, tag)
		if errors.Is(err, errNotFound) {
			return &referrersList{how: how}, nil
		}
		if err != nil {
			return nil, err
		}
		return &referrersList{descs: m.m.Manifests, how: how}, nil
	})
	if err != nil {
		return nil, "", err
	}
	l := v.(*referrersList)
	return l.descs, l.how, nil
}

func (s *registryStore) blob(ctx context.Context, digest string, limit int64) ([]byte, error) {
	v, err := s.p.cache.do(ctx, s.key("blob", digest), func() (any, error) {
		release, err := s.p.acquire(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
		l, err := s.puller.Layer(ctx, s.repo.Digest(digest))
		if err != nil {
			return nil, registryError(err, "blob "+short(digest))
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, registryError(err, "blob "+short(digest))
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, limit+1))
		if err != nil {
			return nil, registryError(err, "blob "+short(digest))
		}
		if int64(len(data)) > limit {
			return nil, fmt.Errorf("blob %s is larger than the %d bytes allowed", short(digest), limit)
		}
		if err := checkDigest(data, digest); err != nil {
			return nil, err
		}
		return data, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// registryError turns 404 into errNotFound and names what was fetched.
func registryError(err error, what string) error {
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s: %w", what, errNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// keychain: the CI credentials from the environment when set, else the
// Docker config file and its credential helpers.
func keychain() authn.Keychain {
	if tok := os.Getenv(EnvRegistryToken); tok != "" {
		return staticKeychain{authn.FromConfig(authn.AuthConfig{RegistryToken: tok})}
	}
	if u := os.Getenv(EnvRegistryUsername); u != "" {
		return staticKeychain{authn.FromConfig(authn.AuthConfig{Username: u, Password: os.Getenv(EnvRegistryPassword)})}
	}
	return authn.DefaultKeychain
}

type staticKeychain struct{ a authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.a, nil }

// puller returns the shared puller for secure or insecure registries.
func (p *Plugin) pullerFor(insecure bool) (*remote.Puller, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pl := p.pullers[insecure]; pl != nil {
		return pl, nil
	}
	base := newHTTPTransport(insecure)
	g := &guard{base: base, allowHTTP: insecure, requests: &p.requests, pings: &pingCache{}}
	pl, err := remote.NewPuller(
		remote.WithTransport(g),
		remote.WithAuthFromKeychain(keychain()),
		remote.WithUserAgent("vmafx-trust/"+Version),
		remote.WithReferrersTagFallback(false),
		remote.WithJobs(maxConcurrentFetches),
		// A hostile or broken registry must not hold a run for long:
		// two quick retries, then the error.
		remote.WithRetryBackoff(remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 2}),
	)
	if err != nil {
		return nil, err
	}
	if p.pullers == nil {
		p.pullers = map[bool]*remote.Puller{}
	}
	p.pullers[insecure] = pl
	return pl, nil
}
