package pluginclient

import (
	pb "github.com/vmafx/vmafx-trust/internal/pluginv1"
	"github.com/vmafx/vmafx-trust/internal/protocol"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// The host side's conversions: requests and trust roots to the protocol's
// messages, info and results from them (the plugin side's, the other way,
// are in pkg/sdk).

func infoFromProto(p *pb.DescribeResponse) sdk.Info {
	out := sdk.Info{Name: p.GetName(), Version: p.GetVersion(), OpaqueEvidence: p.GetOpaqueEvidence()}
	for _, v := range p.GetProtocolVersions() {
		out.ProtocolVersions = append(out.ProtocolVersions, int(v))
	}
	for _, k := range p.GetKinds() {
		ks := sdk.KindSchema{Kind: k.GetKind(), Description: k.GetDescription(), Attributes: attrsFromProto(k.GetAttributes())}
		for _, b := range k.GetBlocks() {
			ks.Blocks = append(ks.Blocks, sdk.NestedBlock{
				TypeName: b.GetTypeName(), Nesting: sdk.Nesting(b.GetNesting()), Required: b.GetRequired(),
				Description: b.GetDescription(), Attributes: attrsFromProto(b.GetAttributes()), IdentityForm: b.GetIdentityForm(),
			})
		}
		out.Kinds = append(out.Kinds, ks)
	}
	return out
}

func attrsFromProto(as []*pb.Attribute) []sdk.Attribute {
	out := make([]sdk.Attribute, 0, len(as))
	for _, a := range as {
		out = append(out, sdk.Attribute{Name: a.GetName(), Type: a.GetType(), Required: a.GetRequired(), Description: a.GetDescription(), Example: a.GetExample(), Kinds: a.GetKinds()})
	}
	return out
}

func trustRootsToProto(rs []sdk.TrustRoot) []*pb.TrustRoot {
	out := make([]*pb.TrustRoot, 0, len(rs))
	for _, r := range rs {
		out = append(out, &pb.TrustRoot{Name: r.Name, TrustedRootJson: protocol.CloneBytes(r.TrustedRootJSON), PublicKeys: protocol.CloneBytesList(r.PublicKeysPEM)})
	}
	return out
}

func requestToProto(r *sdk.Request) *pb.VerifyRequest {
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
	for attr, ref := range r.References {
		if out.References == nil {
			out.References = map[string]*pb.Reference{}
		}
		pr := &pb.Reference{Kind: ref.Kind, Name: ref.Name, AttributesJson: protocol.CloneBytes(ref.Attributes)}
		for _, pt := range ref.Parts {
			pr.Parts = append(pr.Parts, &pb.ReferencePart{Name: pt.Name, Digest: &pb.Digest{Algorithm: pt.Digest.Algorithm, Hex: pt.Digest.Hex}})
		}
		out.References[attr] = pr
	}
	return out
}

func digestFromProto(d *pb.Digest) sdk.Digest {
	return sdk.Digest{Algorithm: d.GetAlgorithm(), Hex: d.GetHex()}
}

func checksFromProto(cs []*pb.Check) []sdk.Check {
	out := make([]sdk.Check, 0, len(cs))
	for _, c := range cs {
		out = append(out, sdk.Check{Name: c.GetName(), OK: c.GetOk(), Detail: c.GetDetail()})
	}
	return out
}

func evidenceFromProto(es []*pb.Evidence) []sdk.Evidence {
	out := make([]sdk.Evidence, 0, len(es))
	for _, e := range es {
		out = append(out, sdk.Evidence{
			Type: sdk.EvidenceType(e.GetType()), MediaType: e.GetMediaType(), Bundle: e.GetBundle(), Signature: e.GetSignature(),
			CertificatePEM: e.GetCertificatePem(), ChainPEM: e.GetChainPem(), TlogEntryJSON: e.GetTlogEntryJson(),
			RFC3161: e.GetRfc3161Timestamps(), Source: e.GetSource(),
			SubjectDigest: digestFromProto(e.GetSubjectDigest()),
		})
	}
	return out
}

func diagnosticsFromProto(ds []*pb.Diagnostic) []sdk.Diagnostic {
	out := make([]sdk.Diagnostic, 0, len(ds))
	for _, d := range ds {
		out = append(out, sdk.Diagnostic{Severity: sdk.Severity(d.GetSeverity()), Summary: d.GetSummary(), Detail: d.GetDetail()})
	}
	return out
}

func resultFromProto(p *pb.VerifyResponse) *sdk.Result {
	out := &sdk.Result{
		Status: sdk.Status(p.GetStatus()), Checks: checksFromProto(p.GetChecks()), Evidence: evidenceFromProto(p.GetEvidence()),
		Reason: p.GetReason(), Diagnostics: diagnosticsFromProto(p.GetDiagnostics()), Subject: digestFromProto(p.GetSubject()),
	}
	for _, s := range p.GetSubResults() {
		out.SubResults = append(out.SubResults, sdk.SubResult{
			Name: s.GetName(), Status: sdk.Status(s.GetStatus()), Checks: checksFromProto(s.GetChecks()),
			Evidence: evidenceFromProto(s.GetEvidence()), Reason: s.GetReason(), Subject: digestFromProto(s.GetSubject()),
		})
	}
	return out
}

func progressFromProto(ev *pb.ProgressEvent) Progress {
	return Progress{Kind: ev.GetKind(), Name: ev.GetName(), Label: ev.GetLabel(), Done: ev.GetDone(), Total: ev.GetTotal()}
}

func int32Ptr(p *int) *int32 {
	if p == nil {
		return nil
	}
	v := int32(*p)
	return &v
}
