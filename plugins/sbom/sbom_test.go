package sbom

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/plugins/image"
)

var (
	indexDigest = "sha256:" + strings.Repeat("1", 64)
	amdDigest   = "sha256:" + strings.Repeat("2", 64)
	armDigest   = "sha256:" + strings.Repeat("3", 64)
)

// fakeImages answers every lookup with parts, and records the query.
type fakeImages struct {
	parts []image.PartAttestations
	got   image.AttestationQuery
}

func (f *fakeImages) Attestations(_ context.Context, _ *sdk.Request, q image.AttestationQuery) ([]image.PartAttestations, []sdk.Diagnostic, error) {
	f.got = q
	return f.parts, nil, nil
}

// spdxStatement is an SPDX attestation of digest listing one package.
func spdxStatement(digest, pkg, license string) []byte {
	alg, hex, _ := strings.Cut(digest, ":")
	b, _ := json.Marshal(map[string]any{
		"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://spdx.dev/Document/v2.3",
		"subject": []any{map[string]any{"name": "image", "digest": map[string]string{alg: hex}}},
		"predicate": map[string]any{
			"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "x", "dataLicense": "CC0-1.0", "documentNamespace": "https://example.com/x",
			"creationInfo": map[string]any{"created": "2026-11-01T00:00:00Z", "creators": []string{"Tool: syft"}},
			"packages":     []any{map[string]any{"SPDXID": "SPDXRef-p", "name": pkg, "versionInfo": "1.0", "downloadLocation": "NOASSERTION", "licenseConcluded": license}},
		},
	})
	return b
}

func found(digest string, stmt []byte) image.PartAttestations {
	return image.PartAttestations{Digest: digest, Status: sdk.StatusPass, Found: []image.Attestation{{
		PredicateType: "https://spdx.dev/Document/v2.3", Statement: stmt, Source: "referrer",
		Evidence: sdk.Evidence{Type: sdk.EvidenceBundle, Bundle: []byte("{}"), Source: "referrer"},
	}}}
}

func partNamed(name string, pa image.PartAttestations) image.PartAttestations {
	pa.Name = name
	return pa
}

func missing(name, digest string) image.PartAttestations {
	return image.PartAttestations{Name: name, Digest: digest, Status: sdk.StatusFail, Reason: name + ": no SBOM attestation for " + digest}
}

func imageRequest(attrs string, parts ...sdk.ReferencePart) *sdk.Request {
	return &sdk.Request{Kind: "sbom", Name: "app", Attributes: json.RawMessage(attrs),
		TrustRoot: &sdk.TrustRoot{Name: "keys"},
		References: map[string]sdk.Reference{"image": {Kind: "image", Name: "app",
			Attributes: json.RawMessage(`{"ref":"registry.test/app:1.4.0","platforms":"all"}`), Parts: parts}}}
}

func refPart(name, digest string) sdk.ReferencePart {
	return sdk.ReferencePart{Name: name, Digest: digestOf(digest)}
}

// TestVerifyImage: one row per part the image block verified, each bound to
// that part's digest; an index without an SBOM of its own is no row when
// its platforms are checked; a platform without one fails and is named;
// content rules apply to each SBOM; what the lookup returns must be the
// parts the image block established.
func TestVerifyImage(t *testing.T) {
	all := []sdk.ReferencePart{refPart("index", indexDigest), refPart("linux/amd64", amdDigest), refPart("linux/arm64", armDigest)}
	tests := []struct {
		name    string
		attrs   string
		parts   []image.PartAttestations
		refs    []sdk.ReferencePart
		want    sdk.Status
		rows    map[string]sdk.Status
		reason  string
		noIndex bool
	}{
		{
			name: "every part", attrs: `{}`, refs: all,
			parts: []image.PartAttestations{partNamed("index", found(indexDigest, spdxStatement(indexDigest, "a", "MIT"))),
				partNamed("linux/amd64", found(amdDigest, spdxStatement(amdDigest, "a", "MIT"))), partNamed("linux/arm64", found(armDigest, spdxStatement(armDigest, "a", "MIT")))},
			want: sdk.StatusPass, rows: map[string]sdk.Status{"index": sdk.StatusPass, "linux/amd64": sdk.StatusPass, "linux/arm64": sdk.StatusPass},
		},
		{
			name: "platforms only (BuildKit)", attrs: `{}`, refs: all,
			parts: []image.PartAttestations{missing("index", indexDigest),
				partNamed("linux/amd64", found(amdDigest, spdxStatement(amdDigest, "a", "MIT"))), partNamed("linux/arm64", found(armDigest, spdxStatement(armDigest, "a", "MIT")))},
			want: sdk.StatusPass, rows: map[string]sdk.Status{"linux/amd64": sdk.StatusPass, "linux/arm64": sdk.StatusPass}, noIndex: true,
		},
		{
			name: "a platform without", attrs: `{}`, refs: all,
			parts: []image.PartAttestations{missing("index", indexDigest),
				partNamed("linux/amd64", found(amdDigest, spdxStatement(amdDigest, "a", "MIT"))), missing("linux/arm64", armDigest)},
			want: sdk.StatusFail, rows: map[string]sdk.Status{"linux/amd64": sdk.StatusPass, "linux/arm64": sdk.StatusFail},
			reason: "1 of 2 part(s) failed: linux/arm64: no SBOM attestation for " + armDigest,
		},
		{
			name: "content rule", attrs: `{"content":{"deny_licenses":["GPL-3.0-only"]}}`, refs: all,
			parts: []image.PartAttestations{partNamed("index", found(indexDigest, spdxStatement(indexDigest, "a", "MIT"))),
				partNamed("linux/amd64", found(amdDigest, spdxStatement(amdDigest, "gplthing", "GPL-3.0-only"))), partNamed("linux/arm64", found(armDigest, spdxStatement(armDigest, "a", "MIT")))},
			want: sdk.StatusFail, rows: map[string]sdk.Status{"index": sdk.StatusPass, "linux/amd64": sdk.StatusFail, "linux/arm64": sdk.StatusPass},
			reason: "gplthing 1.0",
		},
		{
			name: "statement of another part", attrs: `{}`, refs: all,
			parts: []image.PartAttestations{partNamed("index", found(indexDigest, spdxStatement(indexDigest, "a", "MIT"))),
				partNamed("linux/amd64", found(amdDigest, spdxStatement(armDigest, "a", "MIT"))), partNamed("linux/arm64", found(armDigest, spdxStatement(armDigest, "a", "MIT")))},
			want: sdk.StatusFail, rows: map[string]sdk.Status{"index": sdk.StatusPass, "linux/amd64": sdk.StatusFail, "linux/arm64": sdk.StatusPass},
			reason: "subject mismatch",
		},
		{
			name: "a part the image block did not verify", attrs: `{}`, refs: all[:2],
			parts: []image.PartAttestations{partNamed("index", found(indexDigest, spdxStatement(indexDigest, "a", "MIT"))),
				partNamed("linux/amd64", found(amdDigest, spdxStatement(amdDigest, "a", "MIT"))), partNamed("linux/arm64", found(armDigest, spdxStatement(armDigest, "a", "MIT")))},
			want: sdk.StatusFail, rows: map[string]sdk.Status{"index": sdk.StatusPass, "linux/amd64": sdk.StatusPass, "linux/arm64": sdk.StatusFail},
			reason: "but the image block verified",
		},
		{
			name: "one image", attrs: `{"format":"cyclonedx"}`, refs: []sdk.ReferencePart{refPart("", amdDigest)},
			parts: []image.PartAttestations{found(amdDigest, spdxStatement(amdDigest, "a", "MIT"))},
			want:  sdk.StatusFail, reason: `format = "cyclonedx"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &fakeImages{parts: tt.parts}
			p := New(WithImages(src))
			res, err := p.Verify(context.Background(), imageRequest(tt.attrs, tt.refs...))
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.want || !strings.Contains(res.Reason, tt.reason) {
				t.Fatalf("status %s %q, want %s containing %q", res.Status, res.Reason, tt.want, tt.reason)
			}
			top := tt.refs[0].Digest.String()
			if !strings.HasSuffix(src.got.Ref, "@"+top) || !strings.HasPrefix(src.got.Ref, "registry.test/app@") || src.got.Platforms != "all" {
				t.Errorf("query %+v: want the image pinned to %s, its platforms", src.got, top)
			}
			if tt.rows == nil {
				return
			}
			got := map[string]sdk.Status{}
			for _, r := range res.SubResults {
				got[r.Name] = r.Status
				if r.Status == sdk.StatusPass && (len(r.Evidence) == 0 || r.Subject.String() == ":") {
					t.Errorf("%s passes without evidence or subject", r.Name)
				}
			}
			if len(got) != len(tt.rows) {
				t.Fatalf("rows %v, want %v", got, tt.rows)
			}
			for name, st := range tt.rows {
				if got[name] != st {
					t.Errorf("row %s: %s, want %s", name, got[name], st)
				}
			}
			if tt.noIndex && !strings.Contains(checksText(res.Checks), "has no SBOM attestation of its own") {
				t.Errorf("the whole result does not say the index has no SBOM: %+v", res.Checks)
			}
		})
	}
}

func checksText(cs []sdk.Check) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.Name + ": " + c.Detail + "\n")
	}
	return b.String()
}

// TestAttributes: a block names exactly one source, and each setting is
// checked before anything is read.
func TestAttributes(t *testing.T) {
	blobRef := map[string]sdk.Reference{"blob": {Kind: "blob", Name: "b", Parts: []sdk.ReferencePart{refPart("", amdDigest)}}}
	tests := []struct {
		name  string
		attrs string
		refs  map[string]sdk.Reference
		want  string
	}{
		{"no source", `{}`, nil, "give exactly one of image, blob, file, digest or path (found none)"},
		{"two sources", `{"file":"x","digest":"sha256:00"}`, nil, "found file, digest"},
		{"reference and file", `{"file":"x","bundle":"b"}`, blobRef, "found blob, file"},
		{"digest without bundle", `{"digest":"` + amdDigest + `"}`, nil, "digest needs bundle"},
		{"describes without path", `{"digest":"` + amdDigest + `","bundle":"b","describes_digest":"` + amdDigest + `"}`, nil, "describes applies to path only"},
		{"bad format", `{"path":"x","format":"swid"}`, nil, `format = "swid": want spdx or cyclonedx`},
		{"max_size zero", `{"path":"x","max_size":0}`, nil, "max_size = 0"},
		{"max_size over the cap", `{"path":"x","max_size":2147483648}`, nil, "max_size = 2147483648"},
		{"bad max_age", `{"path":"x","content":{"max_age":"a month"}}`, nil, `max_age: "a month"`},
		{"negative min_components", `{"path":"x","content":{"min_components":-1}}`, nil, "min_components = -1"},
		{"bad package rule", `{"path":"x","content":{"packages":["libvmaf >=="]}}`, nil, "content: packages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &sdk.Request{Kind: "sbom", Name: "s", Attributes: json.RawMessage(tt.attrs), References: tt.refs, TrustRoot: &sdk.TrustRoot{Name: "keys"}}
			res, err := New().Verify(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != sdk.StatusFail || !strings.Contains(res.Reason, tt.want) {
				t.Fatalf("status %s %q, want a fail containing %q", res.Status, res.Reason, tt.want)
			}
		})
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "1d": 24 * time.Hour, "720h": 720 * time.Hour, " 90m ": 90 * time.Minute} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0d", "-1d", "d", "1.5d", "30days", "0s", "-5h", "soon"} {
		if _, err := ParseAge(bad); err == nil {
			t.Errorf("ParseAge(%q) accepted", bad)
		}
	}
}
