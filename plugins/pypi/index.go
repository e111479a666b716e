package pypi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk/fetch"
)

// Content types of the wire formats spoken to an index.
const (
	// SimpleJSONType is the PEP 691 JSON form of the Simple Repository API.
	SimpleJSONType = "application/vnd.pypi.simple.v1+json"
	// IntegrityJSONType is the Integrity API's provenance type (PEP 740).
	IntegrityJSONType = "application/vnd.pypi.integrity.v1+json"
	// DefaultIndex is where releases are listed unless the policy says otherwise.
	DefaultIndex = "https://pypi.org"
)

// Limits on what the index may send.
const (
	// MaxListingSize bounds a project's PEP 691 page (it lists every file
	// of every release; the largest projects on PyPI are a few MiB).
	MaxListingSize = 32 << 20
	// MaxDistributionSize bounds one downloaded distribution file.
	MaxDistributionSize = fetch.DefaultMaxSize
)

// index is a PEP 691 + Integrity API index: pypi.org, a mirror, a private
// index. index = "https://host" (or "https://host/path") means the Simple
// API at …/simple/ and the Integrity API at …/integrity/; an index URL that
// already ends in /simple is taken as the Simple API root.
type index struct {
	shown      string // the index as the policy gave it
	simpleRoot string // …/simple/
	base       string // …, for /integrity/
}

func newIndex(raw string) (*index, error) {
	if raw == "" {
		raw = DefaultIndex
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("index %q: want an http(s) URL such as %s", raw, DefaultIndex)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("index %q: no query, fragment or credentials, please", raw)
	}
	path := strings.TrimRight(u.Path, "/")
	u.Path, u.RawPath = "", ""
	root := strings.TrimRight(u.String(), "/")
	ix := &index{shown: raw}
	if strings.HasSuffix(path, "/simple") {
		ix.simpleRoot = root + path + "/"
		ix.base = root + strings.TrimSuffix(path, "/simple")
	} else {
		ix.simpleRoot = root + path + "/simple/"
		ix.base = root + path
	}
	return ix, nil
}

func (ix *index) projectURL(project string) string {
	return ix.simpleRoot + url.PathEscape(NormalizeName(project)) + "/"
}

// integrityURL is the Integrity API route of a file's provenance:
// /integrity/<project>/<version>/<filename>/provenance.
func (ix *index) integrityURL(project, version, filename string) string {
	return ix.base + "/integrity/" + url.PathEscape(NormalizeName(project)) + "/" + url.PathEscape(version) + "/" + url.PathEscape(filename) + "/provenance"
}

// listedFile is one file of a release as the index lists it.
type listedFile struct {
	filename   string
	url        string
	sha256     string // "" when the index lists none
	provenance string // the PEP 740 provenance URL, "" when not listed
	yanked     bool
}

// simplePage is the PEP 691 project page, with PEP 700's and PEP 740's
// additions where this plugin uses them.
type simplePage struct {
	Meta struct {
		APIVersion string `json:"api-version"`
	} `json:"meta"`
	Name  string `json:"name"`
	Files []struct {
		Filename   string            `json:"filename"`
		URL        string            `json:"url"`
		Hashes     map[string]string `json:"hashes"`
		Provenance json.RawMessage   `json:"provenance"`
		Yanked     json.RawMessage   `json:"yanked"`
	} `json:"files"`
}

// parseListing reads a PEP 691 project page and returns the files of one
// release (by file name: PEP 440-equal versions of the PEP 503-equal
// project), with their URLs resolved against the page.
func parseListing(data []byte, pageURL, project, version string) ([]listedFile, error) {
	var page simplePage
	if err := json.Unmarshal(data, &page); err != nil {
		return nil, fmt.Errorf("%s is not a PEP 691 JSON project page: %w", pageURL, err)
	}
	major, _, _ := strings.Cut(page.Meta.APIVersion, ".")
	if major != "1" {
		return nil, fmt.Errorf("%s: PEP 691 api-version %q is not supported (want 1.x)", pageURL, page.Meta.APIVersion)
	}
	if page.Name != "" && NormalizeName(page.Name) != NormalizeName(project) {
		return nil, fmt.Errorf("%s lists project %q, not %q", pageURL, page.Name, project)
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, err
	}
	resolve := func(ref string) (string, error) {
		r, err := url.Parse(ref)
		if err != nil {
			return "", err
		}
		abs := base.ResolveReference(r)
		abs.Fragment = ""
		if abs.Scheme != "https" && abs.Scheme != "http" {
			return "", fmt.Errorf("URL %q is not http(s)", ref)
		}
		return abs.String(), nil
	}
	seen := map[string]bool{}
	var out []listedFile
	for _, f := range page.Files {
		if f.Filename == "" || strings.ContainsAny(f.Filename, `/\`) || f.Filename == "." || f.Filename == ".." {
			return nil, fmt.Errorf("%s lists a file named %q", pageURL, f.Filename)
		}
		if !inRelease(f.Filename, project, version) {
			continue
		}
		if seen[f.Filename] {
			return nil, fmt.Errorf("%s lists %s twice", pageURL, f.Filename)
		}
		seen[f.Filename] = true
		lf := listedFile{filename: f.Filename}
		if lf.url, err = resolve(f.URL); err != nil || f.URL == "" {
			return nil, fmt.Errorf("%s: %s has no usable URL (%v)", pageURL, f.Filename, err)
		}
		if h, ok := f.Hashes["sha256"]; ok {
			if !isHex64(h) {
				return nil, fmt.Errorf("%s lists %s with a malformed sha256 %q", pageURL, f.Filename, h)
			}
			lf.sha256 = strings.ToLower(h)
		}
		switch p := strings.TrimSpace(string(f.Provenance)); {
		case p == "" || p == "null":
		default:
			var s string
			if err := json.Unmarshal(f.Provenance, &s); err != nil {
				return nil, fmt.Errorf("%s: %s: provenance is not a URL string", pageURL, f.Filename)
			}
			if lf.provenance, err = resolve(s); err != nil {
				return nil, fmt.Errorf("%s: %s: provenance: %v", pageURL, f.Filename, err)
			}
		}
		switch y := strings.TrimSpace(string(f.Yanked)); {
		case y == "" || y == "false" || y == "null":
		default:
			lf.yanked = true
		}
		out = append(out, lf)
	}
	return out, nil
}

// inRelease reports whether a listed file belongs to project's version.
// Wheels and sdists are parsed; other (legacy) formats are matched by their
// name prefix, so that they are listed and then fail as unattestable rather
// than be skipped silently.
func inRelease(filename, project, version string) bool {
	if d, err := parseDistFile(filename); err == nil {
		return d.Name == NormalizeName(project) && sameVersion(d.Version, version)
	}
	norm := NormalizeName(strings.ToLower(filename))
	prefix := NormalizeName(project) + "-" + NormalizeName(version)
	if !strings.HasPrefix(norm, prefix) {
		return false
	}
	rest := norm[len(prefix):]
	return rest == "" || (rest[0] == '-' && (len(rest) == 1 || rest[1] < '0' || rest[1] > '9'))
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// acceptTransport sets the Accept header the wire format needs (PEP 691
// content negotiation; the Integrity API's media type).
type acceptTransport struct {
	base   http.RoundTripper
	accept string
}

func (t acceptTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept", t.accept)
	return t.base.RoundTrip(r)
}

func fetchOptions(accept string) fetch.Options {
	// The SDK downloader's shared transport: one pool of connections for
	// every download of the run.
	rt := fetch.Transport()
	if accept != "" {
		rt = acceptTransport{base: rt, accept: accept}
	}
	return fetch.Options{Client: &http.Client{Transport: rt}, UserAgent: "vmafx-trust-pypi/" + Version}
}

// netError classifies a download failure: notFound (404/410), failed (the
// answer is unacceptable: too large, insecure URL) or otherwise could not be
// checked (network, 403 "temporarily unavailable", 5xx, interrupted).
type netError struct {
	err      error
	notFound bool
	failed   bool
	status   int
}

func classify(err error) *netError {
	ne := &netError{err: err}
	var fe *fetch.Error
	if errors.As(err, &fe) {
		ne.status = fe.Status
	}
	switch {
	case errors.Is(err, fetch.ErrNotFound):
		ne.notFound = true
	case errors.Is(err, fetch.ErrTooLarge), errors.Is(err, fetch.ErrInsecure):
		ne.failed = true
	}
	return ne
}

func getJSON(ctx context.Context, u, accept string, limit int64) ([]byte, error) {
	return fetch.Get(ctx, u, limit, fetchOptions(accept))
}

func download(ctx context.Context, u string, progress func(done, total int64)) (string, int64, error) {
	opts := fetchOptions("")
	opts.Progress = progress
	opts.MaxSize = MaxDistributionSize
	opts.LimitHint = "larger distributions are refused"
	res, err := fetch.Download(ctx, u, []string{"sha256"}, "", opts)
	if err != nil {
		return "", 0, err
	}
	return res.Digests["sha256"], res.Size, nil
}
