package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// The generated release verifies except for exactly the tampered file.
func TestReleaseVerifiesExceptTampered(t *testing.T) {
	dir := t.TempDir()
	rel, err := writeRelease(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := root.NewTrustedRootFromPath(filepath.Join(dir, "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.NewVerifier(tr, verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1))
	if err != nil {
		t.Fatal(err)
	}
	id, err := verify.NewShortCertificateIdentity(demoIssuer, "", demoSubject, "")
	if err != nil {
		t.Fatal(err)
	}

	var failed []string
	for _, a := range rel.Artifacts {
		path := filepath.Join(dir, "dist", a.File)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := bundle.LoadJSONFromPath(path + ".sigstore.json")
		if err != nil {
			t.Fatalf("%s: %v", a.File, err)
		}
		if _, err := v.Verify(b, verify.NewPolicy(verify.WithArtifact(bytes.NewReader(data)), verify.WithCertificateIdentity(id))); err != nil {
			t.Logf("%s: %v", a.File, err)
			failed = append(failed, "dist/"+a.File)
		}
	}
	if len(failed) != 1 || failed[0] != rel.Tampered {
		t.Errorf("failed = %v, want exactly [%s]", failed, rel.Tampered)
	}
}

// File contents other than signatures and the trusted root are stable.
func TestReleaseDeterministic(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	for _, d := range []string{d1, d2} {
		if _, err := writeRelease(d, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"policy.hcl", "dist/libvmaf.so", "dist/vmaf", "dist/models.tar.gz", "dist/SHA256SUMS"} {
		a, err := os.ReadFile(filepath.Join(d1, f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(d2, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between runs", f)
		}
	}
}

var policyBlocks = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "trust_root", LabelNames: []string{"name"}},
	{Type: "identity", LabelNames: []string{"name"}},
	{Type: "blob", LabelNames: []string{"name"}},
	{Type: "sbom", LabelNames: []string{"name"}},
}}

func TestPolicyParses(t *testing.T) {
	arts, err := demoArtifacts()
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclparse.NewParser().ParseHCL([]byte(policyHCL(arts)), "policy.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	content, _, diags := f.Body.PartialContent(policyBlocks)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	count := map[string]int{}
	for _, b := range content.Blocks {
		count[b.Type]++
	}
	if count["trust_root"] != 1 || count["identity"] != 1 || count["blob"] != 4 || count["sbom"] != 1 {
		t.Errorf("blocks: %v", count)
	}
}
