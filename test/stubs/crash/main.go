// Command crash is a test plugin that exits mid-run: Verify calls os.Exit(3)
// for an artifact whose behaviour is "crash". Every other artifact is handled
// as by the ok stub, so artifacts served before the crash pass.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// maxBundle bounds the bundle file read.
const maxBundle = 32 << 20

const bundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

type attrs struct {
	Path      string `json:"path"`
	Bundle    string `json:"bundle"`
	Digest    string `json:"digest"`
	Behaviour string `json:"behaviour"`
}

type verifier struct{}

func (verifier) Info() sdk.Info {
	return sdk.Info{
		Name:    "stub-crash",
		Version: "0.0.1",
		Kinds: []sdk.KindSchema{{
			Kind:        "stub",
			Description: "A test artifact; behaviour \"crash\" kills the plugin process.",
			Attributes: []sdk.Attribute{
				{Name: "path", Type: sdk.TypePath, Description: "Unused file path."},
				{Name: "bundle", Type: sdk.TypePath, Description: "Sigstore bundle returned verbatim as evidence."},
				{Name: "digest", Type: sdk.TypeString, Description: "Subject digest of the evidence, \"sha256:<hex>\"."},
				{Name: "behaviour", Type: sdk.TypeString, Description: "\"crash\" exits the process with status 3; \"fail\" or \"error\" change the verdict; anything else passes."},
			},
		}},
	}
}

func (verifier) Verify(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
	var a attrs
	if err := req.Decode(&a); err != nil {
		return nil, err
	}
	if a.Behaviour == "crash" {
		fmt.Fprintf(os.Stderr, "stub-crash: crashing on %s %q as told\n", req.Kind, req.Name)
		os.Exit(3)
	}
	return answer(req, a), nil
}

// answer builds the verdict shared by every well-behaved stub artifact.
func answer(req *sdk.Request, a attrs) *sdk.Result {
	res := &sdk.Result{Status: sdk.StatusPass}
	if a.Bundle != "" {
		ev, err := evidence(req, a)
		if err != nil {
			return res.Errorf("evidence", "%v", err)
		}
		res.Evidence = append(res.Evidence, ev)
		res.Pass("evidence", "returned "+ev.Source)
	}
	switch a.Behaviour {
	case "fail":
		return res.Fail("stub", "told to fail")
	case "error":
		return res.Errorf("stub", "told to error")
	}
	res.Pass("stub", "stub artifact accepted")
	return res
}

func evidence(req *sdk.Request, a attrs) (sdk.Evidence, error) {
	path := a.Bundle
	if !filepath.IsAbs(path) && req.PolicyDir != "" {
		path = filepath.Join(req.PolicyDir, path)
	}
	data, err := readBounded(path, maxBundle)
	if err != nil {
		return sdk.Evidence{}, err
	}
	ev := sdk.Evidence{Type: sdk.EvidenceBundle, Bundle: data, MediaType: bundleMediaType, Source: path}
	if a.Digest != "" {
		// Deliberately no validation of the hex: tests feed malformed digests.
		alg, hex, ok := strings.Cut(a.Digest, ":")
		if !ok {
			return sdk.Evidence{}, fmt.Errorf("digest %q is not of the form <algorithm>:<hex>", a.Digest)
		}
		ev.SubjectDigest = sdk.Digest{Algorithm: alg, Hex: hex}
	}
	return ev, nil
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
