package blob

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
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
		Identities: []trust.Identity{trust.Identity(btIdentity)}, MaxSize: sdk.MaxMessageSize,
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

// TestMaxBundleSize: bundle files are bounded by 32 MiB, by 256 MiB when
// the block requires an attestation, or by max_bundle_size (1 byte to
// 1 GiB); evidence too large for one protocol message is "could not be
// checked".
func TestMaxBundleSize(t *testing.T) {
	e := blobEnv(t)
	tr := &sdk.TrustRoot{Name: "ts", TrustedRootJSON: e.rootJSON}
	pad := func(doc []byte, n int) []byte { return append(bytes.Repeat([]byte(" "), n-len(doc)), doc...) }
	overDefault := pad(e.attest, MaxBundleSize+1)
	overDefaultLegacy := pad(legacyAttestBlob(t, e.attest, nil), MaxBundleSize+1)
	tests := []struct {
		name   string
		bundle []byte
		attrs  map[string]any
		status sdk.Status
		reason string
	}{
		{name: "over 32 MiB, no attestation required", bundle: overDefault, status: sdk.StatusFail,
			reason: fmt.Sprintf("more than the %d allowed (max_bundle_size raises the limit)", MaxBundleSize)},
		{name: "over 32 MiB, attestation required", bundle: overDefault, attrs: map[string]any{"attestation": map[string]any{}}, status: sdk.StatusPass},
		{name: "over 32 MiB, provenance required", bundle: overDefault, attrs: map[string]any{"provenance": map[string]any{"builder_id": "https://example.com/nobody"}}, status: sdk.StatusFail,
			reason: "provenance not accepted"}, // read, and judged on its content
		{name: "over 32 MiB legacy attest-blob, attestation required", bundle: overDefaultLegacy, attrs: map[string]any{"attestation": map[string]any{}}, status: sdk.StatusPass},
		{name: "over 32 MiB, max_bundle_size raises it", bundle: overDefault, attrs: map[string]any{"max_bundle_size": MaxBundleSize + 1}, status: sdk.StatusPass},
		{name: "max_bundle_size lowers it", bundle: e.attest, attrs: map[string]any{"attestation": map[string]any{}, "max_bundle_size": 1024}, status: sdk.StatusFail,
			reason: "more than the 1024 allowed (max_bundle_size raises the limit)"},
		{name: "max_bundle_size 0", bundle: e.attest, attrs: map[string]any{"max_bundle_size": 0}, status: sdk.StatusFail, reason: "max_bundle_size = 0: want 1 to 1073741824 bytes"},
		{name: "max_bundle_size over 1 GiB", bundle: e.attest, attrs: map[string]any{"max_bundle_size": trust.MaxBundleSizeLimit + 1}, status: sdk.StatusFail, reason: "want 1 to 1073741824 bytes"},
		{name: "evidence over a protocol message", bundle: pad(e.attest, sdk.MaxMessageSize), attrs: map[string]any{"attestation": map[string]any{}}, status: sdk.StatusError,
			reason: "a plugin may return to the host in one protocol message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			attrs := map[string]any{"path": btWrite(t, filepath.Join(dir, "vmaf"), e.attFile), "bundle": btWrite(t, filepath.Join(dir, "vmaf.bundle"), tt.bundle)}
			for k, v := range tt.attrs {
				attrs[k] = v
			}
			req := &sdk.Request{Kind: "blob", Name: "vmaf", Attributes: btAttrs(t, attrs), Identities: []sdk.Identity{btIdentity}, Require: 1, TrustRoot: tr}
			res, err := New().Verify(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.status || !strings.Contains(res.Reason, tt.reason) {
				t.Fatalf("status %s (%s), want %s with %q", res.Status, res.Reason, tt.status, tt.reason)
			}
			if tt.status != sdk.StatusPass {
				if len(res.Evidence) != 0 {
					t.Errorf("a %s result carries evidence", res.Status)
				}
				return
			}
			if len(res.Evidence) != 1 {
				t.Fatalf("%d evidence", len(res.Evidence))
			}
			if _, err := hostVerify(t, tr, res.Evidence[0]); err != nil {
				t.Errorf("host verification: %v", err)
			}
		})
	}
}
