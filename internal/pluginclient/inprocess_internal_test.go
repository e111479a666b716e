package pluginclient

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/vmafx/vmafx-trust/internal/progresshub"
	"github.com/vmafx/vmafx-trust/internal/protocol"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// connectInProcess serves v in process and stops the plugin at the end of t.
func connectInProcess(t *testing.T, v sdk.Verifier) Client {
	t.Helper()
	return connectInProcessWithHub(t, v, nil)
}

// connectInProcessWithHub is connectInProcess with the server's progress
// hub given.
func connectInProcessWithHub(t *testing.T, v sdk.Verifier, hub *progresshub.Hub) Client {
	t.Helper()
	c, stop := serveInProcess(v, hub)
	t.Cleanup(stop)
	return c
}

// transports are the two ways a host reaches a plugin.
var transports = []struct {
	name           string
	connect        func(*testing.T, sdk.Verifier) Client
	connectWithHub func(*testing.T, sdk.Verifier, *progresshub.Hub) Client
}{
	{name: "grpc", connect: connect, connectWithHub: connectWithHub},
	{name: "in-process", connect: connectInProcess, connectWithHub: connectInProcessWithHub},
}

// TestInProcessSeesWhatGRPCSees: a plugin served in process receives the same
// Request (after Configure) and the host the same Info and Result as over
// gRPC, field for field, also for empty values (an empty map or byte slice
// arrives as nil, as decoded from the wire).
func TestInProcessSeesWhatGRPCSees(t *testing.T) {
	t.Run("full", func(t *testing.T) {
		if res := seesWhatGRPCSees(t, fullRequest(), fullResult); !reflect.DeepEqual(res, fullResult()) {
			t.Errorf("Result changed crossing:\n got %+v\nwant %+v", res, fullResult())
		}
	})
	t.Run("empties", func(t *testing.T) {
		req := &sdk.Request{
			Kind: "blob", Name: "x", Attributes: json.RawMessage{}, Require: -1,
			Identities: []sdk.Identity{{Name: "a", Extensions: map[string]string{}, ExtensionRegexps: map[string]string{}}, {}},
		}
		seesWhatGRPCSees(t, req, func() *sdk.Result {
			return &sdk.Result{
				Status: sdk.StatusPass, Checks: []sdk.Check{}, Diagnostics: []sdk.Diagnostic{},
				Evidence: []sdk.Evidence{
					{Type: sdk.EvidenceBundle, Bundle: []byte{}, RFC3161: [][]byte{}},
					{Type: sdk.EvidenceDetached, Signature: []byte{1}, RFC3161: [][]byte{{}, nil, {1}}},
				},
				SubResults: []sdk.SubResult{{Name: "p", Evidence: []sdk.Evidence{}}},
			}
		})
	})
}

func fullRequest() *sdk.Request {
	return &sdk.Request{
		Kind: "blob", Name: "libvmaf",
		Attributes: json.RawMessage(`{"path":"dist/libvmaf.so","tags":["a"]}`),
		Identities: []sdk.Identity{{
			Name: "release", Issuer: "https://token.actions.githubusercontent.com", Subject: "https://github.com/vmafx/vmafx/.github/workflows/release.yml@refs/tags/v1",
			Extensions: map[string]string{"source_repository_uri": "https://github.com/vmafx/vmafx"},
		}},
		TrustRoot: &sdk.TrustRoot{Name: "keys"}, Require: 1, UseKey: true, Offline: true,
		Deadline: time.Now().Add(time.Hour).Round(0), PolicyDir: "/etc/vmafx",
		Requirements: sdk.Requirements{TlogThreshold: intp(1), IgnoreTlog: true, TimeSource: "timestamp"},
	}
}

// seesWhatGRPCSees compares what the plugin and the host see over the two
// transports and returns the host's result in process.
func seesWhatGRPCSees(t *testing.T, req *sdk.Request, result func() *sdk.Result) *sdk.Result {
	t.Helper()
	roots := []sdk.TrustRoot{
		{Name: "public-good", TrustedRootJSON: []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`)},
		{Name: "keys", PublicKeysPEM: [][]byte{[]byte("-----BEGIN PUBLIC KEY-----\nA\n-----END PUBLIC KEY-----\n")}},
	}
	type seen struct {
		info sdk.Info
		req  sdk.Request
		res  *sdk.Result
	}
	var got []seen
	// One hub for both servers: the requests the plugin sees then point to
	// the same one.
	hub := &progresshub.Hub{}
	for _, tr := range transports {
		fv := &fakeVerifier{info: testInfo(), verify: func(context.Context, *sdk.Request) (*sdk.Result, error) { return result(), nil }}
		c := tr.connectWithHub(t, fv, hub)
		info, err := c.Describe(context.Background())
		if err != nil {
			t.Fatalf("%s: Describe: %v", tr.name, err)
		}
		if _, err := c.Configure(context.Background(), roots); err != nil {
			t.Fatalf("%s: Configure: %v", tr.name, err)
		}
		res, err := c.Verify(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: Verify: %v", tr.name, err)
		}
		r, calls := fv.seen()
		if calls != 1 || r == nil {
			t.Fatalf("%s: plugin called %d times", tr.name, calls)
		}
		if !reportsTo(hub, r) {
			t.Errorf("%s: the plugin's request has no progress hub", tr.name)
		}
		got = append(got, seen{info: info, req: *r, res: res})
	}
	if !reflect.DeepEqual(got[0].info, got[1].info) {
		t.Errorf("Info differs:\n grpc %+v\n in-process %+v", got[0].info, got[1].info)
	}
	if !reflect.DeepEqual(got[0].req, got[1].req) {
		t.Errorf("Request differs:\n grpc %+v\n in-process %+v", got[0].req, got[1].req)
	}
	if req.TrustRoot != nil && (got[1].req.TrustRoot == nil || len(got[1].req.TrustRoot.PublicKeysPEM) != 1) {
		t.Errorf("in-process plugin did not resolve the configured root: %+v", got[1].req.TrustRoot)
	}
	if !reflect.DeepEqual(got[0].res, got[1].res) {
		t.Errorf("Result differs:\n grpc %+v\n in-process %+v", got[0].res, got[1].res)
	}
	return got[1].res
}

// reportsTo says whether the progress of req, a request the plugin got,
// reaches hub.
func reportsTo(hub *progresshub.Hub, req *sdk.Request) bool {
	ch, unsubscribe := hub.Subscribe()
	defer unsubscribe()
	req.Progress("probe")(1, 1)
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// panickyVerifier panics in Info or Verify.
type panickyVerifier struct{ inInfo bool }

func (p panickyVerifier) Info() sdk.Info {
	if p.inInfo {
		panic("info exploded")
	}
	return testInfo()
}

func (p panickyVerifier) Verify(context.Context, *sdk.Request) (*sdk.Result, error) {
	panic("verify exploded")
}

// TestInProcessPanics: a panic in a call is that call's error (Describe) or
// the artifact's error (Verify); the host process lives on.
func TestInProcessPanics(t *testing.T) {
	c := connectInProcess(t, panickyVerifier{inInfo: true})
	if _, err := c.Describe(context.Background()); err == nil || !strings.Contains(err.Error(), "info exploded") ||
		!strings.Contains(err.Error(), "Describe") {
		t.Errorf("Describe error = %v, want the panic and the call", err)
	}
	c = connectInProcess(t, panickyVerifier{})
	res, err := c.Verify(context.Background(), &sdk.Request{Kind: "blob", Name: "a"})
	if err != nil || res.Status != sdk.StatusError || !strings.Contains(res.Reason, "verify exploded") {
		t.Errorf("Verify = %+v, %v, want an error result naming the panic", res, err)
	}
}

// TestInProcessProgress: reports reach the host's Progress; it returns nil
// when the host cancels and an error once the plugin is stopped.
func TestInProcessProgress(t *testing.T) {
	const total = 8 << 20
	hub := &progresshub.Hub{}
	c, stop := serveInProcess(&fakeVerifier{info: testInfo(), verify: func(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
		req.Progress("models.tar.gz")(total, total)
		return (&sdk.Result{Status: sdk.StatusPass}).Pass("ok", ""), nil
	}}, hub)
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu  sync.Mutex
		got []Progress
	)
	done := make(chan error, 1)
	go func() {
		done <- c.Progress(ctx, func(p Progress) { mu.Lock(); got = append(got, p); mu.Unlock() })
	}()
	waitForSubscriber(t, hub)
	if _, err := c.Verify(context.Background(), &sdk.Request{Kind: "blob", Name: "models"}); err != nil {
		t.Fatal(err)
	}
	waitUntil(func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Progress after cancel = %v, want nil", err)
	}
	mu.Lock()
	want := []Progress{{Kind: "blob", Name: "models", Label: "models.tar.gz", Done: total, Total: total}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("progress = %+v, want %+v", got, want)
	}
	mu.Unlock()

	go func() { done <- c.Progress(context.Background(), func(Progress) {}) }()
	waitForSubscriber(t, hub)
	stop()
	if err := <-done; !errors.Is(err, errStopped) {
		t.Errorf("Progress after stop = %v, want errStopped", err)
	}
	if hub.Subscribers() != 0 {
		t.Errorf("%d subscribers left after Progress returned", hub.Subscribers())
	}
}

// TestInProcessHostCancellation: the plugin's context is the host's, so a
// cancelled verification ends with the context's error.
func TestInProcessHostCancellation(t *testing.T) {
	c := connectInProcess(t, &fakeVerifier{info: testInfo(), verify: func(ctx context.Context, _ *sdk.Request) (*sdk.Result, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Verify(ctx, &sdk.Request{Kind: "blob", Name: "x"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
}

// TestCallsEndWithTheirContext: a plugin that ignores its context (a FIFO
// opened without one, a deadlock) cannot hold the host past the call's
// deadline, in process as over gRPC.
func TestCallsEndWithTheirContext(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			c := tr.connect(t, &fakeVerifier{info: testInfo(), verify: func(context.Context, *sdk.Request) (*sdk.Result, error) {
				<-release // never looks at ctx
				return (&sdk.Result{Status: sdk.StatusPass}).Pass("late", ""), nil
			}})
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := c.Verify(ctx, &sdk.Request{Kind: "blob", Name: "x"})
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, context.DeadlineExceeded) && status.Code(err) != codes.DeadlineExceeded {
					t.Errorf("err = %v, want the deadline", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Verify still waits for a plugin past its deadline")
			}
		})
	}
}

// TestInProcessDescribeEndsWithItsContext: Describe and Configure are
// bounded by their context too.
func TestInProcessDescribeEndsWithItsContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c := connectInProcess(t, blockingInfo{release})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Describe(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Describe err = %v, want the deadline", err)
	}
}

type blockingInfo struct{ release chan struct{} }

func (b blockingInfo) Info() sdk.Info {
	<-b.release
	return testInfo()
}

func (b blockingInfo) Verify(context.Context, *sdk.Request) (*sdk.Result, error) { return nil, nil }

// TestNoMemorySharedWithThePlugin: what a plugin does to its request, or to
// the result after returning it, does not reach the host's copies, in
// process as over gRPC (a plugin must not be able to drop an identity
// constraint the host verifies with).
func TestNoMemorySharedWithThePlugin(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			var kept *sdk.Result
			c := tr.connect(t, &fakeVerifier{info: testInfo(), verify: func(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
				delete(req.Identities[0].Extensions, "source_repository_uri")
				req.Identities[0].ExtensionRegexps["source_repository_ref"] = ".*"
				req.Attributes[0] = 'X'
				kept = fullResult()
				return kept, nil
			}})
			req := &sdk.Request{
				Kind: "blob", Name: "x", Attributes: json.RawMessage(`{"path":"a"}`),
				Identities: []sdk.Identity{{
					Name: "release", Issuer: "https://token.actions.githubusercontent.com", Subject: "s",
					Extensions:       map[string]string{"source_repository_uri": "https://github.com/vmafx/vmafx"},
					ExtensionRegexps: map[string]string{"source_repository_ref": "^refs/tags/v.*$"},
				}},
			}
			res, err := c.Verify(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if req.Identities[0].Extensions["source_repository_uri"] != "https://github.com/vmafx/vmafx" ||
				req.Identities[0].ExtensionRegexps["source_repository_ref"] != "^refs/tags/v.*$" || string(req.Attributes) != `{"path":"a"}` {
				t.Errorf("the plugin changed the host's request: %+v %s", req.Identities[0], req.Attributes)
			}
			kept.Evidence[0].Bundle[1] = 'X'
			kept.Checks[0].Detail = "changed"
			if !reflect.DeepEqual(res, fullResult()) {
				t.Errorf("the plugin changed the host's result after returning it:\n got %+v\nwant %+v", res, fullResult())
			}
		})
	}
}

// TestInProcessRefusesWhatTheWireRefuses: invalid UTF-8 in a string field
// is an error both ways, as on the wire, so a verdict cannot depend on where
// a built-in runs; and a message over MaxMessageSize is refused.
func TestInProcessRefusesWhatTheWireRefuses(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c := tr.connect(t, &fakeVerifier{info: testInfo(), verify: func(context.Context, *sdk.Request) (*sdk.Result, error) {
				return (&sdk.Result{Status: sdk.StatusPass}).Pass("digest", "sha256:\xff\xfe"), nil
			}})
			if res, err := c.Verify(context.Background(), &sdk.Request{Kind: "blob", Name: "x"}); err == nil {
				t.Errorf("a result with invalid UTF-8 crossed: %+v", res)
			}
			if res, err := c.Verify(context.Background(), &sdk.Request{Kind: "blob", Name: "x", PolicyDir: "/tmp/\xff"}); err == nil {
				t.Errorf("a request with invalid UTF-8 crossed: %+v", res)
			}
		})
	}
	big := connectInProcess(t, &fakeVerifier{info: testInfo(), verify: func(context.Context, *sdk.Request) (*sdk.Result, error) {
		return &sdk.Result{Status: sdk.StatusPass, Evidence: []sdk.Evidence{{Type: sdk.EvidenceBundle, Bundle: make([]byte, protocol.MaxMessageSize+1)}}}, nil
	}})
	if _, err := big.Verify(context.Background(), &sdk.Request{Kind: "blob", Name: "x"}); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized result: err = %v, want it refused", err)
	}
}
