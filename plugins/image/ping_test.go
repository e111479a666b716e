package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func answer(status int, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader("{}"))}
}

// TestLoopbackPing drives pingCache.ping for an HTTPS ping of a
// loopback address with a transport whose TLS and plain-HTTP answers, and
// their order, each case sets.
func TestLoopbackPing(t *testing.T) {
	waitCancel := func(r *http.Request) (*http.Response, error) {
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-time.After(10 * time.Second):
			return nil, errors.New("never cancelled")
		}
	}
	ok := func(*http.Request) (*http.Response, error) { return answer(http.StatusOK), nil }
	refused := func(*http.Request) (*http.Response, error) { return nil, errors.New("handshake failure") }
	badRequest := func(*http.Request) (*http.Response, error) { return answer(http.StatusBadRequest), nil }
	lateBodyClosed := make(chan struct{}, 4) // a cancelled TLS attempt's answer was closed
	tests := []struct {
		name       string
		tls, plain func(*http.Request) (*http.Response, error)
		// slowProbe: the probe answers only once the TLS attempt has been
		// sent (plainAfterTLS: once it has been answered), after the head
		// start. Otherwise the head start never ends.
		slowProbe, plainAfterTLS bool
		tlsAfterProbe            bool // TLS answers once the probe has
		deadline                 time.Duration
		wantTLS                  bool // the TLS attempt is made
		wantLateClose            bool // the cancelled TLS attempt's answer is closed
		wantPlain                bool // errPlainLoopback, and the address is learned
		wantStatus               int
		wantErr                  string
	}{
		{name: "plain registry, open", plain: ok, wantPlain: true},
		{name: "plain registry, challenge", wantPlain: true, plain: func(*http.Request) (*http.Response, error) {
			return answer(http.StatusUnauthorized, "WWW-Authenticate", `Bearer realm="http://127.0.0.1/token"`), nil
		}},
		{name: "401 without a challenge is no ping answer", tls: ok, wantTLS: true, wantStatus: http.StatusOK, plain: func(*http.Request) (*http.Response, error) {
			return answer(http.StatusUnauthorized), nil
		}},
		{name: "TLS server answering plain HTTP", tls: ok, wantTLS: true, wantStatus: http.StatusOK, plain: badRequest},
		{name: "redirect is no ping answer", tls: ok, wantTLS: true, wantStatus: http.StatusOK, plain: func(*http.Request) (*http.Response, error) {
			return answer(http.StatusFound, "Location", "https://127.0.0.1/v2/"), nil
		}},
		{name: "nothing listens for plain HTTP", tls: ok, wantTLS: true, wantStatus: http.StatusOK, plain: func(*http.Request) (*http.Response, error) {
			return nil, errors.New("connection refused")
		}},
		{name: "neither scheme answers", tls: refused, wantTLS: true, wantErr: "handshake failure", plain: badRequest},
		{name: "request ends during the head start", plain: waitCancel, deadline: 50 * time.Millisecond, wantErr: context.DeadlineExceeded.Error()},
		{name: "slow probe: TLS answers first", slowProbe: true, tls: ok, plain: waitCancel, wantTLS: true, wantStatus: http.StatusOK},
		{name: "slow probe finds a registry: TLS cancelled", slowProbe: true, tls: waitCancel, plain: ok, wantTLS: true, wantPlain: true},
		{name: "slow probe wins, TLS answers all the same", slowProbe: true, plain: ok, wantTLS: true, wantPlain: true, tls: func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done() // cancelled, and answers all the same: its body is closed
			resp := answer(http.StatusOK)
			resp.Body = &closeRecorder{ReadCloser: resp.Body, closed: lateBodyClosed}
			return resp, nil
		}, wantLateClose: true},
		{name: "slow probe: TLS fails first, then the probe finds a registry", slowProbe: true, plainAfterTLS: true, plain: ok, wantTLS: true, wantPlain: true, tls: refused},
		{name: "slow probe finds none, then TLS answers", slowProbe: true, tls: ok, plain: badRequest, wantTLS: true, wantStatus: http.StatusOK, tlsAfterProbe: true},
		{name: "slow probe: TLS fails first, then the probe finds none", slowProbe: true, plainAfterTLS: true, wantTLS: true, wantErr: "handshake failure", tls: refused, plain: badRequest},
		{name: "slow probe: TLS fails first, then the request ends", slowProbe: true, plain: waitCancel, deadline: 50 * time.Millisecond, wantTLS: true, wantErr: "handshake failure", tls: refused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for len(lateBodyClosed) > 0 {
				<-lateBodyClosed
			}
			goroutines := runtime.NumGoroutine()
			probed, tlsSent, tlsAnswered := make(chan struct{}), make(chan struct{}), make(chan struct{})
			tlsCtxs, probeCtxs := make(chan context.Context, 2), make(chan context.Context, 2)
			var sends atomic.Int32
			send := func(r *http.Request) (*http.Response, error) {
				sends.Add(1)
				if r.URL.Scheme == "http" {
					probeCtxs <- r.Context()
					if r.URL.String() != "http://127.0.0.1:5000/v2/" || r.Header.Get("Authorization") != "" || r.Header.Get("User-Agent") != "vmafx-trust/test" {
						t.Errorf("probe %s with %v", r.URL, r.Header)
					}
					defer close(probed)
					switch {
					case tt.plainAfterTLS:
						<-tlsAnswered
					case tt.slowProbe:
						<-tlsSent
					default: // long enough for a TLS attempt made too early to show
						time.Sleep(20 * time.Millisecond)
					}
					return tt.plain(r)
				}
				tlsCtxs <- r.Context()
				close(tlsSent)
				if tt.tlsAfterProbe {
					<-probed
				}
				if !tt.slowProbe {
					select {
					case <-probed:
					default:
						t.Error("TLS attempted before the probe was answered")
					}
				}
				defer close(tlsAnswered)
				if tt.tls == nil {
					t.Error("TLS attempted")
					return nil, errors.New("no TLS here")
				}
				return tt.tls(r)
			}
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://127.0.0.1:5000/v2/", nil)
			req.Header.Set("User-Agent", "vmafx-trust/test")
			p := &pingCache{headStart: time.Hour}
			if tt.slowProbe {
				p.headStart = time.Nanosecond
			}
			resp, err := p.ping(req, send)
			var tlsCtx context.Context
			if tt.wantTLS {
				tlsCtx = receive(t, tlsCtxs)
			} else if len(tlsCtxs) > 0 {
				t.Error("TLS attempted")
			}
			switch {
			case tt.wantPlain:
				if !errors.Is(err, errPlainLoopback) {
					t.Fatalf("err %v, want %v", err, errPlainLoopback)
				}
				if tlsCtx != nil {
					select { // the TLS attempt is cancelled
					case <-tlsCtx.Done():
					case <-time.After(5 * time.Second):
						t.Fatal("TLS attempt not cancelled")
					}
				}
				n := sends.Load()
				if _, err := p.ping(req, send); !errors.Is(err, errPlainLoopback) || sends.Load() != n {
					t.Errorf("second ping: %v after %d sends, want %v without one", err, sends.Load()-n, errPlainLoopback)
				}
				plainReq, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:5000/v2/", nil)
				if resp, err := p.ping(plainReq, send); err != nil || resp.Request != plainReq || sends.Load() != n {
					t.Errorf("plain ping: %v, %v after %d sends, want the probe's answer without one", resp, err, sends.Load()-n)
				}
				waitGoroutines(t, goroutines)
				if _, ok := p.lookup("https", "127.0.0.1:5000"); ok {
					t.Error("the losing TLS answer was remembered: the run would mix schemes")
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, errPlainLoopback) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if _, ok := p.lookup("http", "127.0.0.1:5000"); ok {
					t.Error("address learned as plain HTTP")
				}
			default:
				if err != nil || resp.StatusCode != tt.wantStatus {
					t.Fatalf("got %v, %v; want status %d", resp, err, tt.wantStatus)
				}
				if tlsCtx.Err() != nil {
					t.Error("TLS request's context ended before its body was closed")
				}
				if _, err := io.ReadAll(resp.Body); err != nil {
					t.Error(err)
				}
				resp.Body.Close()
				if tt.slowProbe && tlsCtx.Err() == nil {
					t.Error("TLS request's context outlives its body")
				}
				if p.probedPlain("127.0.0.1:5000") {
					t.Error("address learned as plain HTTP")
				}
				if _, ok := p.lookup("https", "127.0.0.1:5000"); !ok {
					t.Error("the TLS answer was not remembered")
				}
			}
			select { // the probe never outlives the ping
			case <-receive(t, probeCtxs).Done():
			case <-time.After(5 * time.Second):
				t.Error("probe not cancelled")
			}
			waitGoroutines(t, goroutines)
			if tt.wantLateClose {
				select {
				case <-lateBodyClosed:
				case <-time.After(5 * time.Second):
					t.Error("the cancelled TLS attempt's answer was never closed")
				}
			}
		})
	}
}

// closeRecorder says on closed when it is closed.
type closeRecorder struct {
	io.ReadCloser
	closed chan<- struct{}
}

func (c *closeRecorder) Close() error {
	c.closed <- struct{}{}
	return c.ReadCloser.Close()
}

// waitGoroutines fails the test unless the number of goroutines falls back
// to n: a ping leaves nothing running behind it.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			t.Errorf("%d goroutines left running, want %d", runtime.NumGoroutine(), n)
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// TestProbesPlain: only HTTPS pings of loopback addresses with a port, which
// go-containerregistry would also try over plain HTTP, are probed over plain
// HTTP first.
func TestProbesPlain(t *testing.T) {
	for u, want := range map[string]bool{
		"https://127.0.0.1:5000/v2/":        true,
		"https://localhost:5000/v2/":        true,
		"https://[::1]:5000/v2/":            true,
		"https://127.0.0.1/v2/":             false, // 443 and 80 are two listeners
		"https://localhost/v2/":             false,
		"https://127.0.0.2:5000/v2/":        false, // go-containerregistry keeps to TLS
		"https://registry.example:5000/v2/": false,
		"http://127.0.0.1:5000/v2/":         false,
	} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if got := probesPlain(req); got != want {
			t.Errorf("%s: raced %v, want %v", u, got, want)
		}
	}
}

// TestPlainAnswerFromElsewhere: a plain-HTTP answer of a loopback address
// that no probe learned (a redirect led there) does not stop that address
// from being tried over TLS.
func TestPlainAnswerFromElsewhere(t *testing.T) {
	c := &pingCache{}
	c.remember("http", "127.0.0.1:5000", answer(http.StatusOK))
	var tlsTried atomic.Bool
	send := func(r *http.Request) (*http.Response, error) {
		if r.URL.Scheme == "https" {
			tlsTried.Store(true)
			return answer(http.StatusOK), nil
		}
		return answer(http.StatusBadRequest), nil
	}
	req, _ := http.NewRequest(http.MethodGet, "https://127.0.0.1:5000/v2/", nil)
	resp, err := c.ping(req, send)
	if err != nil || resp.StatusCode != http.StatusOK || !tlsTried.Load() {
		t.Fatalf("got %v, %v (TLS tried: %v), want the TLS answer", resp, err, tlsTried.Load())
	}
	resp.Body.Close()
}

func receive(t *testing.T, ch <-chan context.Context) context.Context {
	t.Helper()
	select {
	case ctx := <-ch:
		return ctx
	case <-time.After(5 * time.Second):
		t.Fatal("request never sent")
		return nil
	}
}

// orderedTransport holds HTTPS requests until a plain-HTTP ping has been
// answered and read, so that the outcome does not depend on the probe's
// head start on a slow machine, and counts them.
type orderedTransport struct {
	base   http.RoundTripper
	pinged chan struct{}
	once   sync.Once
	https  atomic.Int32
}

func (o *orderedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "https" {
		o.https.Add(1)
		select {
		case <-o.pinged:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	resp, err := o.base.RoundTrip(r)
	if r.URL.Scheme != "http" || r.URL.Path != "/v2/" {
		return resp, err
	}
	if err != nil {
		o.once.Do(func() { close(o.pinged) })
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: func() { o.once.Do(func() { close(o.pinged) }) }}
	return resp, nil
}

// TestLoopbackRegistries: through the guard and go-containerregistry,
// three repositories of a loopback registry cost one ping that reaches the
// registry: over plain HTTP for a plain-HTTP registry (no TLS attempt is
// made), over TLS for a registry that serves TLS (its TLS layer turns the
// plain ping away).
func TestLoopbackRegistries(t *testing.T) {
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	for _, useTLS := range []bool{false, true} {
		quiet := log.New(io.Discard, "", 0)
		reg := registry.New(registry.Logger(quiet))
		var pings atomic.Int32
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v2/" {
				pings.Add(1)
			}
			reg.ServeHTTP(w, r)
		}))
		srv.Config.ErrorLog = quiet
		if useTLS {
			srv.StartTLS()
		} else {
			srv.Start()
		}
		t.Cleanup(srv.Close)
		host := srv.Listener.Addr().String()
		refs := make([]name.Reference, 3)
		for i := range refs {
			if refs[i], err = name.ParseReference(fmt.Sprintf("%s/vmafx/repo%d@%s", host, i, digest)); err != nil {
				t.Fatal(err)
			}
			if err := remote.Write(refs[i], img, remote.WithTransport(srv.Client().Transport)); err != nil {
				t.Fatal(err)
			}
		}
		pings.Store(0)
		base := &orderedTransport{base: srv.Client().Transport, pinged: make(chan struct{})}
		// The head start never ends: on a loaded machine the probe may be
		// slow, and orderedTransport holds TLS back anyway.
		g := &guard{base: base, requests: &atomic.Int64{}, pings: &pingCache{headStart: time.Hour}}
		for _, r := range refs { // each repository is pinged anew
			desc, err := remote.Get(r, remote.WithTransport(g))
			if err != nil {
				t.Fatalf("tls=%v: %v", useTLS, err)
			}
			if desc.Digest != digest {
				t.Fatalf("tls=%v: digest %s, want %s", useTLS, desc.Digest, digest)
			}
		}
		if n := pings.Load(); n != 1 {
			t.Errorf("tls=%v: %d pings reached the registry, want 1", useTLS, n)
		}
		if n := base.https.Load(); !useTLS && n != 0 {
			t.Errorf("plain registry: %d HTTPS requests, want none", n)
		}
		_, plain := g.pings.lookup("http", host)
		_, secure := g.pings.lookup("https", host)
		if plain == useTLS || secure != useTLS {
			t.Errorf("tls=%v: answers remembered over http %v, https %v", useTLS, plain, secure)
		}
	}
}

// TestPingCache: a ping's usable answer (200, or 401 with a challenge) is
// remembered per scheme and host and replayed without a request; other
// answers and requests that are not pings always go to the registry.
func TestPingCache(t *testing.T) {
	var reached atomic.Int32
	var status atomic.Int32
	var challenge atomic.Bool
	status.Store(http.StatusUnauthorized)
	challenge.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		if challenge.Load() {
			w.Header().Set("WWW-Authenticate", `Bearer realm="https://auth.example/token",service="registry"`)
		}
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		w.Header().Set("X-Other", "not replayed")
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	g := &guard{base: srv.Client().Transport, pings: &pingCache{}}
	get := func(path string, header ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := g.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Request != req {
			t.Errorf("%s: answer is not for its request", path)
		}
		return resp
	}
	for i := range 3 {
		resp := get("/v2/")
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer realm=") ||
			resp.Header.Get("Docker-Distribution-API-Version") != "registry/2.0" {
			t.Errorf("ping %d: %d %v", i, resp.StatusCode, resp.Header)
		}
		if i > 0 && resp.Header.Get("X-Other") != "" {
			t.Errorf("ping %d: replayed %v", i, resp.Header)
		}
	}
	if n := reached.Load(); n != 1 {
		t.Errorf("3 pings reached the registry %d times, want once", n)
	}
	get("/v2/", "Authorization", "Bearer token") // not a ping: it carries credentials
	get("/v2/?x=1")
	get("/v2/repo/manifests/latest")
	if n := reached.Load(); n != 4 {
		t.Errorf("requests that are not pings reached the registry %d times, want 3", n-1)
	}

	challenge.Store(false) // a 401 without a challenge is no usable answer either
	for _, code := range []int32{http.StatusInternalServerError, http.StatusForbidden, http.StatusUnauthorized} {
		status.Store(code)
		g = &guard{base: srv.Client().Transport, pings: &pingCache{}}
		before := reached.Load()
		get("/v2/")
		get("/v2/")
		if n := reached.Load() - before; n != 2 {
			t.Errorf("status %d: 2 pings reached the registry %d times, want twice", code, n)
		}
	}
}

// TestPingCacheOneInFlight: pings of one host that come while one is in
// flight wait for its answer instead of sending their own; a waiter whose
// request ends stops waiting.
func TestPingCacheOneInFlight(t *testing.T) {
	var reached atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		<-release
		w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	defer close(release)
	g := &guard{base: srv.Client().Transport, pings: &pingCache{}}
	ping := func(ctx context.Context) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v2/", nil)
		return g.RoundTrip(req)
	}
	first := make(chan error, 1)
	go func() {
		resp, err := ping(context.Background())
		if err == nil {
			resp.Body.Close()
		}
		first <- err
	}()
	for reached.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := ping(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiter whose request ended: %v, want %v", err, context.DeadlineExceeded)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := ping(context.Background())
			if err != nil || resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("waiting ping: %v, %v", resp, err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond) // the eight are waiting
	release <- struct{}{}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if n := reached.Load(); n != 1 {
		t.Errorf("10 pings reached the registry %d times, want once", n)
	}
}
