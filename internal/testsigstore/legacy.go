package testsigstore

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
)

// LegacyPieces is cosign's pre-bundle signature material (strings as cosign
// puts them in layer annotations).
type LegacyPieces struct {
	Signature   string // base64, message signatures
	Envelope    []byte // DSSE envelope JSON, attestations
	Certificate string // PEM
	RekorBundle string // {"SignedEntryTimestamp","Payload":{body,integratedTime,logIndex,logID}}
	RFC3161     string // {"SignedRFC3161Timestamp"}
}

// SplitLegacy takes a Sigstore bundle (v0.1–v0.3 JSON) apart into what
// cosign stored before bundles: the signature (message signatures) or DSSE
// envelope JSON (attestations), the certificate PEM, the Rekor entry as
// cosign's rekor bundle and the RFC 3161 timestamp.
func SplitLegacy(bundleJSON []byte) (LegacyPieces, error) {
	var b struct {
		VerificationMaterial struct {
			Certificate *struct {
				RawBytes []byte `json:"rawBytes"`
			} `json:"certificate"`
			TlogEntries []struct {
				LogIndex         string                 `json:"logIndex"`
				LogID            struct{ KeyID []byte } `json:"logId"`
				IntegratedTime   string                 `json:"integratedTime"`
				InclusionPromise struct {
					SignedEntryTimestamp []byte `json:"signedEntryTimestamp"`
				} `json:"inclusionPromise"`
				CanonicalizedBody []byte `json:"canonicalizedBody"`
			} `json:"tlogEntries"`
			TimestampVerificationData struct {
				RFC3161Timestamps []struct {
					SignedTimestamp []byte `json:"signedTimestamp"`
				} `json:"rfc3161Timestamps"`
			} `json:"timestampVerificationData"`
		} `json:"verificationMaterial"`
		MessageSignature *struct {
			Signature []byte `json:"signature"`
		} `json:"messageSignature"`
		DSSEEnvelope *struct {
			Payload     []byte `json:"payload"`
			PayloadType string `json:"payloadType"`
			Signatures  []struct {
				Sig   []byte `json:"sig"`
				KeyID string `json:"keyid"`
			} `json:"signatures"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(bundleJSON, &b); err != nil {
		return LegacyPieces{}, err
	}
	var l LegacyPieces
	vm := b.VerificationMaterial
	if vm.Certificate != nil {
		l.Certificate = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: vm.Certificate.RawBytes}))
	}
	if len(vm.TlogEntries) > 0 {
		e := vm.TlogEntries[0]
		rb, _ := json.Marshal(map[string]any{
			"SignedEntryTimestamp": e.InclusionPromise.SignedEntryTimestamp,
			"Payload": map[string]any{
				"body":           base64.StdEncoding.EncodeToString(e.CanonicalizedBody),
				"integratedTime": json.Number(e.IntegratedTime),
				"logIndex":       json.Number(e.LogIndex),
				"logID":          hex.EncodeToString(e.LogID.KeyID),
			},
		})
		l.RekorBundle = string(rb)
	}
	if ts := vm.TimestampVerificationData.RFC3161Timestamps; len(ts) > 0 {
		b, _ := json.Marshal(map[string][]byte{"SignedRFC3161Timestamp": ts[0].SignedTimestamp})
		l.RFC3161 = string(b)
	}
	switch {
	case b.MessageSignature != nil:
		l.Signature = base64.StdEncoding.EncodeToString(b.MessageSignature.Signature)
	case b.DSSEEnvelope != nil:
		type sig struct {
			KeyID string `json:"keyid"`
			Sig   []byte `json:"sig"`
		}
		env := struct {
			PayloadType string `json:"payloadType"`
			Payload     []byte `json:"payload"`
			Signatures  []sig  `json:"signatures"`
		}{PayloadType: b.DSSEEnvelope.PayloadType, Payload: b.DSSEEnvelope.Payload}
		for _, s := range b.DSSEEnvelope.Signatures {
			env.Signatures = append(env.Signatures, sig{KeyID: s.KeyID, Sig: s.Sig})
		}
		l.Envelope, _ = json.Marshal(env)
	default:
		return LegacyPieces{}, errors.New("bundle has neither messageSignature nor dsseEnvelope")
	}
	return l, nil
}
