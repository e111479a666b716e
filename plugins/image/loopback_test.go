package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
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

// TestPlainLoopbackPing drives plainLoopback.ping with a transport whose
// TLS and plain-HTTP answers, and their order, each case sets.
func TestPlainLoopbackPing(t *testing.T) {
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
	tests := []struct {
		name       string
		tls, plain func(*http.Request) (*http.Response, error)
		tlsAfter   bool // TLS answers only once the probe has
		plainAfter bool // the probe answers only once TLS has
		deadline   time.Duration
		wantPlain  bool // errPlainLoopback, and the address is learned
		wantStatus int
		wantErr    string
	}{
		{name: "plain registry, open", tls: waitCancel, plain: ok, wantPlain: true},
		{name: "plain registry, challenge", tls: waitCancel, wantPlain: true, plain: func(*http.Request) (*http.Response, error) {
			return answer(http.StatusUnauthorized, "WWW-Authenticate", `Bearer realm="http://127.0.0.1/token"`), nil
		}},
		{name: "401 without a challenge is no ping answer", tls: ok, tlsAfter: true, wantStatus: http.StatusOK, plain: func(*http.Request) (*http.Response, error) {
			return answer(http.StatusUnauthorized), nil
		}},
		{name: "TLS server answering plain HTTP", tls: ok, tlsAfter: true, wantStatus: http.StatusOK, plain: func(*http.Request) (*http.Response, error) {
			return answer(http.StatusBadRequest), nil
		}},
		{name: "redirect is no ping answer", tls: ok, tlsAfter: true, wantStatus: http.StatusOK, plain: func(*http.Request) (*http.Response, error) {
			return answer(http.StatusFound, "Location", "https://127.0.0.1/v2/"), nil
		}},
		{name: "nothing listens for plain HTTP", tls: ok, tlsAfter: true, wantStatus: http.StatusOK, plain: func(*http.Request) (*http.Response, error) {
			return nil, errors.New("connection refused")
		}},
		{name: "TLS answers first", tls: ok, plain: waitCancel, wantStatus: http.StatusOK},
		{name: "TLS fails first, then the probe finds a registry", plain: ok, plainAfter: true, wantPlain: true, tls: refused},
		{name: "TLS fails first, then the probe finds none", plainAfter: true, wantErr: "handshake failure", tls: refused, plain: func(*http.Request) (*http.Response, error) {
			return answer(http.StatusBadRequest), nil
		}},
		{name: "TLS fails first, then the request ends", plain: waitCancel, deadline: 50 * time.Millisecond, wantErr: "handshake failure", tls: refused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probed, tlsAnswered := make(chan struct{}), make(chan struct{})
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
					if tt.plainAfter {
						<-tlsAnswered
					}
					return tt.plain(r)
				}
				tlsCtxs <- r.Context()
				if tt.tlsAfter {
					<-probed
				}
				defer close(tlsAnswered)
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
			p := &plainLoopback{}
			resp, err := p.ping(req, send)
			tlsCtx := receive(t, tlsCtxs)
			switch {
			case tt.wantPlain:
				if !errors.Is(err, errPlainLoopback) {
					t.Fatalf("err %v, want %v", err, errPlainLoopback)
				}
				select { // the TLS attempt is cancelled
				case <-tlsCtx.Done():
				case <-time.After(5 * time.Second):
					t.Fatal("TLS attempt not cancelled")
				}
				n := sends.Load()
				if _, err := p.ping(req, send); !errors.Is(err, errPlainLoopback) || sends.Load() != n {
					t.Errorf("second ping: %v after %d sends, want %v without one", err, sends.Load()-n, errPlainLoopback)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, errPlainLoopback) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if p.known("127.0.0.1:5000") {
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
				if tlsCtx.Err() == nil {
					t.Error("TLS request's context outlives its body")
				}
				if p.known("127.0.0.1:5000") {
					t.Error("address learned as plain HTTP")
				}
			}
			select { // the probe never outlives the ping
			case <-receive(t, probeCtxs).Done():
			case <-time.After(5 * time.Second):
				t.Error("probe not cancelled")
			}
		})
	}
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
// answered and read, so that the race plainLoopback runs has a known winner.
type orderedTransport struct {
	base   http.RoundTripper
	pinged chan struct{}
	once   sync.Once
}

func (o *orderedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "https" {
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

// TestLoopbackRegistries: through the guard and go-containerregistry, a
// plain-HTTP loopback registry is reached with its TLS attempts cancelled
// (one probe per run, not one TLS attempt per repository), and a loopback
// registry serving TLS is still reached over TLS: its answer to the probe
// is an error page.
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
		srv := httptest.NewUnstartedServer(registry.New(registry.Logger(quiet)))
		srv.Config.ErrorLog = quiet
		if useTLS {
			srv.StartTLS()
		} else {
			srv.Start()
		}
		t.Cleanup(srv.Close)
		host := srv.Listener.Addr().String()
		base := &orderedTransport{base: srv.Client().Transport, pinged: make(chan struct{})}
		g := &guard{base: base, requests: &atomic.Int64{}, loopback: &plainLoopback{}}
		for i := range 3 { // each repository is pinged anew
			r, err := name.ParseReference(fmt.Sprintf("%s/vmafx/repo%d@%s", host, i, digest))
			if err != nil {
				t.Fatal(err)
			}
			if err := remote.Write(r, img, remote.WithTransport(srv.Client().Transport)); err != nil {
				t.Fatal(err)
			}
			desc, err := remote.Get(r, remote.WithTransport(g))
			if err != nil {
				t.Fatalf("tls=%v: %v", useTLS, err)
			}
			if desc.Digest != digest {
				t.Fatalf("tls=%v: digest %s, want %s", useTLS, desc.Digest, digest)
			}
		}
		if known := g.loopback.known(host); known == useTLS {
			t.Errorf("tls=%v: address learned as plain HTTP: %v", useTLS, known)
		}
	}
}
