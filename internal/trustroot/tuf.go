package trustroot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// rootHistoryDir (inside a repository's cache directory) keeps every
// N.root.json the last online refresh downloaded, so an offline load can
// verify the root rotations from the pinned anchor to the cached metadata.
const rootHistoryDir = "vmafx-root-history"

// perRequestTimeout bounds one HTTP request even when the caller's context
// has no deadline.
const perRequestTimeout = 2 * time.Minute

const userAgent = "vmafx-trust (sigstore-go TUF client)"

// repoLocks serialises TUF work per cache directory inside this process: the
// host loads several trust roots concurrently and two of them may share a
// repository.
var repoLocks sync.Map // string → *sync.Mutex

func lockRepo(dir string) func() {
	m, _ := repoLocks.LoadOrStore(dir, new(sync.Mutex))
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// cacheLayout names the files sigstore-go's TUF client keeps for one
// repository under a cache directory.
type cacheLayout struct {
	base string // Options.CacheDir
	dir  string // <base>/<URLToPath(mirror)>: TUF metadata
}

func layoutFor(base, mirror string) cacheLayout {
	return cacheLayout{base: base, dir: filepath.Join(base, tuf.URLToPath(mirror))}
}

func (l cacheLayout) metadata(role string) string { return filepath.Join(l.dir, role+".json") }
func (l cacheLayout) target() string              { return filepath.Join(l.dir, "targets", TargetName) }
func (l cacheLayout) history() string             { return filepath.Join(l.dir, rootHistoryDir) }

// state is sigstore-go's record of the last successful refresh
// (<base>/<URLToPath(mirror)>.json).
func (l cacheLayout) state() string { return l.dir + ".json" }

func cacheDir(opts Options) (string, error) {
	d := opts.CacheDir
	if d == "" {
		var err error
		if d, err = DefaultCacheDir(); err != nil {
			return "", err
		}
	}
	return filepath.Abs(d)
}

func loadTUF(ctx context.Context, label string, repo tufRepo, opts Options) ([]byte, error) {
	base, err := cacheDir(opts)
	if err != nil {
		return nil, fmt.Errorf("trust root %q: %w", label, err)
	}
	l := layoutFor(base, repo.mirror)
	defer lockRepo(l.dir)()
	if opts.Offline {
		return loadOffline(label, repo, l)
	}
	return loadOnline(ctx, label, repo, l, opts.Transport)
}

// loadOnline runs sigstore-go's TUF client (full refresh, cache written) with
// a fetcher bound to ctx and the injected transport.
func loadOnline(ctx context.Context, label string, repo tufRepo, l cacheLayout, rt http.RoundTripper) ([]byte, error) {
	f := newHTTPFetcher(ctx, rt, repo.mirror)
	topts := &tuf.Options{
		Root:              repo.root,
		CachePath:         l.base,
		RepositoryBaseURL: repo.mirror,
		Fetcher:           f,
		Context:           ctx,
		// CacheValidity 0 and ForceCache false: New always performs the full
		// TUF update workflow against the mirror.
	}
	fail := func(what string, err error) error {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%w)", cerr, err)
		}
		hint := ""
		if _, serr := os.Stat(l.target()); serr == nil {
			hint = "; a cached copy exists: --offline uses it"
		}
		return fmt.Errorf("trust root %q: %s TUF repository %s (cache %s): %w%s", label, what, repo.mirror, l.dir, err, hint)
	}
	c, err := tuf.New(topts)
	if err != nil {
		return nil, fail("refreshing", err)
	}
	data, err := c.GetTarget(TargetName)
	if err != nil {
		return nil, fail("getting "+TargetName+" from", err)
	}
	if err := ValidateTrustedRoot(data); err != nil {
		return nil, fmt.Errorf("trust root %q: %s from TUF repository %s (cached as %s): %w", label, TargetName, repo.mirror, l.target(), err)
	}
	if err := writeRootHistory(l, f.fetchedRoots()); err != nil {
		return nil, fmt.Errorf("trust root %q: caching TUF root history in %s: %w", label, l.history(), err)
	}
	return data, nil
}

// loadOffline verifies the cached TUF metadata and target without any
// network access; see the package documentation for the rules.
func loadOffline(label string, repo tufRepo, l cacheLayout) ([]byte, error) {
	if !fileExists(l.metadata(metadata.TIMESTAMP)) || !fileExists(l.target()) {
		return nil, fmt.Errorf("trust root %q: --offline but no cached Sigstore trusted root in %s; run \"vmafx-trust trusted-root fetch\" once online", label, l.dir)
	}
	stale := func(file string, err error) error {
		return fmt.Errorf("trust root %q: cached TUF metadata %s does not verify: %w; run \"vmafx-trust trusted-root fetch\" once online to refresh it", label, file, err)
	}
	anchor := repo.rootPath
	if anchor == "" {
		anchor = "sigstore-go's embedded public-good root"
	}
	trusted, err := trustedmetadata.New(repo.root)
	if err != nil {
		return nil, fmt.Errorf("trust root %q: TUF root %s: %w", label, anchor, err)
	}

	// 1. Root rotations recorded by the last online refresh, then the cached
	// root.json itself if it is the next version (a cache written by another
	// sigstore-go client has no history).
	for {
		p := filepath.Join(l.history(), fmt.Sprintf("%d.root.json", trusted.Root.Signed.Version+1))
		data, err := sdk.ReadFile(p, maxRootSize)
		if isNotExist(err) {
			break
		}
		if err != nil {
			return nil, stale(p, err)
		}
		if _, err := trusted.UpdateRoot(data); err != nil {
			return nil, stale(p, err)
		}
	}
	if data, err := sdk.ReadFile(l.metadata(metadata.ROOT), maxRootSize); err == nil {
		if m, err := metadata.Root().FromBytes(data); err == nil && m.Signed.Version == trusted.Root.Signed.Version+1 {
			if _, err := trusted.UpdateRoot(data); err != nil {
				return nil, stale(l.metadata(metadata.ROOT), err)
			}
		}
	}

	// 2. Expiry is evaluated when the cache was last refreshed online.
	trusted.RefTime = offlineRefTime(l)

	// 3. timestamp → snapshot → targets, as the TUF client workflow does.
	steps := []struct {
		role string
		max  int64
		load func([]byte) error
	}{
		{metadata.TIMESTAMP, maxTimestampSize, func(b []byte) error { _, err := trusted.UpdateTimestamp(b); return err }},
		{metadata.SNAPSHOT, maxSnapshotSize, func(b []byte) error { _, err := trusted.UpdateSnapshot(b, false); return err }},
		{metadata.TARGETS, maxTargetsSize, func(b []byte) error { _, err := trusted.UpdateTargets(b); return err }},
	}
	for _, s := range steps {
		p := l.metadata(s.role)
		data, err := sdk.ReadFile(p, s.max)
		if err != nil {
			return nil, stale(p, err)
		}
		if err := s.load(data); err != nil {
			return nil, stale(p, err)
		}
	}

	// 4. The target, against its length and hashes in targets.json. Only
	// top-level targets are looked up (Sigstore's repositories list
	// trusted_root.json there).
	tf, ok := trusted.Targets[metadata.TARGETS].Signed.Targets[TargetName]
	if !ok {
		return nil, stale(l.metadata(metadata.TARGETS), fmt.Errorf("%s is not a top-level target", TargetName))
	}
	if tf.Length > MaxTrustedRootSize {
		return nil, stale(l.metadata(metadata.TARGETS), fmt.Errorf("%s is listed with %d bytes, more than the %d allowed", TargetName, tf.Length, MaxTrustedRootSize))
	}
	data, err := sdk.ReadFile(l.target(), tf.Length)
	if err != nil {
		return nil, stale(l.target(), err)
	}
	if err := tf.VerifyLengthHashes(data); err != nil {
		return nil, stale(l.target(), err)
	}
	if err := ValidateTrustedRoot(data); err != nil {
		return nil, fmt.Errorf("trust root %q: cached %s: %w", label, l.target(), err)
	}
	return data, nil
}

// offlineRefTime is the time of the last successful online refresh as
// sigstore-go recorded it, or now when there is no (sane) record.
func offlineRefTime(l cacheLayout) time.Time {
	t := now().UTC()
	data, err := sdk.ReadFile(l.state(), maxStateSize)
	if err != nil {
		return t
	}
	var cfg tuf.Config
	if json.Unmarshal(data, &cfg) != nil || cfg.LastTimestamp.IsZero() || cfg.LastTimestamp.After(t) {
		return t
	}
	return cfg.LastTimestamp.UTC()
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

var rootFileRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([1-9][0-9]{0,18})\.root\.json$`)
})

// writeRootHistory replaces the cached root history with the roots fetched by
// this refresh (sigstore-go always walks from the pinned anchor, so they are
// the complete chain from anchor+1 to the newest root).
func writeRootHistory(l cacheLayout, roots map[int64][]byte) error {
	dir := l.history()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		m := rootFileRE().FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseInt(m[1], 10, 64)
		if _, keep := roots[v]; !keep {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	for v, data := range roots {
		if err := writeAtomic(filepath.Join(dir, fmt.Sprintf("%d.root.json", v)), data); err != nil {
			return err
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// httpFetcher implements go-tuf's fetcher.Fetcher over an http.Client with
// the caller's context, a per-request timeout and go-tuf's size limits. It
// also remembers the N.root.json files it downloaded from the mirror.
type httpFetcher struct {
	ctx    context.Context
	client *http.Client
	prefix string // mirror + "/"

	mu    sync.Mutex
	roots map[int64][]byte
}

var _ fetcher.Fetcher = (*httpFetcher)(nil)

func newHTTPFetcher(ctx context.Context, rt http.RoundTripper, mirror string) *httpFetcher {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &httpFetcher{
		ctx:    ctx,
		prefix: mirror + "/",
		roots:  map[int64][]byte{},
		client: &http.Client{
			Transport: rt,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 5 {
					return errors.New("stopped after 5 redirects")
				}
				if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
					return fmt.Errorf("refusing redirect from https to %s", req.URL.Redacted())
				}
				return nil
			},
		},
	}
}

// DownloadFile fetches urlPath, failing when it is larger than maxLength.
// Non-200 answers are *metadata.ErrDownloadHTTP, as go-tuf expects (a 404 on
// N.root.json ends the root walk).
func (f *httpFetcher) DownloadFile(urlPath string, maxLength int64, _ time.Duration) ([]byte, error) {
	if err := f.ctx.Err(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(f.ctx, perRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, urlPath, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, &metadata.ErrDownloadHTTP{StatusCode: resp.StatusCode, URL: urlPath}
	}
	if resp.ContentLength > maxLength {
		return nil, &metadata.ErrDownloadLengthMismatch{Msg: fmt.Sprintf("download failed for %s, length %d is larger than expected %d", urlPath, resp.ContentLength, maxLength)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxLength+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", urlPath, err)
	}
	if int64(len(data)) > maxLength {
		return nil, &metadata.ErrDownloadLengthMismatch{Msg: fmt.Sprintf("download failed for %s, more than the expected %d bytes", urlPath, maxLength)}
	}
	if name, ok := strings.CutPrefix(urlPath, f.prefix); ok {
		if m := rootFileRE().FindStringSubmatch(name); m != nil {
			if v, err := strconv.ParseInt(m[1], 10, 64); err == nil {
				f.mu.Lock()
				f.roots[v] = data
				f.mu.Unlock()
			}
		}
	}
	return data, nil
}

func (f *httpFetcher) fetchedRoots() map[int64][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[int64][]byte, len(f.roots))
	for k, v := range f.roots {
		out[k] = v
	}
	return out
}
