package image

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// Response limits. A manifest, an index or a referrers list is small JSON;
// a layer we read is a simplesigning payload, a DSSE envelope or a Sigstore
// bundle.
const (
	maxManifestSize = 4 << 20
	// maxBlobSize bounds a DSSE envelope or Sigstore bundle layer, and a
	// GitHub attestations API answer: any of them may be an SBOM
	// attestation carrying the whole SBOM, hence trust's attestation
	// bound. The verified ones return to the host in one plugin-protocol
	// message (sdk.MaxMessageSize, 64 MiB): an answer with more evidence
	// than that is refused by the protocol, and the image is reported as
	// "could not be checked".
	maxBlobSize    = trust.MaxAttestationBundleSize
	maxPayloadSize = 1 << 20 // simplesigning payloads are a few hundred bytes

	// maxDrain is the largest declared body that is read to its end when
	// closed unread (a 404's error JSON, say), so that its connection is
	// reused instead of dropped.
	maxDrain = 4 << 10
)

// guard is the innermost RoundTripper under go-containerregistry's retry
// and auth transports: it sees every request, including redirects, and
//   - refuses plain HTTP to anything but a loopback address unless the
//     policy says insecure = true (a redirect cannot downgrade either);
//   - refuses responses larger than the limit for their kind, before
//     reading them;
//   - reads a small body closed unread (a 404's error JSON) to its end, so
//     that its keep-alive connection is reused;
//   - drops the body of a 404 to a manifest or blob request (see
//     dropNotFoundBody);
//   - counts requests (for tests and the efficiency check);
//   - answers registry pings once per registry and run, and sooner for a
//     loopback registry that speaks plain HTTP (pingCache).
//
// Credentials never follow a redirect to another host: go-containerregistry
// adds them per registry host, and net/http drops Authorization headers on
// cross-host redirects.
type guard struct {
	base      http.RoundTripper
	allowHTTP bool
	requests  *atomic.Int64
	// pings, when set, answers registry pings once per registry and run,
	// and pings loopback registries over plain HTTP before TLS.
	pings *pingCache
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if g.pings != nil && isPing(req) {
		return g.pings.ping(req, g.send)
	}
	return g.send(req)
}

func (g *guard) send(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.allowHTTP && !isLoopback(req.URL.Hostname()) {
		return nil, fmt.Errorf("refusing plain HTTP to %s: only loopback registries may be reached without TLS (insecure = true allows it)", req.URL.Host)
	}
	if g.requests != nil {
		g.requests.Add(1)
	}
	resp, err := g.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotFound && (strings.Contains(req.URL.Path, "/manifests/") || strings.Contains(req.URL.Path, "/blobs/")) {
		dropNotFoundBody(resp) // whatever its size: it is not read on
		return resp, nil
	}
	limit := int64(maxBlobSize + 1<<20) // the largest any blob read asks for, and a margin

	if strings.Contains(req.URL.Path, "/manifests/") || strings.Contains(req.URL.Path, "/referrers/") {
		limit = maxManifestSize
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: response is %d bytes, more than the %d allowed", redactURL(req), resp.ContentLength, limit)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: limit, what: redactURL(req), limit: limit,
		// HTTP/2 keeps a connection whether or not a body was read.
		drain: resp.ProtoMajor == 1 && resp.ContentLength >= 0 && resp.ContentLength <= maxDrain}
	return resp, nil
}

// dropNotFoundBody reads a 404's body (a small one to its end, keeping the
// connection; of a larger one no more than that) and gives resp an empty
// one. A missing manifest or blob is
// reported as not found whatever the registry says about it (registryError),
// and go-containerregistry parses an error body with encoding/json into a
// type that holds an *http.Request: the first time in a process that costs
// ~0.4 ms, building encoders for http.Request's whole type graph, and every
// image run meets a 404 (a legacy tag or the referrers tag not there).
func dropNotFoundBody(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, maxDrain+1)
	resp.Body.Close()
	resp.Body, resp.ContentLength = http.NoBody, 0
}

func redactURL(req *http.Request) string {
	return req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
}

// limitedBody fails a read that goes past the limit instead of truncating
// silently (a truncated manifest must not parse as something else).
type limitedBody struct {
	rc    io.ReadCloser
	left  int64
	limit int64
	what  string
	drain bool // an HTTP/1 body declared at most maxDrain bytes long
}

var errTooLarge = errors.New("response too large")

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Probe for one more byte: exactly at the limit is fine.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%s: %w: more than %d bytes", b.what, errTooLarge, b.limit)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

// Close reads a small body's rest first (net/http reuses a connection only
// once its body has been read to the end): a few bytes that are already on
// their way, read under the request's context like any other.
func (b *limitedBody) Close() error {
	if b.drain {
		_, _ = io.CopyN(io.Discard, b.rc, maxDrain+1)
	}
	return b.rc.Close()
}

// isLoopback reports whether host (no port) is localhost or a loopback IP.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// newHTTPTransport is the one connection pool of the plugin process: every
// registry request of a run reuses its keep-alive connections.
func newHTTPTransport(skipTLSVerify bool) *http.Transport {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	if skipTLSVerify {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // only with insecure = true
	}
	return t
}
