package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vmafx/vmafx-trust/internal/testsigstore"
)

// The identity every demo artifact is signed as.
const (
	demoSubject = "https://github.com/vmafx/vmafx/.github/workflows/release.yml@refs/tags/v1.4.0"
	demoIssuer  = "https://token.actions.githubusercontent.com"
)

// tamperedFile is signed, then has the byte at tamperOffset flipped
// (XOR tamperMask), so its verification must fail.
const (
	tamperedFile = "vmaf"
	tamperOffset = 1000
	tamperMask   = 0x01
)

// artifact is one file of the demo release.
type artifact struct {
	Block string // name of its blob block in policy.hcl
	File  string // file name under dist/
	Mode  os.FileMode
	Data  []byte // contents as signed
}

// release describes what writeRelease produced.
type release struct {
	Dir       string
	Artifacts []artifact
	Tampered  string // dist/ path of the tampered file
}

// writeRelease writes the demo release into dir and logs a summary to log.
func writeRelease(dir string, log io.Writer) (*release, error) {
	arts, err := demoArtifacts()
	if err != nil {
		return nil, err
	}
	ss, err := testsigstore.New()
	if err != nil {
		return nil, err
	}
	dist := filepath.Join(dir, "dist")
	if err := os.MkdirAll(dist, 0o755); err != nil {
		return nil, err
	}

	trJSON, err := ss.TrustedRootJSON()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "trusted_root.json"), trJSON, 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "wrote %s (test Fulcio CA, Rekor log and TSA; no CT logs)\n", filepath.Join(dir, "trusted_root.json"))

	for _, a := range arts {
		path := filepath.Join(dist, a.File)
		if err := os.WriteFile(path, a.Data, a.Mode); err != nil {
			return nil, err
		}
		bundle, err := ss.SignBlob(demoSubject, demoIssuer, a.Data)
		if err != nil {
			return nil, fmt.Errorf("signing %s: %w", a.File, err)
		}
		if err := os.WriteFile(path+".sigstore.json", bundle, 0o644); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "wrote %s (%d bytes) and %s.sigstore.json\n", path, len(a.Data), a.File)
	}
	fmt.Fprintf(log, "signed all as %s\n  issuer %s\n", demoSubject, demoIssuer)

	// An SPDX SBOM of libvmaf.so, attested about it as GitHub's
	// attest-sbom does (predicate type …/Document/v2.3).
	sbomBundle, err := ss.Attest(demoSubject, demoIssuer, sbomStatement(arts[0]))
	if err != nil {
		return nil, fmt.Errorf("attesting the SBOM: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dist, sbomBundleFile), sbomBundle, 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "wrote %s (an SPDX SBOM attestation about %s)\n", filepath.Join(dist, sbomBundleFile), arts[0].File)

	// Tamper with one artifact after signing.
	path := filepath.Join(dist, tamperedFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	old := data[tamperOffset]
	data[tamperOffset] ^= tamperMask
	if err := os.WriteFile(path, data, 0o755); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "TAMPERED %s after signing: flipped byte at offset %d (0x%02x -> 0x%02x); its verification must fail\n",
		path, tamperOffset, old, data[tamperOffset])

	policyPath := filepath.Join(dir, "policy.hcl")
	if err := os.WriteFile(policyPath, []byte(policyHCL(arts)), 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "wrote %s (%d blob blocks, 1 sbom block)\n", policyPath, len(arts))

	return &release{Dir: dir, Artifacts: arts, Tampered: "dist/" + tamperedFile}, nil
}

// demoArtifacts builds the four release files. Their contents are fixed.
func demoArtifacts() ([]artifact, error) {
	lib := pseudoRandom(6*1024, 0x766d6166, 1) // "vmaf"
	bin := pseudoRandom(4*1024, 0x766d6166, 2)
	models, err := modelsTarGz()
	if err != nil {
		return nil, err
	}
	arts := []artifact{
		{Block: "libvmaf", File: "libvmaf.so", Mode: 0o644, Data: lib},
		{Block: "vmaf", File: "vmaf", Mode: 0o755, Data: bin},
		{Block: "models", File: "models.tar.gz", Mode: 0o644, Data: models},
	}
	arts = append(arts, artifact{Block: "checksums", File: "SHA256SUMS", Mode: 0o644, Data: sha256sums(arts)})
	return arts, nil
}

// pseudoRandom returns n bytes from a fixed-seed PCG generator.
func pseudoRandom(n int, seed1, seed2 uint64) []byte {
	r := rand.New(rand.NewPCG(seed1, seed2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// modelsTarGz returns a gzip'd tar of two small VMAF-like model files, with
// fixed timestamps and ownership so the archive is byte-for-byte stable.
func modelsTarGz() ([]byte, error) {
	files := []struct{ name, body string }{
		{"models/vmaf_v0.6.1.json", `{"model_dict":{"model_type":"LIBSVMNUSVR","feature_names":["VMAF_feature_adm2_score","VMAF_feature_motion2_score","VMAF_feature_vif_scale0_score"],"score_clip":[0.0,100.0],"norm_type":"linear_rescale"},"version":"0.6.1"}` + "\n"},
		{"models/vmaf_4k_v0.6.1.json", `{"model_dict":{"model_type":"LIBSVMNUSVR","feature_names":["VMAF_feature_adm2_score","VMAF_feature_motion2_score","VMAF_feature_vif_scale0_score"],"score_clip":[0.0,100.0],"norm_type":"linear_rescale"},"version":"0.6.1","display":"4k"}` + "\n"},
	}
	mtime := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf) // zero header ModTime/Name: deterministic
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "models/", Mode: 0o755, ModTime: mtime, Format: tar.FormatUSTAR}); err != nil {
		return nil, err
	}
	for _, f := range files {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: mtime, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := io.WriteString(tw, f.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sha256sums renders arts in `sha256sum` output format, sorted by name.
func sha256sums(arts []artifact) []byte {
	sorted := slices.Clone(arts)
	slices.SortFunc(sorted, func(a, b artifact) int { return strings.Compare(a.File, b.File) })
	var sb strings.Builder
	for _, a := range sorted {
		sum := sha256.Sum256(a.Data)
		fmt.Fprintf(&sb, "%s  %s\n", hex.EncodeToString(sum[:]), a.File)
	}
	return []byte(sb.String())
}

// policyHCL renders the demo policy; paths are relative to its directory.
func policyHCL(arts []artifact) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `# Example release policy generated by `+"`make demo`"+`.
trust_root "demo" {
  trusted_root = "trusted_root.json"
}

identity "release" {
  issuer  = %q
  subject = %q
}
`, demoIssuer, demoSubject)
	for _, a := range arts {
		fmt.Fprintf(&sb, `
blob %q {
  path     = %q
  bundle   = %q
  identity = identity.release
}
`, a.Block, "dist/"+a.File, "dist/"+a.File+".sigstore.json")
	}
	fmt.Fprintf(&sb, `
# The SBOM attested about libvmaf.so, bound to the digest blob.libvmaf
# established, with content rules.
sbom "libvmaf" {
  blob     = blob.libvmaf
  bundle   = %q
  identity = identity.release
  content {
    packages      = ["zlib >=1.3"]
    deny_licenses = ["GPL-3.0-only", "AGPL-3.0-only"]
  }
}
`, "dist/"+sbomBundleFile)
	return sb.String()
}

// sbomBundleFile is the SBOM attestation's bundle, under dist/.
const sbomBundleFile = "libvmaf.so.sbom.sigstore.json"

// sbomStatement is an in-toto statement about a whose predicate is an SPDX
// 2.3 document of libvmaf and what it links.
func sbomStatement(a artifact) []byte {
	sum := sha256.Sum256(a.Data)
	pkg := func(id, name, version, license, purl string) map[string]any {
		return map[string]any{"SPDXID": id, "name": name, "versionInfo": version, "downloadLocation": "NOASSERTION",
			"licenseConcluded": license, "supplier": "Organization: vmafx",
			"externalRefs": []any{map[string]any{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}}}
	}
	root := pkg("SPDXRef-libvmaf", a.File, "3.0.0", "BSD-2-Clause-Patent", "pkg:generic/libvmaf@3.0.0")
	root["checksums"] = []any{map[string]any{"algorithm": "SHA256", "checksumValue": hex.EncodeToString(sum[:])}}
	doc := map[string]any{
		"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "libvmaf", "dataLicense": "CC0-1.0",
		"documentNamespace": "https://vmafx.example/spdx/libvmaf-3.0.0",
		"creationInfo":      map[string]any{"created": "2026-11-01T00:00:00Z", "creators": []string{"Tool: vmafx-release"}},
		"documentDescribes": []string{"SPDXRef-libvmaf"},
		"packages": []any{root,
			pkg("SPDXRef-zlib", "zlib", "1.3.1", "Zlib", "pkg:generic/zlib@1.3.1"),
			pkg("SPDXRef-dav1d", "dav1d", "1.4.3", "BSD-2-Clause", "pkg:generic/dav1d@1.4.3")},
		"relationships": []any{
			map[string]any{"spdxElementId": "SPDXRef-libvmaf", "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-zlib"},
			map[string]any{"spdxElementId": "SPDXRef-libvmaf", "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-dav1d"}},
	}
	st, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": a.File, "digest": map[string]string{"sha256": hex.EncodeToString(sum[:])}}},
		"predicateType": "https://spdx.dev/Document/v2.3",
		"predicate":     doc,
	})
	return st
}
