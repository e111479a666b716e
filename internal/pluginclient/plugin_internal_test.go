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

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
	"github.com/vmafx/vmafx-trust/internal/progresshub"
	"github.com/vmafx/vmafx-trust/internal/protocol"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// fakeVerifier records what it was asked and answers with verify.
type fakeVerifier struct {
	info   sdk.Info
	verify func(ctx context.Context, req *sdk.Request) (*sdk.Result, error)

	mu    sync.Mutex
	calls int
	got   *sdk.Request
	// ctxDeadline is the deadline of the context Verify ran with.
	ctxDeadline    time.Time
	ctxHasDeadline bool
	ctxErr         error
}

func (f *fakeVerifier) Info() sdk.Info { return f.info }

func (f *fakeVerifier) Verify(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	f.mu.Lock()
	f.calls++
	f.got = req
	f.ctxDeadline, f.ctxHasDeadline = ctx.Deadline()
	f.ctxErr = ctx.Err()
	f.mu.Unlock()
	if f.verify == nil {
		return (&sdk.Result{Status: sdk.StatusPass}).Pass("ok", ""), nil
	}
	return f.verify(ctx, req)
}

func (f *fakeVerifier) seen() (*sdk.Request, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got, f.calls
}

// connect serves v over go-plugin's gRPC transport (the server sdk.Serve
// registers in a plugin process, the grpcPlugin of PluginSet dispensing the
// host's end) and returns the host-side client.
func connect(t *testing.T, v sdk.Verifier) Client {
	t.Helper()
	return connectWithHub(t, v, nil)
}

// connectWithHub is connect with the server's progress hub given.
func connectWithHub(t *testing.T, v sdk.Verifier, hub *progresshub.Hub) Client {
	t.Helper()
	client, _ := goplugin.TestPluginGRPCConn(t, true, map[string]goplugin.Plugin{
		protocol.PluginName: &servingPlugin{server: newServer(v, hub)},
	})
	// Close asks the server to shut down (go-plugin's controller calls its
	// Stop); stopping it here as well races inside go-plugin.
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(protocol.PluginName)
	if err != nil {
		t.Fatalf("Dispense: %v", err)
	}
	c, ok := raw.(Client)
	if !ok {
		t.Fatalf("dispensed %T, want a Client", raw)
	}
	return c
}

// servingPlugin is the host's grpcPlugin that also serves: it registers
// the plugin side's server as sdk.Serve's plugin does in a plugin process.
type servingPlugin struct {
	grpcPlugin
	server pb.VerifierServer
}

func (p *servingPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterVerifierServer(s, p.server)
	return nil
}

func testInfo() sdk.Info {
	return sdk.Info{
		Name:           "fake",
		Version:        "v1.2.3",
		OpaqueEvidence: true,
		// Whatever the plugin says, the SDK fills this in.
		ProtocolVersions: []int{7, 8},
		Kinds: []sdk.KindSchema{
			{
				Kind:        "blob",
				Description: "a release file",
				Attributes: []sdk.Attribute{
					{Name: "path", Type: sdk.TypePath, Required: true, Description: "the file", Example: `"dist/x.tar.gz"`},
					{Name: "sha256", Type: sdk.TypeString, Description: "expected digest", Example: `"ab12"`},
					{Name: "tags", Type: sdk.TypeListString},
					{Name: "labels", Type: sdk.TypeMapString, Example: `{ a = "b" }`},
					{Name: "describes", Type: sdk.TypeReference, Kinds: []string{"blob", "image"}},
				},
				Blocks: []sdk.NestedBlock{
					{
						TypeName: "provenance", Nesting: sdk.NestingSingle, Required: true, Description: "SLSA provenance",
						IdentityForm: sdk.IdentityTrustedPublisher,
						Attributes:   []sdk.Attribute{{Name: "builder", Type: sdk.TypeString, Required: true, Example: `"gh"`}},
					},
					{
						TypeName: "attestation", Nesting: sdk.NestingList, Description: "any attestation",
						Attributes: []sdk.Attribute{{Name: "type", Type: sdk.TypeString}, {Name: "max", Type: sdk.TypeNumber}, {Name: "strict", Type: sdk.TypeBool}},
					},
				},
			},
			{
				Kind:       "bundle-dir",
				Attributes: []sdk.Attribute{{Name: "dirs", Type: sdk.TypeListPath, Required: true}},
				Blocks:     []sdk.NestedBlock{{TypeName: "x", Nesting: sdk.NestingList, Attributes: []sdk.Attribute{{Name: "y", Type: sdk.TypeBool}}}},
			},
		},
	}
}

func TestDescribeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		info sdk.Info
	}{
		{name: "full schema", info: testInfo()},
		{name: "minimal", info: sdk.Info{Name: "min", Version: "0", Kinds: []sdk.KindSchema{{Kind: "k", Attributes: []sdk.Attribute{{Name: "a", Type: sdk.TypeString}}}}}},
		{name: "no protocol versions from plugin", info: sdk.Info{Name: "np", Kinds: []sdk.KindSchema{{Kind: "k", Attributes: []sdk.Attribute{{Name: "a", Type: sdk.TypeBool, Required: true}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connect(t, &fakeVerifier{info: tt.info})
			got, err := c.Describe(context.Background())
			if err != nil {
				t.Fatalf("Describe: %v", err)
			}
			want := tt.info
			want.ProtocolVersions = []int{sdk.ProtocolVersion}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Describe round trip:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDescribeFieldByField(t *testing.T) {
	// Redundant with the DeepEqual above, but names the field that broke.
	c := connect(t, &fakeVerifier{info: testInfo()})
	got, err := c.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Kinds) != 2 {
		t.Fatalf("kinds = %d, want 2", len(got.Kinds))
	}
	blob := got.Kinds[0]
	checks := []struct {
		what      string
		got, want any
	}{
		{"name", got.Name, "fake"},
		{"version", got.Version, "v1.2.3"},
		{"opaque", got.OpaqueEvidence, true},
		{"protocol versions", got.ProtocolVersions, []int{sdk.ProtocolVersion}},
		{"kind", blob.Kind, "blob"},
		{"kind description", blob.Description, "a release file"},
		{"attr name", blob.Attributes[0].Name, "path"},
		{"attr type", blob.Attributes[0].Type, sdk.TypePath},
		{"attr required", blob.Attributes[0].Required, true},
		{"attr optional", blob.Attributes[1].Required, false},
		{"attr description", blob.Attributes[0].Description, "the file"},
		{"attr example", blob.Attributes[0].Example, `"dist/x.tar.gz"`},
		{"map attr type", blob.Attributes[3].Type, sdk.TypeMapString},
		{"block name", blob.Blocks[0].TypeName, "provenance"},
		{"block nesting single", blob.Blocks[0].Nesting, sdk.NestingSingle},
		{"block nesting list", blob.Blocks[1].Nesting, sdk.NestingList},
		{"block required", blob.Blocks[0].Required, true},
		{"block description", blob.Blocks[0].Description, "SLSA provenance"},
		{"block identity form", blob.Blocks[0].IdentityForm, sdk.IdentityTrustedPublisher},
		{"block without identity form", blob.Blocks[1].IdentityForm, ""},
		{"block attr", blob.Blocks[0].Attributes[0], sdk.Attribute{Name: "builder", Type: sdk.TypeString, Required: true, Example: `"gh"`}},
		{"block attr count", len(blob.Blocks[1].Attributes), 3},
		{"second kind", got.Kinds[1].Kind, "bundle-dir"},
		{"list(path)", got.Kinds[1].Attributes[0].Type, sdk.TypeListPath},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
}

func intp(v int) *int { return &v }

func TestConfigureThenVerifyRequest(t *testing.T) {
	roots := []sdk.TrustRoot{
		{Name: "public-good", TrustedRootJSON: []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`)},
		{Name: "keys", PublicKeysPEM: [][]byte{[]byte("-----BEGIN PUBLIC KEY-----\nA\n-----END PUBLIC KEY-----\n"), []byte("second key")}},
		{Name: "both", TrustedRootJSON: []byte(`{"x":1}`), PublicKeysPEM: [][]byte{[]byte("k")}},
	}
	deadline := time.Now().Add(time.Hour).Round(0)
	base := sdk.Request{
		Kind: "blob", Name: "libvmaf",
		Attributes: json.RawMessage(`{"path":"/tmp/dist/libvmaf.so","sha256":"ab12","tags":["a","b"]}`),
		Identities: []sdk.Identity{
			{
				Name: "release", Issuer: "https://token.actions.githubusercontent.com", Subject: "https://github.com/vmafx/vmafx/.github/workflows/release.yml@refs/tags/v1",
				Extensions:       map[string]string{"source_repository_uri": "https://github.com/vmafx/vmafx", "github_workflow_trigger": "push"},
				ExtensionRegexps: map[string]string{"source_repository_ref": "^refs/tags/v.*$"},
			},
			{Name: "maintainer", IssuerRegexp: "^https://accounts\\.google\\.com$", SubjectRegexp: "^.*@vmafx\\.dev$"},
		},
		Require:   2,
		UseKey:    true,
		Offline:   true,
		Deadline:  deadline,
		PolicyDir: "/etc/vmafx",
		References: map[string]sdk.Reference{
			"image": {Kind: "image", Name: "app", Attributes: json.RawMessage(`{"ref":"r/app:1"}`), Parts: []sdk.ReferencePart{
				{Name: "index", Digest: sdk.Digest{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}},
				{Name: "linux/amd64", Digest: sdk.Digest{Algorithm: "sha256", Hex: strings.Repeat("b", 64)}},
			}},
			"describes": {Kind: "blob", Name: "x", Attributes: json.RawMessage(`{}`), Parts: []sdk.ReferencePart{{Digest: sdk.Digest{Algorithm: "sha256", Hex: strings.Repeat("c", 64)}}}},
		},
		Requirements: sdk.Requirements{
			TlogThreshold: intp(2), SCTThreshold: intp(0), TimestampThreshold: nil,
			IgnoreTlog: true, RequireInclusionProof: true, TimeSource: "timestamp",
		},
	}
	tests := []struct {
		name     string
		rootName string
		wantRoot *sdk.TrustRoot
	}{
		{name: "trusted root json", rootName: "public-good", wantRoot: &roots[0]},
		{name: "public keys", rootName: "keys", wantRoot: &roots[1]},
		{name: "json and keys", rootName: "both", wantRoot: &roots[2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fv := &fakeVerifier{info: testInfo()}
			c := connect(t, fv)
			if _, err := c.Configure(context.Background(), roots); err != nil {
				t.Fatalf("Configure: %v", err)
			}
			req := base
			// The host names the root; the plugin must resolve it from Configure.
			req.TrustRoot = &sdk.TrustRoot{Name: tt.rootName}
			res, err := c.Verify(context.Background(), &req)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.Status != sdk.StatusPass {
				t.Fatalf("status = %v (%s), want pass", res.Status, res.Reason)
			}
			got, calls := fv.seen()
			if calls != 1 || got == nil {
				t.Fatalf("verifier called %d times", calls)
			}
			if got.TrustRoot == nil {
				t.Fatalf("TrustRoot not resolved")
			}
			if !reflect.DeepEqual(*got.TrustRoot, *tt.wantRoot) {
				t.Errorf("TrustRoot = %+v, want %+v", *got.TrustRoot, *tt.wantRoot)
			}
			if d := got.Deadline.Sub(deadline); d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("Deadline = %v, want %v (±1ms)", got.Deadline, deadline)
			}
			checks := []struct {
				what      string
				got, want any
			}{
				{"kind", got.Kind, "blob"},
				{"name", got.Name, "libvmaf"},
				{"attributes", string(got.Attributes), string(base.Attributes)},
				{"identities", got.Identities, base.Identities},
				{"require", got.Require, 2},
				{"use_key", got.UseKey, true},
				{"offline", got.Offline, true},
				{"policy dir", got.PolicyDir, "/etc/vmafx"},
				{"requirements", got.Requirements, base.Requirements},
				{"references", got.References, base.References},
			}
			for _, c := range checks {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
				}
			}
		})
	}
}

func TestVerifyZeroOptionsStayZero(t *testing.T) {
	fv := &fakeVerifier{info: testInfo()}
	c := connect(t, fv)
	if _, err := c.Verify(context.Background(), &sdk.Request{Kind: "blob", Name: "x", Require: 1}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	got, _ := fv.seen()
	if !got.Deadline.IsZero() {
		t.Errorf("Deadline = %v, want zero", got.Deadline)
	}
	if got.TrustRoot != nil {
		t.Errorf("TrustRoot = %+v, want nil", got.TrustRoot)
	}
	if got.Offline || got.UseKey {
		t.Errorf("offline/use_key set: %+v", got)
	}
	if rq := got.Requirements; rq.TlogThreshold != nil || rq.SCTThreshold != nil || rq.TimestampThreshold != nil {
		t.Errorf("nil thresholds came back non-nil: %+v", rq)
	}
}

func TestVerifyUnconfiguredTrustRoot(t *testing.T) {
	tests := []struct {
		name      string
		configure []sdk.TrustRoot // nil: Configure is not called
		root      string
	}{
		{name: "never configured", root: "public-good"},
		{name: "other root configured", configure: []sdk.TrustRoot{{Name: "mirror", TrustedRootJSON: []byte("{}")}}, root: "public-good"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fv := &fakeVerifier{info: testInfo()}
			c := connect(t, fv)
			if tt.configure != nil {
				if _, err := c.Configure(context.Background(), tt.configure); err != nil {
					t.Fatal(err)
				}
			}
			res, err := c.Verify(context.Background(), &sdk.Request{Kind: "blob", Name: "x", TrustRoot: &sdk.TrustRoot{Name: tt.root}})
			if err != nil {
				t.Fatalf("Verify returned a gRPC error %v; want an error Result", err)
			}
			if res.Status != sdk.StatusError {
				t.Errorf("status = %v, want error", res.Status)
			}
			if !strings.Contains(res.Reason, tt.root) || !strings.Contains(res.Reason, "not configured") {
				t.Errorf("reason = %q, want it to name %q and say not configured", res.Reason, tt.root)
			}
			if _, calls := fv.seen(); calls != 0 {
				t.Errorf("verifier was called %d times for an unconfigured root", calls)
			}
		})
	}
}

func TestConfigureReplacesRoots(t *testing.T) {
	fv := &fakeVerifier{info: testInfo()}
	c := connect(t, fv)
	ctx := context.Background()
	if _, err := c.Configure(ctx, []sdk.TrustRoot{{Name: "a", TrustedRootJSON: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Configure(ctx, []sdk.TrustRoot{{Name: "b", TrustedRootJSON: []byte("2")}}); err != nil {
		t.Fatal(err)
	}
	res, err := c.Verify(ctx, &sdk.Request{Kind: "blob", Name: "x", TrustRoot: &sdk.TrustRoot{Name: "a"}})
	if err != nil || res.Status != sdk.StatusError {
		t.Errorf("root a after reconfigure: res=%+v err=%v, want error result", res, err)
	}
	res, err = c.Verify(ctx, &sdk.Request{Kind: "blob", Name: "x", TrustRoot: &sdk.TrustRoot{Name: "b"}})
	if err != nil || res.Status != sdk.StatusPass {
		t.Fatalf("root b: res=%+v err=%v, want pass", res, err)
	}
	got, _ := fv.seen()
	if string(got.TrustRoot.TrustedRootJSON) != "2" {
		t.Errorf("root b json = %q", got.TrustRoot.TrustedRootJSON)
	}
}

func fullResult() *sdk.Result {
	ev := func(n byte) sdk.Evidence {
		return sdk.Evidence{
			Type: sdk.EvidenceBundle, MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
			Bundle: []byte{'{', n, 0, 0xff, '}'}, Signature: []byte{1, 2, n}, CertificatePEM: []byte("cert"),
			ChainPEM: []byte("chain"), TlogEntryJSON: []byte(`{"logIndex":1}`), RFC3161: [][]byte{{9, 9}, {n}},
			SubjectDigest: sdk.Digest{Algorithm: "sha256", Hex: strings.Repeat(string('a'+n%6), 64)}, Source: "dist/x.sigstore.json",
		}
	}
	detached := ev(3)
	detached.Type = sdk.EvidenceDetached
	return &sdk.Result{
		Status: sdk.StatusFail,
		Checks: []sdk.Check{
			{Name: "digest", OK: true, Detail: "sha256:aa"},
			{Name: "bundle", OK: true},
			{Name: "provenance", OK: false, Detail: "builder mismatch\nexpected: a\nfound: b"},
		},
		Evidence:    []sdk.Evidence{ev(1), detached},
		Reason:      "builder mismatch",
		Subject:     sdk.Digest{Algorithm: "sha512", Hex: strings.Repeat("5", 128)},
		Diagnostics: []sdk.Diagnostic{{Severity: sdk.SeverityWarning, Summary: "old bundle", Detail: "v0.1"}, {Severity: sdk.SeverityError, Summary: "bad"}},
		SubResults: []sdk.SubResult{
			{Name: "linux/amd64", Status: sdk.StatusPass, Checks: []sdk.Check{{Name: "c", OK: true}}, Evidence: []sdk.Evidence{ev(4)}, Subject: sdk.Digest{Algorithm: "sha256", Hex: strings.Repeat("4", 64)}},
			{Name: "linux/arm64", Status: sdk.StatusError, Checks: []sdk.Check{{Name: "fetch", Detail: "timeout"}}, Evidence: []sdk.Evidence{}, Reason: "timeout"},
		},
	}
}

func TestVerifyResultRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		res  *sdk.Result
	}{
		{name: "everything", res: fullResult()},
		{name: "pass with checks", res: &sdk.Result{Status: sdk.StatusPass, Checks: []sdk.Check{{Name: "b", OK: true}, {Name: "a", OK: true}}, Evidence: []sdk.Evidence{}, Diagnostics: []sdk.Diagnostic{}}},
		{name: "error", res: &sdk.Result{Status: sdk.StatusError, Checks: []sdk.Check{{Name: "fetch", Detail: "dns"}}, Evidence: []sdk.Evidence{}, Reason: "dns", Diagnostics: []sdk.Diagnostic{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.res
			c := connect(t, &fakeVerifier{info: testInfo(), verify: func(context.Context, *sdk.Request) (*sdk.Result, error) { return want, nil }})
			got, err := c.Verify(context.Background(), &sdk.Request{Kind: "blob", Name: "x"})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Result round trip:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestVerifyFailures(t *testing.T) {
	tests := []struct {
		name       string
		verify     func(ctx context.Context, req *sdk.Request) (*sdk.Result, error)
		wantGRPC   bool   // a gRPC error, not a Result
		wantErrSub string // in the gRPC error
		wantStatus sdk.Status
		wantReason string // substring
	}{
		{
			name:       "panic",
			verify:     func(context.Context, *sdk.Request) (*sdk.Result, error) { panic("boom in plugin") },
			wantStatus: sdk.StatusError, wantReason: "panicked",
		},
		{
			name: "nil pointer panic",
			verify: func(context.Context, *sdk.Request) (*sdk.Result, error) {
				var r *sdk.Result
				r.Status = sdk.StatusPass
				return r, nil
			},
			wantStatus: sdk.StatusError, wantReason: "panicked",
		},
		{
			name:     "nil result and nil error",
			verify:   func(context.Context, *sdk.Request) (*sdk.Result, error) { return nil, nil },
			wantGRPC: true, wantErrSub: "no result",
		},
		{
			name:     "error",
			verify:   func(context.Context, *sdk.Request) (*sdk.Result, error) { return nil, errors.New("disk on fire") },
			wantGRPC: true, wantErrSub: "disk on fire",
		},
		{
			name: "error with a result",
			verify: func(context.Context, *sdk.Request) (*sdk.Result, error) {
				return &sdk.Result{Status: sdk.StatusPass}, errors.New("half done")
			},
			wantGRPC: true, wantErrSub: "half done",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connect(t, &fakeVerifier{info: testInfo(), verify: tt.verify})
			res, err := c.Verify(context.Background(), &sdk.Request{Kind: "blob", Name: "x"})
			if tt.wantGRPC {
				if err == nil {
					t.Fatalf("got result %+v, want a gRPC error", res)
				}
				if _, ok := status.FromError(err); !ok {
					t.Errorf("error %v is not a gRPC status", err)
				}
				if !strings.Contains(err.Error(), tt.wantErrSub) {
					t.Errorf("error %q does not contain %q", err, tt.wantErrSub)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v, want a Result", err)
			}
			if res.Status != tt.wantStatus || !strings.Contains(res.Reason, tt.wantReason) {
				t.Errorf("got %v %q, want %v containing %q", res.Status, res.Reason, tt.wantStatus, tt.wantReason)
			}
		})
	}
}

func TestPanicDoesNotKillPlugin(t *testing.T) {
	var n int
	var mu sync.Mutex
	c := connect(t, &fakeVerifier{info: testInfo(), verify: func(context.Context, *sdk.Request) (*sdk.Result, error) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			panic("first call")
		}
		return (&sdk.Result{Status: sdk.StatusPass}).Pass("second", ""), nil
	}})
	res, err := c.Verify(context.Background(), &sdk.Request{Kind: "blob", Name: "a"})
	if err != nil || res.Status != sdk.StatusError || !strings.Contains(res.Reason, "first call") {
		t.Fatalf("first: %+v %v", res, err)
	}
	res, err = c.Verify(context.Background(), &sdk.Request{Kind: "blob", Name: "b"})
	if err != nil || res.Status != sdk.StatusPass {
		t.Fatalf("second after panic: %+v %v", res, err)
	}
}

func TestVerifyDeadlineAppliedInPlugin(t *testing.T) {
	tests := []struct {
		name         string
		deadline     time.Duration // from now; 0 = no deadline in the Request
		wantDeadline bool
		wantExpired  bool
	}{
		{name: "future deadline", deadline: time.Hour, wantDeadline: true},
		{name: "past deadline", deadline: -time.Second, wantDeadline: true, wantExpired: true},
		{name: "no deadline", deadline: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fv := &fakeVerifier{info: testInfo(), verify: func(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
				return &sdk.Result{Status: sdk.StatusPass}, nil
			}}
			c := connect(t, fv)
			req := &sdk.Request{Kind: "blob", Name: "x"}
			var want time.Time
			if tt.deadline != 0 {
				want = time.Now().Add(tt.deadline)
				req.Deadline = want
			}
			// The host's own context carries no deadline: whatever the plugin
			// sees comes from Request.Deadline.
			if _, err := c.Verify(context.Background(), req); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			fv.mu.Lock()
			got, has, ctxErr := fv.ctxDeadline, fv.ctxHasDeadline, fv.ctxErr
			fv.mu.Unlock()
			if has != tt.wantDeadline {
				t.Fatalf("plugin ctx has deadline = %v, want %v", has, tt.wantDeadline)
			}
			if has {
				if d := got.Sub(want); d < -time.Millisecond || d > time.Millisecond {
					t.Errorf("plugin ctx deadline = %v, want %v", got, want)
				}
			}
			if (ctxErr == context.DeadlineExceeded) != tt.wantExpired {
				t.Errorf("plugin ctx err = %v, want expired=%v", ctxErr, tt.wantExpired)
			}
		})
	}
}

func TestVerifyHostCancellationIsGRPCError(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	c := connect(t, &fakeVerifier{info: testInfo(), verify: func(ctx context.Context, _ *sdk.Request) (*sdk.Result, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-block:
			return &sdk.Result{Status: sdk.StatusPass}, nil
		}
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Verify(ctx, &sdk.Request{Kind: "blob", Name: "x"})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
}
