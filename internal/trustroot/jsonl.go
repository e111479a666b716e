package trustroot

import (
	"bytes"
	"fmt"

	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// mergeTrustedRootLines turns a JSON Lines file of trusted roots — what
// `gh attestation trusted-root` prints: public-good and GitHub's instance,
// one per line — into one trusted root listing every authority and log. A
// single JSON document is returned unchanged.
func mergeTrustedRootLines(data []byte) ([]byte, error) {
	var lines [][]byte
	for _, l := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 || !bytes.HasPrefix(lines[0], []byte("{")) || !bytes.HasSuffix(lines[0], []byte("}")) {
		return data, nil
	}
	merged := &prototrustroot.TrustedRoot{}
	for i, l := range lines {
		var tr prototrustroot.TrustedRoot
		if err := protojson.Unmarshal(l, &tr); err != nil {
			return nil, fmt.Errorf("line %d: not a Sigstore trusted root: %w", i+1, err)
		}
		if merged.MediaType == "" {
			merged.MediaType = tr.MediaType
		} else if tr.MediaType != merged.MediaType {
			return nil, fmt.Errorf("line %d: media type %q differs from line 1's %q", i+1, tr.MediaType, merged.MediaType)
		}
		merged.Tlogs = append(merged.Tlogs, tr.Tlogs...)
		merged.CertificateAuthorities = append(merged.CertificateAuthorities, tr.CertificateAuthorities...)
		merged.Ctlogs = append(merged.Ctlogs, tr.Ctlogs...)
		merged.TimestampAuthorities = append(merged.TimestampAuthorities, tr.TimestampAuthorities...)
	}
	return protojson.Marshal(merged)
}
