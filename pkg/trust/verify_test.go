package trust_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/testsigstore"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

const (
	tsGHSubject = "https://github.com/vmafx/vmafx/.github/workflows/release.yml@refs/tags/v1.4.0"
	tsGHIssuer  = "https://token.actions.githubusercontent.com"
)

// tsEnv is one in-memory Sigstore and what it signed, shared by the tests of
// this package (the virtual TSA and CA are only valid for a few minutes
// around New, so everything is signed up front, once).
type tsEnv struct {
	s        *testsigstore.Sigstore
	rootJSON []byte

	blob       []byte
	blobBundle []byte // SignBlob(tsGHSubject, tsGHIssuer, blob)

	attested       []byte // the bytes whose sha256 is the statement's subject
	attestBundle   []byte // Attest(tsGHSubject, tsGHIssuer, statement over attested)
	attestPredType string

	keyBundle []byte // SignBlobKey(blob)
	keyPEM    []byte
	otherPEM  []byte // another key's PEM (signs nothing we verify)
}

var (
	tsOnce sync.Once
	tsVal  *tsEnv
	tsErr  error
)

func sha256Digest(b []byte) trust.Digest {
	sum := sha256.Sum256(b)
	return trust.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

func inTotoStatement(name string, digest trust.Digest, predicateType string) []byte {
	st := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": name, "digest": map[string]string{digest.Algorithm: digest.Hex}}},
		"predicateType": predicateType,
		"predicate":     map[string]any{"buildDefinition": map[string]any{"buildType": "https://example.com/test"}},
	}
	b, err := json.Marshal(st)
	if err != nil {
		panic(err)
	}
	return b
}

func testEnv(t testing.TB) *tsEnv {
	t.Helper()
	tsOnce.Do(func() {
		e := &tsEnv{}
		s, err := testsigstore.New()
		if err != nil {
			tsErr = err
			return
		}
		e.s = s
		if e.rootJSON, err = s.TrustedRootJSON(); err != nil {
			tsErr = err
			return
		}
		e.blob = []byte("libvmaf.so bytes for pkg/trust tests\x00\x01")
		if e.blobBundle, err = s.SignBlob(tsGHSubject, tsGHIssuer, e.blob); err != nil {
			tsErr = err
			return
		}
		e.attested = []byte("vmaf CLI bytes for the attestation subject")
		e.attestPredType = "https://slsa.dev/provenance/v1"
		st := inTotoStatement("vmaf", sha256Digest(e.attested), e.attestPredType)
		if e.attestBundle, err = s.Attest(tsGHSubject, tsGHIssuer, st); err != nil {
			tsErr = err
			return
		}
		if e.keyBundle, e.keyPEM, err = s.SignBlobKey(e.blob); err != nil {
			tsErr = err
			return
		}
		if _, e.otherPEM, err = s.SignBlobKey([]byte("unrelated")); err != nil {
			tsErr = err
			return
		}
		tsVal = e
	})
	if tsErr != nil {
		t.Fatalf("testsigstore: %v", tsErr)
	}
	return tsVal
}

func mustMaterial(t *testing.T, name string, rootJSON []byte, keys ...[]byte) *trust.Material {
	t.Helper()
	m, err := trust.NewMaterial(name, rootJSON, keys)
	if err != nil {
		t.Fatalf("NewMaterial(%q): %v", name, err)
	}
	return m
}

func wantErrContains(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

func TestVerifyBundleCertificateIdentities(t *testing.T) {
	e := testEnv(t)
	m := mustMaterial(t, "ts", e.rootJSON)
	exact := trust.Identity{Name: "release", Issuer: tsGHIssuer, Subject: tsGHSubject}

	tests := []struct {
		name        string
		ids         []trust.Identity
		wantMatched []string // nil: verification must fail
		wantErr     []string // substrings of the error when failing
		wantIDErr   bool     // the error is an *IdentityError
	}{
		{name: "exact subject and issuer", ids: []trust.Identity{exact}, wantMatched: []string{"release"}},
		{
			name: "anchored subject regexp",
			ids: []trust.Identity{{Name: "re", Issuer: tsGHIssuer,
				SubjectRegexp: `^https://github\.com/vmafx/vmafx/\.github/workflows/release\.yml@refs/tags/v[0-9.]+$`}},
			wantMatched: []string{"re"},
		},
		{
			name: "anchored issuer regexp",
			ids: []trust.Identity{{Name: "re-iss", IssuerRegexp: `^https://token\.actions\.githubusercontent\.com$`,
				Subject: tsGHSubject}},
			wantMatched: []string{"re-iss"},
		},
		{
			// Anchored at both ends, a regexp matching only a prefix of the
			// subject must not pass: regexps are used exactly as given.
			name:      "anchored regexp covering only a prefix",
			ids:       []trust.Identity{{Name: "prefix", Issuer: tsGHIssuer, SubjectRegexp: `^https://github\.com/vmafx/vmafx$`}},
			wantErr:   []string{"subject: expected /^https://github\\.com/vmafx/vmafx$/, found " + tsGHSubject},
			wantIDErr: true,
		},
		{
			name:      "anchored regexp for another repository",
			ids:       []trust.Identity{{Name: "evil", Issuer: tsGHIssuer, SubjectRegexp: `^https://github\.com/evil/vmafx/.*$`}},
			wantErr:   []string{"subject: expected /^https://github\\.com/evil/vmafx/.*$/"},
			wantIDErr: true,
		},
		{
			name: "issuer extension equals",
			ids: []trust.Identity{{Name: "ext", Issuer: tsGHIssuer, Subject: tsGHSubject,
				Extensions: map[string]string{"issuer": tsGHIssuer}}},
			wantMatched: []string{"ext"},
		},
		{
			name: "issuer extension regexp",
			ids: []trust.Identity{{Name: "ext-re", Issuer: tsGHIssuer, Subject: tsGHSubject,
				ExtensionRegexps: map[string]string{"issuer": `^https://token\.actions\..*$`}}},
			wantMatched: []string{"ext-re"},
		},
		{
			// testsigstore certificates carry only the issuer extension.
			name: "absent source_repository_uri extension",
			ids: []trust.Identity{{Name: "ext", Issuer: tsGHIssuer, Subject: tsGHSubject,
				Extensions: map[string]string{"source_repository_uri": "https://github.com/vmafx/vmafx"}}},
			wantErr:   []string{"source_repository_uri: expected https://github.com/vmafx/vmafx, found (absent)"},
			wantIDErr: true,
		},
		{
			name: "absent runner_environment extension regexp",
			ids: []trust.Identity{{Name: "ext-re", Issuer: tsGHIssuer, Subject: tsGHSubject,
				ExtensionRegexps: map[string]string{"runner_environment": "^github-hosted$"}}},
			wantErr:   []string{"runner_environment: expected /^github-hosted$/, found (absent)"},
			wantIDErr: true,
		},
		{
			name: "several identities, only the second matches",
			ids: []trust.Identity{
				{Name: "other-repo", Issuer: tsGHIssuer, Subject: "https://github.com/other/repo/.github/workflows/release.yml@refs/tags/v1.4.0"},
				exact,
			},
			wantMatched: []string{"release"},
		},
		{
			name: "several identities, two match",
			ids: []trust.Identity{
				exact,
				{Name: "wrong-issuer", Issuer: "https://accounts.google.com", Subject: tsGHSubject},
				{Name: "any-tag", Issuer: tsGHIssuer, SubjectRegexp: `^https://github\.com/vmafx/vmafx/.*$`},
			},
			wantMatched: []string{"release", "any-tag"},
		},
		{
			name: "wrong subject and issuer",
			ids: []trust.Identity{{Name: "wrong", Issuer: "https://accounts.google.com",
				Subject: "https://github.com/vmafx/vmafx/.github/workflows/nightly.yml@refs/heads/main"}},
			wantErr: []string{
				`identity "wrong"`,
				"subject: expected https://github.com/vmafx/vmafx/.github/workflows/nightly.yml@refs/heads/main, found " + tsGHSubject,
				"issuer: expected https://accounts.google.com, found " + tsGHIssuer,
			},
			wantIDErr: true,
		},
		{
			name: "several identities, none matches: each explained",
			ids: []trust.Identity{
				{Name: "a", Issuer: tsGHIssuer, Subject: "a@example.com"},
				{Name: "b", Issuer: "https://b.example", Subject: tsGHSubject},
			},
			wantErr: []string{
				`identity "a": subject: expected a@example.com, found ` + tsGHSubject,
				`identity "b": issuer: expected https://b.example, found ` + tsGHIssuer,
			},
			wantIDErr: true,
		},
		{name: "no identity", ids: nil, wantErr: []string{"no identity"}},
		{
			name:    "invalid identity is refused before matching",
			ids:     []trust.Identity{{Name: "bad", Issuer: tsGHIssuer, SubjectRegexp: "(unclosed"}},
			wantErr: []string{`identity "bad"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: e.blobBundle, Digest: sha256Digest(e.blob), Identities: tt.ids})
			if tt.wantMatched == nil {
				if err == nil {
					t.Fatalf("passed (matched %v), want failure", out.Matched)
				}
				wantErrContains(t, err, tt.wantErr...)
				var idErr *trust.IdentityError
				if got := errors.As(err, &idErr); got != tt.wantIDErr {
					t.Errorf("errors.As(*IdentityError) = %v, want %v (err: %v)", got, tt.wantIDErr, err)
				}
				if idErr != nil {
					if idErr.Found == nil || idErr.Found.Subject != tsGHSubject || idErr.Found.Issuer != tsGHIssuer {
						t.Errorf("IdentityError.Found = %+v, want the certificate's subject and issuer", idErr.Found)
					}
					if len(idErr.Mismatches) != len(idErr.Identities) || len(idErr.Identities) != len(tt.ids) {
						t.Errorf("IdentityError lists %d identities / %d mismatch sets, want %d each", len(idErr.Identities), len(idErr.Mismatches), len(tt.ids))
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("VerifyBundle: %v", err)
			}
			if strings.Join(out.Matched, ",") != strings.Join(tt.wantMatched, ",") {
				t.Errorf("Matched = %v, want %v", out.Matched, tt.wantMatched)
			}
			if out.Signer == nil || out.Signer.Subject != tsGHSubject || out.Signer.Issuer != tsGHIssuer || out.Signer.KeyID != "" {
				t.Errorf("Signer = %+v, want subject %q, issuer %q, no key", out.Signer, tsGHSubject, tsGHIssuer)
			}
			if _, ok := out.Signer.Extensions["issuer"]; ok {
				t.Errorf("Signer.Extensions repeats the issuer: %v", out.Signer.Extensions)
			}
			if out.MediaType != testsigstore.BundleMediaType {
				t.Errorf("MediaType = %q", out.MediaType)
			}
			if out.PredicateType != "" {
				t.Errorf("PredicateType = %q for a message signature", out.PredicateType)
			}
			if len(out.TimeSources) == 0 {
				t.Errorf("no time sources recorded")
			}
		})
	}
}

func TestVerifyBundleDigestBinding(t *testing.T) {
	e := testEnv(t)
	m := mustMaterial(t, "ts", e.rootJSON)
	ids := []trust.Identity{{Name: "release", Issuer: tsGHIssuer, Subject: tsGHSubject}}
	other := sha256Digest([]byte("a different file"))

	tests := []struct {
		name     string
		bundle   []byte
		digest   trust.Digest
		wantPred string   // on pass
		wantErr  []string // nil: pass
	}{
		{name: "blob: the signed digest", bundle: e.blobBundle, digest: sha256Digest(e.blob)},
		{name: "blob: another digest", bundle: e.blobBundle, digest: other, wantErr: []string{"digest"}},
		{name: "blob: digest in upper case is not normalised by VerifyBundle", bundle: e.blobBundle,
			digest: trust.Digest{Algorithm: "SHA256", Hex: sha256Digest(e.blob).Hex}, wantErr: []string{"SHA256"}},
		{name: "blob: sha512 of the same bytes", bundle: e.blobBundle,
			digest: trust.Digest{Algorithm: "sha512", Hex: strings.Repeat("ab", 64)}, wantErr: []string{"digest"}},
		{name: "blob: truncated hex", bundle: e.blobBundle,
			digest: trust.Digest{Algorithm: "sha256", Hex: sha256Digest(e.blob).Hex[:62]}, wantErr: []string{"64 hex characters"}},
		{name: "attestation: the statement's subject digest", bundle: e.attestBundle, digest: sha256Digest(e.attested), wantPred: e.attestPredType},
		{name: "attestation: another digest", bundle: e.attestBundle, digest: other, wantErr: []string{"digest"}},
		{name: "attestation: digest of the signed blob instead", bundle: e.attestBundle, digest: sha256Digest(e.blob), wantErr: []string{"digest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: tt.bundle, Digest: tt.digest, Identities: ids})
			if tt.wantErr != nil {
				if err == nil {
					t.Fatal("passed, want a digest failure")
				}
				wantErrContains(t, err, tt.wantErr...)
				var idErr *trust.IdentityError
				if errors.As(err, &idErr) {
					t.Errorf("digest failure reported as an identity error: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("VerifyBundle: %v", err)
			}
			if out.PredicateType != tt.wantPred {
				t.Errorf("PredicateType = %q, want %q", out.PredicateType, tt.wantPred)
			}
			if len(out.Matched) != 1 || out.Matched[0] != "release" {
				t.Errorf("Matched = %v", out.Matched)
			}
		})
	}
}

// The label VerifyBundle puts on a digest mismatch of a message signature
// names the stage, so that reports say what went wrong.
func TestVerifyBundleDigestMismatchIsLabelled(t *testing.T) {
	e := testEnv(t)
	m := mustMaterial(t, "ts", e.rootJSON)
	ids := []trust.Identity{{Name: "release", Issuer: tsGHIssuer, Subject: tsGHSubject}}
	for _, b := range [][]byte{e.blobBundle, e.attestBundle} {
		_, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: b, Digest: sha256Digest([]byte("x")), Identities: ids})
		wantErrContains(t, err, "digest binding")
	}
}

func TestVerifyBundleKeys(t *testing.T) {
	e := testEnv(t)
	wantKeyID := func(t *testing.T, pemBytes []byte) string {
		t.Helper()
		h, err := testsigstore.KeyHint(pemBytes)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	ids := []trust.Identity{{Name: "release", Issuer: tsGHIssuer, Subject: tsGHSubject}}

	tests := []struct {
		name      string
		material  func(t *testing.T) *trust.Material
		bundle    []byte
		digest    trust.Digest
		useKey    bool
		ids       []trust.Identity
		wantKeyID []byte // PEM of the key that must be reported; nil: must fail
		wantErr   []string
	}{
		{
			name:     "root and the right key",
			material: func(t *testing.T) *trust.Material { return mustMaterial(t, "k", e.rootJSON, e.keyPEM) },
			bundle:   e.keyBundle, digest: sha256Digest(e.blob), useKey: true, wantKeyID: e.keyPEM,
		},
		{
			name:     "root and two keys, the second is right",
			material: func(t *testing.T) *trust.Material { return mustMaterial(t, "k", e.rootJSON, e.otherPEM, e.keyPEM) },
			bundle:   e.keyBundle, digest: sha256Digest(e.blob), useKey: true, wantKeyID: e.keyPEM,
		},
		{
			name:     "root and the wrong key",
			material: func(t *testing.T) *trust.Material { return mustMaterial(t, "k", e.rootJSON, e.otherPEM) },
			// sigstore-go checks the Rekor entry's key first.
			bundle: e.keyBundle, digest: sha256Digest(e.blob), useKey: true,
			wantErr: []string{"does not match"},
		},
		{
			name:     "root and two wrong keys",
			material: func(t *testing.T) *trust.Material { return mustMaterial(t, "k", e.rootJSON, e.otherPEM, e.otherPEM) },
			bundle:   e.keyBundle, digest: sha256Digest(e.blob), useKey: true,
			wantErr: []string{"no trusted key verifies the signature"},
		},
		{
			name:     "right key, wrong digest",
			material: func(t *testing.T) *trust.Material { return mustMaterial(t, "k", e.rootJSON, e.keyPEM) },
			bundle:   e.keyBundle, digest: sha256Digest([]byte("other")), useKey: true,
			wantErr: []string{"digest"},
		},
		{
			name:     "UseKey with a certificate bundle",
			material: func(t *testing.T) *trust.Material { return mustMaterial(t, "k", e.rootJSON, e.keyPEM) },
			bundle:   e.blobBundle, digest: sha256Digest(e.blob), useKey: true, ids: ids,
			wantErr: []string{"signed with a certificate", "requires a key signature"},
		},
		{
			name:     "key bundle without UseKey",
			material: func(t *testing.T) *trust.Material { return mustMaterial(t, "k", e.rootJSON, e.keyPEM) },
			bundle:   e.keyBundle, digest: sha256Digest(e.blob), ids: ids,
			wantErr: []string{"signed with a public key", "requires a certificate identity"},
		},
		{
			name:     "UseKey but the root has no key",
			material: func(t *testing.T) *trust.Material { return mustMaterial(t, "rootonly", e.rootJSON) },
			bundle:   e.keyBundle, digest: sha256Digest(e.blob), useKey: true,
			wantErr: []string{`trust root "rootonly" has no public key`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := trust.VerifyBundle(tt.material(t), trust.BundleCheck{Bundle: tt.bundle, Digest: tt.digest, Identities: tt.ids, UseKey: tt.useKey})
			if tt.wantKeyID == nil {
				if err == nil {
					t.Fatalf("passed (signer %v), want failure", out.Signer)
				}
				wantErrContains(t, err, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("VerifyBundle: %v", err)
			}
			if want := wantKeyID(t, tt.wantKeyID); out.Signer == nil || out.Signer.KeyID != want || out.Signer.Subject != "" {
				t.Errorf("Signer = %+v, want KeyID %s and no subject", out.Signer, want)
			}
			if got := out.Signer.String(); got != "key "+out.Signer.KeyID {
				t.Errorf("Signer.String() = %q", got)
			}
			if len(out.Matched) != 0 {
				t.Errorf("Matched = %v for a key signature", out.Matched)
			}
			if len(out.TimeSources) == 0 {
				t.Errorf("no time source recorded although the root has a log and a TSA")
			}
		})
	}
}

// Key-only material: no Rekor logs, CT logs or TSAs. The thresholds derived
// from it demand no transparency-log entry, but one verified time source is
// still required by default, and nothing in a key-only root can verify the
// bundle's Rekor entry or TSA timestamp: a key signature passes only with
// IgnoreTlog (insecure_ignore_tlog, as cosign's --insecure-ignore-tlog), and
// is then checked at the current time. A certificate never verifies against
// it (fail closed).
func TestVerifyBundleKeyOnlyMaterial(t *testing.T) {
	e := testEnv(t)
	m := mustMaterial(t, "keyonly", nil, e.keyPEM)
	if m.TrustedRoot != nil || m.HasTransparencyLogs() || m.HasCTLogs() || m.HasTimestampAuthorities() {
		t.Fatalf("key-only material reports root features: %+v", m)
	}
	ids := []trust.Identity{{Name: "release", Issuer: tsGHIssuer, Subject: tsGHSubject}}
	one := 1
	ignore := trust.Requirements{IgnoreTlog: true}

	tests := []struct {
		name    string
		bundle  []byte
		digest  trust.Digest
		useKey  bool
		req     trust.Requirements
		wantErr []string // nil: pass
	}{
		{
			name: "key bundle, derived requirements: no verifiable time", bundle: e.keyBundle, digest: sha256Digest(e.blob), useKey: true,
			wantErr: []string{"threshold not met for verified signed & log entry integrated timestamps: 0 < 1"},
		},
		{name: "key bundle, insecure_ignore_tlog", bundle: e.keyBundle, digest: sha256Digest(e.blob), useKey: true, req: ignore},
		{name: "key bundle, insecure_ignore_tlog, wrong digest", bundle: e.keyBundle, digest: sha256Digest([]byte("other")), useKey: true, req: ignore, wantErr: []string{"digest"}},
		{
			// The bundle's Rekor entry cannot be checked against a root with
			// no logs: demanding it must fail, not be ignored.
			name: "key bundle, tlog demanded explicitly", bundle: e.keyBundle, digest: sha256Digest(e.blob), useKey: true,
			req: trust.Requirements{TlogThreshold: &one}, wantErr: []string{"transparency log"},
		},
		{
			name: "key bundle, signed timestamp demanded, no TSA in the root", bundle: e.keyBundle, digest: sha256Digest(e.blob), useKey: true,
			req: trust.Requirements{IgnoreTlog: true, TimestampThreshold: &one}, wantErr: []string{"timestamp"},
		},
		{
			name: "certificate bundle without UseKey", bundle: e.blobBundle, digest: sha256Digest(e.blob),
			wantErr: []string{`trust root "keyonly" has no certificate authorities`},
		},
		{
			name: "certificate bundle without UseKey, insecure_ignore_tlog", bundle: e.blobBundle, digest: sha256Digest(e.blob), req: ignore,
			wantErr: []string{"no certificate authorities"},
		},
		{
			name: "certificate bundle with UseKey", bundle: e.blobBundle, digest: sha256Digest(e.blob), useKey: true, req: ignore,
			wantErr: []string{"signed with a certificate"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: tt.bundle, Digest: tt.digest, Identities: ids, UseKey: tt.useKey, Requirements: tt.req})
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("passed (signer %v), want failure", out.Signer)
				}
				wantErrContains(t, err, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("VerifyBundle: %v", err)
			}
			if out.Signer == nil || out.Signer.KeyID != m.Keys[0].ID {
				t.Errorf("Signer = %+v, want key %s", out.Signer, m.Keys[0].ID)
			}
			if len(out.TimeSources) != 1 || !strings.HasPrefix(out.TimeSources[0], "CurrentTime ") {
				t.Errorf("TimeSources = %v, want only the current time", out.TimeSources)
			}
		})
	}
}

// Requirements against testsigstore's root (one Rekor log, one TSA, no CT
// log) and its bundles (one tlog entry with promise and proof, one RFC 3161
// timestamp, no SCT).
func TestVerifyBundleRequirements(t *testing.T) {
	e := testEnv(t)
	m := mustMaterial(t, "ts", e.rootJSON)
	ids := []trust.Identity{{Name: "release", Issuer: tsGHIssuer, Subject: tsGHSubject}}
	n := func(i int) *int { return &i }

	tests := []struct {
		name      string
		req       trust.Requirements
		wantTimes []string // prefixes of TimeSources, in order; nil with wantErr
		wantErr   []string
	}{
		{name: "derived", req: trust.Requirements{}, wantTimes: []string{"Tlog ", "TimestampAuthority "}},
		{name: "time from the log only", req: trust.Requirements{TimeSource: "tlog"}, wantTimes: []string{"Tlog "}},
		{name: "time from the TSA only", req: trust.Requirements{TimeSource: "timestamp"}, wantTimes: []string{"TimestampAuthority "}},
		{name: "inclusion proof required and present", req: trust.Requirements{RequireInclusionProof: true}, wantTimes: []string{"Tlog ", "TimestampAuthority "}},
		{name: "two log entries required", req: trust.Requirements{TlogThreshold: n(2)}, wantErr: []string{"transparency log"}},
		{name: "two timestamps required", req: trust.Requirements{TimestampThreshold: n(2)}, wantErr: []string{"timestamp"}},
		{name: "an SCT required", req: trust.Requirements{SCTThreshold: n(1)}, wantErr: []string{"certificate"}},
		{name: "negative threshold", req: trust.Requirements{TlogThreshold: n(-1)}, wantErr: []string{"tlog_threshold must not be negative"}},
		{name: "unknown time source", req: trust.Requirements{TimeSource: "clock"}, wantErr: []string{`time_source "clock"`}},
		{name: "ignore tlog with a tlog threshold", req: trust.Requirements{IgnoreTlog: true, TlogThreshold: n(1)}, wantErr: []string{"contradicts a positive tlog_threshold"}},
		{name: "ignore tlog with tlog time", req: trust.Requirements{IgnoreTlog: true, TimeSource: "tlog"}, wantErr: []string{`contradicts time_source = "tlog"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: e.blobBundle, Digest: sha256Digest(e.blob), Identities: ids, Requirements: tt.req})
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("passed (time sources %v), want failure", out.TimeSources)
				}
				wantErrContains(t, err, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("VerifyBundle: %v", err)
			}
			if len(out.TimeSources) != len(tt.wantTimes) {
				t.Fatalf("TimeSources = %v, want %v", out.TimeSources, tt.wantTimes)
			}
			for i, p := range tt.wantTimes {
				if !strings.HasPrefix(out.TimeSources[i], p) {
					t.Errorf("TimeSources[%d] = %q, want prefix %q", i, out.TimeSources[i], p)
				}
			}
		})
	}
}

func TestVerifyBundleTamperedSignature(t *testing.T) {
	e := testEnv(t)
	m := mustMaterial(t, "ts", e.rootJSON, e.keyPEM)
	ids := []trust.Identity{{Name: "release", Issuer: tsGHIssuer, Subject: tsGHSubject}}
	tests := []struct {
		name   string
		bundle []byte
		digest trust.Digest
		useKey bool
	}{
		{"message signature", e.blobBundle, sha256Digest(e.blob), false},
		{"dsse envelope", e.attestBundle, sha256Digest(e.attested), false},
		{"key signature", e.keyBundle, sha256Digest(e.blob), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Sanity: the untouched bundle passes.
			if _, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: tt.bundle, Digest: tt.digest, Identities: ids, UseKey: tt.useKey}); err != nil {
				t.Fatalf("untouched bundle: %v", err)
			}
			tampered := flipSignatureByte(t, tt.bundle)
			if _, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: tampered, Digest: tt.digest, Identities: ids, UseKey: tt.useKey}); err == nil {
				t.Fatal("a bundle with a modified signature verified")
			}
		})
	}
}

// flipSignatureByte changes one byte of the bundle's signature (message
// signature or the first DSSE signature), keeping the JSON valid.
func flipSignatureByte(t *testing.T, bundleJSON []byte) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(bundleJSON, &doc); err != nil {
		t.Fatal(err)
	}
	flip := func(b64 string) string {
		raw, err := decodeStdB64(b64)
		if err != nil {
			t.Fatalf("signature is not base64: %v", err)
		}
		raw[len(raw)/2] ^= 0x01
		return encodeStdB64(raw)
	}
	switch {
	case doc["messageSignature"] != nil:
		ms := doc["messageSignature"].(map[string]any)
		ms["signature"] = flip(ms["signature"].(string))
	case doc["dsseEnvelope"] != nil:
		env := doc["dsseEnvelope"].(map[string]any)
		sig := env["signatures"].([]any)[0].(map[string]any)
		sig["sig"] = flip(sig["sig"].(string))
	default:
		t.Fatal("bundle has no signature")
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerifyBundleNilMaterial(t *testing.T) {
	e := testEnv(t)
	_, err := trust.VerifyBundle(nil, trust.BundleCheck{Bundle: e.blobBundle, Digest: sha256Digest(e.blob)})
	wantErrContains(t, err, "no trust root")
}

// Checks that fail before any cryptography: bad digests and unparseable
// bundles.
func TestVerifyBundleRejectsBadInput(t *testing.T) {
	e := testEnv(t)
	m := mustMaterial(t, "ts", e.rootJSON)
	ids := []trust.Identity{{Name: "release", Issuer: tsGHIssuer, Subject: tsGHSubject}}
	good := sha256Digest(e.blob)
	tests := []struct {
		name    string
		bundle  []byte
		digest  trust.Digest
		wantErr string
	}{
		{"unknown digest algorithm", e.blobBundle, trust.Digest{Algorithm: "sha1", Hex: strings.Repeat("a", 40)}, "not one of sha256, sha384, sha512"},
		{"empty digest", e.blobBundle, trust.Digest{}, "not one of"},
		{"digest not hex", e.blobBundle, trust.Digest{Algorithm: "sha256", Hex: strings.Repeat("z", 64)}, "64 hex characters"},
		{"empty bundle", nil, good, "bundle is empty"},
		{"bundle not JSON", []byte("not json"), good, "not valid Sigstore bundle JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: tt.bundle, Digest: tt.digest, Identities: ids})
			wantErrContains(t, err, tt.wantErr)
		})
	}
}

// A statement's predicate need not be a JSON object: cosign attest --type
// spdx signs SPDX tag-value text as a JSON string. The signature verifies
// and the predicate type is reported either way.
func TestVerifyBundlePredicateShapes(t *testing.T) {
	s, err := testsigstore.New()
	if err != nil {
		t.Fatal(err)
	}
	rootJSON, err := s.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	m := mustMaterial(t, "ts", rootJSON)
	ids := []trust.Identity{{Name: "release", Issuer: tsGHIssuer, Subject: tsGHSubject}}
	subject := []byte("the artifact an SPDX document describes")
	for _, tt := range []struct {
		name, predicate string
	}{
		{"object", `{"spdxVersion":"SPDX-2.3"}`},
		{"string", `"SPDXVersion: SPDX-2.2\nDataLicense: CC0-1.0\n"`},
		{"array", `[1,2,3]`},
		{"null", `null`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := sha256Digest(subject)
			st := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"a","digest":{"sha256":%q}}],"predicateType":"https://spdx.dev/Document","predicate":%s}`, d.Hex, tt.predicate)
			b, err := s.Attest(tsGHSubject, tsGHIssuer, []byte(st))
			if err != nil {
				t.Fatal(err)
			}
			out, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: b, Digest: d, Identities: ids})
			if err != nil {
				t.Fatalf("VerifyBundle: %v", err)
			}
			if out.PredicateType != "https://spdx.dev/Document" {
				t.Errorf("PredicateType = %q", out.PredicateType)
			}
			if _, err := trust.VerifyBundle(m, trust.BundleCheck{Bundle: b, Digest: sha256Digest([]byte("another")), Identities: ids}); err == nil {
				t.Error("verified against another digest")
			}
		})
	}
}
