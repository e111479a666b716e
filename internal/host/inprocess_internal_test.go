package host

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// schemaVerifier is a plugin with a given schema whose Verify answers with
// verify.
type schemaVerifier struct {
	info   sdk.Info
	verify func(ctx context.Context, req *sdk.Request) (*sdk.Result, error)
}

func (v *schemaVerifier) Info() sdk.Info { return v.info }
func (v *schemaVerifier) Verify(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	return v.verify(ctx, req)
}

func blobInfo(attr string) sdk.Info {
	return sdk.Info{Name: "blob", Version: "1", Kinds: []sdk.KindSchema{{Kind: "blob", Attributes: []sdk.Attribute{{Name: attr, Type: sdk.TypePath}}}}}
}

// TestLaunchInProcess: a built-in served in process is described and checked
// like a plugin process (protocol answer, reserved names), verifies through
// the host, and an error from it is a failure, not a crash.
func TestLaunchInProcess(t *testing.T) {
	e := testEnv(t)
	good := sdk.Evidence{Type: sdk.EvidenceBundle, Bundle: e.bundle, SubjectDigest: e.digest}
	tests := []struct {
		name       string
		info       sdk.Info
		verify     func(context.Context, *sdk.Request) (*sdk.Result, error)
		wantLaunch string // substring of the launch error; "" = launches
		wantStatus string
		wantReason string
	}{
		{name: "reserved attribute refused", info: blobInfo("identity"), wantLaunch: `"identity"`},
		{name: "no kinds refused", info: sdk.Info{Name: "blob"}, wantLaunch: "no name or no artifact kinds"},
		{
			name: "pass needs the host's verification", info: blobInfo("path"),
			verify: func(context.Context, *sdk.Request) (*sdk.Result, error) {
				return &sdk.Result{Status: sdk.StatusPass, Evidence: []sdk.Evidence{good}}, nil
			},
			wantStatus: "pass",
		},
		{
			name: "pass without evidence fails", info: blobInfo("path"),
			verify: func(context.Context, *sdk.Request) (*sdk.Result, error) {
				return &sdk.Result{Status: sdk.StatusPass}, nil
			},
			wantStatus: "fail",
		},
		{
			name: "plugin error is reported, not a crash", info: blobInfo("path"),
			verify: func(context.Context, *sdk.Request) (*sdk.Result, error) {
				return nil, errors.New("registry said no")
			},
			wantStatus: "error", wantReason: `plugin "blob" failed: registry said no`,
		},
		{
			name: "panic is the artifact's error", info: blobInfo("path"),
			verify: func(context.Context, *sdk.Request) (*sdk.Result, error) {
				panic("nil map")
			},
			wantStatus: "error", wantReason: "plugin panicked: nil map",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := BuiltinInProcess("blob", func() sdk.Verifier { return &schemaVerifier{info: tt.info, verify: tt.verify} })
			p, err := Launch(context.Background(), src)
			if tt.wantLaunch != "" {
				var le *LaunchError
				if !errors.As(err, &le) || !strings.Contains(err.Error(), tt.wantLaunch) {
					t.Fatalf("Launch error = %v, want a LaunchError containing %q", err, tt.wantLaunch)
				}
				return
			}
			if err != nil {
				t.Fatalf("Launch: %v", err)
			}
			defer p.Kill()
			if p.Info.Name != "blob" || p.Pid() != 0 || p.Exited() {
				t.Errorf("in-process plugin: name %q, pid %d, exited %v", p.Info.Name, p.Pid(), p.Exited())
			}
			// The host hands over its roots as it does to plugin processes.
			if err := (&Set{Plugins: []*Plugin{p}}).Configure(context.Background(), []sdk.TrustRoot{{Name: "test"}}); err != nil {
				t.Fatalf("Configure: %v", err)
			}
			a := artifact([]trust.Identity{releaseID("release")}, 1)
			a.Attributes = map[string]any{"path": "/d/libvmaf.so"}
			a.UseKey = false
			began := time.Now()
			rs := verifyArtifact(context.Background(), a, nil, p, e.material, "/policy", true, time.Minute)
			// An error from an in-process plugin is not a crash to wait for:
			// there is no process to see exit (out of process the host
			// waits up to a second for it).
			if waited := time.Since(began); waited > 500*time.Millisecond {
				t.Errorf("verification took %v: the host waited for a plugin process that does not exist", waited)
			}
			if len(rs) != 1 || rs[0].Status.String() != tt.wantStatus || !strings.Contains(rs[0].Reason, tt.wantReason) {
				t.Fatalf("results %+v, want one %s row with %q", rs[0], tt.wantStatus, tt.wantReason)
			}
		})
	}
}
