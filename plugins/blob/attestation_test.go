package blob

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/testsigstore"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// legacyAttestBlob rewrites a DSSE bundle as `cosign attest-blob --bundle`
// writes it without --new-bundle-format: base64Signature is the whole
// envelope, cert the certificate (base64 of PEM), rekorBundle the entry.
// rekorFrom, when set, is another bundle whose Rekor entry is used instead.
func legacyAttestBlob(t *testing.T, bundleJSON, rekorFrom []byte) []byte {
	t.Helper()
	l, err := testsigstore.SplitLegacy(bundleJSON)
	if err != nil {
		t.Fatal(err)
	}
	rekor := l.RekorBundle
	if rekorFrom != nil {
		o, err := testsigstore.SplitLegacy(rekorFrom)
		if err != nil {
			t.Fatal(err)
		}
		rekor = o.RekorBundle
	}
	b, err := json.Marshal(map[string]any{
		"base64Signature": base64.StdEncoding.EncodeToString(l.Envelope),
		"cert":            base64.StdEncoding.EncodeToString([]byte(l.Certificate)),
		"rekorBundle":     json.RawMessage(rekor),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostVerify verifies evidence as the host does.
func hostVerify(t *testing.T, tr *sdk.TrustRoot, ev sdk.Evidence) (*trust.Outcome, error) {
	t.Helper()
	m, err := trust.NewMaterial(tr.Name, tr.TrustedRootJSON, tr.PublicKeysPEM)
	if err != nil {
		t.Fatal(err)
	}
	return trust.VerifyBundle(m, trust.BundleCheck{
		Bundle: ev.Bundle, Digest: trust.Digest{Algorithm: ev.SubjectDigest.Algorithm, Hex: ev.SubjectDigest.Hex},
		Identities: []trust.Identity{trust.Identity(btIdentity)},
	})
}

// TestAttestations: cosign's legacy attest-blob bundle is read as the
// attestation it is, bound to the file by its statement's subject, and a
// required predicate type is met by the family it names; evidence that
// does not hold fails in the plugin or in the host.
func TestAttestations(t *testing.T) {
	e := blobEnv(t)
	tr := &sdk.TrustRoot{Name: "ts", TrustedRootJSON: e.rootJSON}
	legacy := legacyAttestBlob(t, e.attest, nil)
	attDigest := sdk.Digest{Algorithm: "sha256", Hex: sha256Hex(e.attFile)}
	tests := []struct {
		name   string
		bundle []byte
		file   []byte         // the blob (default attFile)
		digest string         // instead of a file
		att    map[string]any // the attestation block; nil: none
		status sdk.Status     // the plugin's verdict
		reason string         // in the plugin's reason, or the host's error
		host   bool           // the plugin passes; the host must fail with reason
		pred   string         // on pass: the predicate type the host reports
	}{
		{name: "legacy attest-blob, predicate type", bundle: legacy, att: map[string]any{"predicate_type": btPred}, status: sdk.StatusPass, pred: btPred},
		{name: "legacy attest-blob, short name", bundle: legacy, att: map[string]any{"predicate_type": "slsaprovenance1"}, status: sdk.StatusPass, pred: btPred},
		{name: "legacy attest-blob, any attestation", bundle: legacy, att: map[string]any{}, status: sdk.StatusPass, pred: btPred},
		{name: "legacy attest-blob, no attestation required", bundle: legacy, status: sdk.StatusPass, pred: btPred},
		{name: "legacy attest-blob, by digest", bundle: legacy, digest: "sha256:" + sha256Hex(e.attFile), att: map[string]any{"predicate_type": btPred}, status: sdk.StatusPass, pred: btPred},
		{name: "legacy attest-blob, another file", bundle: legacy, file: e.file, att: map[string]any{"predicate_type": btPred}, host: true, reason: "digest"},
		{name: "legacy attest-blob, another digest", bundle: legacy, digest: "sha256:" + sha256Hex(e.file), att: map[string]any{}, host: true, reason: "digest"},
		{name: "legacy attest-blob, another predicate type", bundle: legacy, att: map[string]any{"predicate_type": "spdxjson"}, status: sdk.StatusFail,
			reason: "predicate type: expected https://spdx.dev/Document, found " + btPred},
		{name: "legacy attest-blob, a sign-blob's Rekor entry", bundle: legacyAttestBlob(t, e.attest, e.bundle), att: map[string]any{}, status: sdk.StatusFail,
			reason: "hashedrekord entry, which does not record a DSSE envelope"},
		{name: "legacy attest-blob, another attestation's Rekor entry", bundle: legacyAttestBlob(t, e.attest, e.attestSBOM), att: map[string]any{}, status: sdk.StatusFail,
			reason: "the entry is for another envelope"},
		{name: "SPDX 2.3 meets spdxjson", bundle: e.attestSBOM, att: map[string]any{"predicate_type": "spdxjson"}, status: sdk.StatusPass, pred: "https://spdx.dev/Document/v2.3"},
		{name: "SPDX 2.3 meets the family URI", bundle: e.attestSBOM, att: map[string]any{"predicate_type": "https://spdx.dev/Document"}, status: sdk.StatusPass, pred: "https://spdx.dev/Document/v2.3"},
		{name: "SPDX 2.3 meets itself", bundle: e.attestSBOM, att: map[string]any{"predicate_type": "https://spdx.dev/Document/v2.3"}, status: sdk.StatusPass, pred: "https://spdx.dev/Document/v2.3"},
		{name: "SPDX 2.3 is not 2.2", bundle: e.attestSBOM, att: map[string]any{"predicate_type": "https://spdx.dev/Document/v2.2"}, status: sdk.StatusFail,
			reason: "expected https://spdx.dev/Document/v2.2, found https://spdx.dev/Document/v2.3"},
		{name: "SPDX is not CycloneDX", bundle: e.attestSBOM, att: map[string]any{"predicate_type": "cyclonedx"}, status: sdk.StatusFail,
			reason: "expected https://cyclonedx.org/bom, found https://spdx.dev/Document/v2.3"},
		{name: "provenance is not SPDX", bundle: e.attest, att: map[string]any{"predicate_type": "spdxjson"}, status: sdk.StatusFail,
			reason: "expected https://spdx.dev/Document, found " + btPred},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			attrs := map[string]any{"bundle": btWrite(t, filepath.Join(dir, "vmaf.bundle"), tt.bundle)}
			switch {
			case tt.digest != "":
				attrs["digest"] = tt.digest
			case tt.file != nil:
				attrs["path"] = btWrite(t, filepath.Join(dir, "vmaf"), tt.file)
			default:
				attrs["path"] = btWrite(t, filepath.Join(dir, "vmaf"), e.attFile)
			}
			if tt.att != nil {
				attrs["attestation"] = tt.att
			}
			req := &sdk.Request{Kind: "blob", Name: "vmaf", Attributes: btAttrs(t, attrs), Identities: []sdk.Identity{btIdentity}, Require: 1, TrustRoot: tr}
			res, err := New().Verify(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if tt.host {
				if res.Status != sdk.StatusPass || len(res.Evidence) != 1 {
					t.Fatalf("status %s with %d evidence (%s), want the bundle passed on for the host", res.Status, len(res.Evidence), res.Reason)
				}
				_, err := hostVerify(t, tr, res.Evidence[0])
				if err == nil || !strings.Contains(err.Error(), tt.reason) {
					t.Fatalf("host verification: %v, want an error containing %q", err, tt.reason)
				}
				return
			}
			if res.Status != tt.status {
				t.Fatalf("status %s (%s), want %s", res.Status, res.Reason, tt.status)
			}
			if tt.status != sdk.StatusPass {
				if !strings.Contains(res.Reason, tt.reason) || !strings.Contains(res.Reason, "vmaf.bundle") {
					t.Errorf("reason %q does not name the bundle and %q", res.Reason, tt.reason)
				}
				return
			}
			if len(res.Evidence) != 1 {
				t.Fatalf("%d evidence, want 1", len(res.Evidence))
			}
			ev := res.Evidence[0]
			if ev.SubjectDigest != attDigest {
				t.Errorf("evidence binds %v, want the file's %v", ev.SubjectDigest, attDigest)
			}
			claims, err := trust.PeekBundle(ev.Bundle)
			if err != nil || claims.Envelope == nil {
				t.Fatalf("evidence is not a DSSE bundle (%v)", err)
			}
			out, err := hostVerify(t, tr, ev)
			if err != nil {
				t.Fatalf("host verification: %v", err)
			}
			if out.PredicateType != tt.pred {
				t.Errorf("host found predicate type %q, want %q", out.PredicateType, tt.pred)
			}
		})
	}
}
