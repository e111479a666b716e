package testsigstore

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/tlog"
)

// logEntry records a canonicalised Rekor v1 entry body in the virtual log
// and returns the bundle's view of it: the body, an inclusion promise (SET
// signed by the virtual log key) and an inclusion proof with a signed
// checkpoint. The VirtualSigstore can only prove inclusion in a tree of a
// single leaf, so the entry is placed at that proof's index (0).
func (s *Sigstore) logEntry(body []byte, integratedTime int64) (*protorekor.TransparencyLogEntry, error) {
	var head struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, fmt.Errorf("testsigstore: parsing rekor entry body: %w", err)
	}
	if head.Kind == "" || head.APIVersion == "" {
		return nil, errors.New("testsigstore: rekor entry body lacks kind or apiVersion")
	}

	proof, err := s.vs.GetInclusionProof(body)
	if err != nil {
		return nil, fmt.Errorf("testsigstore: inclusion proof: %w", err)
	}
	if proof.LogIndex == nil || proof.TreeSize == nil || proof.RootHash == nil || proof.Checkpoint == nil {
		return nil, errors.New("testsigstore: incomplete inclusion proof")
	}
	logIndex := *proof.LogIndex

	set, err := s.vs.RekorSignPayload(tlog.RekorPayload{
		Body:           base64.StdEncoding.EncodeToString(body),
		IntegratedTime: integratedTime,
		LogIndex:       logIndex,
		LogID:          s.rekorLogID,
	})
	if err != nil {
		return nil, fmt.Errorf("testsigstore: signing inclusion promise: %w", err)
	}

	rootHash, err := hex.DecodeString(*proof.RootHash)
	if err != nil {
		return nil, fmt.Errorf("testsigstore: decoding root hash: %w", err)
	}
	hashes := make([][]byte, 0, len(proof.Hashes))
	for _, h := range proof.Hashes {
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("testsigstore: decoding proof hash: %w", err)
		}
		hashes = append(hashes, b)
	}

	return &protorekor.TransparencyLogEntry{
		LogIndex:          logIndex,
		LogId:             &protocommon.LogId{KeyId: s.rekorLog.ID},
		KindVersion:       &protorekor.KindVersion{Kind: head.Kind, Version: head.APIVersion},
		IntegratedTime:    integratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: set},
		CanonicalizedBody: body,
		InclusionProof: &protorekor.InclusionProof{
			LogIndex:   logIndex,
			RootHash:   rootHash,
			TreeSize:   *proof.TreeSize,
			Hashes:     hashes,
			Checkpoint: &protorekor.Checkpoint{Envelope: *proof.Checkpoint},
		},
	}, nil
}

// hashedRekordBody builds the canonical JSON body of a Rekor hashedrekord
// v0.0.1 entry for a SHA-256 digest, signature and PEM public key. Field
// order is lexicographic at every level, matching Rekor's canonical form.
func hashedRekordBody(hashAlg string, digest, sig, publicKeyPEM []byte) ([]byte, error) {
	type content struct {
		Content []byte `json:"content"` // base64 by encoding/json
	}
	type signatureObj struct {
		Content   []byte  `json:"content"`
		PublicKey content `json:"publicKey"`
	}
	type hashObj struct {
		Algorithm string `json:"algorithm"`
		Value     string `json:"value"`
	}
	type dataObj struct {
		Hash hashObj `json:"hash"`
	}
	type spec struct {
		Data      dataObj      `json:"data"`
		Signature signatureObj `json:"signature"`
	}
	type entry struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       spec   `json:"spec"`
	}
	b, err := json.Marshal(entry{
		APIVersion: "0.0.1",
		Kind:       "hashedrekord",
		Spec: spec{
			Data:      dataObj{Hash: hashObj{Algorithm: hashAlg, Value: hex.EncodeToString(digest)}},
			Signature: signatureObj{Content: sig, PublicKey: content{Content: publicKeyPEM}},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("testsigstore: encoding hashedrekord body: %w", err)
	}
	return b, nil
}

// decodeB64 decodes DSSE base64, which may be standard or URL-safe, padded
// or not.
func decodeB64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not valid base64")
}
