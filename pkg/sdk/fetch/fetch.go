// Package fetch is the SDK's downloader for plugins: it fetches untrusted data
// over HTTP(S) bounded in size, streamed
// through hashes in fixed-size chunks (memory stays flat whatever the size),
// retried on transient failures and resumed with Range requests when the server
// allows it.
//
// Plain http is refused for anything but loopback hosts unless the caller opts
// in, and every error names the URL with its userinfo and query values redacted.
package fetch

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// Limits and defaults.
const (
	// DefaultMaxSize bounds Download when Options.MaxSize <= 0.
	DefaultMaxSize int64 = 4 << 30
	// DefaultGetLimit bounds Get when its limit argument is <= 0.
	DefaultGetLimit int64 = 32 << 20
	// DefaultRetries is used when Options.Retries == 0.
	DefaultRetries = 3
	// DefaultUserAgent is sent when Options.UserAgent is empty.
	DefaultUserAgent = "vmafx-trust"
	// DefaultLimitHint ends Download's ErrTooLarge messages when Options.LimitHint is empty.
	DefaultLimitHint = "raise it with max_size"

	chunkSize         = 256 << 10 // read/hash/write unit
	progressStep      = 1 << 20   // an attempt that got this much further resets the retry count
	backoffBase       = 200 * time.Millisecond
	backoffCap        = 5 * time.Second
	defaultIdle       = 60 * time.Second // no byte for this long: the attempt has stalled
	defaultRACap      = 10 * time.Second // longest Retry-After honoured
	maxRedirects      = 10
	drainLimit        = 64 << 10
	redactedText      = "REDACTED"
	tempFilePattern   = "vmafx-fetch-*"
	acceptEncIdentity = "identity"
)

// Error kinds, for errors.Is.
var (
	// ErrTooLarge: the body exceeds the size limit (announced by Content-Length, or counted).
	ErrTooLarge = errors.New("too large")
	// ErrUnavailable: network failure or server error (5xx, 408, 429) that persisted after the
	// retries, or a permanent network failure (unknown host, TLS). Callers report the artifact as
	// "could not be checked".
	ErrUnavailable = errors.New("unavailable")
	// ErrNotFound: the server answered 404 (or 410).
	ErrNotFound = errors.New("not found")
	// ErrInsecure: plain http to a non-loopback host without Options.AllowHTTP, directly or by redirect.
	ErrInsecure = errors.New("insecure URL")
)

// Options tune a fetch. The zero value is ready to use.
type Options struct {
	// Client performs the requests. Default: a shared client (connections are kept alive and
	// reused) with dial 10s, TLS handshake 10s and response header 30s timeouts and no overall
	// timeout, so large bodies are not cut off. Redirects are checked against the http rule
	// whatever the client.
	Client *http.Client
	// MaxSize is the hard limit on the bytes Download accepts; <= 0 means DefaultMaxSize.
	MaxSize int64
	// Retries is the number of retries after transient failures (connection reset or closed
	// mid-body, timeouts, 5xx, 408, 429), with exponential backoff 200ms, 400ms, … capped at 5s
	// (Retry-After is honoured, capped at 10s). 0 means DefaultRetries, < 0 means none.
	// An attempt that got at least 1 MiB further than any before it does not use up a retry
	// (when retries are enabled), so a long download over a flaky link keeps going.
	Retries int
	// AllowHTTP permits plain http to any host; without it plain http is allowed only to
	// loopback hosts (127.0.0.0/8, ::1, localhost). https is always allowed.
	AllowHTTP bool
	// UserAgent is sent with every request; default DefaultUserAgent.
	UserAgent string
	// LimitHint tells the user how to raise the limit; it ends ErrTooLarge messages, as in
	// "body exceeds the 100 MiB limit (raise it with max_size)". Download defaults to
	// DefaultLimitHint, Get to nothing.
	LimitHint string
	// Progress, if set, is called from the downloading goroutine after every chunk with the
	// bytes accepted so far and the expected total (-1 when unknown). done goes back to 0 when
	// a download restarts from zero. Meant for a progress bar.
	Progress func(done, total int64)

	// Knobs for tests: zero means the defaults above.
	idleTimeout   time.Duration
	retryAfterCap time.Duration
}

// Result of a download.
type Result struct {
	Digests map[string]string // algorithm -> lowercase hex, for each algorithm requested
	Size    int64
	Path    string // the downloaded file when keepDir was given, else ""
}

// Error is the type of every error returned by this package. Match kinds with errors.Is
// (ErrTooLarge, ErrUnavailable, ErrNotFound, ErrInsecure, context.Canceled, …).
type Error struct {
	URL    string // the URL with userinfo and query values redacted
	Msg    string // what happened, for people
	Status int    // HTTP status of the response behind the error, 0 if none
	Kind   error  // one of the Err* kinds, or nil
	Err    error  // the underlying cause, or nil
}

func (e *Error) Error() string { return "fetch " + e.URL + ": " + e.Msg }

// Unwrap exposes both the kind and the cause to errors.Is / errors.As.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Download streams url through the requested hashes ("sha256", "sha384", "sha512"; "SHA-256"
// and the like are accepted and reported under the lowercase name without dash) in fixed-size
// chunks, so memory stays flat whatever the size. If keepDir != "" the body is also written to a
// new temporary file in keepDir, returned as Result.Path; the caller removes it. On error no file
// is left behind.
//
// Transient failures are retried (see Options.Retries). A retry of a partly read body resumes
// with "Range: bytes=N-" and "If-Range" when the server sent "Accept-Ranges: bytes" and a strong
// ETag or a Last-Modified date, and is accepted only as a 206 whose Content-Range starts at N and
// ends at the known size; anything else restarts from zero with the hashes and the file reset.
// 4xx answers other than 408 and 429 are not retried. A body larger than the limit, announced or
// counted, fails with ErrTooLarge (never a truncated success: at most limit+1 bytes are read);
// a body shorter than its Content-Length is an error.
func Download(ctx context.Context, url string, algs []string, keepDir string, opts Options) (*Result, error) {
	u, shown, err := parseTarget(url, opts.AllowHTTP)
	if err != nil {
		return nil, err
	}
	names, hashes, err := newHashes(algs)
	if err != nil {
		return nil, &Error{URL: shown, Msg: err.Error()}
	}
	cfg := newConfig(opts)
	if cfg.hint == "" {
		cfg.hint = DefaultLimitHint
	}
	limit := opts.MaxSize
	if limit <= 0 {
		limit = DefaultMaxSize
	}

	sink := &hashSink{hashes: hashes}
	if keepDir != "" {
		f, err := os.CreateTemp(keepDir, tempFilePattern)
		if err != nil {
			return nil, &Error{URL: shown, Msg: "cannot create the download file: " + err.Error(), Err: err}
		}
		sink.f = f
		defer func() {
			if sink.f != nil { // not handed over: failed
				sink.f.Close()
				os.Remove(sink.f.Name())
			}
		}()
	}

	t := newTransfer(cfg, u, shown, limit, sink)
	if err := t.run(ctx); err != nil {
		return nil, err
	}
	res := &Result{Digests: make(map[string]string, len(names)), Size: t.off}
	for i, h := range hashes {
		res.Digests[names[i]] = hex.EncodeToString(h.Sum(nil))
	}
	if f := sink.f; f != nil {
		if err := f.Close(); err != nil {
			return nil, &Error{URL: shown, Msg: "writing the download file: " + err.Error(), Err: err}
		}
		res.Path = f.Name()
		sink.f = nil
	}
	return res, nil
}

// Get fetches a small document (bundle, signature, certificate) into memory, at most limit bytes
// (<= 0 means DefaultGetLimit), with the same retry, resume and limit rules as Download.
func Get(ctx context.Context, url string, limit int64, opts Options) ([]byte, error) {
	u, shown, err := parseTarget(url, opts.AllowHTTP)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultGetLimit
	}
	sink := &bufSink{limit: limit}
	t := newTransfer(newConfig(opts), u, shown, limit, sink)
	if err := t.run(ctx); err != nil {
		return nil, err
	}
	if sink.buf == nil {
		return []byte{}, nil
	}
	return sink.buf, nil
}

// Exists reports whether url answers 200 to HEAD, falling back to a ranged GET (bytes=0-0) when
// HEAD is refused with 405 or 501, or with 403 (URLs pre-signed for GET, as S3 issues, refuse
// HEAD that way). 404 and 410 give false with a nil error; other answers and failures (after the
// usual retries) give an error. Used to pick a default bundle URL.
func Exists(ctx context.Context, url string, opts Options) (bool, error) {
	u, shown, err := parseTarget(url, opts.AllowHTTP)
	if err != nil {
		return false, err
	}
	cfg := newConfig(opts)
	var found bool
	err = cfg.run(ctx, shown, func(ctx context.Context) *attemptErr {
		code, ae := cfg.probe(ctx, u, http.MethodHead)
		if ae == nil && (code == http.StatusMethodNotAllowed || code == http.StatusNotImplemented || code == http.StatusForbidden) {
			code, ae = cfg.probe(ctx, u, http.MethodGet)
		}
		if ae != nil {
			return ae
		}
		found = code == http.StatusOK || code == http.StatusPartialContent || code == http.StatusRequestedRangeNotSatisfiable
		return nil
	})
	if err != nil {
		return false, err
	}
	return found, nil
}

// probe sends one HEAD, or a GET for bytes=0-0, and classifies the answer: a code of 200, 206 (GET),
// 416 (GET: an empty file), 404/410, 403/405/501 (HEAD) with a nil error, or an attempt error.
func (c *config) probe(ctx context.Context, u *neturl.URL, method string) (int, *attemptErr) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(actx, method, u.String(), nil)
	if err != nil {
		return 0, &attemptErr{msg: "building the request: " + err.Error(), cause: err}
	}
	c.setHeaders(req)
	if method == http.MethodGet {
		req.Header.Set("Range", "bytes=0-0")
	}
	wd := time.AfterFunc(c.idle, func() { cancel(errStalled) })
	defer wd.Stop()
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, c.transportFailure(ctx, actx, err, method+" request failed", "")
	}
	defer resp.Body.Close()
	code := resp.StatusCode
	switch {
	case code == http.StatusOK, code == http.StatusNotFound, code == http.StatusGone:
		if method == http.MethodGet && code == http.StatusOK {
			return code, nil // a server ignoring Range: do not read the whole body
		}
		drain(resp)
		return code, nil
	case method == http.MethodHead && (code == http.StatusMethodNotAllowed || code == http.StatusNotImplemented || code == http.StatusForbidden):
		drain(resp)
		return code, nil
	case method == http.MethodGet && (code == http.StatusPartialContent || code == http.StatusRequestedRangeNotSatisfiable):
		drain(resp)
		return code, nil
	}
	drain(resp)
	return code, statusFailure(resp, method)
}

// IsURL reports whether s is an http or https URL with a host.
func IsURL(s string) bool {
	u, err := parseURL(s)
	if err != nil || u.Host == "" {
		return false
	}
	sc := strings.ToLower(u.Scheme)
	return sc == "http" || sc == "https"
}

// config is Options with the defaults applied.
type config struct {
	client   *http.Client
	retries  int
	ua       string
	hint     string
	progress func(done, total int64)
	idle     time.Duration
	raCap    time.Duration
}

func newConfig(o Options) *config {
	c := &config{retries: o.Retries, ua: o.UserAgent, hint: o.LimitHint, progress: o.Progress,
		idle: o.idleTimeout, raCap: o.retryAfterCap}
	switch {
	case c.retries == 0:
		c.retries = DefaultRetries
	case c.retries < 0:
		c.retries = 0
	}
	if c.ua == "" {
		c.ua = DefaultUserAgent
	}
	if c.idle <= 0 {
		c.idle = defaultIdle
	}
	if c.raCap <= 0 {
		c.raCap = defaultRACap
	}
	base := o.Client
	if base == nil {
		base = defaultClient()
	}
	// A copy of the client whose redirects obey the same http rule as the first URL.
	cl := *base
	inner, allowHTTP := base.CheckRedirect, o.AllowHTTP
	cl.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := checkTarget(req.URL, allowHTTP); err != nil {
			return &redirectError{to: redact(req.URL), err: err}
		}
		if inner != nil {
			if err := inner(req, via); err != nil {
				if errors.Is(err, http.ErrUseLastResponse) {
					return err
				}
				return &redirectError{to: redact(req.URL), err: err}
			}
			return nil
		}
		if len(via) >= maxRedirects {
			return &redirectError{to: redact(req.URL), err: fmt.Errorf("stopped after %d redirects", maxRedirects)}
		}
		return nil
	}
	c.client = &cl
	return c
}

func (c *config) setHeaders(req *http.Request) {
	req.Header.Set("User-Agent", c.ua)
	// No transparent decompression: the bytes hashed are the bytes of the file.
	req.Header.Set("Accept-Encoding", acceptEncIdentity)
}

// Transport is the HTTP transport the downloader uses by default, shared by
// every caller in the process so that connections are kept alive across
// downloads: a plugin wrapping it (to add a header, say) for its own
// fetch.Options.Client reuses the same connections. Its timeouts bound each
// step (dial, TLS, response headers), not whole, possibly large, downloads.
func Transport() http.RoundTripper { return sharedTransport() }

var sharedTransport = sync.OnceValue(func() http.RoundTripper {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
	}
})

// defaultClient is shared so that connections are kept alive across calls.
var defaultClient = sync.OnceValue(func() *http.Client {
	return &http.Client{Transport: sharedTransport()}
})

// newHashes maps algorithm names to fresh hashes, deduplicated, in request order.
func newHashes(algs []string) ([]string, []hash.Hash, error) {
	var names []string
	var hs []hash.Hash
	seen := map[string]bool{}
	for _, a := range algs {
		name := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(a)), "-", "")
		h, err := sdk.NewHash(name)
		if err != nil {
			return nil, nil, fmt.Errorf("unsupported digest algorithm %q (want sha256, sha384 or sha512)", a)
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		names = append(names, name)
		hs = append(hs, h)
	}
	return names, hs, nil
}

// sink receives the body; reset starts it over when a download restarts from zero.
type sink interface {
	Write(p []byte) (int, error)
	reset() error
	expect(total int64) // the announced size, when known
}

type hashSink struct {
	hashes []hash.Hash
	f      *os.File
}

func (s *hashSink) Write(p []byte) (int, error) {
	for _, h := range s.hashes {
		h.Write(p)
	}
	if s.f != nil {
		return s.f.Write(p)
	}
	return len(p), nil
}

func (s *hashSink) reset() error {
	for _, h := range s.hashes {
		h.Reset()
	}
	if s.f != nil {
		if err := s.f.Truncate(0); err != nil {
			return err
		}
		if _, err := s.f.Seek(0, 0); err != nil {
			return err
		}
	}
	return nil
}

func (s *hashSink) expect(int64) {}

type bufSink struct {
	buf   []byte
	limit int64
}

func (s *bufSink) Write(p []byte) (int, error) { s.buf = append(s.buf, p...); return len(p), nil }
func (s *bufSink) reset() error                { s.buf = s.buf[:0]; return nil }
func (s *bufSink) expect(total int64) {
	if total > 0 && total <= s.limit && int64(cap(s.buf)) < total {
		nb := make([]byte, len(s.buf), total)
		copy(nb, s.buf)
		s.buf = nb
	}
}
