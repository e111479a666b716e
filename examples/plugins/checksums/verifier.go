package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// Version of this plugin, shown by `vmafx-trust plugins list`.
const Version = "0.1.0"

// Bounds on what the plugin reads into memory. The artifact itself is
// streamed through the hash and never held in memory.
const (
	maxSumsSize   = 1 << 20             // a SHA256SUMS file
	maxBundleSize = trust.MaxBundleSize // a Sigstore bundle
)

// schema is the `checksum_file` block. The host decodes policy blocks with
// it: unknown attributes, missing required ones and wrong types are policy
// errors reported with a position before any plugin runs. Attributes of type
// path arrive resolved against the policy file's directory.
var schema = sdk.KindSchema{
	Kind:        "checksum_file",
	Description: "A file whose sha256 is listed in a SHA256SUMS file (`sha256sum` format) signed with Sigstore.",
	Attributes: []sdk.Attribute{
		{Name: "path", Type: sdk.TypePath, Required: true, Description: "The file to verify.", Example: `"dist/app.tar.gz"`},
		{Name: "sums", Type: sdk.TypePath, Required: true, Description: "The SHA256SUMS file listing the file's sha256.", Example: `"dist/SHA256SUMS"`},
		{Name: "bundle", Type: sdk.TypePath, Description: "The Sigstore bundle signing the SHA256SUMS file. Default: <sums>.sigstore.json.", Example: `"dist/SHA256SUMS.sigstore.json"`},
		{Name: "name", Type: sdk.TypeString, Description: "The name to look up in the SHA256SUMS file. Default: the base name of path.", Example: `"app-linux-amd64.tar.gz"`},
	},
}

// attributes is the decoded block; the json tags are the schema's names.
type attributes struct {
	Path   string `json:"path"`
	Sums   string `json:"sums"`
	Bundle string `json:"bundle"`
	Name   string `json:"name"`
}

// Verifier implements sdk.Verifier. The host calls Verify concurrently, so
// the only shared state, the parsed trust material, sits behind a mutex.
type Verifier struct {
	materials trust.MaterialCache // parsed once per trust root
}

// Info describes the plugin. Kind names are global: two plugins serving the
// same kind make the host refuse to run.
func (v *Verifier) Info() sdk.Info {
	return sdk.Info{Name: "checksums", Version: Version, Kinds: []sdk.KindSchema{schema}}
}

// Verify checks one checksum_file block. Verdicts are Results: Fail when the
// artifact is wrong, Errorf when it could not be checked. A returned error is
// reserved for the plugin itself being broken.
//
// A pass here is a claim, not a verdict: the host verifies the returned
// evidence itself, and the artifact passes only if that succeeds too.
func (v *Verifier) Verify(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	res := &sdk.Result{Status: sdk.StatusPass}
	var a attributes
	if err := req.Decode(&a); err != nil {
		return res.Errorf("attributes", "%v", err), nil
	}
	for _, p := range []string{a.Path, a.Sums, a.Bundle} {
		if strings.Contains(p, "://") {
			return res.Fail("attributes", fmt.Sprintf("%s: checksum_file reads local files only", p)), nil
		}
	}
	name := a.Name
	if name == "" {
		name = filepath.Base(a.Path)
	}
	bundlePath := a.Bundle
	if bundlePath == "" {
		bundlePath = a.Sums + ".sigstore.json"
	}

	// 1. The file's digest, streamed: memory stays flat whatever its size.
	fileDigest, err := hashFile(ctx, a.Path)
	if err != nil {
		if ctx.Err() != nil { // past the host's deadline, or interrupted
			return res.Errorf("digest", "%v", err), nil
		}
		return res.Fail("digest", err.Error()), nil
	}
	res.Pass("digest", "sha256:"+fileDigest)

	// 2. The checksum list. Parse and hash the same bytes: the digest the
	// signature must bind is the digest of exactly what was parsed, so a
	// file swapped between two reads cannot slip through.
	sums, err := readBounded(a.Sums, maxSumsSize)
	if err != nil {
		return res.Fail("sums", err.Error()), nil
	}
	sumsDigest := sha256.Sum256(sums)
	list, err := parseSums(sums)
	if err != nil {
		return res.Fail("sums", fmt.Sprintf("%s: %v", a.Sums, err)), nil
	}

	// 3. The file's entry.
	want, ok := list[name]
	if !ok {
		return res.Fail("listed", fmt.Sprintf("%q is not listed in SHA256SUMS (%s)", name, a.Sums)), nil
	}
	if want.hex != fileDigest {
		return res.Fail("listed", fmt.Sprintf("digest mismatch for %q: expected sha256:%s (%s line %d), found sha256:%s (%s)",
			name, want.hex, a.Sums, want.line, fileDigest, a.Path)), nil
	}
	res.Pass("listed", fmt.Sprintf("%s line %d", a.Sums, want.line))

	// 4. The evidence: the bundle that signs the SHA256SUMS file, bound to
	// that file's digest. The host verifies it (signature, chain,
	// transparency log, timestamps, identity) whatever we say here.
	bundle, err := readBounded(bundlePath, maxBundleSize)
	if err != nil {
		if a.Bundle == "" && errors.Is(err, fs.ErrNotExist) {
			return res.Fail("signature", fmt.Sprintf("no Sigstore bundle for %s: %s does not exist (name it with bundle = …)", a.Sums, bundlePath)), nil
		}
		return res.Fail("signature", err.Error()), nil
	}
	ev := sdk.Evidence{
		Type:          sdk.EvidenceBundle,
		Bundle:        bundle,
		SubjectDigest: sdk.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sumsDigest[:])},
		Source:        bundlePath,
	}

	// Optional pre-check with the host's own verification core, with the
	// policy's identities and transparency/timestamp requirements. It adds
	// nothing to security (the host repeats it); it gives the user a precise
	// reason from this plugin, e.g. which identity signed instead.
	m, err := v.material(req.TrustRoot)
	if err != nil {
		return res.Errorf("trust root", "%v", err), nil
	}
	ids := make([]trust.Identity, 0, len(req.Identities))
	for _, id := range req.Identities {
		ids = append(ids, trust.Identity(id)) // the same fields, by design
	}
	out, err := trust.VerifyBundle(m, trust.BundleCheck{
		Bundle:       bundle,
		Digest:       trust.Digest{Algorithm: "sha256", Hex: ev.SubjectDigest.Hex},
		Identities:   ids,
		UseKey:       req.UseKey,
		Requirements: trust.Requirements(req.Requirements),
	})
	if err != nil {
		return res.Fail("signature", fmt.Sprintf("%s: %v", bundlePath, err)), nil
	}
	ev.MediaType = out.MediaType
	res.Pass("signature", out.Signer.String())
	res.Evidence = append(res.Evidence, ev)
	return res, nil
}

// material parses a trust root once per plugin process. The host sends every
// trust root of the run in Configure, before any Verify; the SDK attaches the
// one an artifact uses to its Request.
func (v *Verifier) material(tr *sdk.TrustRoot) (*trust.Material, error) {
	if tr == nil {
		return nil, errors.New("no trust root configured")
	}
	return v.materials.Get(tr.Name, tr.TrustedRootJSON, tr.PublicKeysPEM)
}

// hashFile returns the hex sha256 of a file, streamed by the SDK in 1 MiB
// chunks and stopped when ctx ends (the host's per-artifact deadline, or an
// interrupt). Its errors name the file.
func hashFile(ctx context.Context, path string) (string, error) {
	d, err := sdk.DigestFile(ctx, path, "sha256")
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return d.Hex, nil
}

// readBounded reads a whole file of at most limit bytes with the SDK's
// bounded reader. Its errors name the file.
func readBounded(path string, limit int64) ([]byte, error) {
	data, err := sdk.ReadFile(path, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}
