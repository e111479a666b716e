package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
)

// cosignBinary finds the real cosign CLI (v2.6.5, installed by .ci/run with
// go install): $COSIGN, then PATH. In CI its absence is a failure.
func cosignBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("COSIGN"); p != "" {
		return p
	}
	if p, err := exec.LookPath("cosign"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("cosign not found ($COSIGN or PATH); .ci/run installs github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5")
	}
	t.Skip("cosign not installed: go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5 and set COSIGN")
	return ""
}

func runCosign(t *testing.T, cosign, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(cosign, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=", "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// flipFileByte flips one bit in the middle of a file.
func flipFileByte(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// flipBase64 flips one bit of the bytes a base64 string encodes.
func flipBase64(t *testing.T, s string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("not base64: %v", err)
	}
	raw[len(raw)/2] ^= 0x01
	return base64.StdEncoding.EncodeToString(raw)
}

// editJSON rewrites the string at path (keys) in a JSON file.
func editJSON(t *testing.T, p string, edit func(string) string, keys ...string) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(mustRead(t, p)), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc
	for _, k := range keys[:len(keys)-1] {
		m = m[k].(map[string]any)
	}
	last := keys[len(keys)-1]
	m[last] = edit(m[last].(string))
	out, _ := json.Marshal(doc)
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCosignInterop: material made by the real cosign CLI verifies, and one
// flipped byte in the file or the signature makes it fail.
func TestCosignInterop(t *testing.T) {
	cosign := cosignBinary(t)
	type tamper func(t *testing.T, dir string)
	tests := []struct {
		name   string
		sign   []string // cosign sign-blob arguments after the key
		verify []string // vmafx-trust flags naming the signature material
		sig    tamper   // flips a signature byte
	}{
		{
			name:   "old-format key bundle",
			sign:   []string{"--bundle", "art.bundle"},
			verify: []string{"--bundle", "art.bundle"},
			sig: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, "art.bundle"), func(s string) string { return flipBase64(t, s) }, "base64Signature")
			},
		},
		{
			name:   "new-format key bundle",
			sign:   []string{"--new-bundle-format", "--bundle", "art.sigstore.json"},
			verify: []string{"--bundle", "art.sigstore.json"},
			sig: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, "art.sigstore.json"), func(s string) string { return flipBase64(t, s) }, "messageSignature", "signature")
			},
		},
		{
			name:   "detached signature",
			sign:   []string{"--output-signature", "art.sig"},
			verify: []string{"--signature", "art.sig"},
			sig: func(t *testing.T, dir string) {
				p := filepath.Join(dir, "art.sig")
				if err := os.WriteFile(p, []byte(flipBase64(t, mustRead(t, p))), 0o644); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, tt := range tests {
		for _, variant := range []string{"intact", "file flipped", "signature flipped"} {
			t.Run(tt.name+"/"+variant, func(t *testing.T) {
				dir := t.TempDir()
				runCosign(t, cosign, dir, "generate-key-pair")
				writeFile(t, dir, "art.bin", strings.Repeat("vmafx release artifact\n", 100))
				args := append([]string{"sign-blob", "--key", "cosign.key", "--tlog-upload=false", "--yes"}, tt.sign...)
				runCosign(t, cosign, dir, append(args, "art.bin")...)
				want := 0
				switch variant {
				case "file flipped":
					flipFileByte(t, filepath.Join(dir, "art.bin"))
					want = 1
				case "signature flipped":
					tt.sig(t, dir)
					want = 1
				}
				vargs := append([]string{"verify-blob", filepath.Join(dir, "art.bin"), "--key", filepath.Join(dir, "cosign.pub"), "--insecure-ignore-tlog", "--offline"}, absAll(dir, tt.verify)...)
				res := runCLI(t, nil, vargs...)
				if res.code != want {
					t.Fatalf("exit %d, want %d\n%s\n%s", res.code, want, res.stdout, res.stderr)
				}
				if want == 0 && !strings.Contains(res.stdout, "INSECURE") && !strings.Contains(res.stderr, "INSECURE") {
					t.Errorf("no loud warning for --insecure-ignore-tlog:\n%s", res.stdout)
				}
				// Without --insecure-ignore-tlog the key's log entry must be
				// checked against public-good's Rekor keys; offline with an
				// empty TUF cache that cannot be done: never a pass.
				if want == 0 {
					strict := runCLI(t, nil, append([]string{"verify-blob", filepath.Join(dir, "art.bin"), "--key", filepath.Join(dir, "cosign.pub"), "--offline"}, absAll(dir, tt.verify)...)...)
					if strict.code != 3 || !strings.Contains(strict.stdout, "trusted-root fetch") {
						t.Errorf("without --insecure-ignore-tlog, offline, empty cache: exit %d, want 3 naming trusted-root fetch\n%s", strict.code, strict.stdout)
					}
					// With the public-good root given but no log entry in
					// the bundle: nothing proves when the key signed.
					noLog := runCLI(t, nil, append([]string{"verify-blob", filepath.Join(dir, "art.bin"), "--key", filepath.Join(dir, "cosign.pub"), "--offline", "--trusted-root", publicGoodRoot(t)}, absAll(dir, tt.verify)...)...)
					if noLog.code != 1 {
						t.Errorf("without --insecure-ignore-tlog against public-good: exit %d, want 1\n%s", noLog.code, noLog.stdout)
					}
				}
			})
		}
	}
}

// publicGoodRoot is the public-good trusted root from the shared fixtures.
func publicGoodRoot(t *testing.T) string {
	t.Helper()
	return filepath.Join(realfixtures.Dir(t), "trusted-roots", "sigstore-public-good.json")
}

func absAll(dir string, flags []string) []string {
	out := append([]string(nil), flags...)
	for i := 1; i < len(out); i += 2 {
		out[i] = filepath.Join(dir, out[i])
	}
	return out
}

// TestDSSEAttestationInterop: an in-toto attestation signed through
// sigstore-go's test CA verifies with verify-blob-attestation and through
// check; a flipped file byte or payload byte fails.
func TestDSSEAttestationInterop(t *testing.T) {
	for _, variant := range []string{"intact", "file flipped", "payload flipped", "wrong predicate"} {
		t.Run(variant, func(t *testing.T) {
			r := newRelease(t)
			p := writeFile(t, r.dir, "dist/app.tar.gz", "release bytes")
			sum := sha256Hex(t, p)
			stmt := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.tar.gz","digest":{"sha256":"` + sum + `"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://actions.github.io/buildtypes/workflow/v1"}}}`
			b, err := r.ss.Attest(releaseSAN, githubIssuer, []byte(stmt))
			if err != nil {
				t.Fatal(err)
			}
			bundle := writeFile(t, r.dir, "dist/app.tar.gz.intoto.sigstore.json", string(b))
			want, predicate := 0, "slsaprovenance1"
			switch variant {
			case "file flipped":
				flipFileByte(t, p)
				want = 1
			case "payload flipped":
				editJSON(t, bundle, func(s string) string { return flipBase64(t, s) }, "dsseEnvelope", "payload")
				want = 1
			case "wrong predicate":
				predicate, want = "spdxjson", 1
			}
			res := runCLI(t, nil, "verify-blob-attestation", p, "--bundle", bundle, "--type", predicate,
				"--certificate-identity", releaseSAN, "--certificate-oidc-issuer", githubIssuer,
				"--trusted-root", filepath.Join(r.dir, "trusted_root.json"), "--offline")
			if res.code != want {
				t.Fatalf("exit %d, want %d\n%s\n%s", res.code, want, res.stdout, res.stderr)
			}
			if variant == "wrong predicate" && !strings.Contains(res.stdout, "predicate type: expected https://spdx.dev/Document, found https://slsa.dev/provenance/v1") {
				t.Errorf("reason does not show expected vs found predicate type:\n%s", res.stdout)
			}
		})
	}
}
