package e2e

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
)

// TestKeySignedBlobs: `verify-blob --key` on bundles signed with each key
// type (the plugin computes the digest the bundle's algorithm names:
// SHA-384 for P-384, SHA-512 for Ed25519ph), with the transparency log
// checked against a trusted root and with it ignored; a file changed by one
// byte, or another key, fails.
func TestKeySignedBlobs(t *testing.T) {
	r := newRelease(t)
	root := filepath.Join(r.dir, "trusted_root.json")
	content := "vmaf release bytes, key-signed\n"
	for _, alg := range []protocommon.PublicKeyDetails{
		protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256,
		protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384,
		protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256,
		protocommon.PublicKeyDetails_PKIX_ED25519_PH,
	} {
		t.Run(alg.String(), func(t *testing.T) {
			dir := t.TempDir()
			bundle, pub, err := r.ss.SignBlobWithKey([]byte(content), alg)
			if err != nil {
				t.Fatal(err)
			}
			_, otherPub, err := r.ss.SignBlobWithKey([]byte(content), alg)
			if err != nil {
				t.Fatal(err)
			}
			file := writeFile(t, dir, "vmaf", content)
			flipped := writeFile(t, dir, "vmaf-flipped", content[:len(content)-2]+"X\n")
			b := writeFile(t, dir, "vmaf.sigstore.json", string(bundle))
			key := writeFile(t, dir, "release.pub", string(pub))
			other := writeFile(t, dir, "other.pub", string(otherPub))

			wantExit(t, runCLI(t, nil, "verify-blob", file, "--bundle", b, "--key", key, "--trusted-root", root, "--offline"), 0, "with the log")
			wantExit(t, runCLI(t, nil, "verify-blob", file, "--bundle", b, "--key", key, "--insecure-ignore-tlog", "--offline"), 0, "log ignored")
			wantExit(t, runCLI(t, nil, "verify-blob", flipped, "--bundle", b, "--key", key, "--trusted-root", root, "--offline"), 1, "changed file")
			wantExit(t, runCLI(t, nil, "verify-blob", file, "--bundle", b, "--key", other, "--trusted-root", root, "--offline"), 1, "another key")
		})
	}
}

// TestVerbsStartNoCustomPlugins: a cosign-compatible verb runs its built-in
// only: a plugin on the plugin path is not started (it is for `check`).
func TestVerbsStartNoCustomPlugins(t *testing.T) {
	r := newRelease(t)
	dir := t.TempDir()
	content := "vmaf release bytes, key-signed\n"
	bundle, pub, err := r.ss.SignBlobWithKey([]byte(content), protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256)
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, dir, "vmaf", content)
	b := writeFile(t, dir, "vmaf.sigstore.json", string(bundle))
	key := writeFile(t, dir, "release.pub", string(pub))
	plugins := pluginDir(t, "opaque")
	mark := filepath.Join(dir, "started")
	env := []string{"VMAFX_TRUST_PLUGIN_PATH=" + plugins, "VMAFX_TRUST_STUB_MARK=" + mark}

	wantExit(t, runCLI(t, env, "verify-blob", file, "--bundle", b, "--key", key, "--insecure-ignore-tlog", "--offline"), 0, "verify-blob")
	if _, err := os.Stat(mark); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("verify-blob started the plugin from the plugin path (%v)", err)
	}
	// The same plugin directory, for a policy: the plugin starts.
	policy := stubPolicy(t, "opaquestub \"x\" {\n}\n")
	runCLI(t, env, "check", policy, "--offline")
	if _, err := os.Stat(mark); err != nil {
		t.Fatalf("check did not start the plugin from the plugin path: %v", err)
	}
}
