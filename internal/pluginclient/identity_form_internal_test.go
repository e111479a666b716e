package pluginclient

import (
	"context"
	"testing"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// TestIdentityFormCrossesTheWire: a nested block's identity form survives
// Describe (plugin → host), so the host can expand the block itself.
func TestIdentityFormCrossesTheWire(t *testing.T) {
	in := sdk.Info{Name: "p", Kinds: []sdk.KindSchema{{Kind: "k", Blocks: []sdk.NestedBlock{
		{TypeName: "publisher", Nesting: sdk.NestingSingle, IdentityForm: sdk.IdentityTrustedPublisher},
		{TypeName: "other", Nesting: sdk.NestingList},
	}}}}
	out, err := connectInProcess(t, &fakeVerifier{info: in}).Describe(context.Background())
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if got := out.Kinds[0].Blocks[0].IdentityForm; got != sdk.IdentityTrustedPublisher {
		t.Fatalf("identity form %q after the round trip", got)
	}
	if got := out.Kinds[0].Blocks[1].IdentityForm; got != "" {
		t.Fatalf("a plain block got identity form %q", got)
	}
}
