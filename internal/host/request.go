package host

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/trustroot"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// RequestFor is the request a plugin receives for artifact a of pol, its
// trust root's material loaded (from the cache only when offline), for a
// command that calls a built-in's own Go API after a run: `sbom show IMAGE`
// lists the SBOMs the image plugin finds with the same signer and trust.
func RequestFor(ctx context.Context, pol *policy.Policy, a *policy.Artifact, opts trustroot.Options) (*sdk.Request, error) {
	roots := LoadRoots(ctx, &policy.Policy{TrustRoots: pol.TrustRoots, Artifacts: []*policy.Artifact{a}}, opts)
	if re, broken := roots.Broken[a.TrustRoot]; broken {
		return nil, re.Err
	}
	attrs, err := json.Marshal(a.Attributes)
	if err != nil {
		return nil, err
	}
	req := &sdk.Request{Kind: a.Kind, Name: a.Name, Attributes: attrs, Require: a.Require, UseKey: a.UseKey,
		Requirements: sdk.Requirements(a.Requirements), Offline: opts.Offline, PolicyDir: pol.Dir}
	for i := range roots.Wire {
		if roots.Wire[i].Name == a.TrustRoot {
			req.TrustRoot = &roots.Wire[i]
		}
	}
	if req.TrustRoot == nil {
		return nil, fmt.Errorf("trust root %q was not loaded", a.TrustRoot)
	}
	for _, id := range a.Identities {
		req.Identities = append(req.Identities, sdk.Identity(id))
	}
	return req, nil
}
