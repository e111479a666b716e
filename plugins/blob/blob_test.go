package blob

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/vmafx/vmafx-trust/internal/testsigstore"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

const (
	btSubject = "https://github.com/vmafx/vmafx/.github/workflows/release.yml@refs/tags/v1.4.0"
	btIssuer  = "https://token.actions.githubusercontent.com"
	btPred    = "https://slsa.dev/provenance/v1"
)

// btEnv holds everything signed once for the blob tests: the virtual TSA
// and CA are valid only for minutes around their creation.
type btEnv struct {
	rootJSON []byte
	file     []byte // the release file
	bundle   []byte // SignBlob over file
	other    []byte // another file's bundle (same signer)
	attFile  []byte // the file an attestation names
	attest   []byte // Attest with a statement whose subject is sha256(attFile)
	// attestSBOM is Attest with an SPDX 2.3 statement (predicate type
	// https://spdx.dev/Document/v2.3, as GitHub's attest-sbom writes it)
	// whose subject is sha256(attFile).
	attestSBOM []byte
	keyBndl    []byte // SignBlobKey over file
	keyPEM     []byte

	// A TSA-only instance (no Rekor log, like GitHub's) whose leaf keys are
	// P-521, so that a message signature over a SHA-512 digest verifies.
	root512JSON []byte
	bundle512   []byte // signs sha512(file)
}

var (
	btOnce sync.Once
	btVal  *btEnv
	btErr  error
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func sha512Hex(b []byte) string {
	s := sha512.Sum512(b)
	return hex.EncodeToString(s[:])
}

func blobEnv(t *testing.T) *btEnv {
	t.Helper()
	btOnce.Do(func() { btVal, btErr = newBlobEnv() })
	if btErr != nil {
		t.Fatalf("signing test material: %v", btErr)
	}
	return btVal
}

func newBlobEnv() (*btEnv, error) {
	e := &btEnv{file: []byte("libvmaf.so release bytes\x00\x7f for the blob plugin tests")}
	s, err := testsigstore.New()
	if err != nil {
		return nil, err
	}
	if e.rootJSON, err = s.TrustedRootJSON(); err != nil {
		return nil, err
	}
	if e.bundle, err = s.SignBlob(btSubject, btIssuer, e.file); err != nil {
		return nil, err
	}
	if e.other, err = s.SignBlob(btSubject, btIssuer, []byte("another file")); err != nil {
		return nil, err
	}
	e.attFile = []byte("vmaf CLI bytes named by the statement")
	st, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "vmaf", "digest": map[string]string{"sha256": sha256Hex(e.attFile)}}},
		"predicateType": btPred,
		"predicate":     map[string]any{"buildDefinition": map[string]any{"buildType": "https://example.com/test"}},
	})
	if err != nil {
		return nil, err
	}
	if e.attest, err = s.Attest(btSubject, btIssuer, st); err != nil {
		return nil, err
	}
	sbom, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "vmaf", "digest": map[string]string{"sha256": sha256Hex(e.attFile)}}},
		"predicateType": "https://spdx.dev/Document/v2.3",
		"predicate":     map[string]any{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT"},
	})
	if err != nil {
		return nil, err
	}
	if e.attestSBOM, err = s.Attest(btSubject, btIssuer, sbom); err != nil {
		return nil, err
	}
	if e.keyBndl, e.keyPEM, err = s.SignBlobKey(e.file); err != nil {
		return nil, err
	}
	if e.root512JSON, e.bundle512, err = signSHA512(e.file); err != nil {
		return nil, err
	}
	return e, nil
}

// signSHA512 makes a keyless bundle v0.3 whose message signature is over
// the SHA-512 digest of data, timestamped by the virtual TSA, with no log
// entry; and the trusted root of that instance (CA and TSA, no logs). The
// leaf key is P-521 so that sigstore's default verifier hashes with SHA-512.
func signSHA512(data []byte) (rootJSON, bundleJSON []byte, err error) {
	vs, err := ca.NewVirtualSigstoreWithSigningAlg(protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512)
	if err != nil {
		return nil, nil, err
	}
	leaf, key, err := vs.GenerateLeafCert(btSubject, btIssuer)
	if err != nil {
		return nil, nil, err
	}
	sum := sha512.Sum512(data)
	sig, err := key.(crypto.Signer).Sign(rand.Reader, sum[:], crypto.SHA512)
	if err != nil {
		return nil, nil, err
	}
	tsr, err := vs.TimestampResponse(sig)
	if err != nil {
		return nil, nil, err
	}
	pb := &protobundle.Bundle{
		MediaType: testsigstore.BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: leaf.Raw}},
			TimestampVerificationData: &protobundle.TimestampVerificationData{
				Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: tsr}},
			},
		},
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_512, Digest: sum[:]},
			Signature:     sig,
		}},
	}
	if bundleJSON, err = protojson.Marshal(pb); err != nil {
		return nil, nil, err
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(),
		map[string]*root.TransparencyLog{}, vs.TimestampingAuthorities(), map[string]*root.TransparencyLog{})
	if err != nil {
		return nil, nil, err
	}
	if rootJSON, err = tr.MarshalJSON(); err != nil {
		return nil, nil, err
	}
	return rootJSON, bundleJSON, nil
}

func btWrite(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func btAttrs(t *testing.T, attrs map[string]any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(attrs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var btIdentity = sdk.Identity{Name: "release", Issuer: btIssuer, Subject: btSubject}

func TestVerify(t *testing.T) {
	e := blobEnv(t)
	ts := &sdk.TrustRoot{Name: "ts", TrustedRootJSON: e.rootJSON}
	ts512 := &sdk.TrustRoot{Name: "ts512", TrustedRootJSON: e.root512JSON}
	keyRoot := &sdk.TrustRoot{Name: "k", TrustedRootJSON: e.rootJSON, PublicKeysPEM: [][]byte{e.keyPEM}}
	fileSHA256 := sdk.Digest{Algorithm: "sha256", Hex: sha256Hex(e.file)}

	type layout struct {
		attrs func(dir string) map[string]any // paths are made under dir
		files map[string][]byte               // name under dir → content
	}
	tests := []struct {
		name       string
		layout     layout
		trustRoot  *sdk.TrustRoot
		ids        []sdk.Identity
		useKey     bool
		wantStatus sdk.Status
		// On pass: the evidence, one per bundle that verified.
		wantDigests []sdk.Digest
		wantBundles []string // names under dir whose bytes the evidence carries (a "name#N" picks line N)
		wantSources []string // suffixes of Evidence.Source
		wantReason  []string // substrings of Result.Reason on fail / error
		// hostFails: a single bundle is bound to the file but not verified
		// by the plugin (the host does that); the returned evidence must
		// then fail the host's verification with wantReason.
		hostFails bool
	}{
		{
			name: "explicit bundle",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "sig/libvmaf.json": e.bundle},
				attrs: func(d string) map[string]any {
					return map[string]any{"path": filepath.Join(d, "libvmaf.so"), "bundle": filepath.Join(d, "sig/libvmaf.json")}
				},
			},
			wantStatus: sdk.StatusPass, wantDigests: []sdk.Digest{fileSHA256}, wantBundles: []string{"sig/libvmaf.json"}, wantSources: []string{"sig/libvmaf.json"},
		},
		{
			name: "default bundle path .sigstore.json",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.sigstore.json": e.bundle},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			wantStatus: sdk.StatusPass, wantDigests: []sdk.Digest{fileSHA256}, wantBundles: []string{"libvmaf.so.sigstore.json"}, wantSources: []string{"libvmaf.so.sigstore.json"},
		},
		{
			name: "default bundle path .bundle",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.bundle": e.bundle},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			wantStatus: sdk.StatusPass, wantDigests: []sdk.Digest{fileSHA256}, wantBundles: []string{"libvmaf.so.bundle"}, wantSources: []string{"libvmaf.so.bundle"},
		},
		{
			// .sigstore.json is looked for first: a bad .bundle beside it is
			// never read.
			name: ".sigstore.json wins over .bundle",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.sigstore.json": e.bundle, "libvmaf.so.bundle": e.other},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			wantStatus: sdk.StatusPass, wantDigests: []sdk.Digest{fileSHA256}, wantBundles: []string{"libvmaf.so.sigstore.json"}, wantSources: []string{"libvmaf.so.sigstore.json"},
		},
		{
			// A digest algorithm that cannot be computed fails, naming the bundle.
			name: "bundle signs a SHA3-256 digest",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "sig/sha3.json": withDigestAlgorithm(t, e.bundle, "SHA3_256")},
				attrs: func(d string) map[string]any {
					return map[string]any{"path": filepath.Join(d, "libvmaf.so"), "bundle": filepath.Join(d, "sig/sha3.json")}
				},
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"sig/sha3.json", "SHA3_256", "unsupported digest algorithm"},
		},
		{
			name: "no bundle beside the file",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"neither", "libvmaf.so.sigstore.json", "libvmaf.so.bundle"},
		},
		{
			name: "explicit bundle missing",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file},
				attrs: func(d string) map[string]any {
					return map[string]any{"path": filepath.Join(d, "libvmaf.so"), "bundle": filepath.Join(d, "nope.json")}
				},
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"nope.json"},
		},
		{
			name: "path and digest both",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.sigstore.json": e.bundle},
				attrs: func(d string) map[string]any {
					return map[string]any{"path": filepath.Join(d, "libvmaf.so"), "digest": "sha256:" + sha256Hex(e.file)}
				},
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"not both"},
		},
		{
			name: "neither path nor digest",
			layout: layout{
				files: map[string][]byte{"b.json": e.bundle},
				attrs: func(d string) map[string]any { return map[string]any{"bundle": filepath.Join(d, "b.json")} },
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"needs path or digest"},
		},
		{
			name: "digest form",
			layout: layout{
				files: map[string][]byte{"b.json": e.bundle},
				attrs: func(d string) map[string]any {
					return map[string]any{"digest": "sha256:" + sha256Hex(e.file), "bundle": filepath.Join(d, "b.json")}
				},
			},
			wantStatus: sdk.StatusPass, wantDigests: []sdk.Digest{fileSHA256}, wantBundles: []string{"b.json"}, wantSources: []string{"b.json"},
		},
		{
			name: "digest form in upper case is normalised",
			layout: layout{
				files: map[string][]byte{"b.json": e.bundle},
				attrs: func(d string) map[string]any {
					return map[string]any{"digest": "SHA256:" + strings.ToUpper(sha256Hex(e.file)), "bundle": filepath.Join(d, "b.json")}
				},
			},
			wantStatus: sdk.StatusPass, wantDigests: []sdk.Digest{fileSHA256}, wantBundles: []string{"b.json"}, wantSources: []string{"b.json"},
		},
		{
			name: "digest form with another digest",
			layout: layout{
				files: map[string][]byte{"b.json": e.bundle},
				attrs: func(d string) map[string]any {
					return map[string]any{"digest": "sha256:" + sha256Hex([]byte("x")), "bundle": filepath.Join(d, "b.json")}
				},
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"expected digest sha256:" + sha256Hex([]byte("x"))},
		},
		{
			name: "digest form without a bundle",
			layout: layout{
				attrs: func(d string) map[string]any { return map[string]any{"digest": "sha256:" + sha256Hex(e.file)} },
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"no bundle given"},
		},
		{
			name: "digest form, sha512 given for a sha256 signature",
			layout: layout{
				files: map[string][]byte{"b.json": e.bundle},
				attrs: func(d string) map[string]any {
					return map[string]any{"digest": "sha512:" + sha512Hex(e.file), "bundle": filepath.Join(d, "b.json")}
				},
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"signs a sha256 digest, the policy gives sha512"},
		},
		{
			name: "tampered file",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": append(append([]byte{}, e.file...), '!'), "libvmaf.so.sigstore.json": e.bundle},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			wantStatus: sdk.StatusFail,
			wantReason: []string{"expected digest sha256:" + sha256Hex(append(append([]byte{}, e.file...), '!')), "found sha256:" + sha256Hex(e.file)},
		},
		{
			name: "bundle of another file",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.sigstore.json": e.other},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"expected digest"},
		},
		{
			name: "a directory as path",
			layout: layout{
				files: map[string][]byte{"dir/inner": e.file, "b.json": e.bundle},
				attrs: func(d string) map[string]any {
					return map[string]any{"path": filepath.Join(d, "dir"), "bundle": filepath.Join(d, "b.json")}
				},
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"is a directory"},
		},
		{
			name: "file missing",
			layout: layout{
				files: map[string][]byte{"b.json": e.bundle},
				attrs: func(d string) map[string]any {
					return map[string]any{"path": filepath.Join(d, "gone.so"), "bundle": filepath.Join(d, "b.json")}
				},
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"gone.so"},
		},
		{
			name: "bundle is not a bundle",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.sigstore.json": []byte("not json")},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"libvmaf.so.sigstore.json", "not valid Sigstore bundle JSON"},
		},
		{
			name: "identity not matched",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.sigstore.json": e.bundle},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			ids:       []sdk.Identity{{Name: "nightly", Issuer: btIssuer, SubjectRegexp: `^https://github\.com/vmafx/vmafx/\.github/workflows/nightly\.yml@.*$`}},
			hostFails: true, wantStatus: sdk.StatusFail, wantReason: []string{`identity "nightly"`, "subject: expected", "found " + btSubject},
		},
		{
			name: "JSON Lines: the second bundle verifies",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "all.jsonl": bytes.Join([][]byte{e.other, e.bundle}, []byte("\n"))},
				attrs: func(d string) map[string]any {
					return map[string]any{"path": filepath.Join(d, "libvmaf.so"), "bundle": filepath.Join(d, "all.jsonl")}
				},
			},
			wantStatus: sdk.StatusPass, wantDigests: []sdk.Digest{fileSHA256}, wantBundles: []string{"all.jsonl#2"}, wantSources: []string{"all.jsonl:2"},
		},
		{
			name: "JSON Lines: none verifies",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "all.jsonl": bytes.Join([][]byte{e.other, e.other}, []byte("\n"))},
				attrs: func(d string) map[string]any {
					return map[string]any{"path": filepath.Join(d, "libvmaf.so"), "bundle": filepath.Join(d, "all.jsonl")}
				},
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"none of the 2 bundles"},
		},
		{
			name: "attestation over the file",
			layout: layout{
				files: map[string][]byte{"vmaf": e.attFile, "vmaf.intoto.json": e.attest},
				attrs: func(d string) map[string]any {
					return map[string]any{"path": filepath.Join(d, "vmaf"), "bundle": filepath.Join(d, "vmaf.intoto.json"),
						"attestation": map[string]any{"predicate_type": btPred}}
				},
			},
			wantStatus:  sdk.StatusPass,
			wantDigests: []sdk.Digest{{Algorithm: "sha256", Hex: sha256Hex(e.attFile)}}, wantBundles: []string{"vmaf.intoto.json"}, wantSources: []string{"vmaf.intoto.json"},
		},
		{
			name: "attestation over another file",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "vmaf.intoto.json": e.attest},
				attrs: func(d string) map[string]any {
					return map[string]any{"path": filepath.Join(d, "libvmaf.so"), "bundle": filepath.Join(d, "vmaf.intoto.json")}
				},
			},
			hostFails: true, wantStatus: sdk.StatusFail, wantReason: []string{"digest"},
		},
		{
			name: "attestation of another predicate type",
			layout: layout{
				files: map[string][]byte{"vmaf": e.attFile, "vmaf.intoto.json": e.attest},
				attrs: func(d string) map[string]any {
					return map[string]any{"path": filepath.Join(d, "vmaf"), "bundle": filepath.Join(d, "vmaf.intoto.json"),
						"attestation": map[string]any{"predicate_type": "https://spdx.dev/Document"}}
				},
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"predicate type: expected https://spdx.dev/Document, found " + btPred},
		},
		{
			name: "attestation required, message signature given",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.sigstore.json": e.bundle},
				attrs: func(d string) map[string]any {
					return map[string]any{"path": filepath.Join(d, "libvmaf.so"), "attestation": map[string]any{}}
				},
			},
			wantStatus: sdk.StatusFail, wantReason: []string{"an attestation is required"},
		},
		{
			name: "key-signed, UseKey",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.sigstore.json": e.keyBndl},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			trustRoot: keyRoot, ids: []sdk.Identity{}, useKey: true,
			wantStatus: sdk.StatusPass, wantDigests: []sdk.Digest{fileSHA256}, wantBundles: []string{"libvmaf.so.sigstore.json"}, wantSources: []string{"libvmaf.so.sigstore.json"},
		},
		{
			name: "key-signed, identity expected",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.sigstore.json": e.keyBndl},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			trustRoot: keyRoot,
			hostFails: true, wantStatus: sdk.StatusFail, wantReason: []string{"signed with a public key"},
		},
		{
			name: "certificate-signed, UseKey",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.sigstore.json": e.bundle},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			trustRoot: keyRoot, useKey: true,
			hostFails: true, wantStatus: sdk.StatusFail, wantReason: []string{"signed with a certificate"},
		},
		{
			name: "sha512 signature, path form",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.sigstore.json": e.bundle512},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			trustRoot:  ts512,
			wantStatus: sdk.StatusPass, wantDigests: []sdk.Digest{{Algorithm: "sha512", Hex: sha512Hex(e.file)}},
			wantBundles: []string{"libvmaf.so.sigstore.json"}, wantSources: []string{"libvmaf.so.sigstore.json"},
		},
		{
			name: "sha512 signature, digest form",
			layout: layout{
				files: map[string][]byte{"b.json": e.bundle512},
				attrs: func(d string) map[string]any {
					return map[string]any{"digest": "sha512:" + sha512Hex(e.file), "bundle": filepath.Join(d, "b.json")}
				},
			},
			trustRoot:  ts512,
			wantStatus: sdk.StatusPass, wantDigests: []sdk.Digest{{Algorithm: "sha512", Hex: sha512Hex(e.file)}},
			wantBundles: []string{"b.json"}, wantSources: []string{"b.json"},
		},
		{
			name: "sha512 signature, digest form with sha256",
			layout: layout{
				files: map[string][]byte{"b.json": e.bundle512},
				attrs: func(d string) map[string]any {
					return map[string]any{"digest": "sha256:" + sha256Hex(e.file), "bundle": filepath.Join(d, "b.json")}
				},
			},
			trustRoot:  ts512,
			wantStatus: sdk.StatusFail, wantReason: []string{"signs a sha512 digest, the policy gives sha256"},
		},
		{
			name: "sha512 signature, tampered file",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": []byte("tampered"), "libvmaf.so.sigstore.json": e.bundle512},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			trustRoot:  ts512,
			wantStatus: sdk.StatusFail, wantReason: []string{"expected digest sha512:" + sha512Hex([]byte("tampered"))},
		},
		{
			name: "sha512 signature against another instance's root",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.sigstore.json": e.bundle512},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			hostFails: true, wantStatus: sdk.StatusFail, wantReason: []string{"libvmaf.so.sigstore.json"},
		},
		{
			name: "trust root that does not load",
			layout: layout{
				files: map[string][]byte{"libvmaf.so": e.file, "libvmaf.so.sigstore.json": e.bundle},
				attrs: func(d string) map[string]any { return map[string]any{"path": filepath.Join(d, "libvmaf.so")} },
			},
			trustRoot:  &sdk.TrustRoot{Name: "broken", TrustedRootJSON: []byte("{")},
			wantStatus: sdk.StatusError, wantReason: []string{`trust root "broken"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.layout.files {
				btWrite(t, filepath.Join(dir, name), data)
			}
			tr := tt.trustRoot
			if tr == nil {
				tr = ts
			}
			ids := tt.ids
			if ids == nil {
				ids = []sdk.Identity{btIdentity}
			}
			req := &sdk.Request{Kind: "blob", Name: "libvmaf", Attributes: btAttrs(t, tt.layout.attrs(dir)),
				Identities: ids, Require: 1, TrustRoot: tr, UseKey: tt.useKey}
			res, err := (&Plugin{}).Verify(context.Background(), req)
			if err != nil {
				t.Fatalf("Verify returned a transport error: %v", err)
			}
			if tt.hostFails {
				if res.Status != sdk.StatusPass || len(res.Evidence) != 1 {
					t.Fatalf("status %v with %d evidence, want a pass with the bundle for the host (%s)", res.Status, len(res.Evidence), res.Reason)
				}
				m, err := trust.NewMaterial(tr.Name, tr.TrustedRootJSON, tr.PublicKeysPEM)
				if err != nil {
					t.Fatal(err)
				}
				var tids []trust.Identity
				for _, id := range ids {
					tids = append(tids, trust.Identity(id))
				}
				ev := res.Evidence[0]
				_, err = trust.VerifyBundle(m, trust.BundleCheck{Bundle: ev.Bundle, Digest: trust.Digest{Algorithm: ev.SubjectDigest.Algorithm, Hex: ev.SubjectDigest.Hex}, Identities: tids, UseKey: tt.useKey})
				if err == nil {
					t.Fatal("the host's verification of the returned evidence passed")
				}
				for _, w := range tt.wantReason {
					if !strings.Contains(err.Error(), w) && !strings.Contains(ev.Source, w) {
						t.Errorf("host error %q does not contain %q", err, w)
					}
				}
				return
			}
			if res.Status != tt.wantStatus {
				t.Fatalf("status %v (%s), want %v", res.Status, res.Reason, tt.wantStatus)
			}
			for _, w := range tt.wantReason {
				if !strings.Contains(res.Reason, w) {
					t.Errorf("reason %q does not contain %q", res.Reason, w)
				}
			}
			if tt.wantStatus != sdk.StatusPass {
				if len(res.Evidence) != 0 {
					t.Errorf("a %v result carries %d evidence", res.Status, len(res.Evidence))
				}
				return
			}
			if len(res.Evidence) != len(tt.wantDigests) {
				t.Fatalf("%d evidence, want %d", len(res.Evidence), len(tt.wantDigests))
			}
			for i, ev := range res.Evidence {
				if ev.Type != sdk.EvidenceBundle {
					t.Errorf("evidence %d type %v, want EvidenceBundle", i, ev.Type)
				}
				if ev.SubjectDigest != tt.wantDigests[i] {
					t.Errorf("evidence %d SubjectDigest %v, want %v", i, ev.SubjectDigest, tt.wantDigests[i])
				}
				if want := btBundleBytes(t, dir, tt.wantBundles[i]); !bytes.Equal(ev.Bundle, want) {
					t.Errorf("evidence %d Bundle is not the bundle file's bytes (%d vs %d bytes)", i, len(ev.Bundle), len(want))
				}
				if ev.MediaType != testsigstore.BundleMediaType {
					t.Errorf("evidence %d MediaType %q", i, ev.MediaType)
				}
				if !strings.HasSuffix(ev.Source, tt.wantSources[i]) {
					t.Errorf("evidence %d Source %q, want suffix %q", i, ev.Source, tt.wantSources[i])
				}
			}
			if !btHasPassingCheck(res, "signature") {
				t.Errorf("no passing signature check: %+v", res.Checks)
			}
		})
	}
}

// btBundleBytes reads name under dir; "name#N" is line N of a JSON Lines file.
// withDigestAlgorithm returns the bundle JSON with its message digest's
// algorithm renamed.
func withDigestAlgorithm(t *testing.T, bundleJSON []byte, alg string) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(bundleJSON, &doc); err != nil {
		t.Fatal(err)
	}
	doc["messageSignature"].(map[string]any)["messageDigest"].(map[string]any)["algorithm"] = alg
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func btBundleBytes(t *testing.T, dir, name string) []byte {
	t.Helper()
	file, line, _ := strings.Cut(name, "#")
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	if line == "" {
		return data
	}
	lines := bytes.Split(data, []byte("\n"))
	n := int(line[0] - '0')
	return lines[n-1]
}

func btHasPassingCheck(res *sdk.Result, name string) bool {
	for _, c := range res.Checks {
		if c.Name == name && c.OK {
			return true
		}
	}
	return false
}

// A cancelled context makes the file "could not be checked" (error), never
// a pass and never a verdict on the signature.
func TestVerifyCancelledContext(t *testing.T) {
	e := blobEnv(t)
	dir := t.TempDir()
	path := btWrite(t, filepath.Join(dir, "libvmaf.so"), e.file)
	btWrite(t, path+".sigstore.json", e.bundle)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := &sdk.Request{Kind: "blob", Name: "libvmaf", Attributes: btAttrs(t, map[string]any{"path": path}),
		Identities: []sdk.Identity{btIdentity}, Require: 1, TrustRoot: &sdk.TrustRoot{Name: "ts", TrustedRootJSON: e.rootJSON}}
	res, err := (&Plugin{}).Verify(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != sdk.StatusError || len(res.Evidence) != 0 {
		t.Fatalf("status %v with %d evidence (%s), want error and none", res.Status, len(res.Evidence), res.Reason)
	}
	if !strings.Contains(res.Reason, "context canceled") {
		t.Errorf("reason %q does not say the run was cancelled", res.Reason)
	}
}
