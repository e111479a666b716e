package trustroot

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
)

// Describe summarises a trusted_root.json for `vmafx-trust trusted-root show`:
// every Fulcio CA (URI, subject, certificates, validity), Rekor log (base URL,
// key id, key type, validity), CT log and timestamp authority.
func Describe(trustedRootJSON []byte) (string, error) {
	if len(trustedRootJSON) == 0 {
		return "", errors.New("no trusted root to describe (key-only trust root?)")
	}
	if err := ValidateTrustedRoot(trustedRootJSON); err != nil {
		return "", err
	}
	pb, err := root.NewTrustedRootProtobuf(trustedRootJSON)
	if err != nil {
		return "", fmt.Errorf("not a valid Sigstore trusted root: %w", err)
	}
	t := now().UTC()
	var b strings.Builder
	fmt.Fprintf(&b, "Sigstore trusted root (%s)\n", pb.GetMediaType())

	section := func(title string, n int) {
		fmt.Fprintf(&b, "\n%s: %d\n", title, n)
		if n == 0 {
			b.WriteString("  (none)\n")
		}
	}
	section("Fulcio certificate authorities", len(pb.GetCertificateAuthorities()))
	for _, ca := range pb.GetCertificateAuthorities() {
		describeCA(&b, ca, t)
	}
	section("Rekor transparency logs", len(pb.GetTlogs()))
	for _, l := range pb.GetTlogs() {
		describeLog(&b, l, t)
	}
	section("Certificate transparency logs", len(pb.GetCtlogs()))
	for _, l := range pb.GetCtlogs() {
		describeLog(&b, l, t)
	}
	section("Timestamp authorities", len(pb.GetTimestampAuthorities()))
	for _, ca := range pb.GetTimestampAuthorities() {
		describeCA(&b, ca, t)
	}
	return b.String(), nil
}

func describeCA(b *strings.Builder, ca *prototrustroot.CertificateAuthority, t time.Time) {
	fmt.Fprintf(b, "  - %s\n", orNone(ca.GetUri()))
	if s := ca.GetSubject(); s != nil && (s.GetOrganization() != "" || s.GetCommonName() != "") {
		fmt.Fprintf(b, "      subject:  %s\n", dn(s))
	}
	fmt.Fprintf(b, "      valid:    %s\n", validity(ca.GetValidFor(), t))
	for i, c := range ca.GetCertChain().GetCertificates() {
		role := "intermediate"
		switch {
		case i == len(ca.GetCertChain().GetCertificates())-1:
			role = "anchor"
		case i == 0:
			role = "issuing"
		}
		cert, err := x509.ParseCertificate(c.GetRawBytes())
		if err != nil {
			fmt.Fprintf(b, "      cert %d (%s): unparsable: %v\n", i+1, role, err)
			continue
		}
		mark := ""
		switch {
		case t.After(cert.NotAfter):
			mark = " [expired]"
		case t.Before(cert.NotBefore):
			mark = " [not yet valid]"
		}
		fmt.Fprintf(b, "      cert %d (%s): %s, %s .. %s%s\n", i+1, role, cert.Subject.String(),
			cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339), mark)
	}
}

func describeLog(b *strings.Builder, l *prototrustroot.TransparencyLogInstance, t time.Time) {
	fmt.Fprintf(b, "  - %s\n", orNone(l.GetBaseUrl()))
	if id := l.GetLogId().GetKeyId(); len(id) > 0 {
		fmt.Fprintf(b, "      key id:   %s (hex %s)\n", base64.StdEncoding.EncodeToString(id), hex.EncodeToString(id))
	}
	if cp := l.GetCheckpointKeyId().GetKeyId(); len(cp) > 0 && string(cp) != string(l.GetLogId().GetKeyId()) {
		fmt.Fprintf(b, "      checkpoint key id: %s\n", base64.StdEncoding.EncodeToString(cp))
	}
	if op := l.GetOperator(); op != "" {
		fmt.Fprintf(b, "      operator: %s\n", op)
	}
	pk := l.GetPublicKey()
	fmt.Fprintf(b, "      key:      %s\n", pk.GetKeyDetails())
	fmt.Fprintf(b, "      valid:    %s\n", validity(pk.GetValidFor(), t))
}

func dn(s *protocommon.DistinguishedName) string {
	var parts []string
	if s.GetOrganization() != "" {
		parts = append(parts, "O="+s.GetOrganization())
	}
	if s.GetCommonName() != "" {
		parts = append(parts, "CN="+s.GetCommonName())
	}
	return strings.Join(parts, ", ")
}

func validity(r *protocommon.TimeRange, t time.Time) string {
	if r == nil || r.GetStart() == nil {
		return "(no validity period)"
	}
	start := r.GetStart().AsTime().UTC()
	s := start.Format(time.RFC3339) + " .. "
	status := "active"
	if r.GetEnd() != nil {
		end := r.GetEnd().AsTime().UTC()
		s += end.Format(time.RFC3339)
		if t.After(end) {
			status = "ended"
		}
	} else {
		s += "(open)"
	}
	if t.Before(start) {
		status = "not yet valid"
	}
	return s + " [" + status + "]"
}

func orNone(s string) string {
	if s == "" {
		return "(no URL)"
	}
	return s
}
