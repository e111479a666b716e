package trust

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// Older cosign formats carry the same material as a Sigstore bundle —
// signature, certificate, Rekor entry with its signed entry timestamp — in
// other containers. They are converted to a v0.1 bundle (the version that
// takes an inclusion promise without a proof) and verified like any other:
// the conversion only moves bytes, every one of which is then verified.

// Detached is signature material given as separate pieces, as
// `cosign verify-blob --signature --certificate --certificate-chain` takes it.
type Detached struct {
	Signature      []byte // raw, or base64 as cosign writes it
	CertificatePEM []byte // PEM, or base64 of PEM; empty for key signatures
	ChainPEM       []byte // intermediates and root, PEM
	// RekorBundleJSON is cosign's {"SignedEntryTimestamp", "Payload"} object.
	RekorBundleJSON []byte
	RFC3161         [][]byte // DER timestamp responses
	// DSSEEnvelope, when set, is a DSSE envelope (JSON, as cosign stores
	// attestations in `.att` layers) that the material signs instead of a
	// message digest; Signature is then ignored. The bundle's content is
	// the envelope, and the digest given to BundleFromDetached must be a
	// subject of its in-toto statement (verification checks that).
	DSSEEnvelope []byte
	// MaxSize bounds DSSEEnvelope, in bytes: 0 is MaxBundleSize, at most
	// MaxBundleSizeLimit (an envelope may carry an SBOM).
	MaxSize int
}

// legacyBlobBundle is the JSON `cosign sign-blob --bundle` and
// `cosign attest-blob --bundle` wrote before the Sigstore bundle format.
// For sign-blob, base64Signature is the signature over the blob's digest
// and the Rekor entry a hashedrekord; for attest-blob, base64Signature is
// the whole DSSE envelope (JSON) and the entry a dsse (or intoto) entry.
type legacyBlobBundle struct {
	Base64Signature string          `json:"base64Signature"`
	Cert            string          `json:"cert"`
	RekorBundle     json.RawMessage `json:"rekorBundle"`
	RFC3161         *struct {
		SignedRFC3161Timestamp []byte `json:"SignedRFC3161Timestamp"`
	} `json:"rfc3161Timestamp"`
}

// IsLegacyBlobBundle reports whether data looks like cosign's old blob bundle.
func IsLegacyBlobBundle(data []byte) bool {
	// The keys alone answer for a document jsonScan vouches for, which
	// encoding/json decodes too; any other is decoded as it always was.
	s := &jsonScan{data: data}
	sig, media := false, false
	ok := s.members(func(key []byte) bool {
		switch string(key) {
		case "base64Signature":
			sig = true
		case "mediaType":
			media = true
		}
		return s.value(1)
	})
	if s.space(); ok && s.pos == len(data) {
		return sig && !media
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(data, &probe) != nil {
		return false
	}
	_, sig = probe["base64Signature"]
	_, media = probe["mediaType"]
	return sig && !media
}

// BundleFromLegacy converts cosign's old blob bundle into Sigstore bundle
// JSON: a message signature over digest (sign-blob), or the DSSE envelope
// whose statement must name digest as a subject (attest-blob). It reads at
// most MaxBundleSize bytes.
func BundleFromLegacy(data []byte, digest Digest) ([]byte, error) {
	return BundleFromLegacyWithin(data, digest, MaxBundleSize)
}

// BundleFromLegacyWithin is BundleFromLegacy with another bound: maxSize
// bytes (0: MaxBundleSize; at most MaxBundleSizeLimit), for bundles that
// may carry an SBOM attestation.
func BundleFromLegacyWithin(data []byte, digest Digest, maxSize int) ([]byte, error) {
	limit, err := bundleLimit(maxSize)
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, tooLarge("bundle", len(data), limit)
	}
	var lb legacyBlobBundle
	sig, err := unmarshalCutting(data, &lb, "base64Signature")
	if err != nil {
		return nil, fmt.Errorf("cosign bundle is not valid JSON: %w", err)
	}
	if sig == nil {
		sig = []byte(lb.Base64Signature)
	}
	if len(sig) == 0 {
		return nil, errors.New("cosign bundle has no base64Signature")
	}
	d := Detached{Signature: sig, CertificatePEM: []byte(lb.Cert), RekorBundleJSON: lb.RekorBundle, MaxSize: limit}
	if env, ok := legacyEnvelope(sig); ok {
		// attest-blob: the "signature" is the envelope; its signatures
		// are inside.
		d.Signature, d.DSSEEnvelope = nil, env
	}
	if len(bytes.TrimSpace(lb.RekorBundle)) == 0 || string(bytes.TrimSpace(lb.RekorBundle)) == "null" {
		d.RekorBundleJSON = nil
	}
	if lb.RFC3161 != nil && len(lb.RFC3161.SignedRFC3161Timestamp) > 0 {
		d.RFC3161 = [][]byte{lb.RFC3161.SignedRFC3161Timestamp}
	}
	return BundleFromDetached(d, digest)
}

// legacyEnvelope returns the JSON object base64Signature encodes, if it
// encodes one: cosign attest-blob puts the DSSE envelope there. A raw
// signature (ASN.1 DER, or the fixed-size bytes of Ed25519 or RSA) is never
// a valid JSON object, so the two cannot be confused; JSON that is not a
// DSSE envelope is then refused by the envelope parser.
func legacyEnvelope(b64 []byte) ([]byte, bool) {
	text := bytes.TrimSpace(b64)
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(raw, text)
	if err != nil {
		return nil, false
	}
	raw = raw[:n]
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false
	}
	// JSON jsonScan vouches for is valid for encoding/json too.
	if s := (&jsonScan{data: trimmed}); !s.value(0) || s.pos != len(trimmed) {
		if !json.Valid(trimmed) {
			return nil, false
		}
	}
	return raw, true
}

// unmarshalCutting is json.Unmarshal(data, v) for a struct v with a string
// field that data's member name (matched as encoding/json matches it,
// ignoring case) sets, except that when that string is long it is not
// decoded into v but returned: its text, which is its value when jsonScan
// vouches for data and the string has no escapes. encoding/json copies a
// string into memory before it decodes it, and after a pass that checks
// the whole document; the base64 in cosign's legacy bundle and in a DSSE
// envelope is tens of MiB for an SBOM attestation. The rest of data is
// decoded by encoding/json from a copy in which the string is "", and
// whatever the fast path does not vouch for by encoding/json from data.
func unmarshalCutting(data []byte, v any, name string) ([]byte, error) {
	if c, ok := foldedStringMember(data, name); ok && c.end-c.start >= minCutPayload {
		rest := make([]byte, 0, len(data)-(c.end-c.start))
		rest = append(append(rest, data[:c.start]...), data[c.end:]...)
		if json.Unmarshal(rest, v) == nil {
			return data[c.start:c.end], nil
		}
	}
	return nil, json.Unmarshal(data, v)
}

// foldedStringMember finds the string value of the member of data's object
// named name (equal ignoring case, as encoding/json matches a struct field).
// ok is false unless data is an object jsonScan vouches for, whose keys have
// no escapes, with exactly one such member, a string without escapes.
func foldedStringMember(data []byte, name string) (c span, ok bool) {
	s := &jsonScan{data: data}
	found, plain := 0, false
	ok = s.members(func(key []byte) bool {
		if !bytes.EqualFold(key, []byte(name)) {
			return s.value(1)
		}
		found++
		if s.peek() != '"' {
			return s.value(1)
		}
		s.pos++
		c.start = s.pos
		escaped, ok := s.str()
		c.end, plain = s.pos-1, !escaped
		return ok
	})
	if s.space(); !ok || s.pos != len(data) || found != 1 || !plain {
		return span{}, false
	}
	return c, true
}

type rekorBundle struct {
	SignedEntryTimestamp []byte `json:"SignedEntryTimestamp"`
	Payload              struct {
		Body           string `json:"body"`
		IntegratedTime int64  `json:"integratedTime"`
		LogIndex       int64  `json:"logIndex"`
		LogID          string `json:"logID"`
	} `json:"Payload"`
}

// BundleFromDetached assembles Sigstore bundle JSON (v0.1) from detached
// material and the digest the signature is over (for a DSSE envelope: the
// digest its statement must name as a subject, validated here only for its
// form).
func BundleFromDetached(d Detached, digest Digest) ([]byte, error) {
	rawDigest, err := digest.bytes()
	if err != nil {
		return nil, err
	}
	b := &protobundle.Bundle{
		MediaType:            "application/vnd.dev.sigstore.bundle+json;version=0.1",
		VerificationMaterial: &protobundle.VerificationMaterial{},
	}
	var env *protodsse.Envelope
	var payloadText []byte
	if len(d.DSSEEnvelope) > 0 {
		limit, err := bundleLimit(d.MaxSize)
		if err != nil {
			return nil, err
		}
		if env, payloadText, err = parseDSSEEnvelope(d.DSSEEnvelope, limit); err != nil {
			return nil, err
		}
		b.Content = &protobundle.Bundle_DsseEnvelope{DsseEnvelope: env}
	} else {
		sig, err := decodeMaybeBase64(d.Signature)
		if err != nil || len(sig) == 0 {
			return nil, errors.New("signature is empty or not base64")
		}
		hashAlg := map[string]protocommon.HashAlgorithm{
			"sha256": protocommon.HashAlgorithm_SHA2_256, "sha384": protocommon.HashAlgorithm_SHA2_384, "sha512": protocommon.HashAlgorithm_SHA2_512,
		}[digest.Algorithm]
		b.Content = &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: hashAlg, Digest: rawDigest},
			Signature:     sig,
		}}
	}
	vm := b.VerificationMaterial
	if len(bytes.TrimSpace(d.CertificatePEM)) > 0 {
		certs, err := parseCertsMaybeBase64(d.CertificatePEM)
		if err != nil {
			return nil, fmt.Errorf("certificate: %w", err)
		}
		if len(certs) != 1 {
			return nil, fmt.Errorf("certificate: want one certificate, found %d", len(certs))
		}
		chain := []*protocommon.X509Certificate{{RawBytes: certs[0].Raw}}
		if len(bytes.TrimSpace(d.ChainPEM)) > 0 {
			extra, err := parseCertsMaybeBase64(d.ChainPEM)
			if err != nil {
				return nil, fmt.Errorf("certificate chain: %w", err)
			}
			for _, c := range extra {
				chain = append(chain, &protocommon.X509Certificate{RawBytes: c.Raw})
			}
		}
		vm.Content = &protobundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: &protocommon.X509CertificateChain{Certificates: chain}}
	} else {
		vm.Content = &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{}}
	}
	if len(d.RekorBundleJSON) > 0 {
		entry, err := tlogEntryFromRekorBundle(d.RekorBundleJSON)
		if err != nil {
			return nil, fmt.Errorf("rekor bundle: %w", err)
		}
		if err := checkEntryRecords(entry, env); err != nil {
			return nil, fmt.Errorf("rekor bundle: %w", err)
		}
		vm.TlogEntries = []*protorekor.TransparencyLogEntry{entry}
	}
	if len(d.RFC3161) > 0 {
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{}
		for _, ts := range d.RFC3161 {
			vm.TimestampVerificationData.Rfc3161Timestamps = append(vm.TimestampVerificationData.Rfc3161Timestamps, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
		}
	}
	return marshalBundle(b, env, payloadText)
}

// payloadMarker stands in for a large DSSE payload while marshalBundle
// marshals the rest of the bundle; its base64 is then replaced by the
// payload's.
var payloadMarker = []byte("vmafx-trust: the DSSE payload goes here")

// marshalBundle is protojson.Marshal(b), b's DSSE envelope being env (or
// nil), whose payload's standard base64 is text when the envelope had it.
// protojson encodes a large payload to base64 and then copies it as it
// grows its output; here the rest of the bundle is marshalled around a
// marker, whose text is then replaced by the payload's base64, written
// once into an output of the final size. A marker that is not found
// exactly once (the bundle's other strings are the converted input's)
// leaves the bundle to protojson.
func marshalBundle(b *protobundle.Bundle, env *protodsse.Envelope, text []byte) ([]byte, error) {
	if env == nil || len(env.GetPayload()) < minCutPayload {
		return protojson.Marshal(b)
	}
	payload := env.Payload
	env.Payload = payloadMarker
	out, err := protojson.Marshal(b)
	env.Payload = payload
	if err != nil {
		return nil, err
	}
	marker := base64.StdEncoding.EncodeToString(payloadMarker)
	i := bytes.Index(out, []byte(marker))
	if i < 0 || bytes.Count(out, []byte(marker)) != 1 {
		return protojson.Marshal(b)
	}
	size := base64.StdEncoding.EncodedLen(len(payload))
	res := make([]byte, 0, len(out)-len(marker)+size)
	res = append(res, out[:i]...)
	if text != nil {
		res = append(res, text...)
	} else {
		res = base64.StdEncoding.AppendEncode(res, payload)
	}
	return append(res, out[i+len(marker):]...), nil
}

func tlogEntryFromRekorBundle(data []byte) (*protorekor.TransparencyLogEntry, error) {
	var rb rekorBundle
	if err := json.Unmarshal(data, &rb); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	body, err := base64.StdEncoding.DecodeString(rb.Payload.Body)
	if err != nil || len(body) == 0 {
		return nil, errors.New("the Rekor bundle's Payload.body is empty or not base64")
	}
	var kind struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(body, &kind); err != nil || kind.Kind == "" {
		return nil, errors.New("the Rekor bundle's Payload.body is not a Rekor entry")
	}
	logID, err := hex.DecodeString(rb.Payload.LogID)
	if err != nil || len(logID) == 0 {
		return nil, errors.New("Payload.logID is not hex")
	}
	if len(rb.SignedEntryTimestamp) == 0 {
		return nil, errors.New("no SignedEntryTimestamp")
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:          rb.Payload.LogIndex,
		LogId:             &protocommon.LogId{KeyId: logID},
		KindVersion:       &protorekor.KindVersion{Kind: kind.Kind, Version: kind.APIVersion},
		IntegratedTime:    rb.Payload.IntegratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: rb.SignedEntryTimestamp},
		CanonicalizedBody: body,
	}, nil
}

// Rekor v1 entry kinds.
const (
	kindHashedRekord = "hashedrekord" // a signature over a digest
	kindDSSE         = "dsse"         // a DSSE envelope
	kindInToto       = "intoto"       // a DSSE envelope, older kind
)

// checkEntryRecords refuses a Rekor entry that does not record the
// content it is paired with: a DSSE envelope (env non-nil) needs a dsse or
// intoto entry whose payload hash is the SHA-256 of the envelope's payload;
// a message signature needs a hashedrekord entry. Verification compares
// the entry with the content too (signature, key, digest or payload hash);
// the conversion checks the pairing so that a mismatch is named as one and
// no bundle pairs an envelope with a plain signature's entry.
func checkEntryRecords(entry *protorekor.TransparencyLogEntry, env *protodsse.Envelope) error {
	kind := entry.GetKindVersion().GetKind()
	if env == nil {
		if kind != kindHashedRekord {
			return fmt.Errorf("the Rekor entry is a %s entry, which does not record a signature over a digest (a %s entry does)", kind, kindHashedRekord)
		}
		return nil
	}
	if kind != kindDSSE && kind != kindInToto {
		return fmt.Errorf("the Rekor entry is a %s entry, which does not record a DSSE envelope (a %s or %s entry does)", kind, kindDSSE, kindInToto)
	}
	var body struct {
		Spec struct {
			PayloadHash *rekorHash `json:"payloadHash"` // dsse
			Content     struct {
				PayloadHash *rekorHash `json:"payloadHash"` // intoto
			} `json:"content"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(entry.GetCanonicalizedBody(), &body); err != nil {
		return fmt.Errorf("the Rekor %s entry is not valid JSON: %w", kind, err)
	}
	h := body.Spec.PayloadHash
	if h == nil {
		h = body.Spec.Content.PayloadHash
	}
	if h == nil || h.Algorithm != "sha256" || h.Value == "" {
		return fmt.Errorf("the Rekor %s entry records no SHA-256 payload hash", kind)
	}
	sum := sha256.Sum256(env.GetPayload())
	if !strings.EqualFold(h.Value, hex.EncodeToString(sum[:])) {
		return fmt.Errorf("the Rekor %s entry records payload hash %s, but the envelope's payload hashes to %x: the entry is for another envelope", kind, h.Value, sum)
	}
	return nil
}

type rekorHash struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
}

// parseDSSEEnvelope reads a DSSE envelope as JSON ({"payloadType",
// "payload", "signatures": [{"keyid", "sig"}]}, payload and signatures in
// base64) into its protobuf form, which holds the raw bytes; data is at
// most limit bytes. text is the payload's text when it is standard padded
// base64, as a bundle writes it.
func parseDSSEEnvelope(data []byte, limit int) (env *protodsse.Envelope, text []byte, err error) {
	if len(data) > limit {
		return nil, nil, tooLarge("DSSE envelope", len(data), limit)
	}
	var raw struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
		Signatures  []struct {
			KeyID string `json:"keyid"`
			Sig   string `json:"sig"`
		} `json:"signatures"`
	}
	text, err = unmarshalCutting(data, &raw, "payload")
	if err != nil {
		return nil, nil, fmt.Errorf("DSSE envelope is not valid JSON: %w", err)
	}
	if text == nil {
		text = []byte(raw.Payload)
	}
	if raw.PayloadType == "" {
		return nil, nil, errors.New("DSSE envelope has no payloadType")
	}
	payload, canonical, err := decodeDSSEBase64(text)
	if err != nil || len(payload) == 0 {
		return nil, nil, errors.New("DSSE envelope payload is empty or not base64")
	}
	if !canonical {
		text = nil
	}
	if len(raw.Signatures) == 0 {
		return nil, nil, errors.New("DSSE envelope has no signatures")
	}
	env = &protodsse.Envelope{Payload: payload, PayloadType: raw.PayloadType}
	for i, s := range raw.Signatures {
		sig, _, err := decodeDSSEBase64([]byte(s.Sig))
		if err != nil || len(sig) == 0 {
			return nil, nil, fmt.Errorf("DSSE envelope signature %d is empty or not base64", i+1)
		}
		env.Signatures = append(env.Signatures, &protodsse.Signature{Sig: sig, Keyid: s.KeyID})
	}
	return env, text, nil
}

// decodeDSSEBase64 accepts the standard and URL-safe alphabets, padded or
// not, as the DSSE specification allows. canonical reports that text is
// the standard padded base64 of the bytes.
func decodeDSSEBase64(text []byte) (b []byte, canonical bool, err error) {
	b = make([]byte, base64.RawStdEncoding.DecodedLen(len(text))) // the most any of them decodes
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if n, err := enc.Decode(b, text); err == nil {
			return b[:n], enc == base64.StdEncoding && canonicalTail(text), nil
		}
	}
	return nil, false, errors.New("not base64")
}

// decodeMaybeBase64 returns the base64-decoded bytes when data is base64
// text, else data itself.
func decodeMaybeBase64(data []byte) ([]byte, error) {
	s := strings.TrimSpace(string(data))
	if dec, err := base64.StdEncoding.DecodeString(s); err == nil {
		return dec, nil
	}
	return data, nil
}

func parseCertsMaybeBase64(data []byte) ([]*x509.Certificate, error) {
	data = bytes.TrimSpace(data)
	if !bytes.HasPrefix(data, []byte("-----BEGIN")) {
		dec, err := base64.StdEncoding.DecodeString(string(data))
		if err != nil {
			return nil, errors.New("neither PEM nor base64-encoded PEM")
		}
		data = dec
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %q is not a CERTIFICATE", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return certs, nil
}
