// Package trust is vmafx-trust's one Sigstore verification core. The host
// uses it to re-verify every piece of evidence a plugin returns; plugins may
// use it to pre-check evidence. It builds sigstore-go verifiers from a trust
// root and policies from identities, and explains failures.
package trust

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// Material is a loaded trust root: a Sigstore trusted root, public keys, or
// both.
type Material struct {
	Name string
	// TrustedRoot is nil for key-only material.
	TrustedRoot *root.TrustedRoot
	Keys        []PublicKey
	// tsas are TrustedRoot's timestamping authorities, each remembering
	// the TSA certificate chain it last validated (tsamemo.go), shared by
	// every verification against this material.
	tsas []root.TimestampingAuthority
}

// memoTSARoot is a trusted root whose TSAs are the material's memoizing
// ones.
type memoTSARoot struct {
	*root.TrustedRoot
	tsas []root.TimestampingAuthority
}

func (r memoTSARoot) TimestampingAuthorities() []root.TimestampingAuthority {
	return r.tsas
}

// PublicKey is a trusted signing key.
type PublicKey struct {
	ID  string // hex sha256 of the DER SubjectPublicKeyInfo
	Key crypto.PublicKey
	// digestVerifier checks message signatures, which sign a digest:
	// Ed25519 keys sign those as Ed25519ph (SHA-512 prehash), as Sigstore's
	// clients and Rekor do. envelopeVerifier checks DSSE signatures, which
	// sign the envelope's bytes: pure Ed25519. Other keys use one verifier
	// for both.
	digestVerifier, envelopeVerifier signature.Verifier
}

// MaxTrustedRootSize bounds a trusted_root.json read from anywhere.
const MaxTrustedRootSize = 8 << 20

// NewMaterial parses a trusted root (JSON, may be empty) and PEM public keys.
func NewMaterial(name string, trustedRootJSON []byte, publicKeysPEM [][]byte) (*Material, error) {
	m := &Material{Name: name}
	if len(trustedRootJSON) > MaxTrustedRootSize {
		return nil, fmt.Errorf("trust root %q: trusted root is %d bytes, more than the %d allowed", name, len(trustedRootJSON), MaxTrustedRootSize)
	}
	if len(trustedRootJSON) > 0 {
		tr, err := root.NewTrustedRootFromJSON(trustedRootJSON)
		if err != nil {
			return nil, fmt.Errorf("trust root %q: parsing trusted root: %w", name, err)
		}
		m.TrustedRoot = tr
		m.tsas = memoizeTSAs(tr.TimestampingAuthorities())
	}
	for i, p := range publicKeysPEM {
		k, err := ParsePublicKey(p)
		if err != nil {
			return nil, fmt.Errorf("trust root %q: public key %d: %w", name, i+1, err)
		}
		m.Keys = append(m.Keys, k)
	}
	if m.TrustedRoot == nil && len(m.Keys) == 0 {
		return nil, fmt.Errorf("trust root %q: neither a trusted root nor a public key", name)
	}
	return m, nil
}

// ParsePublicKey parses one PEM public key (ECDSA, Ed25519 or RSA).
func ParsePublicKey(pemBytes []byte) (PublicKey, error) {
	block, rest := pem.Decode(pemBytes)
	if block == nil {
		return PublicKey{}, errors.New("no PEM block found")
	}
	if next, _ := pem.Decode(rest); next != nil {
		return PublicKey{}, errors.New("more than one PEM block; give one key per file")
	}
	if block.Type != "PUBLIC KEY" {
		return PublicKey{}, fmt.Errorf("PEM block is %q, want \"PUBLIC KEY\"", block.Type)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return PublicKey{}, fmt.Errorf("parsing public key: %w", err)
	}
	dv, err := signature.LoadDefaultVerifier(key, options.WithED25519ph())
	if err != nil {
		return PublicKey{}, fmt.Errorf("unsupported public key: %w", err)
	}
	ev, err := signature.LoadDefaultVerifier(key)
	if err != nil {
		return PublicKey{}, fmt.Errorf("unsupported public key: %w", err)
	}
	sum := sha256.Sum256(block.Bytes)
	return PublicKey{ID: hex.EncodeToString(sum[:]), Key: key, digestVerifier: dv, envelopeVerifier: ev}, nil
}

// HasTransparencyLogs reports whether the root lists Rekor logs.
func (m *Material) HasTransparencyLogs() bool {
	return m.TrustedRoot != nil && len(m.TrustedRoot.RekorLogs()) > 0
}

// HasCTLogs reports whether the root lists certificate transparency logs: a
// certificate from it must then carry an SCT.
func (m *Material) HasCTLogs() bool {
	return m.TrustedRoot != nil && len(m.TrustedRoot.CTLogs()) > 0
}

// HasTimestampAuthorities reports whether the root lists RFC 3161 TSAs.
func (m *Material) HasTimestampAuthorities() bool {
	return m.TrustedRoot != nil && len(m.TrustedRoot.TimestampingAuthorities()) > 0
}

// trustedMaterial returns what sigstore-go verifies against: the trusted
// root (for its CAs, logs and TSAs) and, when key is set, that one key,
// whatever key hint a bundle carries (hints are attacker-controlled), as the
// verifier of a DSSE envelope or of a message digest.
func (m *Material) trustedMaterial(key *PublicKey, envelope bool) root.TrustedMaterial {
	var coll root.TrustedMaterialCollection
	switch {
	case m.TrustedRoot != nil && m.tsas != nil:
		coll = append(coll, memoTSARoot{TrustedRoot: m.TrustedRoot, tsas: m.tsas})
	case m.TrustedRoot != nil:
		// A Material built without NewMaterial: its root's own TSAs.
		coll = append(coll, m.TrustedRoot)
	}
	if key != nil {
		v := key.digestVerifier
		if envelope {
			v = key.envelopeVerifier
		}
		ek := root.NewExpiringKey(v, time.Time{}, time.Time{})
		coll = append(coll, root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
			return ek, nil
		}))
	}
	return coll
}
