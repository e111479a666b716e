package trust

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// memoPKI is a root → intermediate → leaf chain, the leaf valid for ten
// minutes from t0 (as Fulcio issues them), and a leaf of another key.
type memoPKI struct {
	root, intermediate, leaf, stranger *x509.Certificate
	t0                                 time.Time
}

func newMemoPKI(t *testing.T) memoPKI {
	t.Helper()
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	serial := int64(0)
	issue := func(tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
		t.Helper()
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return cert, key
	}
	ca := func(name string) *x509.Certificate {
		return &x509.Certificate{
			Subject: pkix.Name{CommonName: name}, NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(5, 0, 0),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		}
	}
	leaf := func() *x509.Certificate {
		return &x509.Certificate{
			NotBefore: t0, NotAfter: t0.Add(10 * time.Minute),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		}
	}
	rootCert, rootKey := issue(ca("root"), nil, nil)
	interCert, interKey := issue(ca("intermediate"), rootCert, rootKey)
	leafCert, _ := issue(leaf(), interCert, interKey)
	otherRoot, otherKey := issue(ca("other root"), nil, nil)
	stranger, _ := issue(leaf(), otherRoot, otherKey)
	return memoPKI{root: rootCert, intermediate: interCert, leaf: leafCert, stranger: stranger, t0: t0}
}

func TestLeafChainMemo(t *testing.T) {
	p := newMemoPKI(t)
	fulcio := &root.FulcioCertificateAuthority{Root: p.root, Intermediates: []*x509.Certificate{p.intermediate}}
	tm := &memoTrustedMaterial{cas: []root.CertificateAuthority{fulcio}}
	during := p.t0.Add(2 * time.Minute)

	tests := []struct {
		name   string
		first  time.Time // a successful validation at this time comes first
		cert   *x509.Certificate
		at     time.Time
		wantOK bool
	}{
		{name: "second time within every validity period", first: during, cert: p.leaf, at: p.t0.Add(9 * time.Minute), wantOK: true},
		{name: "same time again", first: during, cert: p.leaf, at: during, wantOK: true},
		{name: "second time after the leaf expired", first: during, cert: p.leaf, at: p.t0.Add(11 * time.Minute)},
		{name: "second time before the leaf was issued", first: during, cert: p.leaf, at: p.t0.Add(-time.Second)},
		{name: "another certificate after a success", first: during, cert: p.stranger, at: during},
		{name: "no earlier success", cert: p.leaf, at: p.t0.Add(11 * time.Minute)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cas := withLeafChainMemo(tm, nil).FulcioCertificateAuthorities()
			if len(cas) != 1 {
				t.Fatalf("%d CAs, want 1", len(cas))
			}
			ca := cas[0]
			if _, ok := ca.(*leafChainMemo); !ok {
				t.Fatalf("CA is %T, want the memo", ca)
			}
			if !tc.first.IsZero() {
				if _, err := ca.Verify(p.leaf, tc.first); err != nil {
					t.Fatalf("first validation: %v", err)
				}
			}
			chains, err := ca.Verify(tc.cert, tc.at)
			// The memo must agree with full path validation.
			_, full := fulcio.Verify(tc.cert, tc.at)
			if (full == nil) != tc.wantOK {
				t.Fatalf("test case is wrong: full validation error %v, want ok %v", full, tc.wantOK)
			}
			if tc.wantOK {
				if err != nil {
					t.Fatalf("memo: %v", err)
				}
				if len(chains) != 1 || len(chains[0]) != 3 || !chains[0][2].Equal(p.root) {
					t.Fatalf("chains %v, want leaf → intermediate → root", chains)
				}
				return
			}
			if err == nil {
				t.Fatal("memo accepted what full path validation rejects")
			}
		})
	}
}

func TestLeafChainMemoCAValidityWindow(t *testing.T) {
	p := newMemoPKI(t)
	fulcio := &root.FulcioCertificateAuthority{
		Root: p.root, Intermediates: []*x509.Certificate{p.intermediate},
		ValidityPeriodStart: p.t0.Add(-time.Hour), ValidityPeriodEnd: p.t0.Add(5 * time.Minute),
	}
	ca := withLeafChainMemo(&memoTrustedMaterial{cas: []root.CertificateAuthority{fulcio}}, nil).FulcioCertificateAuthorities()[0]
	if _, err := ca.Verify(p.leaf, p.t0.Add(time.Minute)); err != nil {
		t.Fatalf("inside the CA's window: %v", err)
	}
	// The leaf is still valid, the CA no longer is.
	if _, err := ca.Verify(p.leaf, p.t0.Add(6*time.Minute)); err == nil {
		t.Fatal("memo accepted a time after the CA's validity period")
	}
}

func TestLeafChainMemoBundleIntermediates(t *testing.T) {
	p := newMemoPKI(t)
	// The trust root knows only the root; the bundle carries the
	// intermediate, as v0.1/v0.2 bundles with a certificate chain do.
	fulcio := &root.FulcioCertificateAuthority{Root: p.root}
	tm := &memoTrustedMaterial{cas: []root.CertificateAuthority{fulcio}}
	at := p.t0.Add(time.Minute)
	if _, err := withLeafChainMemo(tm, nil).FulcioCertificateAuthorities()[0].Verify(p.leaf, at); err == nil {
		t.Fatal("validated without the intermediate")
	}
	if _, err := withLeafChainMemo(tm, []*x509.Certificate{p.intermediate}).FulcioCertificateAuthorities()[0].Verify(p.leaf, at); err != nil {
		t.Fatalf("with the bundle's intermediate: %v", err)
	}
	if len(fulcio.Intermediates) != 0 {
		t.Fatal("the trust root's CA was modified")
	}
}
