package trust_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/testsigstore"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

func pemOf(t *testing.T, typ string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkixPEM(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf(t, "PUBLIC KEY", der)
}

func TestNewMaterial(t *testing.T) {
	e := testEnv(t)
	ed, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(ec384)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		root     []byte
		keys     [][]byte
		wantErr  []string // nil: must load
		wantRoot bool
		wantKeys int
	}{
		{name: "trusted root only", root: e.rootJSON, wantRoot: true},
		{name: "key only", keys: [][]byte{e.keyPEM}, wantKeys: 1},
		{name: "root and keys", root: e.rootJSON, keys: [][]byte{e.keyPEM, e.otherPEM}, wantRoot: true, wantKeys: 2},
		{name: "ed25519 key", keys: [][]byte{pkixPEM(t, ed)}, wantKeys: 1},
		{name: "rsa key", keys: [][]byte{pkixPEM(t, &rk.PublicKey)}, wantKeys: 1},
		{name: "ecdsa p384 key", keys: [][]byte{pkixPEM(t, &ec384.PublicKey)}, wantKeys: 1},
		{name: "neither root nor key", wantErr: []string{`trust root "m"`, "neither a trusted root nor a public key"}},
		{name: "empty key list and empty root", root: []byte{}, keys: [][]byte{}, wantErr: []string{"neither"}},
		{name: "garbage root JSON", root: []byte("{not json"), wantErr: []string{"parsing trusted root"}},
		{name: "root JSON of the wrong shape", root: []byte(`{"mediaType":"application/vnd.example+json"}`), wantErr: []string{"parsing trusted root"}},
		{name: "oversize root", root: bytes.Repeat([]byte(" "), trust.MaxTrustedRootSize+1), wantErr: []string{"more than the"}},
		{name: "key not PEM", keys: [][]byte{[]byte("ssh-ed25519 AAAA")}, wantErr: []string{"public key 1", "no PEM block"}},
		{name: "second key bad", keys: [][]byte{e.keyPEM, []byte("junk")}, wantErr: []string{"public key 2", "no PEM block"}},
		{name: "two PEM blocks in one key", keys: [][]byte{append(append([]byte{}, e.keyPEM...), e.otherPEM...)}, wantErr: []string{"more than one PEM block"}},
		{name: "private key PEM", keys: [][]byte{pemOf(t, "EC PRIVATE KEY", ecDER)}, wantErr: []string{`"EC PRIVATE KEY"`, `want "PUBLIC KEY"`}},
		{name: "PUBLIC KEY block with bad DER", keys: [][]byte{pemOf(t, "PUBLIC KEY", []byte{0x30, 0x03, 0x01, 0x02, 0x03})}, wantErr: []string{"parsing public key"}},
		{name: "bad key next to a good root", root: e.rootJSON, keys: [][]byte{[]byte("junk")}, wantErr: []string{"public key 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := trust.NewMaterial("m", tt.root, tt.keys)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("loaded (%d keys, root %v), want error", len(m.Keys), m.TrustedRoot != nil)
				}
				wantErrContains(t, err, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("NewMaterial: %v", err)
			}
			if m.Name != "m" {
				t.Errorf("Name = %q", m.Name)
			}
			if (m.TrustedRoot != nil) != tt.wantRoot {
				t.Errorf("TrustedRoot set = %v, want %v", m.TrustedRoot != nil, tt.wantRoot)
			}
			if len(m.Keys) != tt.wantKeys {
				t.Fatalf("%d keys, want %d", len(m.Keys), tt.wantKeys)
			}
			for i, k := range m.Keys {
				block, _ := pem.Decode(tt.keys[i])
				sum := sha256.Sum256(block.Bytes)
				if k.ID != hex.EncodeToString(sum[:]) {
					t.Errorf("key %d ID = %s, want sha256 of the DER", i, k.ID)
				}
				if k.Key == nil {
					t.Errorf("key %d has no parsed key", i)
				}
			}
		})
	}
}

// The key ID is the same hint testsigstore (and cosign) put into bundles.
func TestPublicKeyIDIsKeyHint(t *testing.T) {
	e := testEnv(t)
	k, err := trust.ParsePublicKey(e.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	hint, err := testsigstore.KeyHint(e.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != hint {
		t.Errorf("ID %s, hint %s", k.ID, hint)
	}
}

func TestMaterialFeatures(t *testing.T) {
	e := testEnv(t)
	tests := []struct {
		name          string
		root          []byte
		keys          [][]byte
		tlog, ct, tsa bool
	}{
		// testsigstore's root has a Rekor log and a TSA, no CT log.
		{name: "testsigstore root", root: e.rootJSON, tlog: true, ct: false, tsa: true},
		{name: "key only", keys: [][]byte{e.keyPEM}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustMaterial(t, "m", tt.root, tt.keys...)
			if m.HasTransparencyLogs() != tt.tlog || m.HasCTLogs() != tt.ct || m.HasTimestampAuthorities() != tt.tsa {
				t.Errorf("tlog/ct/tsa = %v/%v/%v, want %v/%v/%v",
					m.HasTransparencyLogs(), m.HasCTLogs(), m.HasTimestampAuthorities(), tt.tlog, tt.ct, tt.tsa)
			}
		})
	}
	// And a nil trusted root answers false instead of panicking.
	var zero trust.Material
	if zero.HasTransparencyLogs() || zero.HasCTLogs() || zero.HasTimestampAuthorities() {
		t.Error("zero Material reports features")
	}
}
