package trustroot

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// minRSABits is the smallest RSA modulus accepted for a trusted key.
const minRSABits = 2048

// LoadPublicKeyFile reads (at most MaxPublicKeySize bytes) a PEM public key
// file and returns it as canonical PEM.
func LoadPublicKeyFile(path string) ([]byte, error) {
	data, err := sdk.ReadFile(path, MaxPublicKeySize)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", path, err)
	}
	out, err := ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", path, err)
	}
	return out, nil
}

// ParsePublicKeyPEM validates exactly one PEM "PUBLIC KEY" block (PKIX
// SubjectPublicKeyInfo: ECDSA P-256/P-384/P-521, Ed25519 or RSA of at least
// 2048 bits) and returns it re-encoded without headers or surrounding text.
func ParsePublicKeyPEM(data []byte) ([]byte, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New(`no PEM block found: want a "-----BEGIN PUBLIC KEY-----" block`)
	}
	if strings.Contains(block.Type, "PRIVATE KEY") {
		return nil, fmt.Errorf("is a private key (PEM %q): a trust root takes the public key only", block.Type)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		if next, _ := pem.Decode(rest); next != nil {
			return nil, fmt.Errorf("more than one PEM block (the second is %q): give one key per file", next.Type)
		}
		return nil, errors.New("unexpected data after the PEM block")
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("PEM block is %q, want \"PUBLIC KEY\" (PKIX SubjectPublicKeyInfo)", block.Type)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing public key: %w", err)
	}
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, fmt.Errorf("unsupported ECDSA curve %s", k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key of %d bits is too weak (at least %d)", k.N.BitLen(), minRSABits)
		}
	default:
		return nil, fmt.Errorf("unsupported public key type %T (want ECDSA, Ed25519 or RSA)", key)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: block.Bytes}), nil
}
