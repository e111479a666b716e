package sdk

import (
	"time"

	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
	"github.com/vmafx/vmafx-trust/internal/protocol"
)

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

func infoFromProto(p *pb.DescribeResponse) Info {
	out := Info{Name: p.GetName(), Version: p.GetVersion(), OpaqueEvidence: p.GetOpaqueEvidence()}
	for _, v := range p.GetProtocolVersions() {
		out.ProtocolVersions = append(out.ProtocolVersions, int(v))
	}
	for _, k := range p.GetKinds() {
		ks := KindSchema{Kind: k.GetKind(), Description: k.GetDescription(), Attributes: attrsFromProto(k.GetAttributes())}
		for _, b := range k.GetBlocks() {
			ks.Blocks = append(ks.Blocks, NestedBlock{
				TypeName: b.GetTypeName(), Nesting: Nesting(b.GetNesting()), Required: b.GetRequired(),
				Description: b.GetDescription(), Attributes: attrsFromProto(b.GetAttributes()), IdentityForm: b.GetIdentityForm(),
			})
		}
		out.Kinds = append(out.Kinds, ks)
	}
	return out
}

func attrsToProto(as []Attribute) []*pb.Attribute {
	out := make([]*pb.Attribute, 0, len(as))
	for _, a := range as {
		out = append(out, &pb.Attribute{Name: a.Name, Type: a.Type, Required: a.Required, Description: a.Description, Example: a.Example})
	}
	return out
}

func attrsFromProto(as []*pb.Attribute) []Attribute {
	out := make([]Attribute, 0, len(as))
	for _, a := range as {
		out = append(out, Attribute{Name: a.GetName(), Type: a.GetType(), Required: a.GetRequired(), Description: a.GetDescription(), Example: a.GetExample()})
	}
	return out
}

func trustRootsToProto(rs []TrustRoot) []*pb.TrustRoot {
	out := make([]*pb.TrustRoot, 0, len(rs))
	for _, r := range rs {
		out = append(out, &pb.TrustRoot{Name: r.Name, TrustedRootJson: protocol.CloneBytes(r.TrustedRootJSON), PublicKeys: protocol.CloneBytesList(r.PublicKeysPEM)})
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

func requestToProto(r *Request) *pb.VerifyRequest {
	out := &pb.VerifyRequest{
		Kind: r.Kind, Name: r.Name, AttributesJson: protocol.CloneBytes(r.Attributes), Require: uint32(max(r.Require, 0)),
		Options: &pb.VerifyOptions{Offline: r.Offline, UseKey: r.UseKey}, PolicyDir: r.PolicyDir,
	}
	if r.TrustRoot != nil {
		out.TrustRoot = r.TrustRoot.Name
	}
	rq := r.Requirements
	out.Requirements = &pb.Requirements{
		TlogThreshold: int32Ptr(rq.TlogThreshold), SctThreshold: int32Ptr(rq.SCTThreshold), TimestampThreshold: int32Ptr(rq.TimestampThreshold),
		InsecureIgnoreTlog: rq.IgnoreTlog, RequireInclusionProof: rq.RequireInclusionProof, TimeSource: rq.TimeSource,
	}
	if !r.Deadline.IsZero() {
		out.Options.DeadlineUnixNano = r.Deadline.UnixNano()
	}
	for _, id := range r.Identities {
		out.Identities = append(out.Identities, &pb.Identity{
			Name: id.Name, Issuer: id.Issuer, IssuerRegexp: id.IssuerRegexp, Subject: id.Subject,
			SubjectRegexp: id.SubjectRegexp, Extensions: protocol.CloneMap(id.Extensions), ExtensionRegexps: protocol.CloneMap(id.ExtensionRegexps),
		})
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
	return out
}

func checksToProto(cs []Check) []*pb.Check {
	out := make([]*pb.Check, 0, len(cs))
	for _, c := range cs {
		out = append(out, &pb.Check{Name: c.Name, Ok: c.OK, Detail: c.Detail})
	}
	return out
}

func checksFromProto(cs []*pb.Check) []Check {
	out := make([]Check, 0, len(cs))
	for _, c := range cs {
		out = append(out, Check{Name: c.GetName(), OK: c.GetOk(), Detail: c.GetDetail()})
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

func evidenceFromProto(es []*pb.Evidence) []Evidence {
	out := make([]Evidence, 0, len(es))
	for _, e := range es {
		out = append(out, Evidence{
			Type: EvidenceType(e.GetType()), MediaType: e.GetMediaType(), Bundle: e.GetBundle(), Signature: e.GetSignature(),
			CertificatePEM: e.GetCertificatePem(), ChainPEM: e.GetChainPem(), TlogEntryJSON: e.GetTlogEntryJson(),
			RFC3161: e.GetRfc3161Timestamps(), Source: e.GetSource(),
			SubjectDigest: Digest{Algorithm: e.GetSubjectDigest().GetAlgorithm(), Hex: e.GetSubjectDigest().GetHex()},
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

func diagnosticsFromProto(ds []*pb.Diagnostic) []Diagnostic {
	out := make([]Diagnostic, 0, len(ds))
	for _, d := range ds {
		out = append(out, Diagnostic{Severity: Severity(d.GetSeverity()), Summary: d.GetSummary(), Detail: d.GetDetail()})
	}
	return out
}

func resultToProto(r *Result) *pb.VerifyResponse {
	out := &pb.VerifyResponse{
		Status: pb.Status(r.Status), Checks: checksToProto(r.Checks), Evidence: evidenceToProto(r.Evidence),
		Reason: r.Reason, Diagnostics: diagnosticsToProto(r.Diagnostics),
	}
	for _, s := range r.SubResults {
		out.SubResults = append(out.SubResults, &pb.SubResult{
			Name: s.Name, Status: pb.Status(s.Status), Checks: checksToProto(s.Checks),
			Evidence: evidenceToProto(s.Evidence), Reason: s.Reason,
		})
	}
	return out
}

func resultFromProto(p *pb.VerifyResponse) *Result {
	out := &Result{
		Status: Status(p.GetStatus()), Checks: checksFromProto(p.GetChecks()), Evidence: evidenceFromProto(p.GetEvidence()),
		Reason: p.GetReason(), Diagnostics: diagnosticsFromProto(p.GetDiagnostics()),
	}
	for _, s := range p.GetSubResults() {
		out.SubResults = append(out.SubResults, SubResult{
			Name: s.GetName(), Status: Status(s.GetStatus()), Checks: checksFromProto(s.GetChecks()),
			Evidence: evidenceFromProto(s.GetEvidence()), Reason: s.GetReason(),
		})
	}
	return out
}

func int32Ptr(p *int) *int32 {
	if p == nil {
		return nil
	}
	v := int32(*p)
	return &v
}

func intPtr(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}
