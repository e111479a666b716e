package trust

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/sigstore/sigstore-go/pkg/root"
)

// tsaPKI is a TSA root → intermediate → leaf chain with chosen validity
// windows, able to issue RFC 3161 tokens at any time.
type tsaPKI struct {
	t         *testing.T
	root      *x509.Certificate
	rootKey   *ecdsa.PrivateKey
	inter     *x509.Certificate
	interKey  *ecdsa.PrivateKey
	leaf      *x509.Certificate
	leafKey   *ecdsa.PrivateKey
	serial    int64
	t0        time.Time
	embedInto bool // tokens carry the leaf and the intermediate
}

func (p *tsaPKI) issue(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	p.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serial++
	tmpl.SerialNumber = big.NewInt(p.serial)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		p.t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		p.t.Fatal(err)
	}
	return cert, key
}

func tsaCATemplate(name string, notBefore, notAfter time.Time, eku ...x509.ExtKeyUsage) *x509.Certificate {
	return &x509.Certificate{
		Subject: pkix.Name{CommonName: name}, NotBefore: notBefore, NotAfter: notAfter,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, ExtKeyUsage: eku,
	}
}

// leafTemplate is a timestamping end-entity certificate (critical EKU, as
// RFC 3161 requires) valid for a day from t0.
func (p *tsaPKI) leafTemplate(name string) *x509.Certificate {
	p.t.Helper()
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	if err != nil {
		p.t.Fatal(err)
	}
	return &x509.Certificate{
		Subject: pkix.Name{CommonName: name}, NotBefore: p.t0.Add(-time.Hour), NotAfter: p.t0.Add(24 * time.Hour),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}},
	}
}

// newLeaf issues a timestamping leaf under the intermediate.
func (p *tsaPKI) newLeaf(name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	p.t.Helper()
	return p.issue(p.leafTemplate(name), p.inter, p.interKey)
}

// newTSAPKI makes a TSA chain whose intermediate expires interLife after
// t0 and allows the given extended key usages (none: unrestricted).
func newTSAPKI(t *testing.T, interLife time.Duration, interEKU ...x509.ExtKeyUsage) *tsaPKI {
	t.Helper()
	// The token's CMS signing time is the time it is made, and must fall
	// in the leaf's validity: the PKI starts now.
	t0 := time.Now().Truncate(time.Second)
	p := &tsaPKI{t: t, t0: t0}
	p.root, p.rootKey = p.issue(tsaCATemplate("tsa root", t0.AddDate(-1, 0, 0), t0.AddDate(5, 0, 0)), nil, nil)
	p.inter, p.interKey = p.issue(tsaCATemplate("tsa intermediate", t0.AddDate(-1, 0, 0), t0.Add(interLife), interEKU...), p.root, p.rootKey)
	p.leaf, p.leafKey = p.newLeaf("tsa leaf")
	return p
}

// authority is the TSA as a trusted root lists it.
func (p *tsaPKI) authority() *root.SigstoreTimestampingAuthority {
	return &root.SigstoreTimestampingAuthority{
		Root: p.root, Intermediates: []*x509.Certificate{p.inter}, Leaf: p.leaf, URI: "https://tsa.test",
	}
}

// laterToken makes a timestamp of another signature, d after t0, by the
// TSA's own leaf.
func laterToken(d time.Duration) func(p *tsaPKI) ([]byte, []byte) {
	return func(p *tsaPKI) ([]byte, []byte) {
		sig := []byte("second signature")
		return p.token(sig, p.t0.Add(d), p.leaf, p.leafKey), sig
	}
}

// token timestamps sig at t, signed by leaf.
func (p *tsaPKI) token(sig []byte, at time.Time, leaf *x509.Certificate, key *ecdsa.PrivateKey) []byte {
	p.t.Helper()
	sum := sha256.Sum256(sig)
	ts := timestamp.Timestamp{
		HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], Time: at,
		Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2}, AddTSACertificate: p.embedInto,
	}
	if p.embedInto {
		ts.Certificates = []*x509.Certificate{p.inter}
	}
	der, err := ts.CreateResponseWithOpts(leaf, key, crypto.SHA256)
	if err != nil {
		p.t.Fatal(err)
	}
	return der
}

// TestTSAChainMemo: after learning a TSA certificate's chains from one
// timestamp, the memo gives every later timestamp the result sigstore-go's
// own full verification gives it — the same time when both pass, an error
// when it fails — and reuses the chains only where that holds.
func TestTSAChainMemo(t *testing.T) {
	type tokenCase struct {
		name string
		// make returns the token and the signature it must cover.
		make func(p *tsaPKI) (tsr, sig []byte)
		pass bool
	}
	tests := []struct {
		name      string
		pki       func(t *testing.T) *tsaPKI
		authority func(p *tsaPKI) *root.SigstoreTimestampingAuthority
		learns    bool // the first timestamp teaches the memo a chain
		later     []tokenCase
	}{
		{
			name:      "one TSA certificate, many timestamps",
			pki:       func(t *testing.T) *tsaPKI { return newTSAPKI(t, 365*24*time.Hour) },
			authority: (*tsaPKI).authority,
			learns:    true,
			later: []tokenCase{
				{"another signature, later", laterToken(time.Hour), true},
				{"timestamp of another signature", func(p *tsaPKI) ([]byte, []byte) {
					return p.token([]byte("something else"), p.t0.Add(time.Hour), p.leaf, p.leafKey), []byte("second signature")
				}, false},
				{"one byte of the token flipped", func(p *tsaPKI) ([]byte, []byte) {
					sig := []byte("second signature")
					tsr := p.token(sig, p.t0.Add(time.Hour), p.leaf, p.leafKey)
					tsr[len(tsr)-5] ^= 1
					return tsr, sig
				}, false},
				{"signed by a key the trusted root does not name", func(p *tsaPKI) ([]byte, []byte) {
					sig := []byte("second signature")
					impostor, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
					if err != nil {
						t.Fatal(err)
					}
					return p.token(sig, p.t0.Add(time.Hour), p.leaf, impostor), sig
				}, false},
				{"after the TSA certificate expired", laterToken(25 * time.Hour), false},
				{"another leaf of the same intermediate", func(p *tsaPKI) ([]byte, []byte) {
					// The trusted root pins its leaf: another is refused
					// by both paths.
					leaf, key := p.newLeaf("second leaf")
					sig := []byte("second signature")
					return p.token(sig, p.t0.Add(time.Hour), leaf, key), sig
				}, false},
			},
		},
		{
			name: "the intermediate expires between two timestamps",
			// The leaf outlives its intermediate (x509 does not require
			// nesting): a timestamp after the intermediate's end has no
			// valid chain, remembered or not.
			pki:       func(t *testing.T) *tsaPKI { return newTSAPKI(t, 2*time.Hour) },
			authority: (*tsaPKI).authority,
			learns:    true,
			later: []tokenCase{
				{"before the intermediate's end", laterToken(time.Hour), true},
				{"after the intermediate's end", laterToken(3 * time.Hour), false},
			},
		},
		{
			name: "the trusted root's validity window for the TSA ends",
			pki:  func(t *testing.T) *tsaPKI { return newTSAPKI(t, 365*24*time.Hour) },
			authority: func(p *tsaPKI) *root.SigstoreTimestampingAuthority {
				a := p.authority()
				a.ValidityPeriodStart = p.t0.Add(-time.Minute)
				a.ValidityPeriodEnd = p.t0.Add(2 * time.Hour)
				return a
			},
			learns: true,
			later: []tokenCase{
				{"inside the window", laterToken(time.Hour), true},
				{"after the window", laterToken(3 * time.Hour), false},
				{"before the window", laterToken(-30 * time.Minute), false},
			},
		},
		{
			name: "an intermediate that does not allow timestamping",
			pki: func(t *testing.T) *tsaPKI {
				return newTSAPKI(t, 365*24*time.Hour, x509.ExtKeyUsageCodeSigning)
			},
			authority: (*tsaPKI).authority,
			learns:    false,
			later: []tokenCase{
				{"any timestamp", laterToken(time.Hour), false},
			},
		},
		{
			name: "the intermediate only inside the token",
			// Never remembered: the next token may not carry it.
			pki: func(t *testing.T) *tsaPKI {
				p := newTSAPKI(t, 365*24*time.Hour)
				p.embedInto = true
				return p
			},
			authority: func(p *tsaPKI) *root.SigstoreTimestampingAuthority {
				a := p.authority()
				a.Intermediates = nil
				return a
			},
			learns: false,
			later: []tokenCase{
				{"a token without the intermediate", func(p *tsaPKI) ([]byte, []byte) {
					p.embedInto = false
					defer func() { p.embedInto = true }()
					sig := []byte("second signature")
					return p.token(sig, p.t0.Add(time.Hour), p.leaf, p.leafKey), sig
				}, false},
				{"a token with it", laterToken(time.Hour), true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.pki(t)
			plain := tt.authority(p)
			memo := memoizeTSAs([]root.TimestampingAuthority{tt.authority(p)})[0].(*tsaChainMemo)

			tsr := p.token(first(), p.t0, p.leaf, p.leafKey)
			want, wantErr := plain.Verify(tsr, first())
			got, err := memo.Verify(tsr, first())
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("first timestamp: memo error %v, sigstore-go error %v", err, wantErr)
			}
			if err == nil && (!got.Time.Equal(want.Time) || got.URI != want.URI) {
				t.Fatalf("first timestamp: memo %+v, sigstore-go %+v", got, want)
			}
			if leaf, _ := memo.remembered(); (leaf != nil) != tt.learns {
				t.Fatalf("memo remembers a certificate: %v, want %v", leaf != nil, tt.learns)
			}
			for _, lc := range tt.later {
				tsr, sig := lc.make(p)
				want, wantErr := plain.Verify(tsr, sig)
				if (wantErr == nil) != lc.pass {
					t.Fatalf("%s: sigstore-go error %v, the case expects pass=%v", lc.name, wantErr, lc.pass)
				}
				got, err := memo.Verify(tsr, sig)
				if (err == nil) != lc.pass {
					t.Errorf("%s: memo error %v, want pass=%v (sigstore-go: %v)", lc.name, err, lc.pass, wantErr)
					continue
				}
				if err == nil && !got.Time.Equal(want.Time) {
					t.Errorf("%s: memo time %v, sigstore-go %v", lc.name, got.Time, want.Time)
				}
				if err != nil && err.Error() != wantErr.Error() {
					t.Errorf("%s: memo error %q, want sigstore-go's %q", lc.name, err, wantErr)
				}
			}
		})
	}
}

// TestTSAChainMemoSkipsChain shows the memo at work: once it has learned a
// TSA certificate's chain, a timestamp by that certificate verifies without
// the trusted root's intermediates (it is not validated again), while
// sigstore-go's full verification of the same timestamp needs them.
func TestTSAChainMemoSkipsChain(t *testing.T) {
	p := newTSAPKI(t, 365*24*time.Hour)
	memo := memoizeTSAs([]root.TimestampingAuthority{p.authority()})[0].(*tsaChainMemo)
	if _, err := memo.Verify(p.token(first(), p.t0, p.leaf, p.leafKey), first()); err != nil {
		t.Fatal(err)
	}
	memo.tsa.Intermediates = nil
	sig := []byte("second signature")
	tsr := p.token(sig, p.t0.Add(time.Minute), p.leaf, p.leafKey)
	if _, err := memo.Verify(tsr, sig); err != nil {
		t.Fatalf("remembered chain not used: %v", err)
	}
	if _, err := memo.tsa.Verify(tsr, sig); err == nil {
		t.Fatal("full verification passed without the intermediate; the test proves nothing")
	}
}

func first() []byte { return []byte("first signature") }

// TestTSAChainMemoConcurrent verifies timestamps from many goroutines at
// once through one memo, as a run's concurrent bundle verifications do.
func TestTSAChainMemoConcurrent(t *testing.T) {
	p := newTSAPKI(t, 365*24*time.Hour)
	memo := memoizeTSAs([]root.TimestampingAuthority{p.authority()})[0]
	const n = 32
	tsrs, sigs := make([][]byte, n), make([][]byte, n)
	for i := range n {
		sigs[i] = fmt.Appendf(nil, "signature %d", i)
		at := p.t0.Add(time.Duration(i) * time.Minute)
		tsrs[i] = p.token(sigs[i], at, p.leaf, p.leafKey)
		if i%4 == 3 {
			tsrs[i] = p.token([]byte("not it"), at, p.leaf, p.leafKey)
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = memo.Verify(tsrs[i], sigs[i]) })
	}
	wg.Wait()
	for i, err := range errs {
		if pass := i%4 != 3; (err == nil) != pass {
			t.Errorf("timestamp %d: error %v, want pass=%v", i, err, pass)
		}
	}
}

// TestMaterialSharesTSAMemo: a material loaded from a trusted root hands
// sigstore-go memoizing TSAs, the same ones for every verification.
func TestMaterialSharesTSAMemo(t *testing.T) {
	p := newTSAPKI(t, 365*24*time.Hour)
	m := materialWithTSA(t, p.authority())
	one := m.trustedMaterial(nil, false).TimestampingAuthorities()
	two := m.trustedMaterial(nil, true).TimestampingAuthorities()
	if len(one) != 1 || len(two) != 1 {
		t.Fatalf("TSAs: %d and %d, want 1", len(one), len(two))
	}
	memo, ok := one[0].(*tsaChainMemo)
	if !ok || one[0] != two[0] {
		t.Fatalf("verifications get %T and %T, want one shared *tsaChainMemo", one[0], two[0])
	}
	if !bytes.Equal(memo.tsa.Root.Raw, p.root.Raw) {
		t.Fatal("memo wraps another TSA")
	}
	sig := []byte("signature")
	if _, err := one[0].Verify(p.token(sig, p.t0, p.leaf, p.leafKey), sig); err != nil {
		t.Fatal(err)
	}
	if leaf, _ := memo.remembered(); leaf == nil || !leaf.Equal(p.leaf) {
		t.Fatal("the shared memo did not learn the TSA certificate")
	}
}

// TestTSAChainMemoNeedsPinnedLeaf: a trusted root whose TSA chain lists
// only CA certificates pins no signing certificate, and sigstore-go then
// requires every token to carry its signer. Such a TSA is not memoized: a
// token stripped of its certificates (they are outside the CMS signature)
// is refused even after a token that carried them verified.
func TestTSAChainMemoNeedsPinnedLeaf(t *testing.T) {
	p := newTSAPKI(t, 365*24*time.Hour)
	unpinned := func() *root.SigstoreTimestampingAuthority {
		a := p.authority()
		a.Leaf = nil
		return a
	}
	tsa := memoizeTSAs([]root.TimestampingAuthority{unpinned()})[0]
	if _, ok := tsa.(*root.SigstoreTimestampingAuthority); !ok {
		t.Fatalf("a TSA without a pinned certificate became a %T", tsa)
	}
	p.embedInto = true
	if _, err := tsa.Verify(p.token(first(), p.t0, p.leaf, p.leafKey), first()); err != nil {
		t.Fatal(err)
	}
	p.embedInto = false
	tsr, sig := laterToken(time.Minute)(p)
	if _, err := unpinned().Verify(tsr, sig); err == nil {
		t.Fatal("sigstore-go accepted a token without its signer; the test proves nothing")
	}
	if _, err := tsa.Verify(tsr, sig); err == nil {
		t.Error("a token stripped of its signer verified after one that carried it")
	}
}

// TestTSAChainMemoSelfSignedSigner: a trusted root whose TSA chain names
// the signing certificate as both leaf and root (a self-signed end-entity
// certificate) gives chains of one certificate; the memo learns and uses
// them without tripping over their length.
func TestTSAChainMemoSelfSignedSigner(t *testing.T) {
	p := &tsaPKI{t: t, t0: time.Now().Truncate(time.Second)}
	p.leaf, p.leafKey = p.issue(p.leafTemplate("self-signed tsa"), nil, nil)
	m := materialWithTSA(t, &root.SigstoreTimestampingAuthority{Root: p.leaf, Leaf: p.leaf, URI: "https://tsa.test"})
	memo, ok := m.tsas[0].(*tsaChainMemo)
	if !ok {
		t.Fatalf("TSA is a %T, want a memo", m.tsas[0])
	}
	for i, d := range []time.Duration{0, time.Minute} {
		tsr, sig := laterToken(d)(p)
		if _, err := memo.Verify(tsr, sig); err != nil {
			t.Fatalf("timestamp %d: %v", i+1, err)
		}
	}
	if _, chains := memo.remembered(); len(chains) != 1 || len(chains[0]) != 1 {
		t.Fatalf("remembered chains %v, want one chain of one certificate", chains)
	}
}

// materialWithTSA loads, as a trust root would be, a trusted root listing
// one TSA.
func materialWithTSA(t *testing.T, a *root.SigstoreTimestampingAuthority) *Material {
	t.Helper()
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, nil, nil, []root.TimestampingAuthority{a}, nil)
	if err != nil {
		t.Fatal(err)
	}
	js, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMaterial("tsa", js, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMaterialWithoutNewMaterial: a Material a plugin assembles itself,
// without NewMaterial, still offers its trusted root's TSAs.
func TestMaterialWithoutNewMaterial(t *testing.T) {
	p := newTSAPKI(t, 365*24*time.Hour)
	loaded := materialWithTSA(t, p.authority())
	m := &Material{Name: "assembled", TrustedRoot: loaded.TrustedRoot}
	tsas := m.trustedMaterial(nil, false).TimestampingAuthorities()
	if len(tsas) != 1 {
		t.Fatalf("%d TSAs, want 1", len(tsas))
	}
	sig := []byte("signature")
	if _, err := tsas[0].Verify(p.token(sig, p.t0, p.leaf, p.leafKey), sig); err != nil {
		t.Fatal(err)
	}
}
