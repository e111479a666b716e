// Package stubkit is what the test plugins share: one schema, bounded
// reading of a bundle named by an artifact block, and the verdict of a
// well-behaved stub. Each stub is a tiny main package built on it.
package stubkit

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// MaxBundle bounds a bundle file read.
const MaxBundle = 32 << 20

// BundleMediaType is the media type stubs give the evidence they return.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// Attrs are the attributes of every stub artifact.
type Attrs struct {
	Path      string `json:"path"`
	Bundle    string `json:"bundle"`
	Digest    string `json:"digest"`
	Behaviour string `json:"behaviour"`
}

// Info describes a stub plugin serving one kind with the stub attributes.
func Info(name, kind, description string) sdk.Info {
	return sdk.Info{
		Name:    name,
		Version: "0.0.1",
		Kinds: []sdk.KindSchema{{
			Kind:        kind,
			Description: description,
			Attributes: []sdk.Attribute{
				{Name: "path", Type: sdk.TypePath, Description: "Unused file path."},
				{Name: "bundle", Type: sdk.TypePath, Description: "A Sigstore bundle some stubs return as evidence."},
				{Name: "digest", Type: sdk.TypeString, Description: "The evidence's subject digest, \"<alg>:<hex>\" (not validated: tests feed malformed ones)."},
				{Name: "behaviour", Type: sdk.TypeString, Description: "Stub-specific behaviour switch."},
			},
		}},
	}
}

// Decode reads the stub attributes of a request.
func Decode(req *sdk.Request) (Attrs, error) {
	var a Attrs
	err := req.Decode(&a)
	return a, err
}

// Answer is the verdict of a well-behaved stub: pass, returning the named
// bundle as evidence; behaviour "fail" or "error" changes the verdict.
func Answer(req *sdk.Request, a Attrs) *sdk.Result {
	res := &sdk.Result{Status: sdk.StatusPass}
	if a.Bundle != "" {
		data, path, err := ReadBundle(req, a)
		if err != nil {
			return res.Errorf("evidence", "%v", err)
		}
		ev := sdk.Evidence{Type: sdk.EvidenceBundle, Bundle: data, MediaType: BundleMediaType, Source: path}
		if a.Digest != "" {
			alg, hex, ok := strings.Cut(a.Digest, ":")
			if !ok {
				return res.Errorf("evidence", "digest %q is not of the form <algorithm>:<hex>", a.Digest)
			}
			ev.SubjectDigest = sdk.Digest{Algorithm: alg, Hex: hex}
		}
		res.Evidence = append(res.Evidence, ev)
		res.Pass("evidence", "returned "+path)
	}
	switch a.Behaviour {
	case "env":
		// What of the host's environment reached the plugin.
		return res.Fail("env", fmt.Sprintf("token=%q password=%q path-set=%v",
			os.Getenv("VMAFX_TRUST_REGISTRY_TOKEN"), os.Getenv("VMAFX_TRUST_REGISTRY_PASSWORD"), os.Getenv("PATH") != ""))
	case "fail":
		return res.Fail("stub", "told to fail")
	case "error":
		return res.Errorf("stub", "told to error")
	}
	return res.Pass("stub", "stub artifact accepted")
}

// ReadBundle reads the block's bundle (bounded), resolving a relative path
// against the policy directory.
func ReadBundle(req *sdk.Request, a Attrs) ([]byte, string, error) {
	path := a.Bundle
	if !filepath.IsAbs(path) && req.PolicyDir != "" {
		path = filepath.Join(req.PolicyDir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, path, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBundle+1))
	if err != nil {
		return nil, path, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > MaxBundle {
		return nil, path, fmt.Errorf("%s is larger than %d bytes", path, MaxBundle)
	}
	return data, path, nil
}

// Passing is a verifier that accepts everything without evidence: for stubs
// whose Verify is never reached.
type Passing struct{ Meta sdk.Info }

// Info implements sdk.Verifier.
func (p Passing) Info() sdk.Info { return p.Meta }

// Verify implements sdk.Verifier.
func (Passing) Verify(context.Context, *sdk.Request) (*sdk.Result, error) {
	return (&sdk.Result{Status: sdk.StatusPass}).Pass("stub", "stub artifact accepted"), nil
}
