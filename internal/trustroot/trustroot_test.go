package trustroot

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/realfixtures"
)

// fixturesDir is the real fixtures' trusted-roots folder, read in place.
func fixturesDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(realfixtures.Dir(t), "trusted-roots")
}

func fixture(t *testing.T, name string) (string, []byte) {
	t.Helper()
	p := filepath.Join(fixturesDir(t), name)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, data
}

// noNetwork is a transport that fails the test on any request.
type noNetwork struct{ t *testing.T }

func (n noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	n.t.Errorf("unexpected network request: %s %s", r.Method, r.URL)
	return nil, errors.New("network forbidden in this test")
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func TestLoadTrustedRootFiles(t *testing.T) {
	for _, name := range []string{"sigstore-public-good.json", "github.json", "sigstore-staging.json", "github-2026-07.json"} {
		t.Run(name, func(t *testing.T) {
			p, want := fixture(t, name)
			// Offline with a network-refusing transport: a file needs no network.
			got, err := Load(context.Background(), Spec{Name: "file", TrustedRoot: p},
				Options{Offline: true, CacheDir: t.TempDir(), Transport: noNetwork{t}})
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "file" || !bytes.Equal(got.TrustedRootJSON, want) || len(got.PublicKeysPEM) != 0 {
				t.Fatalf("Load = name %q, %d bytes, %d keys; want the file's %d bytes", got.Name, len(got.TrustedRootJSON), len(got.PublicKeysPEM), len(want))
			}
		})
	}
}

func TestLoadTrustedRootFileErrors(t *testing.T) {
	dir := t.TempDir()
	const media = `"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"`
	big := bytes.Repeat([]byte(" "), MaxTrustedRootSize+1)
	cases := []struct {
		name string
		path string
		want []string
	}{
		{"malformed JSON", writeFile(t, dir, "bad.json", []byte(`{"mediaType": `)), []string{"not a valid Sigstore trusted root"}},
		{"not JSON at all", writeFile(t, dir, "text.json", []byte("hello")), []string{"not a valid Sigstore trusted root"}},
		{"wrong media type", writeFile(t, dir, "media.json", []byte(`{"mediaType": "application/json"}`)), []string{"unsupported TrustedRoot media type"}},
		{"trusts nothing", writeFile(t, dir, "empty.json", []byte("{"+media+"}")), []string{"could verify nothing"}},
		{"oversize", writeFile(t, dir, "big.json", big), []string{"more than the 8388608 allowed"}},
		{"missing", filepath.Join(dir, "missing.json"), []string{"no such file"}},
		{"directory", dir, []string{"is a directory"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(context.Background(), Spec{Name: "airgap", TrustedRoot: c.path}, Options{Transport: noNetwork{t}, CacheDir: t.TempDir()})
			wantErr(t, err, append([]string{`trust root "airgap"`, c.path}, c.want...)...)
		})
	}
}

// key material generated per test run.
func pemPublic(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestLoadPublicKeys(t *testing.T) {
	dir := t.TempDir()
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := []struct {
		name string
		pub  crypto.PublicKey
		wrap func([]byte) []byte
	}{
		{"ecdsa-p256", p256.Public(), nil},
		{"ecdsa-p384", p384.Public(), nil},
		{"ecdsa-p521", p521.Public(), nil},
		{"ed25519", edPub, nil},
		{"rsa-2048", rsa2048.Public(), nil},
		// cosign.pub files sometimes carry a comment before the block
		{"leading-text", p256.Public(), func(b []byte) []byte { return append([]byte("release key\n"), b...) }},
	}
	var paths []string
	for _, g := range good {
		data := pemPublic(t, g.pub)
		if g.wrap != nil {
			data = g.wrap(data)
		}
		paths = append(paths, writeFile(t, dir, g.name+".pub", data))
	}
	got, err := Load(context.Background(), Spec{Name: "release-key", PublicKeys: paths},
		Options{Offline: true, CacheDir: t.TempDir(), Transport: noNetwork{t}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.TrustedRootJSON) != 0 {
		t.Errorf("key-only spec returned a trusted root (%d bytes)", len(got.TrustedRootJSON))
	}
	if len(got.PublicKeysPEM) != len(good) {
		t.Fatalf("got %d keys, want %d", len(got.PublicKeysPEM), len(good))
	}
	for i, g := range good {
		block, rest := pem.Decode(got.PublicKeysPEM[i])
		if block == nil || block.Type != "PUBLIC KEY" || len(bytes.TrimSpace(rest)) != 0 {
			t.Fatalf("%s: returned PEM is not one clean PUBLIC KEY block: %q", g.name, got.PublicKeysPEM[i])
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		if !k.(interface{ Equal(crypto.PublicKey) bool }).Equal(g.pub) {
			t.Errorf("%s: returned key differs from the generated one", g.name)
		}
	}
}

func TestLoadPublicKeyErrors(t *testing.T) {
	dir := t.TempDir()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalECPrivateKey(ec)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(ec)
	pub := pemPublic(t, ec.Public())
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"garbage", []byte("not a key at all"), "no PEM block found"},
		{"empty", nil, "no PEM block found"},
		{"ec private key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}), "is a private key"},
		{"pkcs8 private key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), "is a private key"},
		{"two blocks", append(append([]byte{}, pub...), pemPublic(t, ec.Public())...), "more than one PEM block"},
		{"public then private", append(append([]byte{}, pub...), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})...), "more than one PEM block"},
		{"trailing junk", append(append([]byte{}, pub...), "junk"...), "unexpected data after the PEM block"},
		{"certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}), `want "PUBLIC KEY"`},
		{"bad DER", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}), "parsing public key"},
		{"rsa 1024", pemPublic(t, weak.Public()), "too weak"},
		{"ecdsa p224", pemPublic(t, p224.Public()), "unsupported ECDSA curve"},
		{"oversize", append(bytes.Repeat([]byte("#"), MaxPublicKeySize), pub...), "more than the 65536 allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, dir, strings.ReplaceAll(c.name, " ", "-")+".pem", c.data)
			_, err := Load(context.Background(), Spec{Name: "release-key", PublicKeys: []string{p}}, Options{Transport: noNetwork{t}, CacheDir: t.TempDir()})
			wantErr(t, err, `trust root "release-key"`, p, c.want)
		})
	}
	t.Run("missing", func(t *testing.T) {
		p := filepath.Join(dir, "nope.pub")
		_, err := Load(context.Background(), Spec{Name: "release-key", PublicKeys: []string{p}}, Options{Transport: noNetwork{t}})
		wantErr(t, err, `trust root "release-key"`, p, "no such file")
	})
}

func TestLoadTrustedRootAndKeys(t *testing.T) {
	p, want := fixture(t, "sigstore-public-good.json")
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	k := writeFile(t, t.TempDir(), "k.pub", pemPublic(t, edPub))
	got, err := Load(context.Background(), Spec{Name: "both", TrustedRoot: p, PublicKeys: []string{k}},
		Options{Transport: noNetwork{t}, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.TrustedRootJSON, want) || len(got.PublicKeysPEM) != 1 {
		t.Fatalf("got %d trusted-root bytes and %d keys", len(got.TrustedRootJSON), len(got.PublicKeysPEM))
	}
}

func TestSpecValidation(t *testing.T) {
	cases := []struct {
		name string
		spec Spec
		want string
	}{
		{"file and mirror", Spec{Name: "x", TrustedRoot: "/a.json", TUFMirror: "https://tuf.example", TUFRoot: "/r.json"}, "not both"},
		{"mirror without root", Spec{Name: "x", TUFMirror: "https://tuf.example"}, "needs tuf_root"},
		{"root without mirror", Spec{Name: "x", TUFRoot: "/r.json"}, "needs tuf_mirror"},
		{"empty key path", Spec{Name: "x", PublicKeys: []string{" "}}, "empty path"},
		{"plain http to a remote host", Spec{Name: "x", TUFMirror: "http://tuf.example", TUFRoot: "/r.json"}, "only allowed for loopback"},
		{"ftp", Spec{Name: "x", TUFMirror: "ftp://tuf.example", TUFRoot: "/r.json"}, "unsupported scheme"},
		{"credentials", Spec{Name: "x", TUFMirror: "https://u:p@tuf.example", TUFRoot: "/r.json"}, "no credentials"},
		{"no host", Spec{Name: "x", TUFMirror: "https:///path", TUFRoot: "/r.json"}, "with a host"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(context.Background(), c.spec, Options{Transport: noNetwork{t}, CacheDir: t.TempDir()})
			wantErr(t, err, `trust root "x"`, c.want)
		})
	}
	t.Run("fetch offline", func(t *testing.T) {
		_, err := Fetch(context.Background(), "", "", Options{Offline: true, Transport: noNetwork{t}, CacheDir: t.TempDir()})
		wantErr(t, err, `trust root "public-good"`, "needs the network")
	})
	t.Run("fetch mirror without root", func(t *testing.T) {
		_, err := Fetch(context.Background(), "https://tuf.example", "", Options{Transport: noNetwork{t}, CacheDir: t.TempDir()})
		wantErr(t, err, "needs tuf_root")
	})
	t.Run("missing tuf root file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "root.json")
		_, err := Load(context.Background(), Spec{Name: "x", TUFMirror: "https://tuf.example", TUFRoot: p}, Options{Transport: noNetwork{t}, CacheDir: t.TempDir()})
		wantErr(t, err, `trust root "x"`, p, "no such file")
	})
}

func TestUsesTUF(t *testing.T) {
	cases := []struct {
		spec Spec
		want bool
	}{
		{Spec{}, true},
		{Spec{PublicKeys: []string{"k"}}, false},
		{Spec{TrustedRoot: "f"}, false},
		{Spec{TrustedRoot: "f", PublicKeys: []string{"k"}}, false},
		{Spec{TUFMirror: "https://m", TUFRoot: "r"}, true},
		{Spec{TUFMirror: "https://m", TUFRoot: "r", PublicKeys: []string{"k"}}, true},
	}
	for _, c := range cases {
		if got := c.spec.UsesTUF(); got != c.want {
			t.Errorf("%+v.UsesTUF() = %v, want %v", c.spec, got, c.want)
		}
	}
}

func TestDefaultCacheDir(t *testing.T) {
	d := t.TempDir()
	t.Setenv(CacheDirEnv, d)
	got, err := DefaultCacheDir()
	if err != nil || got != d {
		t.Fatalf("with $%s: DefaultCacheDir() = %q, %v; want %q", CacheDirEnv, got, err, d)
	}
	t.Setenv(CacheDirEnv, "")
	t.Setenv("XDG_CACHE_HOME", "/xdg-cache")
	t.Setenv("HOME", "/home/someone")
	got, err = DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	base, _ := os.UserCacheDir()
	if want := filepath.Join(base, "vmafx-trust", "tuf"); got != want {
		t.Fatalf("DefaultCacheDir() = %q, want %q", got, want)
	}
}

func TestDescribe(t *testing.T) {
	_, pg := fixture(t, "sigstore-public-good.json")
	_, gh := fixture(t, "github.json")
	cases := []struct {
		name string
		data []byte
		want []string
		not  []string
	}{
		{"public-good", pg, []string{
			"Fulcio certificate authorities: 2",
			"https://fulcio.sigstore.dev",
			"O=sigstore.dev, CN=sigstore",
			"Rekor transparency logs: ",
			"https://rekor.sigstore.dev",
			"wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=",
			"https://log2025-1.rekor.sigstore.dev",
			"PKIX_ED25519",
			"Certificate transparency logs: ",
			"https://ctfe.sigstore.dev/2022",
			"Timestamp authorities: ",
			"https://timestamp.sigstore.dev",
			"[ended]", "[active]",
		}, nil},
		{"github", gh, []string{
			"fulcio.githubapp.com",
			"O=GitHub, Inc., CN=Internal Services Root",
			"Rekor transparency logs: 0",
			"Certificate transparency logs: 0",
			"timestamp.githubapp.com",
		}, []string{"sigstore.dev"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text, err := Describe(c.data)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("description lacks %q:\n%s", w, text)
				}
			}
			for _, n := range c.not {
				if strings.Contains(text, n) {
					t.Errorf("description mentions %q:\n%s", n, text)
				}
			}
		})
	}
	for _, bad := range [][]byte{nil, []byte("{"), []byte(`{"mediaType": "x"}`)} {
		if _, err := Describe(bad); err == nil {
			t.Errorf("Describe(%q) succeeded", bad)
		}
	}
}
