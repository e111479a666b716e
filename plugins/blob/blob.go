// Package blob is the built-in verifier for release files ("blobs") signed
// with `cosign sign-blob` or any Sigstore client: it hashes the file by
// streaming, binds the bundle to that digest and returns the bundle as
// evidence for the host to verify. It uses only the SDK and pkg/trust.
package blob

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// Version of the blob plugin.
const Version = "0.1.0"

// Plugin verifies blobs. The zero value is ready to use.
type Plugin struct {
	mu        sync.Mutex
	materials map[string]*trust.Material
}

// New returns a blob plugin.
func New() *Plugin { return &Plugin{} }

// Schema of the `blob` kind.
var Schema = sdk.KindSchema{
	Kind:        "blob",
	Description: "A release file signed with `cosign sign-blob` or another Sigstore client, verified against a Sigstore bundle.",
	Attributes: []sdk.Attribute{
		{Name: "path", Type: sdk.TypePath, Description: "The file to verify (relative to the policy's directory).", Example: `"dist/app.tar.gz"`},
		{Name: "digest", Type: sdk.TypeString, Description: "The file's digest, for when only the digest is at hand (instead of path).", Example: `"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`},
		{Name: "bundle", Type: sdk.TypePath, Description: "The Sigstore bundle (v0.1–v0.3). Default: <path>.sigstore.json, then <path>.bundle.", Example: `"dist/app.tar.gz.sigstore.json"`},
	},
}

// Info describes the plugin.
func (p *Plugin) Info() sdk.Info {
	return sdk.Info{Name: "blob", Version: Version, Kinds: []sdk.KindSchema{Schema}}
}

type attributes struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Bundle string `json:"bundle"`
}

// MaxBundleSize bounds a bundle file read.
const MaxBundleSize = trust.MaxBundleSize

// Verify checks one blob.
func (p *Plugin) Verify(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	res := &sdk.Result{Status: sdk.StatusPass}
	var a attributes
	if err := req.Decode(&a); err != nil {
		return res.Errorf("attributes", "%v", err), nil
	}
	switch {
	case a.Path == "" && a.Digest == "":
		return res.Fail("attributes", "blob needs path or digest"), nil
	case a.Path != "" && a.Digest != "":
		return res.Fail("attributes", "give path or digest, not both"), nil
	}
	bundlePath, err := findBundle(a)
	if err != nil {
		return res.Fail("bundle", err.Error()), nil
	}
	bundleJSON, err := readBounded(bundlePath, MaxBundleSize)
	if err != nil {
		return res.Fail("bundle", fmt.Sprintf("%s: %v", bundlePath, err)), nil
	}
	b, err := trust.ParseBundle(bundleJSON)
	if err != nil {
		return res.Fail("bundle", fmt.Sprintf("%s: %v", bundlePath, err)), nil
	}
	res.Pass("bundle", fmt.Sprintf("%s (%s)", bundlePath, b.GetMediaType()))

	// The algorithm the bundle signed with decides which digest to compute.
	alg := "sha256"
	var signed []byte
	if ms := b.GetMessageSignature(); ms != nil {
		signed = ms.GetMessageDigest().GetDigest()
		switch ms.GetMessageDigest().GetAlgorithm().String() {
		case "SHA2_384":
			alg = "sha384"
		case "SHA2_512":
			alg = "sha512"
		}
	}
	var digest trust.Digest
	if a.Digest != "" {
		digest, err = trust.ParseDigest(a.Digest)
		if err != nil {
			return res.Fail("digest", err.Error()), nil
		}
		res.Pass("digest", "given: "+digest.String())
	} else {
		digest, err = hashFile(ctx, a.Path, alg)
		if err != nil {
			if ctx.Err() != nil {
				return res.Errorf("digest", "%s: %v", a.Path, err), nil
			}
			return res.Fail("digest", fmt.Sprintf("%s: %v", a.Path, err)), nil
		}
		res.Pass("digest", fmt.Sprintf("%s %s", a.Path, digest))
	}
	if signed != nil {
		if digest.Algorithm != alg {
			return res.Fail("digest binding", fmt.Sprintf("bundle signs a %s digest, the policy gives %s", alg, digest.Algorithm)), nil
		}
		if got := hex.EncodeToString(signed); got != digest.Hex {
			return res.Fail("digest binding", fmt.Sprintf("bundle %s is for another file: expected digest %s (the file), found %s:%s (in the bundle)", bundlePath, digest, alg, got)), nil
		}
		res.Pass("digest binding", "the bundle's message digest is the file's")
	}

	// Pre-check with the same core the host uses, for a precise reason.
	m, err := p.material(req.TrustRoot)
	if err != nil {
		return res.Errorf("trust root", "%v", err), nil
	}
	ids := make([]trust.Identity, 0, len(req.Identities))
	for _, id := range req.Identities {
		ids = append(ids, trust.Identity(id))
	}
	out, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: bundleJSON, Digest: digest, Identities: ids, UseKey: req.UseKey})
	if err != nil {
		var idErr *trust.IdentityError
		if errors.As(err, &idErr) {
			return res.Fail("identity", err.Error()), nil
		}
		return res.Fail("signature", fmt.Sprintf("%s: %v", bundlePath, err)), nil
	}
	detail := out.Signer.String()
	if len(out.Matched) > 0 {
		detail += " (identity " + strings.Join(out.Matched, ", ") + ")"
	}
	res.Pass("signature", detail)
	res.Evidence = append(res.Evidence, sdk.Evidence{
		Type: sdk.EvidenceBundle, MediaType: b.GetMediaType(), Bundle: bundleJSON,
		SubjectDigest: sdk.Digest{Algorithm: digest.Algorithm, Hex: digest.Hex}, Source: bundlePath,
	})
	return res, nil
}

func (p *Plugin) material(tr *sdk.TrustRoot) (*trust.Material, error) {
	if tr == nil {
		return nil, errors.New("no trust root configured")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if m, ok := p.materials[tr.Name]; ok {
		return m, nil
	}
	m, err := trust.NewMaterial(tr.Name, tr.TrustedRootJSON, tr.PublicKeysPEM)
	if err != nil {
		return nil, err
	}
	if p.materials == nil {
		p.materials = map[string]*trust.Material{}
	}
	p.materials[tr.Name] = m
	return m, nil
}

func findBundle(a attributes) (string, error) {
	if a.Bundle != "" {
		return a.Bundle, nil
	}
	if a.Path == "" {
		return "", errors.New("no bundle given (with digest = …, bundle = … is required)")
	}
	for _, suffix := range []string{".sigstore.json", ".bundle"} {
		if _, err := os.Stat(a.Path + suffix); err == nil {
			return a.Path + suffix, nil
		}
	}
	return "", fmt.Errorf("no bundle given and neither %s.sigstore.json nor %s.bundle exists", a.Path, a.Path)
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}

func newHash(alg string) (hash.Hash, error) {
	switch alg {
	case "sha256":
		return sha256.New(), nil
	case "sha384":
		return sha512.New384(), nil
	case "sha512":
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("unsupported digest algorithm %q", alg)
}

// hashFile streams the file through the hash in fixed-size chunks, checking
// for cancellation between chunks: memory stays flat whatever the size.
func hashFile(ctx context.Context, path, alg string) (trust.Digest, error) {
	h, err := newHash(alg)
	if err != nil {
		return trust.Digest{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return trust.Digest{}, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return trust.Digest{}, errors.New("is a directory")
	}
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return trust.Digest{}, err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return trust.Digest{}, err
		}
	}
	return trust.Digest{Algorithm: alg, Hex: hex.EncodeToString(h.Sum(nil))}, nil
}
