package image

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// Before its first request to a repository, go-containerregistry pings the
// registry (GET /v2/, without credentials) to learn whether and how to
// authenticate. It does so once per repository, and over HTTPS first: for a
// registry it may also reach over plain HTTP (a loopback or private address,
// `insecure = true`), over plain HTTP once the TLS attempt has failed or
// after 300 ms.
//
// pingCache is the guard's answer to both, for one run:
//
//   - A registry's answer to a ping does not depend on the repository, so
//     the first answer per scheme and host that a ping can use (200, or 401
//     with a challenge) is remembered, and later pings get a copy of it
//     without a request (pings that come while one is in flight wait for
//     it).
//   - An HTTPS ping of a loopback address with a port (localhost:5000,
//     127.0.0.1:5000, [::1]:5000: a local registry, kind's, a CI service
//     container) that go-containerregistry would also try over plain HTTP
//     is preceded by a plain-HTTP ping of the same address and port, which
//     the guard allows anyway. When that probe is answered as a registry
//     answers, the HTTPS ping fails with errPlainLoopback without being
//     sent: go-containerregistry falls back to plain HTTP at once, and its
//     plain ping is answered from the cache. When the probe is answered
//     otherwise (a TLS layer turning plain HTTP away, nothing listening),
//     the HTTPS ping is sent and decides, exactly as without the probe: a
//     registry that serves only TLS on that port is reached over TLS, one
//     loopback round trip later (a server answering both on one port is
//     used over plain HTTP, which the guard allows on loopback). A probe
//     that takes longer than a head start does not hold TLS back: the two
//     then race (see pingLoopback). Without a port the two schemes would
//     reach different listeners (443 and 80), so there is no probe.
//
// Pings carry no credentials, and the plain one only ever goes to loopback
// addresses.
type pingCache struct {
	mu      sync.Mutex
	answers map[string]pingAnswer    // scheme://host → the registry's answer
	flights map[string]chan struct{} // scheme://host → closed when its ping in flight ends
	plain   map[string]bool          // host → its plain-HTTP probe was answered as a registry answers

	// headStart is how long an HTTPS ping of a loopback address waits for
	// its plain-HTTP probe before it is sent anyway (plainHeadStart if 0).
	headStart time.Duration
}

// plainHeadStart is the plain-HTTP probe's head start over an HTTPS ping of
// the same loopback address: a loopback registry answers within a few
// milliseconds, and a TLS server turns plain HTTP away as fast. Only a
// listener that holds a plain request without answering costs this much.
const plainHeadStart = 25 * time.Millisecond

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
// ping per scheme and host is in flight at a time: the others wait for its
// answer.
func (c *pingCache) ping(req *http.Request, send func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	key := pingKey(req.URL.Scheme, req.URL.Host)
	probes := probesPlain(req)
	for {
		if a, ok := c.lookup(req.URL.Scheme, req.URL.Host); ok {
			return a.replay(req), nil
		}
		if probes && c.probedPlain(req.URL.Host) {
			return nil, plainLoopbackError(req.URL.Host)
		}
		flight, lead := c.board(key)
		if !lead {
			select {
			case <-flight:
				continue
			case <-req.Context().Done():
				return nil, req.Context().Err()
			}
		}
		defer c.land(key, flight)
		if probes {
			return c.pingLoopback(req, send)
		}
		return c.fetch(req, send)
	}
}

// probesPlain reports whether req is an HTTPS ping that a plain-HTTP probe
// goes before: to a loopback address with a port, which go-containerregistry
// would also try over plain HTTP.
func probesPlain(req *http.Request) bool {
	if req.URL.Scheme != "https" || req.URL.Port() == "" || !isLoopback(req.URL.Hostname()) {
		return false
	}
	reg, err := name.NewRegistry(req.URL.Host)
	return err == nil && reg.Scheme() == "http"
}

func (c *pingCache) probedPlain(host string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.plain[host]
}

func (c *pingCache) learnPlain(host string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.plain == nil {
		c.plain = map[string]bool{}
	}
	c.plain[host] = true
}

// board makes the caller the pinger of key (lead) or returns the channel
// that the pinger in flight closes when done.
func (c *pingCache) board(key string) (flight chan struct{}, lead bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.flights[key]; ok {
		return f, false
	}
	if c.flights == nil {
		c.flights = map[string]chan struct{}{}
	}
	f := make(chan struct{})
	c.flights[key] = f
	return f, true
}

func (c *pingCache) land(key string, flight chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.flights, key)
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

// pingLoopback answers req, an HTTPS ping of a loopback address with a
// port, after a plain-HTTP ping of the same address (see pingCache). TLS is
// attempted only when that probe is answered otherwise than as a registry
// answers, or has not been answered within the head start: then the two
// race, and
//   - a probe answered as a registry answers cancels the TLS attempt;
//   - a TLS attempt that succeeds first stands;
//   - a TLS attempt that fails first waits for the probe, which decides
//     (go-containerregistry would now try plain HTTP itself).
func (c *pingCache) pingLoopback(req *http.Request, send func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	host := req.URL.Host
	probeCtx, cancelProbe := context.WithCancel(req.Context())
	defer cancelProbe()
	probed := make(chan bool, 1) // the probe was answered as a registry answers
	go func() { probed <- c.probePlain(probeCtx, req, send) }()
	headStart := time.NewTimer(cmp.Or(c.headStart, plainHeadStart))
	defer headStart.Stop()
	select {
	case plain := <-probed:
		if plain {
			return nil, c.plainLoopback(host)
		}
		return c.fetch(req, send) // TLS decides, as without the probe
	case <-headStart.C:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}

	type tlsAnswer struct {
		resp *http.Response
		err  error
	}
	tlsCtx, cancelTLS := context.WithCancel(req.Context())
	answered := make(chan tlsAnswer, 1) // the sender never blocks
	go func() {
		resp, err := send(req.WithContext(tlsCtx))
		answered <- tlsAnswer{resp: resp, err: err}
	}()
	var a tlsAnswer
	select {
	case plain := <-probed:
		if plain {
			cancelTLS()
			go func() { // the cancelled TLS attempt's answer, when it comes
				if late := <-answered; late.resp != nil {
					late.resp.Body.Close()
				}
			}()
			return nil, c.plainLoopback(host)
		}
		a = <-answered
	case a = <-answered:
		if a.err != nil && <-probed {
			cancelTLS()
			return nil, c.plainLoopback(host)
		}
	}
	// The TLS attempt decides (and is remembered only now, so that one run
	// never mixes the two schemes). Its context lives until the caller
	// closes the body.
	if a.err != nil {
		cancelTLS()
		return nil, a.err
	}
	if usable(a.resp) {
		c.remember("https", host, a.resp)
	}
	a.resp.Body = &cancelOnClose{ReadCloser: a.resp.Body, cancel: cancelTLS}
	return a.resp, nil
}

// plainLoopback records that host answers plain HTTP as a registry does, and
// is the HTTPS ping's error that says so.
func (c *pingCache) plainLoopback(host string) error {
	c.learnPlain(host)
	return plainLoopbackError(host)
}

func plainLoopbackError(host string) error {
	return fmt.Errorf("https://%s/v2/: %w", host, errPlainLoopback)
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
