package sdk

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
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/vmafx/vmafx-trust/internal/progresshub"
)

// fakeVerifier records what it was asked and answers with verify.
type fakeVerifier struct {
	info   Info
	verify func(ctx context.Context, req *Request) (*Result, error)

	mu    sync.Mutex
	calls int
	got   *Request
	// ctxDeadline is the deadline of the context Verify ran with.
	ctxDeadline    time.Time
	ctxHasDeadline bool
	ctxErr         error
}

func (f *fakeVerifier) Info() Info { return f.info }

func (f *fakeVerifier) Verify(ctx context.Context, req *Request) (*Result, error) {
	f.mu.Lock()
	f.calls++
	f.got = req
	f.ctxDeadline, f.ctxHasDeadline = ctx.Deadline()
	f.ctxErr = ctx.Err()
	f.mu.Unlock()
	if f.verify == nil {
		return (&Result{Status: StatusPass}).Pass("ok", ""), nil
	}
	return f.verify(ctx, req)
}

func (f *fakeVerifier) seen() (*Request, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got, f.calls
}

// connect serves v in-process over go-plugin's gRPC transport (the same
// grpcPlugin the SDK's Serve and the host's PluginSet use) and returns the
// host-side client.
func connect(t *testing.T, v Verifier) Client {
	t.Helper()
	return connectWithHub(t, v, nil)
}

// connectWithHub is connect with the server's progress hub given.
func connectWithHub(t *testing.T, v Verifier, hub *progresshub.Hub) Client {
	t.Helper()
	client, _ := goplugin.TestPluginGRPCConn(t, true, map[string]goplugin.Plugin{
		PluginName: &grpcPlugin{impl: v, progress: hub},
	})
	// Close asks the server to shut down (go-plugin's controller calls its
	// Stop); stopping it here as well races inside go-plugin.
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(PluginName)
	if err != nil {
		t.Fatalf("Dispense: %v", err)
	}
	c, ok := raw.(Client)
	if !ok {
		t.Fatalf("dispensed %T, want sdk.Client", raw)
	}
	return c
}

func testInfo() Info {
	return Info{
		Name:           "fake",
		Version:        "v1.2.3",
		OpaqueEvidence: true,
		// Whatever the plugin says, the SDK fills this in.
		ProtocolVersions: []int{7, 8},
		Kinds: []KindSchema{
			{
				Kind:        "blob",
				Description: "a release file",
				Attributes: []Attribute{
					{Name: "path", Type: TypePath, Required: true, Description: "the file", Example: `"dist/x.tar.gz"`},
					{Name: "sha256", Type: TypeString, Description: "expected digest", Example: `"ab12"`},
					{Name: "tags", Type: TypeListString},
					{Name: "labels", Type: TypeMapString, Example: `{ a = "b" }`},
				},
				Blocks: []NestedBlock{
					{
						TypeName: "provenance", Nesting: NestingSingle, Required: true, Description: "SLSA provenance",
						IdentityForm: IdentityTrustedPublisher,
						Attributes:   []Attribute{{Name: "builder", Type: TypeString, Required: true, Example: `"gh"`}},
					},
					{
						TypeName: "attestation", Nesting: NestingList, Description: "any attestation",
						Attributes: []Attribute{{Name: "type", Type: TypeString}, {Name: "max", Type: TypeNumber}, {Name: "strict", Type: TypeBool}},
					},
				},
			},
			{
				Kind:       "bundle-dir",
				Attributes: []Attribute{{Name: "dirs", Type: TypeListPath, Required: true}},
				Blocks:     []NestedBlock{{TypeName: "x", Nesting: NestingList, Attributes: []Attribute{{Name: "y", Type: TypeBool}}}},
			},
		},
	}
}

func TestDescribeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		info Info
	}{
		{name: "full schema", info: testInfo()},
		{name: "minimal", info: Info{Name: "min", Version: "0", Kinds: []KindSchema{{Kind: "k", Attributes: []Attribute{{Name: "a", Type: TypeString}}}}}},
		{name: "no protocol versions from plugin", info: Info{Name: "np", Kinds: []KindSchema{{Kind: "k", Attributes: []Attribute{{Name: "a", Type: TypeBool, Required: true}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connect(t, &fakeVerifier{info: tt.info})
			got, err := c.Describe(context.Background())
			if err != nil {
				t.Fatalf("Describe: %v", err)
			}
			want := tt.info
			want.ProtocolVersions = []int{ProtocolVersion}
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
		{"protocol versions", got.ProtocolVersions, []int{ProtocolVersion}},
		{"kind", blob.Kind, "blob"},
		{"kind description", blob.Description, "a release file"},
		{"attr name", blob.Attributes[0].Name, "path"},
		{"attr type", blob.Attributes[0].Type, TypePath},
		{"attr required", blob.Attributes[0].Required, true},
		{"attr optional", blob.Attributes[1].Required, false},
		{"attr description", blob.Attributes[0].Description, "the file"},
		{"attr example", blob.Attributes[0].Example, `"dist/x.tar.gz"`},
		{"map attr type", blob.Attributes[3].Type, TypeMapString},
		{"block name", blob.Blocks[0].TypeName, "provenance"},
		{"block nesting single", blob.Blocks[0].Nesting, NestingSingle},
		{"block nesting list", blob.Blocks[1].Nesting, NestingList},
		{"block required", blob.Blocks[0].Required, true},
		{"block description", blob.Blocks[0].Description, "SLSA provenance"},
		{"block identity form", blob.Blocks[0].IdentityForm, IdentityTrustedPublisher},
		{"block without identity form", blob.Blocks[1].IdentityForm, ""},
		{"block attr", blob.Blocks[0].Attributes[0], Attribute{Name: "builder", Type: TypeString, Required: true, Example: `"gh"`}},
		{"block attr count", len(blob.Blocks[1].Attributes), 3},
		{"second kind", got.Kinds[1].Kind, "bundle-dir"},
		{"list(path)", got.Kinds[1].Attributes[0].Type, TypeListPath},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
}

func intp(v int) *int { return &v }

func TestConfigureThenVerifyRequest(t *testing.T) {
	roots := []TrustRoot{
		{Name: "public-good", TrustedRootJSON: []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`)},
		{Name: "keys", PublicKeysPEM: [][]byte{[]byte("-----BEGIN PUBLIC KEY-----\nA\n-----END PUBLIC KEY-----\n"), []byte("second key")}},
		{Name: "both", TrustedRootJSON: []byte(`{"x":1}`), PublicKeysPEM: [][]byte{[]byte("k")}},
	}
	deadline := time.Now().Add(time.Hour).Round(0)
	base := Request{
		Kind: "blob", Name: "libvmaf",
		Attributes: json.RawMessage(`{"path":"/tmp/dist/libvmaf.so","sha256":"ab12","tags":["a","b"]}`),
		Identities: []Identity{
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
		Requirements: Requirements{
			TlogThreshold: intp(2), SCTThreshold: intp(0), TimestampThreshold: nil,
			IgnoreTlog: true, RequireInclusionProof: true, TimeSource: "timestamp",
		},
	}
	tests := []struct {
		name     string
		rootName string
		wantRoot *TrustRoot
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
			req.TrustRoot = &TrustRoot{Name: tt.rootName}
			res, err := c.Verify(context.Background(), &req)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.Status != StatusPass {
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
	if _, err := c.Verify(context.Background(), &Request{Kind: "blob", Name: "x", Require: 1}); err != nil {
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
		configure []TrustRoot // nil: Configure is not called
		root      string
	}{
		{name: "never configured", root: "public-good"},
		{name: "other root configured", configure: []TrustRoot{{Name: "mirror", TrustedRootJSON: []byte("{}")}}, root: "public-good"},
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
			res, err := c.Verify(context.Background(), &Request{Kind: "blob", Name: "x", TrustRoot: &TrustRoot{Name: tt.root}})
			if err != nil {
				t.Fatalf("Verify returned a gRPC error %v; want an error Result", err)
			}
			if res.Status != StatusError {
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
	if _, err := c.Configure(ctx, []TrustRoot{{Name: "a", TrustedRootJSON: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Configure(ctx, []TrustRoot{{Name: "b", TrustedRootJSON: []byte("2")}}); err != nil {
		t.Fatal(err)
	}
	res, err := c.Verify(ctx, &Request{Kind: "blob", Name: "x", TrustRoot: &TrustRoot{Name: "a"}})
	if err != nil || res.Status != StatusError {
		t.Errorf("root a after reconfigure: res=%+v err=%v, want error result", res, err)
	}
	res, err = c.Verify(ctx, &Request{Kind: "blob", Name: "x", TrustRoot: &TrustRoot{Name: "b"}})
	if err != nil || res.Status != StatusPass {
		t.Fatalf("root b: res=%+v err=%v, want pass", res, err)
	}
	got, _ := fv.seen()
	if string(got.TrustRoot.TrustedRootJSON) != "2" {
		t.Errorf("root b json = %q", got.TrustRoot.TrustedRootJSON)
	}
}

func fullResult() *Result {
	ev := func(n byte) Evidence {
		return Evidence{
			Type: EvidenceBundle, MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
			Bundle: []byte{'{', n, 0, 0xff, '}'}, Signature: []byte{1, 2, n}, CertificatePEM: []byte("cert"),
			ChainPEM: []byte("chain"), TlogEntryJSON: []byte(`{"logIndex":1}`), RFC3161: [][]byte{{9, 9}, {n}},
			SubjectDigest: Digest{Algorithm: "sha256", Hex: strings.Repeat(string('a'+n%6), 64)}, Source: "dist/x.sigstore.json",
		}
	}
	detached := ev(3)
	detached.Type = EvidenceDetached
	return &Result{
		Status: StatusFail,
		Checks: []Check{
			{Name: "digest", OK: true, Detail: "sha256:aa"},
			{Name: "bundle", OK: true},
			{Name: "provenance", OK: false, Detail: "builder mismatch\nexpected: a\nfound: b"},
		},
		Evidence:    []Evidence{ev(1), detached},
		Reason:      "builder mismatch",
		Diagnostics: []Diagnostic{{Severity: SeverityWarning, Summary: "old bundle", Detail: "v0.1"}, {Severity: SeverityError, Summary: "bad"}},
		SubResults: []SubResult{
			{Name: "linux/amd64", Status: StatusPass, Checks: []Check{{Name: "c", OK: true}}, Evidence: []Evidence{ev(4)}},
			{Name: "linux/arm64", Status: StatusError, Checks: []Check{{Name: "fetch", Detail: "timeout"}}, Evidence: []Evidence{}, Reason: "timeout"},
		},
	}
}

func TestVerifyResultRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		res  *Result
	}{
		{name: "everything", res: fullResult()},
		{name: "pass with checks", res: &Result{Status: StatusPass, Checks: []Check{{Name: "b", OK: true}, {Name: "a", OK: true}}, Evidence: []Evidence{}, Diagnostics: []Diagnostic{}}},
		{name: "error", res: &Result{Status: StatusError, Checks: []Check{{Name: "fetch", Detail: "dns"}}, Evidence: []Evidence{}, Reason: "dns", Diagnostics: []Diagnostic{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.res
			c := connect(t, &fakeVerifier{info: testInfo(), verify: func(context.Context, *Request) (*Result, error) { return want, nil }})
			got, err := c.Verify(context.Background(), &Request{Kind: "blob", Name: "x"})
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
		verify     func(ctx context.Context, req *Request) (*Result, error)
		wantGRPC   bool   // a gRPC error, not a Result
		wantErrSub string // in the gRPC error
		wantStatus Status
		wantReason string // substring
	}{
		{
			name:       "panic",
			verify:     func(context.Context, *Request) (*Result, error) { panic("boom in plugin") },
			wantStatus: StatusError, wantReason: "panicked",
		},
		{
			name:       "nil pointer panic",
			verify:     func(context.Context, *Request) (*Result, error) { var r *Result; r.Status = StatusPass; return r, nil },
			wantStatus: StatusError, wantReason: "panicked",
		},
		{
			name:     "nil result and nil error",
			verify:   func(context.Context, *Request) (*Result, error) { return nil, nil },
			wantGRPC: true, wantErrSub: "no result",
		},
		{
			name:     "error",
			verify:   func(context.Context, *Request) (*Result, error) { return nil, errors.New("disk on fire") },
			wantGRPC: true, wantErrSub: "disk on fire",
		},
		{
			name: "error with a result",
			verify: func(context.Context, *Request) (*Result, error) {
				return &Result{Status: StatusPass}, errors.New("half done")
			},
			wantGRPC: true, wantErrSub: "half done",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connect(t, &fakeVerifier{info: testInfo(), verify: tt.verify})
			res, err := c.Verify(context.Background(), &Request{Kind: "blob", Name: "x"})
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
	c := connect(t, &fakeVerifier{info: testInfo(), verify: func(context.Context, *Request) (*Result, error) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			panic("first call")
		}
		return (&Result{Status: StatusPass}).Pass("second", ""), nil
	}})
	res, err := c.Verify(context.Background(), &Request{Kind: "blob", Name: "a"})
	if err != nil || res.Status != StatusError || !strings.Contains(res.Reason, "first call") {
		t.Fatalf("first: %+v %v", res, err)
	}
	res, err = c.Verify(context.Background(), &Request{Kind: "blob", Name: "b"})
	if err != nil || res.Status != StatusPass {
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
			fv := &fakeVerifier{info: testInfo(), verify: func(ctx context.Context, req *Request) (*Result, error) {
				return &Result{Status: StatusPass}, nil
			}}
			c := connect(t, fv)
			req := &Request{Kind: "blob", Name: "x"}
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
	c := connect(t, &fakeVerifier{info: testInfo(), verify: func(ctx context.Context, _ *Request) (*Result, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-block:
			return &Result{Status: StatusPass}, nil
		}
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Verify(ctx, &Request{Kind: "blob", Name: "x"})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
}

func TestRequestDecode(t *testing.T) {
	type attrs struct {
		Path string   `json:"path"`
		N    int      `json:"n"`
		Tags []string `json:"tags"`
	}
	tests := []struct {
		name    string
		raw     json.RawMessage
		start   attrs
		want    attrs
		wantErr []string
	}{
		{name: "fills struct", raw: json.RawMessage(`{"path":"/a","n":3,"tags":["x"]}`), want: attrs{Path: "/a", N: 3, Tags: []string{"x"}}},
		{name: "unknown fields ignored", raw: json.RawMessage(`{"path":"/a","other":1}`), want: attrs{Path: "/a"}},
		{name: "empty attributes leave v alone", raw: nil, start: attrs{Path: "keep"}, want: attrs{Path: "keep"}},
		{name: "zero-length attributes leave v alone", raw: json.RawMessage{}, start: attrs{N: 9}, want: attrs{N: 9}},
		{name: "invalid json", raw: json.RawMessage(`{"path":`), wantErr: []string{"blob", `"lib"`, "decoding attributes"}},
		{name: "wrong type", raw: json.RawMessage(`{"n":"three"}`), wantErr: []string{"blob", `"lib"`, "decoding attributes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Kind: "blob", Name: "lib", Attributes: tt.raw}
			got := tt.start
			err := r.Decode(&got)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want one")
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestResultHelpers(t *testing.T) {
	tests := []struct {
		name       string
		build      func() *Result
		wantStatus Status
		wantReason string
		wantChecks []Check
	}{
		{
			name:       "pass only records checks",
			build:      func() *Result { return (&Result{}).Pass("a", "1").Pass("b", "") },
			wantStatus: StatusUnknown,
			wantChecks: []Check{{Name: "a", OK: true, Detail: "1"}, {Name: "b", OK: true}},
		},
		{
			name:       "pass keeps an explicit status",
			build:      func() *Result { return (&Result{Status: StatusPass}).Pass("a", "") },
			wantStatus: StatusPass,
			wantChecks: []Check{{Name: "a", OK: true}},
		},
		{
			name:       "fail sets status and reason",
			build:      func() *Result { return (&Result{Status: StatusPass}).Pass("a", "").Fail("b", "wrong digest") },
			wantStatus: StatusFail, wantReason: "wrong digest",
			wantChecks: []Check{{Name: "a", OK: true}, {Name: "b", Detail: "wrong digest"}},
		},
		{
			name:       "first fail reason wins",
			build:      func() *Result { return (&Result{}).Fail("a", "first").Fail("b", "second") },
			wantStatus: StatusFail, wantReason: "first",
			wantChecks: []Check{{Name: "a", Detail: "first"}, {Name: "b", Detail: "second"}},
		},
		{
			name:       "existing reason kept",
			build:      func() *Result { return (&Result{Reason: "earlier"}).Fail("a", "later") },
			wantStatus: StatusFail, wantReason: "earlier",
			wantChecks: []Check{{Name: "a", Detail: "later"}},
		},
		{
			name:       "pass after fail keeps fail",
			build:      func() *Result { return (&Result{}).Fail("a", "bad").Pass("b", "") },
			wantStatus: StatusFail, wantReason: "bad",
			wantChecks: []Check{{Name: "a", Detail: "bad"}, {Name: "b", OK: true}},
		},
		{
			name:       "errorf formats and sets error",
			build:      func() *Result { return (&Result{}).Errorf("fetch", "GET %s: %d", "https://x", 503) },
			wantStatus: StatusError, wantReason: "GET https://x: 503",
			wantChecks: []Check{{Name: "fetch", Detail: "GET https://x: 503"}},
		},
		{
			name:       "errorf keeps first reason",
			build:      func() *Result { return (&Result{}).Fail("a", "first").Errorf("b", "second") },
			wantStatus: StatusError, wantReason: "first",
			wantChecks: []Check{{Name: "a", Detail: "first"}, {Name: "b", Detail: "second"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.build()
			if r.Status != tt.wantStatus {
				t.Errorf("status = %v, want %v", r.Status, tt.wantStatus)
			}
			if r.Reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", r.Reason, tt.wantReason)
			}
			if !reflect.DeepEqual(r.Checks, tt.wantChecks) {
				t.Errorf("checks = %+v, want %+v", r.Checks, tt.wantChecks)
			}
		})
	}
}

func TestResultWarn(t *testing.T) {
	r := &Result{}
	r.Warn("old format", "v0.1 bundle")
	want := []Diagnostic{{Severity: SeverityWarning, Summary: "old format", Detail: "v0.1 bundle"}}
	if !reflect.DeepEqual(r.Diagnostics, want) || r.Status != StatusUnknown {
		t.Errorf("after Warn: %+v", r)
	}
}

func TestStatusText(t *testing.T) {
	tests := []struct {
		s    Status
		want string
	}{
		{StatusPass, "pass"}, {StatusFail, "fail"}, {StatusError, "error"}, {StatusUnknown, "unknown"}, {Status(42), "unknown"},
	}
	for _, tt := range tests {
		b, err := json.Marshal(map[string]Status{"s": tt.s})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(b); got != `{"s":"`+tt.want+`"}` {
			t.Errorf("json of %d = %s, want %q", int(tt.s), got, tt.want)
		}
	}
}
