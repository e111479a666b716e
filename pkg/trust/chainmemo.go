package trust

import (
	"crypto/x509"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// Sigstore's certificate rules validate the leaf's path to a Fulcio root
// once per verified timestamp (the log's integrated time and each RFC 3161
// timestamp): with both, the same chain's signatures are checked twice,
// about a tenth of a bundle's verification. Signatures do not depend on the
// time; only the validity periods do. withLeafChainMemo gives one
// verification a view of the trust root in which each Fulcio CA remembers
// the chains it built for the bundle's leaf and, asked again at another
// time, returns them without re-checking signatures when the CA and every
// certificate of every chain are valid at that time too. Anything else —
// another certificate, a time outside a validity period, a first failure —
// goes through sigstore-go's full path validation.

// memoTrustedMaterial overrides the Fulcio CAs of a trusted material.
type memoTrustedMaterial struct {
	root.TrustedMaterial
	cas []root.CertificateAuthority
}

func (m *memoTrustedMaterial) FulcioCertificateAuthorities() []root.CertificateAuthority {
	return m.cas
}

// withLeafChainMemo wraps tm for the verification of one bundle whose
// verification material carries intermediates (possibly none). It must
// not be shared between verifications.
func withLeafChainMemo(tm root.TrustedMaterial, intermediates []*x509.Certificate) root.TrustedMaterial {
	inner := tm.FulcioCertificateAuthorities()
	cas := make([]root.CertificateAuthority, 0, len(inner))
	for _, ca := range inner {
		fca, ok := ca.(*root.FulcioCertificateAuthority)
		if !ok {
			cas = append(cas, ca)
			continue
		}
		if len(intermediates) > 0 {
			// What sigstore-go does for a *FulcioCertificateAuthority, which
			// it no longer sees: the bundle's intermediates join the CA's.
			// (sigstore-go v1.3.0 hands out bundle intermediates only when a
			// bundle is opened with WithAllowCertificateChain, which this
			// package does not do; the merge keeps the wrapper right if that
			// changes.)
			merged := *fca
			merged.Intermediates = append(append([]*x509.Certificate{}, fca.Intermediates...), intermediates...)
			fca = &merged
		}
		cas = append(cas, &leafChainMemo{ca: fca})
	}
	return &memoTrustedMaterial{TrustedMaterial: tm, cas: cas}
}

// leafChainMemo is one Fulcio CA remembering the chains of the last leaf
// it validated.
type leafChainMemo struct {
	ca     *root.FulcioCertificateAuthority
	leaf   *x509.Certificate
	chains [][]*x509.Certificate
}

func (c *leafChainMemo) Verify(cert *x509.Certificate, at time.Time) ([][]*x509.Certificate, error) {
	if c.leaf != nil && cert.Equal(c.leaf) && c.validAt(at) {
		return c.chains, nil
	}
	chains, err := c.ca.Verify(cert, at)
	if err != nil {
		return nil, err
	}
	c.leaf, c.chains = cert, chains
	return chains, nil
}

// validAt reports whether the CA's validity window and every certificate
// of every remembered chain admit t, as x509 path validation with t as the
// current time would require.
func (c *leafChainMemo) validAt(t time.Time) bool {
	if !c.ca.ValidityPeriodStart.IsZero() && t.Before(c.ca.ValidityPeriodStart) {
		return false
	}
	if !c.ca.ValidityPeriodEnd.IsZero() && t.After(c.ca.ValidityPeriodEnd) {
		return false
	}
	return chainsValidAt(c.chains, t)
}
