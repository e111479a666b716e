package sdk

import (
	"time"

	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
	"github.com/vmafx/vmafx-trust/internal/protocol"
)

// The plugin side's conversions: requests and trust roots from the
// protocol's messages, info and results to them (the host side's, the other
// way, are in internal/pluginclient).

func infoToProto(i Info) *pb.DescribeResponse {
	out := &pb.DescribeResponse{Name: i.Name, Version: i.Version, OpaqueEvidence: i.OpaqueEvidence}
	for _, v := range i.ProtocolVersions {
		out.ProtocolVersions = append(out.ProtocolVersions, uint32(v))
	}
	for _, k := range i.Kinds {
		ks := &pb.KindSchema{Kind: k.Kind, Description: k.Description, Attributes: attrsToProto(k.Attributes)}
		for _, b := range k.Blocks {
			ks.Blocks = append(ks.Blocks, &pb.NestedBlock{
				TypeName: b.TypeName, Nesting: pb.NestedBlock_Nesting(b.Nesting), Required: b.Required,
				Description: b.Description, Attributes: attrsToProto(b.Attributes), IdentityForm: b.IdentityForm,
			})
		}
		out.Kinds = append(out.Kinds, ks)
	}
	return out
}

func attrsToProto(as []Attribute) []*pb.Attribute {
	out := make([]*pb.Attribute, 0, len(as))
	for _, a := range as {
		out = append(out, &pb.Attribute{Name: a.Name, Type: a.Type, Required: a.Required, Description: a.Description, Example: a.Example, Kinds: a.Kinds})
	}
	return out
}

func trustRootsFromProto(rs []*pb.TrustRoot) map[string]*TrustRoot {
	out := make(map[string]*TrustRoot, len(rs))
	for _, r := range rs {
		out[r.GetName()] = &TrustRoot{Name: r.GetName(), TrustedRootJSON: r.GetTrustedRootJson(), PublicKeysPEM: r.GetPublicKeys()}
	}
	return out
}

func requestFromProto(p *pb.VerifyRequest, roots map[string]*TrustRoot) *Request {
	out := &Request{
		Kind: p.GetKind(), Name: p.GetName(), Attributes: p.GetAttributesJson(), Require: int(p.GetRequire()),
		Offline: p.GetOptions().GetOffline(), UseKey: p.GetOptions().GetUseKey(), PolicyDir: p.GetPolicyDir(),
	}
	if rq := p.GetRequirements(); rq != nil {
		out.Requirements = Requirements{
			TlogThreshold: intPtr(rq.TlogThreshold), SCTThreshold: intPtr(rq.SctThreshold), TimestampThreshold: intPtr(rq.TimestampThreshold),
			IgnoreTlog: rq.GetInsecureIgnoreTlog(), RequireInclusionProof: rq.GetRequireInclusionProof(), TimeSource: rq.GetTimeSource(),
		}
	}
	if d := p.GetOptions().GetDeadlineUnixNano(); d != 0 {
		out.Deadline = time.Unix(0, d)
	}
	if name := p.GetTrustRoot(); name != "" {
		out.TrustRoot = roots[name]
	}
	for _, id := range p.GetIdentities() {
		out.Identities = append(out.Identities, Identity{
			Name: id.GetName(), Issuer: id.GetIssuer(), IssuerRegexp: id.GetIssuerRegexp(), Subject: id.GetSubject(),
			SubjectRegexp: id.GetSubjectRegexp(), Extensions: id.GetExtensions(), ExtensionRegexps: id.GetExtensionRegexps(),
		})
	}
	for attr, r := range p.GetReferences() {
		if out.References == nil {
			out.References = map[string]Reference{}
		}
		ref := Reference{Kind: r.GetKind(), Name: r.GetName(), Attributes: r.GetAttributesJson()}
		for _, pt := range r.GetParts() {
			ref.Parts = append(ref.Parts, ReferencePart{Name: pt.GetName(), Digest: digestFromProto(pt.GetDigest())})
		}
		out.References[attr] = ref
	}
	return out
}

func digestFromProto(d *pb.Digest) Digest {
	return Digest{Algorithm: d.GetAlgorithm(), Hex: d.GetHex()}
}

// digestToProto leaves an unset digest unset.
func digestToProto(d Digest) *pb.Digest {
	if d == (Digest{}) {
		return nil
	}
	return &pb.Digest{Algorithm: d.Algorithm, Hex: d.Hex}
}

func checksToProto(cs []Check) []*pb.Check {
	out := make([]*pb.Check, 0, len(cs))
	for _, c := range cs {
		out = append(out, &pb.Check{Name: c.Name, Ok: c.OK, Detail: c.Detail})
	}
	return out
}

func evidenceToProto(es []Evidence) []*pb.Evidence {
	out := make([]*pb.Evidence, 0, len(es))
	for _, e := range es {
		out = append(out, &pb.Evidence{
			Type: pb.Evidence_Type(e.Type), MediaType: e.MediaType, Bundle: protocol.CloneBytes(e.Bundle), Signature: protocol.CloneBytes(e.Signature),
			CertificatePem: protocol.CloneBytes(e.CertificatePEM), ChainPem: protocol.CloneBytes(e.ChainPEM), TlogEntryJson: protocol.CloneBytes(e.TlogEntryJSON),
			Rfc3161Timestamps: protocol.CloneBytesList(e.RFC3161), Source: e.Source,
			SubjectDigest: &pb.Digest{Algorithm: e.SubjectDigest.Algorithm, Hex: e.SubjectDigest.Hex},
		})
	}
	return out
}

func diagnosticsToProto(ds []Diagnostic) []*pb.Diagnostic {
	out := make([]*pb.Diagnostic, 0, len(ds))
	for _, d := range ds {
		out = append(out, &pb.Diagnostic{Severity: pb.Diagnostic_Severity(d.Severity), Summary: d.Summary, Detail: d.Detail})
	}
	return out
}

func resultToProto(r *Result) *pb.VerifyResponse {
	out := &pb.VerifyResponse{
		Status: pb.Status(r.Status), Checks: checksToProto(r.Checks), Evidence: evidenceToProto(r.Evidence),
		Reason: r.Reason, Diagnostics: diagnosticsToProto(r.Diagnostics), Subject: digestToProto(r.Subject),
	}
	for _, s := range r.SubResults {
		out.SubResults = append(out.SubResults, &pb.SubResult{
			Name: s.Name, Status: pb.Status(s.Status), Checks: checksToProto(s.Checks),
			Evidence: evidenceToProto(s.Evidence), Reason: s.Reason, Subject: digestToProto(s.Subject),
		})
	}
	return out
}

func intPtr(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}
