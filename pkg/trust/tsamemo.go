package trust

import (
	"bytes"
	"crypto/x509"
	"sync"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
	"github.com/sigstore/sigstore-go/pkg/root"
	tsaverification "github.com/sigstore/timestamp-authority/v2/pkg/verification"
)

// A release signs every file at about the same time, so every bundle's RFC
// 3161 timestamp comes from the same TSA certificate, and sigstore-go
// validates that certificate's path to the TSA root once per bundle: two of
// the nine signature checks of a keyless bundle, repeated identically for
// each file of a run. tsaChainMemo lets one TSA of a loaded trust root,
// shared by every verification that uses it, remember the signing
// certificate it last validated and the chains it validated it through.
//
// A timestamp is accepted without re-checking those chains only when all of
// the following hold; anything else goes through sigstore-go's full
// verification, whose result (and error) is what the caller gets:
//   - timestamp-authority's verification passes with the remembered
//     certificate as the only root and as the required signer: the token
//     parses, its hash algorithm is allowed, it is signed by exactly that
//     certificate, which is a timestamping end-entity certificate valid at
//     the token's time, and it covers the signature;
//   - every certificate of every remembered chain, and the TSA's validity
//     window in the trusted root, admit the token's time.
//
// Chain signatures, name and length constraints and EKU nesting do not
// depend on the time, so these are exactly the cases in which the full path
// validation would also succeed. (One difference remains, in the safe
// direction: certificates a token carries join the full path's search for
// chains, and enough of them can exhaust crypto/x509's budget of signature
// checks before it finds the trusted chain; the memo does not search.) Only chains built from the trusted root's
// own intermediates are remembered (never certificates a token carried,
// which the next token may not carry), and only when each of them satisfies
// timestamp-authority's rule that intermediates allow timestamping.
type tsaChainMemo struct {
	tsa *root.SigstoreTimestampingAuthority

	mu     sync.Mutex
	leaf   *x509.Certificate
	chains [][]*x509.Certificate
}

// memoizeTSAs wraps each Sigstore TSA of tsas that pins its signing
// certificate in a tsaChainMemo; other TSAs are kept as they are. Only a
// pinned certificate makes the memo's check and the full one ask for the
// same signer: without one, the full verification needs a token to carry
// its signer (which the CMS signature does not cover), and a memo that
// supplied the remembered one would accept a token stripped of it.
func memoizeTSAs(tsas []root.TimestampingAuthority) []root.TimestampingAuthority {
	out := make([]root.TimestampingAuthority, len(tsas))
	for i, t := range tsas {
		if s, ok := t.(*root.SigstoreTimestampingAuthority); ok && s.Root != nil && s.Leaf != nil {
			out[i] = &tsaChainMemo{tsa: s}
			continue
		}
		out[i] = t
	}
	return out
}

// Verify implements root.TimestampingAuthority.
func (m *tsaChainMemo) Verify(signedTimestamp, signatureBytes []byte) (*root.Timestamp, error) {
	if leaf, chains := m.remembered(); leaf != nil {
		ts, err := tsaverification.VerifyTimestampResponse(signedTimestamp, bytes.NewReader(signatureBytes), tsaverification.VerifyOpts{
			Roots:          []*x509.Certificate{leaf},
			TSACertificate: leaf,
		})
		if err == nil && m.inWindow(ts.Time) && chainsValidAt(chains, ts.Time) {
			return &root.Timestamp{Time: ts.Time, URI: m.tsa.URI}, nil
		}
	}
	res, err := m.tsa.Verify(signedTimestamp, signatureBytes)
	if err != nil {
		return nil, err
	}
	m.learn(signedTimestamp, res.Time)
	return res, nil
}

func (m *tsaChainMemo) remembered() (*x509.Certificate, [][]*x509.Certificate) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leaf, m.chains
}

// learn remembers the signer of a timestamp the full verification accepted
// at time at, with its chains through the trusted root's certificates.
func (m *tsaChainMemo) learn(signedTimestamp []byte, at time.Time) {
	ts, err := timestamp.ParseResponse(signedTimestamp)
	if err != nil {
		return
	}
	p7, err := pkcs7.Parse(ts.RawToken)
	if err != nil {
		return
	}
	if len(p7.Certificates) == 0 && m.tsa.Leaf != nil {
		// A token may leave its signer out when the trusted root names
		// it, as timestamp-authority's verification allows.
		p7.Certificates = []*x509.Certificate{m.tsa.Leaf}
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return
	}
	roots := x509.NewCertPool()
	roots.AddCert(m.tsa.Root)
	intermediates := x509.NewCertPool()
	for _, c := range m.tsa.Intermediates {
		if c != nil {
			intermediates.AddCert(c)
		}
	}
	chains, err := signer.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
		CurrentTime:   at,
	})
	if err != nil || len(chains) == 0 {
		return
	}
	for _, chain := range chains {
		// Between the signer and the root; a signer that is itself the
		// root has a chain of one.
		for i := 1; i < len(chain)-1; i++ {
			if !allowsTimestamping(chain[i]) {
				return
			}
		}
	}
	m.mu.Lock()
	m.leaf, m.chains = signer, chains
	m.mu.Unlock()
}

// allowsTimestamping is timestamp-authority's rule for intermediates: no
// extended key usage at all, or one that includes timestamping or any.
func allowsTimestamping(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageTimeStamping || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

// inWindow reports whether the trusted root's validity window for this TSA
// admits t, as sigstore-go checks after verifying a timestamp.
func (m *tsaChainMemo) inWindow(t time.Time) bool {
	if !m.tsa.ValidityPeriodStart.IsZero() && t.Before(m.tsa.ValidityPeriodStart) {
		return false
	}
	return m.tsa.ValidityPeriodEnd.IsZero() || !t.After(m.tsa.ValidityPeriodEnd)
}

// chainsValidAt reports whether chains is not empty and every certificate
// of every chain is valid at t, as x509 path validation at t requires.
func chainsValidAt(chains [][]*x509.Certificate, t time.Time) bool {
	if len(chains) == 0 {
		return false
	}
	for _, chain := range chains {
		for _, c := range chain {
			if t.Before(c.NotBefore) || t.After(c.NotAfter) {
				return false
			}
		}
	}
	return true
}
