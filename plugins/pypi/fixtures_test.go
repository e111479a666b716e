package pypi_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/realfixtures"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
	"github.com/vmafx/vmafx-trust/plugins/pypi"
)

// pypiCase is a pypi case of the real fixtures.
type pypiCase struct{ realfixtures.PyPICase }

func loadPyPICases(t *testing.T, dir string) []pypiCase {
	var out []pypiCase
	for _, c := range realfixtures.PyPICases(t, dir) {
		out = append(out, pypiCase{c})
	}
	return out
}

// publisher is the case's Trusted Publisher as a policy block says it.
func (c pypiCase) publisher() map[string]any {
	p := c.ExpectedIdentity.Publisher
	if p == nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range p {
		if s, ok := v.(string); ok && s != "" {
			if k == "kind" {
				s = strings.ToLower(s)
			}
			out[k] = s
		}
	}
	return out
}

// request builds what the host would send for a case: the digest form, the
// case's attestation as provenance, and the identity the host derives from
// the publisher (or the case's SAN and issuer).
func (c pypiCase) request(t *testing.T, dir string) (*sdk.Request, []trust.Identity) {
	t.Helper()
	root, err := os.ReadFile(filepath.Join(dir, c.TrustedRoot))
	if err != nil {
		t.Fatal(err)
	}
	name := c.FileName()
	project := name[:strings.IndexByte(name, '-')]
	attrs := map[string]any{
		"file":       []any{map[string]any{"name": name, "sha256": strings.TrimPrefix(c.ArtifactDigest, "sha256:")}},
		"provenance": filepath.Join(dir, c.Bundle),
	}
	var id trust.Identity
	if pub := c.publisher(); pub != nil {
		attrs["publisher"] = pub
		if id, err = policy.TrustedPublisherIdentity(pub); err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
	} else {
		id = trust.Identity{Name: "signer", Subject: c.ExpectedIdentity.SAN, Issuer: c.ExpectedIdentity.Issuer}
	}
	raw, _ := json.Marshal(attrs)
	req := &sdk.Request{
		Kind: "pypi", Name: project, Attributes: raw, Require: 1, Offline: true,
		TrustRoot:  &sdk.TrustRoot{Name: c.TrustedRoot, TrustedRootJSON: root},
		Identities: []sdk.Identity{sdk.Identity(id)},
	}
	return req, []trust.Identity{id}
}

// hostVerdict is what the host would conclude: the plugin's verdict on each
// row, and for each passing row, its own verification of the evidence.
func hostVerdict(t *testing.T, req *sdk.Request, ids []trust.Identity, res *sdk.Result) (string, string) {
	t.Helper()
	if res.Status != sdk.StatusPass {
		return res.Status.String(), res.Reason
	}
	if len(res.SubResults) == 0 {
		t.Fatalf("a passing release result without rows")
	}
	m, err := trust.NewMaterial(req.TrustRoot.Name, req.TrustRoot.TrustedRootJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.SubResults {
		if s.Status != sdk.StatusPass {
			return s.Status.String(), s.Reason
		}
		if len(s.Evidence) == 0 {
			t.Fatalf("row %s passes without evidence", s.Name)
		}
		for _, ev := range s.Evidence {
			if ev.SubjectDigest.Algorithm != "sha256" || ev.Type != sdk.EvidenceBundle {
				t.Fatalf("row %s: evidence %+v", s.Name, ev.SubjectDigest)
			}
			if _, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: ev.Bundle, Digest: trust.Digest{Algorithm: "sha256", Hex: ev.SubjectDigest.Hex}, Identities: ids}); err != nil {
				return "fail", "host: " + err.Error()
			}
		}
	}
	return "pass", ""
}

// failReasons is what each failing case's reason must say.
var failReasons = map[string]string{
	"pypi/sigstore-3.6.1-provenance-wrong-publisher":         "repository (Source Repository URI): expected https://github.com/trailofbits/pypi-attestations, found https://github.com/sigstore/sigstore-python",
	"pypi/pypi_attestations-0.0.19-provenance-vs-other-dist": "subject name: expected sigstore-3.6.1.tar.gz, found pypi_attestations-0.0.19.tar.gz",
	"pypi/gitlab_oidc_project-0.0.3-wrong-workflow":          "workflow (Build Config URI): expected https://gitlab.com/facutuesca/gitlab-oidc-project//wrong.yml@",
	"pypi/pypi_attestation_models-0.0.4a2-wrong-workflow":    "workflow (Build Config URI): expected https://github.com/trailofbits/pypi-attestation-models/.github/workflows/wrong.yml@",
	"pypi/rfc8785-0.1.2-staging-vs-public-good-root":         "transparency log",
}

// TestFixtureCases runs every pypi case of cases.json (genuine PyPI
// attestations and provenance, by name and digest) offline against its
// trusted root.
func TestFixtureCases(t *testing.T) {
	dir := realfixtures.Dir(t)
	for _, c := range loadPyPICases(t, dir) {
		t.Run(c.ID, func(t *testing.T) {
			req, ids := c.request(t, dir)
			res, err := pypi.New().Verify(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			got, reason := hostVerdict(t, req, ids, res)
			if got != c.Expected {
				t.Fatalf("got %s (%s), want %s (%s)", got, reason, c.Expected, c.Reason)
			}
			if got == "fail" && !strings.Contains(reason, failReasons[c.ID]) {
				t.Fatalf("reason %q does not say %q", reason, failReasons[c.ID])
			}
			t.Logf("%s: %s", got, reason)
		})
	}
}
