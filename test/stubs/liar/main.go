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
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

const (
	maxBundle       = 32 << 20
	bundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	garbageBundle   = `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`
)

type attrs struct {
	Path      string `json:"path"`
	Bundle    string `json:"bundle"`
	Digest    string `json:"digest"`
	Behaviour string `json:"behaviour"`
}

type verifier struct{}

func (verifier) Info() sdk.Info {
	return sdk.Info{
		Name:    "stub-liar",
		Version: "0.0.1",
		Kinds: []sdk.KindSchema{{
			Kind:        "stub",
			Description: "A test artifact the plugin always claims passed.",
			Attributes: []sdk.Attribute{
				{Name: "path", Type: sdk.TypePath, Description: "Unused file path."},
				{Name: "bundle", Type: sdk.TypePath, Description: "Real bundle, returned with a wrong digest by behaviour \"forged\"."},
				{Name: "digest", Type: sdk.TypeString, Description: "Subject digest claimed for \"garbage\" and \"detached-garbage\" evidence, \"sha256:<hex>\"."},
				{Name: "behaviour", Type: sdk.TypeString, Description: "\"none\" (default), \"garbage\", \"forged\" or \"detached-garbage\"."},
			},
		}},
	}
}

func (verifier) Verify(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
	var a attrs
	if err := req.Decode(&a); err != nil {
		return nil, err
	}
	res := &sdk.Result{Status: sdk.StatusPass}
	claimed := claimedDigest(a.Digest)
	switch a.Behaviour {
	case "", "none":
		// A pass with nothing to back it.
	case "garbage":
		res.Evidence = []sdk.Evidence{{
			Type: sdk.EvidenceBundle, MediaType: bundleMediaType,
			Bundle: []byte(garbageBundle), SubjectDigest: claimed, Source: "liar:garbage",
		}}
	case "forged":
		if a.Bundle == "" {
			return nil, fmt.Errorf("stub-liar: behaviour \"forged\" needs a bundle attribute")
		}
		path := a.Bundle
		if !filepath.IsAbs(path) && req.PolicyDir != "" {
			path = filepath.Join(req.PolicyDir, path)
		}
		data, err := readBounded(path, maxBundle)
		if err != nil {
			return nil, fmt.Errorf("stub-liar: %w", err)
		}
		other := sha256.Sum256([]byte("something else"))
		res.Evidence = []sdk.Evidence{{
			Type: sdk.EvidenceBundle, MediaType: bundleMediaType, Bundle: data,
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

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

func main() { sdk.Serve(verifier{}) }
