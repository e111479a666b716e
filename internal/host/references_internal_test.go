package host

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/pluginclient"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// kindRPC answers per artifact name and records each request and the
// order the requests came in.
type kindRPC struct {
	mu      sync.Mutex
	answers map[string]*sdk.Result
	got     map[string]*sdk.Request
	order   []string
}

func (k *kindRPC) Describe(context.Context) (sdk.Info, error) { return sdk.Info{}, nil }
func (k *kindRPC) Configure(context.Context, []sdk.TrustRoot) ([]sdk.Diagnostic, error) {
	return nil, nil
}
func (k *kindRPC) Verify(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.got[req.Kind+"."+req.Name] = req
	k.order = append(k.order, req.Kind+"."+req.Name)
	return k.answers[req.Kind+"."+req.Name], nil
}
func (k *kindRPC) Progress(ctx context.Context, _ func(pluginclient.Progress)) error {
	<-ctx.Done()
	return nil
}

// TestRunReferences: an artifact that refers to another runs after it,
// whatever the policy order and however few jobs; its plugin receives the
// digests the referenced artifact's verdict named (every row's) and its
// attributes; a referenced artifact that did not pass fails (or errors)
// the referring one with that reason, and its plugin is never asked.
func TestRunReferences(t *testing.T) {
	e := testEnv(t)
	good := []sdk.Evidence{{Type: sdk.EvidenceBundle, Bundle: e.bundle, SubjectDigest: e.digest}}
	img := sdk.Digest{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}
	amd := sdk.Digest{Algorithm: "sha256", Hex: strings.Repeat("b", 64)}
	pass := &sdk.Result{Status: sdk.StatusPass, Evidence: good}
	tests := []struct {
		name       string
		image      *sdk.Result
		wantStatus sdk.Status
		wantReason string
		wantParts  []sdk.ReferencePart
	}{
		{
			name:       "one part",
			image:      &sdk.Result{Status: sdk.StatusPass, Evidence: good, Subject: img},
			wantStatus: sdk.StatusPass, wantParts: []sdk.ReferencePart{{Digest: img}},
		},
		{
			name: "every row",
			image: &sdk.Result{Status: sdk.StatusPass, Subject: img, SubResults: []sdk.SubResult{
				{Name: "index", Status: sdk.StatusPass, Evidence: good, Subject: img},
				{Name: "linux/amd64", Status: sdk.StatusPass, Evidence: good, Subject: amd},
			}},
			wantStatus: sdk.StatusPass, wantParts: []sdk.ReferencePart{{Name: "index", Digest: img}, {Name: "linux/amd64", Digest: amd}},
		},
		{
			name:       "referenced artifact failed",
			image:      &sdk.Result{Status: sdk.StatusFail, Reason: "no signature for sha256:aaa"},
			wantStatus: sdk.StatusFail, wantReason: "image = image.app, which did not pass: no signature for sha256:aaa",
		},
		{
			name: "one platform failed",
			image: &sdk.Result{Status: sdk.StatusFail, Reason: "1 of 2 part(s) failed", Subject: img, SubResults: []sdk.SubResult{
				{Name: "index", Status: sdk.StatusPass, Evidence: good, Subject: img},
				{Name: "linux/amd64", Status: sdk.StatusFail, Reason: "unsigned", Subject: amd},
			}},
			wantStatus: sdk.StatusFail, wantReason: "image.app[linux/amd64], which did not pass: unsigned",
		},
		{
			name:       "referenced artifact could not be checked",
			image:      &sdk.Result{Status: sdk.StatusError, Reason: "registry unreachable"},
			wantStatus: sdk.StatusError, wantReason: "which did not pass: registry unreachable",
		},
		{
			name:       "referenced verdict names no digest",
			image:      &sdk.Result{Status: sdk.StatusPass, Evidence: good},
			wantStatus: sdk.StatusError, wantReason: "names no digest its verdict is about",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rpc := &kindRPC{got: map[string]*sdk.Request{}, answers: map[string]*sdk.Result{"image.app": tt.image, "sbom.app": pass}}
			p := &Plugin{Info: sdk.Info{Name: "fake"}, rpc: rpc, stderr: newTailBuffer(64)}
			set := &Set{Plugins: []*Plugin{p}, byKind: map[string]*Plugin{"image": p, "sbom": p}}
			sb := artifact([]trust.Identity{releaseID("release")}, 1)
			sb.Kind, sb.Name = "sbom", "app"
			sb.References = map[string]policy.ArtifactRef{"image": {Kind: "image", Name: "app"}}
			im := artifact([]trust.Identity{releaseID("release")}, 1)
			im.Kind, im.Name = "image", "app"
			im.Attributes = map[string]any{"ref": "registry.test/app:1"}
			// The referring block comes first in the policy, and one job
			// runs them: the run order, not the policy order, must put
			// the image first.
			pol := &policy.Policy{Dir: "/policy", Artifacts: []*policy.Artifact{sb, im}}
			roots := &Roots{Materials: map[string]*trust.Material{"test": e.material}}
			results := Run(context.Background(), pol, set, roots, Options{Jobs: 1, Offline: true})

			if results[0].Kind != "sbom" {
				t.Fatalf("results not in policy order: first is %s", results[0].ID())
			}
			sbom := results[0]
			if sbom.Status != tt.wantStatus || !strings.Contains(sbom.Reason, tt.wantReason) {
				t.Fatalf("sbom row: %s %q, want %s containing %q", sbom.Status, sbom.Reason, tt.wantStatus, tt.wantReason)
			}
			req, asked := rpc.got["sbom.app"]
			if tt.wantStatus != sdk.StatusPass {
				if asked {
					t.Fatal("the sbom plugin was asked although its reference did not pass")
				}
				return
			}
			if rpc.order[0] != "image.app" {
				t.Fatalf("verified in order %v: the referenced image must come first", rpc.order)
			}
			ref := req.References["image"]
			if ref.Kind != "image" || ref.Name != "app" || string(ref.Attributes) != `{"ref":"registry.test/app:1"}` {
				t.Errorf("reference = %+v", ref)
			}
			if len(ref.Parts) != len(tt.wantParts) {
				t.Fatalf("parts = %+v, want %+v", ref.Parts, tt.wantParts)
			}
			for i := range ref.Parts {
				if ref.Parts[i] != tt.wantParts[i] {
					t.Errorf("part %d = %+v, want %+v", i, ref.Parts[i], tt.wantParts[i])
				}
			}
		})
	}
}

// TestBindToReferences: an attestation among a referring block's evidence
// must be about a digest its references established; a message signature
// binds what it signs and is left to the plugin.
func TestBindToReferences(t *testing.T) {
	refs := map[string]sdk.Reference{"image": {Kind: "image", Name: "app", Parts: []sdk.ReferencePart{
		{Name: "index", Digest: sdk.Digest{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}},
		{Name: "linux/amd64", Digest: sdk.Digest{Algorithm: "sha256", Hex: strings.Repeat("b", 64)}},
	}}}
	for _, tt := range []struct {
		name     string
		evidence EvidenceReport
		want     sdk.Status
	}{
		{"attestation of a part", EvidenceReport{SubjectDigest: "sha256:" + strings.Repeat("b", 64), PredicateType: "https://spdx.dev/Document/v2.3"}, sdk.StatusPass},
		{"attestation, upper-case hex", EvidenceReport{SubjectDigest: "sha256:" + strings.Repeat("B", 64), PredicateType: "https://spdx.dev/Document"}, sdk.StatusPass},
		{"attestation of another image", EvidenceReport{Source: "referrer sha256:cc", SubjectDigest: "sha256:" + strings.Repeat("c", 64), PredicateType: "https://cyclonedx.org/bom"}, sdk.StatusFail},
		{"message signature", EvidenceReport{SubjectDigest: "sha256:" + strings.Repeat("d", 64)}, sdk.StatusPass},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := bindToReferences(&Result{Status: sdk.StatusPass, Evidence: []EvidenceReport{tt.evidence}}, refs)
			if r.Status != tt.want {
				t.Fatalf("status %s (%s), want %s", r.Status, r.Reason, tt.want)
			}
			if tt.want == sdk.StatusFail && !strings.Contains(r.Reason, "which image.app did not establish") {
				t.Errorf("reason %q does not name the reference", r.Reason)
			}
		})
	}
	if r := bindToReferences(&Result{Status: sdk.StatusPass, Evidence: []EvidenceReport{{SubjectDigest: "sha256:00", PredicateType: "x"}}}, nil); r.Status != sdk.StatusPass {
		t.Error("a block without references was bound")
	}
}
