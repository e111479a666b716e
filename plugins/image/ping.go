package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// Before its first request to a repository, go-containerregistry pings the
// registry (GET /v2/, without credentials) to learn whether and how to
// authenticate. It does so once per repository, and for a loopback registry
// (a local registry, kind's, a CI service container) over HTTPS first,
// falling back to plain HTTP only once the TLS attempt has failed.
//
// pingCache is the guard's answer to both, for one run:
//
//   - A registry's answer to a ping does not depend on the repository, so
//     the first answer per scheme and host that a ping can use (200, or 401
//     with a challenge) is remembered, and later pings get a copy of it
//     without a request (pings that come while one is in flight wait for
//     it). Tokens are still requested per repository: the
//     challenge names the realm, the scope comes from the repository.
//   - An HTTPS ping of a loopback address races a plain-HTTP ping of the
//     same address, which the guard allows anyway. When the plain ping is
//     answered as a registry answers, the TLS attempt is cancelled and fails
//     with errPlainLoopback: go-containerregistry falls back to plain HTTP
//     at once, and its plain ping is answered from the cache. When the TLS
//     attempt succeeds first, its outcome stands, exactly as without the
//     race: a loopback registry that serves TLS is reached over TLS, at the
//     cost of one plain request it answers with an error page. When the TLS
//     attempt fails first, the plain ping (already in flight) decides.
//
// Pings carry no credentials, and the plain one only ever goes to loopback
// addresses.
type pingCache struct {
	mu      sync.Mutex
	answers map[string]pingAnswer    // scheme://host → the registry's answer
	flights map[string]chan struct{} // host → closed when its ping in flight ends
}

// pingAnswer is what a registry's answer to a ping says.
type pingAnswer struct {
	status int
	header http.Header
}

var errPlainLoopback = errors.New("registry on a loopback address answers plain HTTP")

// maxPingBody bounds how much of a ping's answer is read (and discarded to
// reuse the connection).
const maxPingBody = 64 << 10

// pingHeaders are the parts of a ping's answer that a client uses.
var pingHeaders = []string{"WWW-Authenticate", "Docker-Distribution-API-Version"}

// isPing reports whether req is a registry ping.
func isPing(req *http.Request) bool {
	return req.Method == http.MethodGet && req.URL.Path == "/v2/" && req.URL.RawQuery == "" &&
		req.Header.Get("Authorization") == ""
}

func pingKey(scheme, host string) string { return scheme + "://" + host }

// usable reports whether a ping's answer tells a client how to go on, as
// go-containerregistry reads it: no authentication, or a challenge.
func usable(resp *http.Response) bool {
	return resp.StatusCode == http.StatusOK ||
		resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") != ""
}

func (c *pingCache) lookup(scheme, host string) (pingAnswer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.answers[pingKey(scheme, host)]
	return a, ok
}

func (c *pingCache) remember(scheme, host string, resp *http.Response) {
	a := pingAnswer{status: resp.StatusCode, header: http.Header{}}
	for _, h := range pingHeaders {
		for _, v := range resp.Header.Values(h) {
			a.header.Add(h, v)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answers == nil {
		c.answers = map[string]pingAnswer{}
	}
	if _, ok := c.answers[pingKey(scheme, host)]; !ok {
		c.answers[pingKey(scheme, host)] = a
	}
}

// replay is a remembered answer as a response to req.
func (a pingAnswer) replay(req *http.Request) *http.Response {
	return &http.Response{
		Status:     fmt.Sprintf("%d %s", a.status, http.StatusText(a.status)),
		StatusCode: a.status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  a.header.Clone(),
		Body:    http.NoBody,
		Request: req,
	}
}

// ping answers req, a registry ping, from the cache or through send. One
// ping per host is in flight at a time: the others wait for its answer.
func (c *pingCache) ping(req *http.Request, send func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	host := req.URL.Host
	for {
		if a, ok := c.lookup(req.URL.Scheme, host); ok {
			return a.replay(req), nil
		}
		loopbackTLS := req.URL.Scheme == "https" && isLoopback(req.URL.Hostname())
		if _, ok := c.lookup("http", host); ok && loopbackTLS {
			return nil, fmt.Errorf("https://%s/v2/: %w", host, errPlainLoopback)
		}
		wait, lead := c.board(host)
		if !lead {
			select {
			case <-wait:
				continue
			case <-req.Context().Done():
				return nil, req.Context().Err()
			}
		}
		defer c.land(host, wait)
		if loopbackTLS {
			return c.race(req, send)
		}
		return c.fetch(req, send)
	}
}

// board makes the caller the pinger of host (lead) or returns the channel
// that the pinger in flight closes when done.
func (c *pingCache) board(host string) (flight chan struct{}, lead bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.flights[host]; ok {
		return f, false
	}
	if c.flights == nil {
		c.flights = map[string]chan struct{}{}
	}
	f := make(chan struct{})
	c.flights[host] = f
	return f, true
}

func (c *pingCache) land(host string, flight chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.flights, host)
	close(flight)
}

// fetch sends a ping and remembers a usable answer.
func (c *pingCache) fetch(req *http.Request, send func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	resp, err := send(req)
	if err == nil && usable(resp) {
		c.remember(req.URL.Scheme, req.URL.Host, resp)
	}
	return resp, err
}

// race sends req, an HTTPS ping of a loopback address, alongside a
// plain-HTTP ping of the same address (see pingCache).
func (c *pingCache) race(req *http.Request, send func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	host := req.URL.Host
	type answer struct {
		resp  *http.Response
		err   error
		probe bool // the plain-HTTP ping's answer
		plain bool // the plain-HTTP ping was answered as a registry answers
	}
	answers := make(chan answer, 2) // neither sender ever blocks
	tlsCtx, cancelTLS := context.WithCancel(req.Context())
	probeCtx, cancelProbe := context.WithCancel(req.Context())
	defer cancelProbe()
	go func() {
		resp, err := c.fetch(req.WithContext(tlsCtx), send)
		answers <- answer{resp: resp, err: err}
	}()
	go func() {
		answers <- answer{probe: true, plain: c.probePlain(probeCtx, req, send)}
	}()
	a := <-answers
	switch {
	case a.probe && !a.plain:
		a = <-answers // not a plain-HTTP registry: the TLS attempt decides
	case !a.probe && a.err != nil:
		// The TLS attempt failed first. go-containerregistry would now
		// ping over plain HTTP: the probe already is, and decides.
		if probe := <-answers; probe.plain {
			a = probe
		}
	}
	if a.probe {
		cancelTLS()
		go func() { // the cancelled TLS attempt's answer, when it comes
			if late := <-answers; late.resp != nil {
				late.resp.Body.Close()
			}
		}()
		return nil, fmt.Errorf("https://%s/v2/: %w", host, errPlainLoopback)
	}
	// The TLS attempt finished first: its outcome stands. Its context
	// lives until the caller closes the body.
	if a.err != nil {
		cancelTLS()
		return nil, a.err
	}
	a.resp.Body = &cancelOnClose{ReadCloser: a.resp.Body, cancel: cancelTLS}
	return a.resp, nil
}

// probePlain pings req's host over plain HTTP and reports whether it was
// answered as a registry answers (the answer is then remembered).
func (c *pingCache) probePlain(ctx context.Context, req *http.Request, send func(*http.Request) (*http.Response, error)) bool {
	u := *req.URL
	u.Scheme = "http"
	probe, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false
	}
	if ua := req.Header.Get("User-Agent"); ua != "" {
		probe.Header.Set("User-Agent", ua)
	}
	resp, err := c.fetch(probe, send)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxPingBody))
	return usable(resp)
}

// cancelOnClose releases a request's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
