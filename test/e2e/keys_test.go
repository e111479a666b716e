package e2e

import (
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
