package sdk

import "testing"

// TestIdentityFormCrossesTheWire: a nested block's identity form survives
// Describe (plugin → host), so the host can expand the block itself.
func TestIdentityFormCrossesTheWire(t *testing.T) {
	in := Info{Name: "p", Kinds: []KindSchema{{Kind: "k", Blocks: []NestedBlock{
		{TypeName: "publisher", Nesting: NestingSingle, IdentityForm: IdentityTrustedPublisher},
		{TypeName: "other", Nesting: NestingList},
	}}}}
	out := infoFromProto(infoToProto(in))
	if got := out.Kinds[0].Blocks[0].IdentityForm; got != IdentityTrustedPublisher {
		t.Fatalf("identity form %q after the round trip", got)
	}
	if got := out.Kinds[0].Blocks[1].IdentityForm; got != "" {
		t.Fatalf("a plain block got identity form %q", got)
	}
}
