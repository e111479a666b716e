package image

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
)

// EnvGitHubAPI overrides the GitHub REST API base URL (GitHub Enterprise
// Server, tests). The token comes from GH_TOKEN or GITHUB_TOKEN, optional
// for public repositories.
const EnvGitHubAPI = "VMAFX_TRUST_GITHUB_API_URL"

var ownerRepo = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
})

// githubAttestations lists the Sigstore bundles GitHub stores for digest in
// owner/repo (`GET /repos/{owner}/{repo}/attestations/{digest}`, what `gh
// attestation verify` reads): each inline, or behind a snappy-compressed
// bundle_url.
func (p *Plugin) githubAttestations(ctx context.Context, repo, digest string, offline bool) ([][]byte, string, error) {
	if !ownerRepo().MatchString(repo) {
		return nil, "", fmt.Errorf("github_repository %q: want owner/name", repo)
	}
	base := os.Getenv(EnvGitHubAPI)
	if base == "" {
		base = "https://api.github.com"
	}
	u := fmt.Sprintf("%s/repos/%s/attestations/%s?per_page=100", strings.TrimSuffix(base, "/"), repo, url.PathEscape(digest))
	pu, err := url.Parse(u)
	if err != nil {
		return nil, "", err
	}
	if offline && !isLoopback(pu.Hostname()) {
		return nil, "", fmt.Errorf("--offline: the GitHub API at %s is not reachable offline", pu.Host)
	}
	v, err := p.cache.do(ctx, "github "+u, func() (any, error) {
		token := os.Getenv("GH_TOKEN")
		if token == "" {
			token = os.Getenv("GITHUB_TOKEN")
		}
		body, err := p.httpGet(ctx, u, token, maxBlobSize)
		if err != nil {
			return nil, err
		}
		var resp struct {
			Attestations []struct {
				Bundle    json.RawMessage `json:"bundle"`
				BundleURL string          `json:"bundle_url"`
			} `json:"attestations"`
		}
		if err := json.Unmarshal(body, &resp); err != nil {
			return nil, fmt.Errorf("GitHub API %s: not valid JSON: %w", pu.Path, err)
		}
		var out [][]byte
		for i, a := range resp.Attestations {
			if i >= maxReferrers {
				break
			}
			if b := strings.TrimSpace(string(a.Bundle)); b != "" && b != "null" {
				out = append(out, a.Bundle)
				continue
			}
			if a.BundleURL == "" {
				continue
			}
			// Storage URLs are signed; the API token is not sent there.
			compressed, err := p.httpGet(ctx, a.BundleURL, "", maxBlobSize)
			if err != nil {
				return nil, err
			}
			b, err := snappyDecode(compressed, maxBlobSize)
			if err != nil {
				return nil, fmt.Errorf("GitHub attestation %d: bundle_url: %w", i+1, err)
			}
			out = append(out, b)
		}
		return out, nil
	})
	if errors.Is(err, errNotFound) {
		return nil, "GitHub attestations API", nil
	}
	if err != nil {
		return nil, "", err
	}
	return v.([][]byte), "GitHub attestations API", nil
}

// httpGet fetches a URL through the plugin's guarded transport (loopback
// or TLS only; bounded; keep-alive), with a bearer token when given.
func (p *Plugin) httpGet(ctx context.Context, u, token string, limit int64) ([]byte, error) {
	release, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "vmafx-trust/"+Version)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	p.mu.Lock()
	if p.httpClient == nil {
		p.httpClient = &http.Client{Transport: &guard{base: newHTTPTransport(false), requests: &p.requests}}
	}
	c := p.httpClient
	p.mu.Unlock()
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("GET %s: %w", redactURL(req), errNotFound)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("GET %s: %s", redactURL(req), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("GET %s: more than %d bytes", redactURL(req), limit)
	}
	return data, nil
}

// snappyDecode decodes the snappy block format (what GitHub stores behind
// bundle_url), refusing output larger than limit.
func snappyDecode(src []byte, limit int) ([]byte, error) {
	n, k := binary.Uvarint(src)
	if k <= 0 || n > uint64(limit) {
		return nil, errors.New("snappy: bad or too large decoded length")
	}
	src = src[k:]
	dst := make([]byte, 0, n)
	for len(src) > 0 {
		tag := src[0]
		switch tag & 3 {
		case 0: // literal
			l := int(tag >> 2)
			src = src[1:]
			if l >= 60 {
				nb := l - 59
				if len(src) < nb {
					return nil, errors.New("snappy: truncated literal length")
				}
				l = 0
				for i := nb - 1; i >= 0; i-- {
					l = l<<8 | int(src[i])
				}
				src = src[nb:]
			}
			l++
			if l <= 0 || len(src) < l || len(dst)+l > int(n) {
				return nil, errors.New("snappy: bad literal")
			}
			dst = append(dst, src[:l]...)
			src = src[l:]
			continue
		case 1:
			if len(src) < 2 {
				return nil, errors.New("snappy: truncated copy")
			}
			length := 4 + int(tag>>2)&7
			offset := int(tag&0xe0)<<3 | int(src[1])
			src = src[2:]
			if err := snappyCopy(&dst, offset, length, int(n)); err != nil {
				return nil, err
			}
		case 2:
			if len(src) < 3 {
				return nil, errors.New("snappy: truncated copy")
			}
			length := 1 + int(tag>>2)
			offset := int(binary.LittleEndian.Uint16(src[1:3]))
			src = src[3:]
			if err := snappyCopy(&dst, offset, length, int(n)); err != nil {
				return nil, err
			}
		case 3:
			if len(src) < 5 {
				return nil, errors.New("snappy: truncated copy")
			}
			length := 1 + int(tag>>2)
			offset := int(binary.LittleEndian.Uint32(src[1:5]))
			src = src[5:]
			if err := snappyCopy(&dst, offset, length, int(n)); err != nil {
				return nil, err
			}
		}
	}
	if len(dst) != int(n) {
		return nil, errors.New("snappy: decoded length mismatch")
	}
	return dst, nil
}

func snappyCopy(dst *[]byte, offset, length, max int) error {
	d := *dst
	if offset <= 0 || offset > len(d) || len(d)+length > max {
		return errors.New("snappy: bad copy")
	}
	start := len(d) - offset
	for i := 0; i < length; i++ {
		d = append(d, d[start+i])
	}
	*dst = d
	return nil
}
