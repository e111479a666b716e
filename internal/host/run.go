package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/vmafx/vmafx-trust/internal/pluginclient"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/protocol"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// Options tune a run.
type Options struct {
	Jobs    int           // concurrent verifications; <1 means 1
	Timeout time.Duration // per artifact; 0 means DefaultTimeout
	Offline bool
	// Progress, when set, receives the plugins' progress reports while the
	// run lasts, and hears when each artifact is done.
	Progress ProgressSink
}

// ProgressSink shows what plugins report of their transfers (a progress
// bar). Its methods are called from several goroutines.
type ProgressSink interface {
	Update(pluginclient.Progress)
	// Finish says an artifact's verification is over, whatever its reports.
	Finish(kind, name string)
}

// DefaultTimeout bounds one artifact's verification.
const DefaultTimeout = 5 * time.Minute

// DefaultJobs is how many artifacts a run verifies at once unless told
// otherwise: four per core, at most 16. Each artifact alternates between the
// plugin's work (reading, hashing, fetching), a round trip, and the host's
// verification of its evidence; with fewer in flight, cores sit idle
// between the steps (50 one-MiB blobs on 2 cores: 136 ms with 2 jobs,
// 102 ms with 4, 92-100 ms with 8 to 32). The cap keeps a large machine
// from opening dozens of downloads at once.
func DefaultJobs() int { return min(4*runtime.NumCPU(), 16) }

// Result is the final verdict on one artifact (or one part of it).
// internal/report turns it into the report's own types.
type Result struct {
	Kind       string
	Name       string
	Part       string
	Plugin     string
	Status     sdk.Status
	Signer     string
	SignerInfo *trust.Signer
	Reason     string
	Checks     []sdk.Check
	Evidence   []EvidenceReport
	Warnings   []string
	DurationMS int64
	// Subject is the digest the verdict is about, as the plugin named it:
	// what blocks referring to this artifact are bound to.
	Subject sdk.Digest
}

// ID is "kind.name" or "kind.name[part]".
func (r *Result) ID() string {
	id := r.Kind + "." + r.Name
	if r.Part != "" {
		id += "[" + r.Part + "]"
	}
	return id
}

// EvidenceReport is what the host established about one piece of evidence.
type EvidenceReport struct {
	Source        string
	MediaType     string
	SubjectDigest string
	Verified      bool
	Signer        string
	Matched       []string // names of the identities it matched
	PredicateType string
	TimeSources   []string
	Error         string
}

// Run verifies every artifact of the policy with the plugins, using the
// loaded trust material, and returns results in policy order.
func Run(ctx context.Context, pol *policy.Policy, plugins *Set, roots *Roots, opts Options) []*Result {
	jobs := max(opts.Jobs, 1)
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	results := make([][]*Result, len(pol.Artifacts))
	var gate *progressGate
	if opts.Progress != nil {
		gate = &progressGate{sink: opts.Progress, running: map[[2]string]bool{}}
		stop := watchProgress(ctx, plugins, gate)
		defer stop()
	}
	// A pool of workers takes artifacts in run order: policy order, with
	// every referenced artifact before the blocks that refer to it. A
	// worker waits for those before it verifies; they were handed out
	// earlier, so they are running or done and the wait ends.
	order, done, index := schedule(pol)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, max(len(pol.Artifacts), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				a := pol.Artifacts[i]
				refs, blocked := referencesOf(ctx, pol, a, index, results, done)
				if blocked != nil {
					results[i] = []*Result{blocked}
				} else {
					gate.start(a.Kind, a.Name)
					results[i] = runOne(ctx, pol, a, refs, plugins, roots, opts, timeout)
					gate.finish(a.Kind, a.Name)
				}
				close(done[i])
			}
		}()
	}
	for _, i := range order {
		next <- i
	}
	close(next)
	wg.Wait()
	var out []*Result
	for _, rs := range results {
		out = append(out, rs...)
	}
	return out
}

// schedule is the order to verify pol's artifacts in, a channel for each
// that is closed once it is verified, and each artifact's index by ID.
func schedule(pol *policy.Policy) (order []int, done []chan struct{}, index map[string]int) {
	order, err := pol.RunOrder()
	if err != nil {
		// Decode refuses cycles; a policy built otherwise still runs.
		order = make([]int, len(pol.Artifacts))
		for i := range order {
			order[i] = i
		}
	}
	done = make([]chan struct{}, len(pol.Artifacts))
	index = make(map[string]int, len(pol.Artifacts))
	for i, a := range pol.Artifacts {
		done[i] = make(chan struct{})
		index[a.ID()] = i
	}
	return order, done, index
}

// progressGate passes on only the reports of artifacts being verified: a
// plugin cannot fill the display with artifacts that do not exist, and a
// report that arrives after its artifact finished is dropped. A nil gate
// does nothing.
type progressGate struct {
	sink    ProgressSink
	mu      sync.Mutex
	running map[[2]string]bool
}

func (g *progressGate) start(kind, name string) {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.running[[2]string{kind, name}] = true
	g.mu.Unlock()
}

func (g *progressGate) finish(kind, name string) {
	if g == nil {
		return
	}
	g.mu.Lock()
	delete(g.running, [2]string{kind, name})
	g.mu.Unlock()
	g.sink.Finish(kind, name)
}

func (g *progressGate) update(p pluginclient.Progress) {
	g.mu.Lock()
	ok := g.running[[2]string{p.Kind, p.Name}]
	g.mu.Unlock()
	if ok {
		g.sink.Update(p)
	}
}

// watchProgress opens every plugin's progress stream into the gate and
// returns the function that closes them. Progress is advisory: a plugin
// without it, a stream that fails, or a report the display cannot take
// (recovered) only means less progress is shown.
func watchProgress(ctx context.Context, plugins *Set, gate *progressGate) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, p := range plugins.Plugins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { _ = recover() }()
			_ = p.rpc.Progress(ctx, gate.update)
		}()
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

func runOne(ctx context.Context, pol *policy.Policy, a *policy.Artifact, refs map[string]sdk.Reference, plugins *Set, roots *Roots, opts Options, timeout time.Duration) []*Result {
	if err := ctx.Err(); err != nil {
		return []*Result{errorResult(a, "", "not run: interrupted")}
	}
	start := time.Now()
	if re, broken := roots.Broken[a.TrustRoot]; broken {
		r := errorResult(a, "", re.Err.Error())
		if !re.Unavailable {
			r.Status = sdk.StatusFail
		}
		return []*Result{r}
	}
	rs := verifyArtifact(ctx, a, refs, plugins.ForKind(a.Kind), roots.Materials[a.TrustRoot], pol.Dir, opts.Offline, timeout)
	for _, r := range rs {
		r.DurationMS = time.Since(start).Milliseconds()
	}
	return rs
}

func errorResult(a *policy.Artifact, plugin, reason string) *Result {
	return &Result{Kind: a.Kind, Name: a.Name, Plugin: plugin, Status: sdk.StatusError, Reason: reason, Checks: []sdk.Check{}}
}

func verifyArtifact(ctx context.Context, a *policy.Artifact, refs map[string]sdk.Reference, p *Plugin, m *trust.Material, policyDir string, offline bool, timeout time.Duration) []*Result {
	if p == nil {
		return []*Result{errorResult(a, "", fmt.Sprintf("no plugin serves artifact kind %q", a.Kind))}
	}
	if m == nil {
		return []*Result{errorResult(a, p.Name(), fmt.Sprintf("trust root %q was not loaded", a.TrustRoot))}
	}
	attrs, err := json.Marshal(a.Attributes)
	if err != nil {
		return []*Result{errorResult(a, p.Name(), "encoding attributes: "+err.Error())}
	}
	deadline := time.Now().Add(timeout)
	vctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	req := &sdk.Request{
		Kind: a.Kind, Name: a.Name, Attributes: attrs, Require: a.Require,
		TrustRoot: &sdk.TrustRoot{Name: a.TrustRoot}, UseKey: a.UseKey, Requirements: sdk.Requirements(a.Requirements),
		Offline: offline, Deadline: deadline, PolicyDir: policyDir, References: refs,
	}
	for _, id := range a.Identities {
		req.Identities = append(req.Identities, sdk.Identity(id))
	}
	res, err := p.rpc.Verify(vctx, req)
	if err != nil {
		reason := fmt.Sprintf("plugin %q failed: %v", p.Name(), err)
		switch {
		case ctx.Err() != nil:
			reason = "interrupted"
		case errors.Is(vctx.Err(), context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded || !time.Now().Before(deadline):
			// The plugin applies the same deadline and may give up a moment
			// before the host's own timer fires.
			reason = fmt.Sprintf("plugin %q did not answer within %s", p.Name(), timeout)
		case p.exitedWithin(time.Second):
			reason = fmt.Sprintf("plugin %q crashed", p.Name())
			if tail := p.StderrTail(); tail != "" {
				reason += ": " + lastLine(tail)
			}
		}
		return []*Result{errorResult(a, p.Name(), reason)}
	}
	if len(res.SubResults) == 0 {
		r := finalize(a, p, m, "", res.Status, res.Checks, res.Evidence, res.Reason, res.Diagnostics)
		r.Subject = res.Subject
		return []*Result{bindToReferences(r, refs)}
	}
	var out []*Result
	for i, s := range res.SubResults {
		var diags []sdk.Diagnostic
		if i == 0 {
			diags = res.Diagnostics // warnings about the whole artifact show on its first row
		}
		r := finalize(a, p, m, s.Name, s.Status, s.Checks, s.Evidence, s.Reason, diags)
		r.Subject = s.Subject
		out = append(out, bindToReferences(r, refs))
	}
	// The whole artifact's own verdict, when it is not a pass, is a row too.
	if res.Status != sdk.StatusPass {
		out = append(out, finalize(a, p, m, "", res.Status, res.Checks, res.Evidence, res.Reason, res.Diagnostics))
	}
	return out
}

// finalize combines the plugin's verdict with the host's own verification of
// the evidence: a pass needs both.
func finalize(a *policy.Artifact, p *Plugin, m *trust.Material, part string, status sdk.Status, checks []sdk.Check, evidence []sdk.Evidence, reason string, diags []sdk.Diagnostic) *Result {
	r := &Result{Kind: a.Kind, Name: a.Name, Part: part, Plugin: p.Name(), Status: status, Reason: reason, Checks: append([]sdk.Check{}, checks...)}
	if a.Requirements.IgnoreTlog {
		r.Warnings = append(r.Warnings, "INSECURE: transparency-log evidence is not required for this artifact (insecure_ignore_tlog): a signature made with a stolen key or certificate at any time would be accepted")
	}
	for _, d := range diags {
		if d.Severity == sdk.SeverityWarning {
			r.Warnings = append(r.Warnings, strings.TrimSpace(d.Summary+" "+d.Detail))
		}
	}
	switch status {
	case sdk.StatusPass:
	case sdk.StatusFail, sdk.StatusError:
		if r.Reason == "" {
			r.Reason = "plugin gave no reason"
		}
		return r
	default:
		r.Status = sdk.StatusError
		r.Reason = fmt.Sprintf("plugin %q returned an unknown status", p.Name())
		return r
	}
	if p.Info.OpaqueEvidence {
		if p.Source.Pinned == "" {
			return failHost(r, "host verification", fmt.Sprintf("plugin %q returns opaque evidence, which this host cannot verify; to accept its verdicts, pin the plugin's executable in the policy: plugin %q { sha256 = \"…\" }", p.Name(), p.Source.Name))
		}
		// The policy chose to trust this exact executable's verdicts.
		r.Checks = append(r.Checks, sdk.Check{Name: "host verification", OK: true, Detail: fmt.Sprintf("not performed: the verdict is plugin %q's alone (opaque evidence; its executable is pinned to sha256 %s)", p.Name(), p.Source.Pinned)})
		r.Warnings = append(r.Warnings, fmt.Sprintf("the verdict is plugin %q's alone: its evidence is opaque to the host (executable pinned to sha256 %s)", p.Name(), p.Source.Pinned))
		return r
	}
	if len(evidence) == 0 {
		return failHost(r, "host verification", fmt.Sprintf("plugin %q answered pass but returned no evidence to verify", p.Name()))
	}
	matched := map[string]bool{}
	// Each distinct signer may count for one identity only: require = N
	// means N different signers, each matching a different identity.
	signers := map[string][]string{}
	for i, ev := range evidence {
		rep, out, err := verifyEvidence(m, a, ev)
		r.Evidence = append(r.Evidence, rep)
		if err != nil {
			var idErr *trust.IdentityError
			if errors.As(err, &idErr) {
				// Like gh: the criteria enforced next to what the
				// certificate contained, so the user sees what to fix.
				r.Checks = append(r.Checks, sdk.Check{Name: "identity", OK: false, Detail: idErr.Explain()})
			}
			return failHost(r, "host verification", fmt.Sprintf("evidence %d (%s): %v", i+1, sourceOf(ev), err))
		}
		for _, n := range out.Matched {
			matched[n] = true
		}
		key := signerKey(out.Signer)
		signers[key] = appendUnique(signers[key], out.Matched...)
		if r.SignerInfo == nil {
			r.SignerInfo = out.Signer
			r.Signer = out.Signer.String()
		}
	}
	if !a.UseKey {
		if n := maxAssignment(signers); n < a.Require {
			names := make([]string, 0, len(matched))
			for n := range matched {
				names = append(names, n)
			}
			sort.Strings(names)
			return failHost(r, "identities", fmt.Sprintf("require = %d identities, each by a different signer, but the evidence matched %d (%d signer(s) matching %s)", a.Require, n, len(signers), strings.Join(names, ", ")))
		}
	}
	r.Checks = append(r.Checks, sdk.Check{Name: "host verification", OK: true, Detail: fmt.Sprintf("%d piece(s) of evidence verified against trust root %q", len(evidence), a.TrustRoot)})
	r.Reason = ""
	return r
}

func failHost(r *Result, check, reason string) *Result {
	r.Status = sdk.StatusFail
	r.Reason = reason
	r.Checks = append(r.Checks, sdk.Check{Name: check, OK: false, Detail: reason})
	return r
}

func sourceOf(ev sdk.Evidence) string {
	if ev.Source != "" {
		return ev.Source
	}
	return "unnamed"
}

// evidenceLimit bounds a bundle the host verifies: what one plugin
// answer can carry (protocol.MaxMessageSize). Evidence larger than that
// never arrives: the protocol refuses the answer, and the artifact is
// reported as "could not be checked".
const evidenceLimit = protocol.MaxMessageSize

func verifyEvidence(m *trust.Material, a *policy.Artifact, ev sdk.Evidence) (EvidenceReport, *trust.Outcome, error) {
	rep := EvidenceReport{Source: ev.Source, MediaType: ev.MediaType, SubjectDigest: ev.SubjectDigest.String()}
	fail := func(err error) (EvidenceReport, *trust.Outcome, error) {
		rep.Error = err.Error()
		return rep, nil, err
	}
	if ev.SubjectDigest.Algorithm == "" || ev.SubjectDigest.Hex == "" {
		return fail(errors.New("no subject digest to bind"))
	}
	var bundleJSON []byte
	switch ev.Type {
	case sdk.EvidenceBundle:
		bundleJSON = ev.Bundle
	case sdk.EvidenceDetached:
		b, err := trust.BundleFromDetached(trust.Detached{
			Signature: ev.Signature, CertificatePEM: ev.CertificatePEM, ChainPEM: ev.ChainPEM,
			RekorBundleJSON: ev.TlogEntryJSON, RFC3161: ev.RFC3161,
		}, trust.Digest{Algorithm: ev.SubjectDigest.Algorithm, Hex: ev.SubjectDigest.Hex})
		if err != nil {
			return fail(fmt.Errorf("detached evidence: %w", err))
		}
		bundleJSON = b
	default:
		return fail(fmt.Errorf("unknown evidence type %d", ev.Type))
	}
	out, err := trust.VerifyBundle(m, trust.BundleCheck{
		Bundle:       bundleJSON,
		Digest:       trust.Digest{Algorithm: ev.SubjectDigest.Algorithm, Hex: ev.SubjectDigest.Hex},
		Identities:   a.Identities,
		UseKey:       a.UseKey,
		Requirements: a.Requirements,
		// The evidence came in one protocol message, which bounds it
		// already; a plugin's own bound (an SBOM attestation may be large)
		// is not the host's to narrow.
		MaxSize: evidenceLimit,
	})
	if err != nil {
		return fail(err)
	}
	rep.Verified = true
	rep.Signer = out.Signer.String()
	rep.Matched = out.Matched
	rep.PredicateType = out.PredicateType
	rep.TimeSources = out.TimeSources
	return rep, out, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// signerKey identifies a signer: its certificate subject and issuer (or key).
func signerKey(s *trust.Signer) string {
	if s == nil {
		return ""
	}
	return s.Subject + "\x00" + s.Issuer + "\x00" + s.KeyID
}

func appendUnique(list []string, more ...string) []string {
	for _, m := range more {
		if !slices.Contains(list, m) {
			list = append(list, m)
		}
	}
	return list
}

// maxAssignment is the largest number of identities that can each be
// matched by a different signer (a bipartite matching, by augmenting paths;
// the sets are tiny).
func maxAssignment(signers map[string][]string) int {
	keys := make([]string, 0, len(signers))
	for k := range signers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	owner := map[string]string{} // identity -> signer
	var try func(signer string, seen map[string]bool) bool
	try = func(signer string, seen map[string]bool) bool {
		for _, id := range signers[signer] {
			if seen[id] {
				continue
			}
			seen[id] = true
			if o, taken := owner[id]; !taken || try(o, seen) {
				owner[id] = signer
				return true
			}
		}
		return false
	}
	n := 0
	for _, k := range keys {
		if try(k, map[string]bool{}) {
			n++
		}
	}
	return n
}

// referencesOf waits for the artifacts a refers to and returns what their
// verification established. When one did not pass (or the run ends while
// waiting), it returns the row that stands for a instead: a block bound to
// an artifact that is not trusted cannot pass, and its plugin is not asked.
func referencesOf(ctx context.Context, pol *policy.Policy, a *policy.Artifact, index map[string]int, results [][]*Result, done []chan struct{}) (map[string]sdk.Reference, *Result) {
	if len(a.References) == 0 {
		return nil, nil
	}
	refs := make(map[string]sdk.Reference, len(a.References))
	attrs := make([]string, 0, len(a.References))
	for attr := range a.References {
		attrs = append(attrs, attr)
	}
	sort.Strings(attrs)
	for _, attr := range attrs {
		ref := a.References[attr]
		j, ok := index[ref.ID()]
		if !ok {
			return nil, errorResult(a, "", fmt.Sprintf("%s = %s: the policy declares no such artifact", attr, ref.ID()))
		}
		select {
		case <-done[j]:
		case <-ctx.Done():
			return nil, errorResult(a, "", "not run: interrupted")
		}
		r, blocked := referenceFrom(a, attr, results[j])
		if blocked != nil {
			return nil, blocked
		}
		attrsJSON, err := json.Marshal(pol.Artifacts[j].Attributes)
		if err != nil {
			return nil, errorResult(a, "", fmt.Sprintf("%s = %s: encoding its attributes: %v", attr, ref.ID(), err))
		}
		r.Attributes = attrsJSON
		refs[attr] = r
	}
	return refs, nil
}

// referenceFrom turns the referenced artifact's rows into what the
// referring plugin is told: every row must have passed and named the digest
// it is about.
func referenceFrom(a *policy.Artifact, attr string, rows []*Result) (sdk.Reference, *Result) {
	if len(rows) == 0 {
		return sdk.Reference{}, errorResult(a, "", fmt.Sprintf("%s: the referenced artifact was not verified", attr))
	}
	id := rows[0].Kind + "." + rows[0].Name
	ref := sdk.Reference{Kind: rows[0].Kind, Name: rows[0].Name}
	for _, r := range rows {
		if r.Status != sdk.StatusPass {
			blocked := errorResult(a, "", fmt.Sprintf("%s = %s, which did not pass: %s", attr, r.ID(), r.Reason))
			if r.Status == sdk.StatusFail {
				blocked.Status = sdk.StatusFail
			}
			blocked.Checks = []sdk.Check{{Name: "reference", OK: false, Detail: blocked.Reason}}
			return ref, blocked
		}
		if r.Subject.Algorithm == "" || r.Subject.Hex == "" {
			blocked := errorResult(a, "", fmt.Sprintf("%s = %s: its plugin %q names no digest its verdict is about, so nothing can be bound to it", attr, r.ID(), r.Plugin))
			return ref, blocked
		}
		ref.Parts = append(ref.Parts, sdk.ReferencePart{Name: r.Part, Digest: r.Subject})
	}
	if len(ref.Parts) == 0 {
		return ref, errorResult(a, "", fmt.Sprintf("%s = %s: no verified part", attr, id))
	}
	return ref, nil
}

// bindToReferences fails a passing row of a block that refers to other
// artifacts when an attestation among its evidence is about a digest none
// of them established: what an attestation is about is the host's to
// check, not the plugin's. Message signatures (an SBOM file's own, an
// index signature vouching for what the index lists) bind the digest of
// what they sign, which the plugin relates to the reference.
func bindToReferences(r *Result, refs map[string]sdk.Reference) *Result {
	if r.Status != sdk.StatusPass || len(refs) == 0 {
		return r
	}
	known := map[string]bool{}
	var names []string
	for _, attr := range sortedRefs(refs) {
		ref := refs[attr]
		names = append(names, ref.Kind+"."+ref.Name)
		for _, p := range ref.Parts {
			known[strings.ToLower(p.Digest.String())] = true
		}
	}
	for i, ev := range r.Evidence {
		if ev.PredicateType == "" || known[strings.ToLower(ev.SubjectDigest)] {
			continue
		}
		return failHost(r, "reference binding", fmt.Sprintf("evidence %d (%s) is an attestation about %s, which %s did not establish", i+1, ev.Source, ev.SubjectDigest, strings.Join(names, ", ")))
	}
	return r
}

func sortedRefs(refs map[string]sdk.Reference) []string {
	keys := make([]string, 0, len(refs))
	for k := range refs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
