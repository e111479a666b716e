package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// go-containerregistry pings a registry over HTTPS first and, for a
// loopback registry (a local registry, kind's, a CI service container),
// falls back to plain HTTP only once the TLS attempt has failed: every run
// against a plain-HTTP local registry pays a TLS handshake that cannot
// succeed (a millisecond of a ~13 ms one-image verify), once per repository.
//
// plainLoopback races that TLS attempt with a plain-HTTP ping of the same
// loopback address, which the guard already allows. When the plain ping
// answers as a registry does (200, or 401 with a challenge) first, the TLS
// attempt is cancelled and fails with errPlainLoopback, so that
// go-containerregistry goes on with its own plain-HTTP fallback at once
// (reusing the probe's connection); later pings of that address fail the
// same way without a probe. When the TLS attempt succeeds first, its
// outcome stands, exactly as without the race: a loopback registry that
// serves TLS is reached over TLS, and it costs one plain request it
// answers with an error. When it fails first, the probe's answer decides. The probe carries no credentials (pings never do)
// and only ever goes to loopback addresses.
type plainLoopback struct {
	mu    sync.Mutex
	plain map[string]bool // host:port → answered a plain-HTTP ping
}

var errPlainLoopback = errors.New("registry on a loopback address answers plain HTTP")

// maxPingBody bounds how much of a ping's answer is read (and discarded to
// reuse the connection).
const maxPingBody = 64 << 10

// isLoopbackPing reports whether req is go-containerregistry's HTTPS ping of a
// loopback registry.
func isLoopbackPing(req *http.Request) bool {
	return req.Method == http.MethodGet && req.URL.Scheme == "https" && req.URL.Path == "/v2/" &&
		isLoopback(req.URL.Hostname())
}

func (p *plainLoopback) known(host string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.plain[host]
}

func (p *plainLoopback) learn(host string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plain == nil {
		p.plain = map[string]bool{}
	}
	p.plain[host] = true
}

// ping answers req (an HTTPS ping of a loopback registry) through send,
// racing it with a plain-HTTP ping as described on plainLoopback.
func (p *plainLoopback) ping(req *http.Request, send func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	host := req.URL.Host
	if p.known(host) {
		return nil, fmt.Errorf("https://%s/v2/: %w", host, errPlainLoopback)
	}
	type answer struct {
		resp  *http.Response
		err   error
		probe bool // the plain-HTTP probe's answer
		plain bool // the probe was answered as a registry answers
	}
	answers := make(chan answer, 2) // neither sender ever blocks
	tlsCtx, cancelTLS := context.WithCancel(req.Context())
	probeCtx, cancelProbe := context.WithCancel(req.Context())
	defer cancelProbe()
	go func() {
		resp, err := send(req.WithContext(tlsCtx))
		answers <- answer{resp: resp, err: err}
	}()
	go func() {
		answers <- answer{probe: true, plain: probePlain(probeCtx, req, send)}
	}()
	a := <-answers
	switch {
	case a.probe && !a.plain:
		a = <-answers // not a plain-HTTP registry: the TLS attempt decides
	case !a.probe && a.err != nil:
		// The TLS attempt failed first. go-containerregistry would now
		// ping over plain HTTP: the probe already is, so its answer
		// (sooner than a new request's, and on a connection that is then
		// reused) decides.
		if probe := <-answers; probe.plain {
			a = probe
		}
	}
	if a.probe {
		p.learn(host)
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

// probePlain sends req's ping over plain HTTP and reports whether it was
// answered as a registry answers a ping.
func probePlain(ctx context.Context, req *http.Request, send func(*http.Request) (*http.Response, error)) bool {
	u := *req.URL
	u.Scheme = "http"
	probe, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false
	}
	if ua := req.Header.Get("User-Agent"); ua != "" {
		probe.Header.Set("User-Agent", ua)
	}
	resp, err := send(probe)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxPingBody))
	switch resp.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusUnauthorized:
		return resp.Header.Get("WWW-Authenticate") != ""
	}
	return false
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
