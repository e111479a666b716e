package document

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
)

// sbomDir is the real SBOM fixtures' directory, read in place.
func sbomDir(t *testing.T) string {
	return filepath.Join(realfixtures.Dir(t), "sbom")
}

func TestRealSBOMFiles(t *testing.T) {
	dir := sbomDir(t)
	cases := []struct {
		file            string
		format          Format
		spec            string
		syntax          Syntax
		components      int
		deps            bool
		roots           int
		rootDigest      string // one of the roots' digests, "" for none
		rootName        string
		firstName       string // the first component's name
		firstLicense    string
		creatorsAtLeast int
	}{
		{"unsigned/cosign/bom-go-mod.spdx.json", SPDX, "2.2", JSON, 0, false, 0, "", "", "", "", 2},
		{"unsigned/cosign/bom-go-mod.spdx", SPDX, "2.2", TagValue, 143, true, 1,
			"sha256:0d8975f6ff7067f2adad485924e0854caec9c5d46306bf5b901d311c2fb05a7a", "github.com/sigstore/cosign", "github.com/sigstore/cosign", "", 1},
		{"unsigned/cosign/bom-go-mod.cyclonedx.json", CycloneDX, "1.4", JSON, 0, false, 0, "", "", "", "", 0},
		{"unsigned/guac/alpine-spdx.json", SPDX, "2.2", JSON, 14, true, 0, "", "", "alpine-baselayout", "GPL-2.0-only", 2},
		{"unsigned/guac/distroless-cyclonedx.json", CycloneDX, "1.4", JSON, 3, false, 1,
			"sha256:6ad5b696af3ca05a048bd29bf0f623040462638cb0b29c8d702cbb2805687388", "gcr.io/distroless/static:nonroot", "base-files", "", 1},
		{"wp732-ssc_assignment_1/cyclonedx-sbom.json", CycloneDX, "1.6", JSON, 14, true, 1, "", "wp732-rekor-tools", "attrs", "", 2},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			doc, err := Read(context.Background(), f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if doc.Format != c.format || doc.SpecVersion != c.spec || doc.Syntax != c.syntax {
				t.Errorf("read as %s %s %s, want %s %s %s", doc.Format, doc.SpecVersion, doc.Syntax, c.format, c.spec, c.syntax)
			}
			if len(doc.Components) != c.components || doc.ComponentCount != c.components {
				t.Errorf("%d components (count %d), want %d", len(doc.Components), doc.ComponentCount, c.components)
			}
			if doc.HasDependencies != c.deps {
				t.Errorf("HasDependencies = %v, want %v", doc.HasDependencies, c.deps)
			}
			if len(doc.Roots) != c.roots {
				t.Fatalf("%d roots, want %d: %+v", len(doc.Roots), c.roots, doc.Roots)
			}
			if c.roots > 0 {
				r := doc.Roots[0]
				if r.Name != c.rootName {
					t.Errorf("root name %q, want %q", r.Name, c.rootName)
				}
				found := c.rootDigest == "" && len(r.Digests) == 0
				for _, d := range r.Digests {
					found = found || d.String() == c.rootDigest
				}
				if !found {
					t.Errorf("root digests %v, want %q", r.Digests, c.rootDigest)
				}
			}
			if c.components > 0 {
				if got := doc.Components[0]; got.Name != c.firstName || got.License != c.firstLicense || got.ID == "" {
					t.Errorf("first component %+v, want name %q licence %q and an ID", got, c.firstName, c.firstLicense)
				}
			}
			if doc.Created.IsZero() != (c.file == "unsigned/cosign/bom-go-mod.cyclonedx.json") {
				t.Errorf("creation time %v (text %q)", doc.Created, doc.CreatedText)
			}
			if len(doc.Creators) < c.creatorsAtLeast {
				t.Errorf("creators %v, want at least %d", doc.Creators, c.creatorsAtLeast)
			}
			// The streamed read sees the same components.
			data, _ := os.ReadFile(filepath.Join(dir, c.file))
			var streamed []Component
			sdoc, err := ReadBytes(context.Background(), data, Options{OnComponent: func(c *Component) error {
				streamed = append(streamed, *c)
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if !equalComponents(streamed, doc.Components) || sdoc.ComponentCount != c.components || len(sdoc.Components) != 0 {
				t.Errorf("streamed read differs: %d components, count %d, kept %d", len(streamed), sdoc.ComponentCount, len(sdoc.Components))
			}
			if len(sdoc.Roots) != len(doc.Roots) {
				t.Errorf("streamed read has %d roots, want %d", len(sdoc.Roots), len(doc.Roots))
			}
		})
	}
}

func TestRealSPDXComponentFields(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(sbomDir(t), "unsigned/guac/alpine-spdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ReadBytes(context.Background(), data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := doc.Components[0]
	want := Component{
		ID: "SPDXRef-35085779bdf473bb", Name: "alpine-baselayout", Version: "3.2.0-r22",
		PURL:    "pkg:alpine/alpine-baselayout@3.2.0-r22?arch=x86_64&upstream=alpine-baselayout&distro=alpine-3.16.2",
		License: "GPL-2.0-only", Author: "Natanael Copa <ncopa@alpinelinux.org>",
	}
	if !equalComponents([]Component{c}, []Component{want}) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	if doc.Name != "alpine-latest" || doc.Namespace == "" {
		t.Errorf("name %q namespace %q", doc.Name, doc.Namespace)
	}
}

// legacyBundleStatement is the in-toto statement of cosign's legacy
// attest-blob bundle: base64Signature holds the DSSE envelope.
func legacyBundleStatement(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b struct{ Base64Signature string }
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	envJSON, err := base64.StdEncoding.DecodeString(b.Base64Signature)
	if err != nil {
		t.Fatal(err)
	}
	var env struct{ Payload string }
	if err := json.Unmarshal(envJSON, &env); err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return payload
}

func TestRealAttestations(t *testing.T) {
	dir := filepath.Join(sbomDir(t), "wp732-ssc_assignment_1")
	cases := []struct {
		bundle, subject, predicateType, wrapper string
		custom                                  bool
	}{
		{"sbom-attestation.bundle", "sha256:f7d810ba24b6f953614c0e029cd6d408a84d722035ad5b0a4fb9359039c38c83", PredicateCycloneDX, "", false},
		{"sbom-attestation.v4.0.0.bundle", "sha256:4a8b9c7637265522e831381e75c05e68cc799fa2b94d67b611789b72dd04c21c", PredicateCycloneDX, "", false},
		{"wp732-rekor-tools_attest.custom.bundle", "sha256:4a8b9c7637265522e831381e75c05e68cc799fa2b94d67b611789b72dd04c21c", PredicateCosignCustom, "cosign-custom", true},
	}
	for _, c := range cases {
		t.Run(c.bundle, func(t *testing.T) {
			payload := legacyBundleStatement(t, filepath.Join(dir, c.bundle))
			st, doc, err := ReadStatement(context.Background(), payload, Options{AllowCosignCustom: true})
			if err != nil {
				t.Fatal(err)
			}
			if st.PredicateType != c.predicateType || len(st.Subjects) != 1 || st.Subjects[0].Digests[0].String() != c.subject {
				t.Errorf("statement %+v", st)
			}
			if doc.Format != CycloneDX || doc.SpecVersion != "1.6" || doc.ComponentCount != 14 || doc.Wrapper != c.wrapper || doc.PredicateType != c.predicateType {
				t.Errorf("document %s %s, %d components, wrapper %q, predicate type %q", doc.Format, doc.SpecVersion, doc.ComponentCount, doc.Wrapper, doc.PredicateType)
			}
			if len(doc.Roots) != 1 || doc.Roots[0].Name != "wp732-rekor-tools" {
				t.Errorf("roots %+v", doc.Roots)
			}
			_, _, err = ReadStatement(context.Background(), payload, Options{})
			if c.custom != (err != nil) || c.custom && !errors.Is(err, ErrCosignCustom) {
				t.Errorf("without the opt-in: %v", err)
			}
		})
	}
}
