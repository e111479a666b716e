package blob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/sdk/fetch"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// source reads what a blob block names: local files, or https URLs that are
// downloaded bounded, retried and streamed through the hash (a large
// artifact is never held in memory or written to disk).
type source struct {
	ctx     context.Context
	offline bool
	opts    fetch.Options
	// progress reports a download to the host (sdk.Request.Progress).
	progress func(label string) func(done, total int64)
	// unchecked is the first failure that means "could not be checked"
	// (network, size limit, offline, interrupted) rather than "failed".
	unchecked error
}

func newSource(ctx context.Context, req *sdk.Request, maxSize int64) *source {
	return &source{ctx: ctx, offline: req.Offline, opts: fetch.Options{MaxSize: maxSize}, progress: req.Progress}
}

// read returns a small document (bundle, signature, certificate, checksums).
func (s *source) read(loc string, limit int64) ([]byte, error) {
	if !fetch.IsURL(loc) {
		return sdk.ReadFile(loc, limit)
	}
	if err := s.online(loc); err != nil {
		return nil, err
	}
	data, err := fetch.Get(s.ctx, loc, limit, s.opts)
	return data, s.classify(err)
}

// readBundle is read for a bundle file, whose limit max_bundle_size sets:
// a file over it is refused with a pointer to that attribute.
func (s *source) readBundle(loc string, limit int64) ([]byte, error) {
	if !fetch.IsURL(loc) {
		data, err := sdk.ReadFile(loc, limit)
		if st, serr := os.Stat(loc); err != nil && serr == nil && st.Size() > limit {
			err = fmt.Errorf("%w (max_bundle_size raises the limit)", err)
		}
		return data, err
	}
	if err := s.online(loc); err != nil {
		return nil, err
	}
	opts := s.opts
	opts.LimitHint = "raise it with max_bundle_size"
	data, err := fetch.Get(s.ctx, loc, limit, opts)
	return data, s.classify(err)
}

// exists reports whether loc is there (a HEAD for URLs).
func (s *source) exists(loc string) bool {
	if !fetch.IsURL(loc) {
		st, err := os.Stat(loc)
		return err == nil && !st.IsDir()
	}
	if s.online(loc) != nil {
		return false
	}
	ok, err := fetch.Exists(s.ctx, loc, s.opts)
	if err != nil {
		_ = s.classify(err)
		return false
	}
	return ok
}

// hash streams the artifact through alg.
func (s *source) hash(loc, alg string) (trust.Digest, error) {
	if !fetch.IsURL(loc) {
		d, err := hashFile(s.ctx, loc, alg)
		if err != nil && s.ctx.Err() != nil {
			s.note(err)
		}
		return d, err
	}
	if err := s.online(loc); err != nil {
		return trust.Digest{}, err
	}
	opts := s.opts
	opts.Progress = s.progress(urlBase(loc))
	res, err := fetch.Download(s.ctx, loc, []string{alg}, "", opts)
	if err != nil {
		return trust.Digest{}, s.classify(err)
	}
	return trust.Digest{Algorithm: alg, Hex: res.Digests[alg]}, nil
}

func (s *source) online(loc string) error {
	if s.offline {
		return s.note(fmt.Errorf("%s: --offline, so nothing is downloaded; verify a local copy instead", loc))
	}
	return nil
}

// classify records failures that leave the artifact unchecked: the network
// or server failed, the body passed the size limit, or the run stopped. A
// 404 or a refused plain-http URL is an ordinary failure.
func (s *source) classify(err error) error {
	if err == nil {
		return nil
	}
	var fe *fetch.Error
	switch {
	case errors.Is(err, fetch.ErrUnavailable), errors.Is(err, fetch.ErrTooLarge), s.ctx.Err() != nil:
		s.note(err)
	case errors.As(err, &fe) && (fe.Status == 401 || fe.Status == 403):
		s.note(err) // access denied or rate-limited: nothing known about the artifact
	}
	return err
}

func (s *source) note(err error) error {
	if s.unchecked == nil {
		s.unchecked = err
	}
	return err
}

// urlBase is the last path segment of a URL, what a progress bar shows.
func urlBase(loc string) string {
	u, err := url.Parse(loc)
	if err != nil || path.Base(u.Path) == "/" || path.Base(u.Path) == "." {
		return loc
	}
	return path.Base(u.Path)
}
