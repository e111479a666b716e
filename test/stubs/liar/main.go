// Command liar is a test plugin that always claims a pass. Its behaviour
// attribute picks the (missing, broken or forged) evidence behind the claim;
// the host must not believe it.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/test/stubs/internal/stubkit"
)

const garbageBundle = `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`

type verifier struct{}

func (verifier) Info() sdk.Info {
	return stubkit.Info("stub-liar", "stub", "A test artifact the plugin always claims passed; behaviour picks the evidence: none, garbage, forged or detached-garbage.")
}

func (verifier) Verify(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
	a, err := stubkit.Decode(req)
	if err != nil {
		return nil, err
	}
	res := &sdk.Result{Status: sdk.StatusPass}
	claimed := claimedDigest(a.Digest)
	switch a.Behaviour {
	case "", "none":
		// A pass with nothing to back it.
	case "garbage":
		res.Evidence = []sdk.Evidence{{
			Type: sdk.EvidenceBundle, MediaType: stubkit.BundleMediaType,
			Bundle: []byte(garbageBundle), SubjectDigest: claimed, Source: "liar:garbage",
		}}
	case "forged":
		if a.Bundle == "" {
			return nil, fmt.Errorf("stub-liar: behaviour \"forged\" needs a bundle attribute")
		}
		data, path, err := stubkit.ReadBundle(req, a)
		if err != nil {
			return nil, fmt.Errorf("stub-liar: %w", err)
		}
		other := sha256.Sum256([]byte("something else"))
		res.Evidence = []sdk.Evidence{{
			Type: sdk.EvidenceBundle, MediaType: stubkit.BundleMediaType, Bundle: data,
			SubjectDigest: sdk.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(other[:])},
			Source:        path,
		}}
	case "detached-garbage":
		sig := make([]byte, 64)
		_, _ = rand.Read(sig) // crypto/rand.Read never fails
		res.Evidence = []sdk.Evidence{{
			Type: sdk.EvidenceDetached, Signature: sig,
			SubjectDigest: claimed, Source: "liar:detached-garbage",
		}}
	default:
		// Still a pass: a liar does not admit to anything.
	}
	res.Pass("stub", "trust me")
	return res, nil
}

// claimedDigest parses "alg:hex" loosely; without one the liar claims the
// digest of the empty string.
func claimedDigest(s string) sdk.Digest {
	if alg, h, ok := strings.Cut(s, ":"); ok {
		return sdk.Digest{Algorithm: alg, Hex: h}
	}
	empty := sha256.Sum256(nil)
	return sdk.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(empty[:])}
}

func main() { sdk.Serve(verifier{}) }
