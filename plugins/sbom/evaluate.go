package sbom

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/plugins/sbom/content"
	"github.com/vmafx/vmafx-trust/plugins/sbom/document"
)

// maxViolationsShown bounds the violations one check's detail lists; the
// count of all is given.
const maxViolationsShown = 5

// outcome is one SBOM read and checked.
type outcome struct {
	doc    *document.Document
	checks []sdk.Check
	// reason is why the SBOM does not pass; empty when it does.
	reason string
	// notSBOM marks a statement whose predicate is no SBOM (provenance in
	// the same JSON Lines file, say): skipped rather than failed.
	notSBOM bool
}

func (j *job) docOptions(ev *content.Evaluation) document.Options {
	return document.Options{MaxBytes: int64(j.limit), AllowCosignCustom: j.a.AllowCosignCustom, OnComponent: func(c *document.Component) error {
		ev.Component(c)
		return nil
	}}
}

// checkStatement reads an in-toto statement whose predicate is an SBOM,
// binds it to the subject digests and evaluates the content rules,
// streaming the components: the SBOM is never held as a tree.
func (j *job) checkStatement(ctx context.Context, payload []byte, subjects []document.Digest, source string) outcome {
	ev := j.rules.NewEvaluation(content.Input{Now: j.now, SubjectDigests: subjects})
	st, doc, err := document.ReadStatement(ctx, payload, j.docOptions(ev))
	if err != nil {
		o := outcome{reason: fmt.Sprintf("%s: %v", source, err)}
		if errors.Is(err, document.ErrNotSBOM) {
			o.notSBOM = true
		}
		if errors.Is(err, document.ErrCosignCustom) {
			o.reason = fmt.Sprintf("%s: the predicate is cosign's custom wrapper (%s, {\"Data\": …}, what syft attest writes by default), which does not say what it holds: set allow_cosign_custom = true to read the SBOM it wraps, or attest with --type spdxjson or --type cyclonedx", source, document.PredicateCosignCustom)
		}
		return o
	}
	var o outcome
	o.doc = doc
	if named, ok := namesSubject(st, subjects); !ok {
		o.fail("subject", fmt.Sprintf("%s: subject mismatch: the statement names %s, the artifact is %s (an SBOM of another artifact)", source, orNone(named), digestList(subjects)))
		return o
	}
	o.pass("subject", fmt.Sprintf("%s names %s", source, digestList(subjects)))
	j.finish(&o, ev, doc, source)
	return o
}

// checkDocument reads an SBOM file and evaluates the rules; describes are
// the digests its root must name (none: no such requirement).
func (j *job) checkDocument(ctx context.Context, data []byte, describes []document.Digest, source string) outcome {
	ev := j.rules.NewEvaluation(content.Input{Now: j.now, SubjectDigests: describes})
	doc, err := document.Read(ctx, bytes.NewReader(data), j.docOptions(ev))
	if err != nil {
		return outcome{reason: fmt.Sprintf("%s: %v", source, err)}
	}
	o := outcome{doc: doc}
	if len(describes) > 0 {
		if !rootNames(doc, describes) {
			o.fail("describes", fmt.Sprintf("%s: the SBOM's described root names %s, not %s: it cannot be shown to describe that artifact", source, orNone(rootDigests(doc)), digestList(describes)))
			return o
		}
		o.pass("describes", fmt.Sprintf("the SBOM's root names %s", digestList(describes)))
	}
	j.finish(&o, ev, doc, source)
	return o
}

// finish checks the format and records the rules' verdicts.
func (j *job) finish(o *outcome, ev *content.Evaluation, doc *document.Document, source string) {
	what := fmt.Sprintf("%s %s (%s), %d components", doc.Format, doc.SpecVersion, doc.Syntax, doc.ComponentCount)
	if doc.Wrapper != "" {
		what += ", unwrapped from " + doc.Wrapper
	}
	if j.format != "" && doc.Format != j.format {
		o.fail("format", fmt.Sprintf("%s: %s, but format = %q", source, what, j.a.Format))
		return
	}
	o.pass("format", what)
	res := ev.Finish(doc)
	for _, r := range res.Rules {
		name := "content: " + r.Rule
		switch r.Status {
		case content.Fail:
			o.fail(name, ruleDetail(r))
		case content.Warn:
			o.checks = append(o.checks, sdk.Check{Name: name, OK: true, Detail: "warning: " + ruleDetail(r)})
		default:
			o.pass(name, ruleDetail(r))
		}
	}
}

func (o *outcome) pass(name, detail string) {
	o.checks = append(o.checks, sdk.Check{Name: name, OK: true, Detail: detail})
}

func (o *outcome) fail(name, reason string) {
	o.checks = append(o.checks, sdk.Check{Name: name, OK: false, Detail: reason})
	if o.reason == "" {
		o.reason = reason
	}
}

// ruleDetail names the first violations (component name, version, purl,
// licence) and how many there were.
func ruleDetail(r content.RuleResult) string {
	if r.Count == 0 {
		if r.Detail == "" {
			return "no violations"
		}
		return r.Detail
	}
	var parts []string
	for i, v := range r.Violations {
		if i == maxViolationsShown {
			break
		}
		parts = append(parts, violationText(v))
	}
	s := fmt.Sprintf("%d violation(s): %s", r.Count, strings.Join(parts, "; "))
	if r.Count > len(parts) {
		s += fmt.Sprintf("; and %d more", r.Count-len(parts))
	}
	return s
}

func violationText(v content.Violation) string {
	c := v.Component
	if c.Name == "" && c.PURL == "" && c.ID == "" {
		return v.Reason
	}
	var fields []string
	name := c.Name
	if c.Version != "" {
		name += " " + c.Version
	}
	if name != "" {
		fields = append(fields, name)
	}
	if c.PURL != "" {
		fields = append(fields, c.PURL)
	}
	if c.License != "" {
		fields = append(fields, "licence "+c.License)
	}
	if len(fields) == 0 {
		fields = append(fields, c.ID)
	}
	return fmt.Sprintf("%s: %s", strings.Join(fields, ", "), v.Reason)
}

// namesSubject reports whether the statement names one of the digests,
// and lists what it names.
func namesSubject(st *document.Statement, subjects []document.Digest) ([]string, bool) {
	var named []string
	for _, s := range st.Subjects {
		for _, d := range s.Digests {
			for _, want := range subjects {
				if strings.EqualFold(d.Algorithm, want.Algorithm) && strings.EqualFold(d.Value, want.Value) {
					return nil, true
				}
			}
			named = append(named, d.String())
		}
	}
	return named, false
}

func rootNames(doc *document.Document, want []document.Digest) bool {
	for _, r := range doc.Roots {
		for _, d := range r.Digests {
			for _, w := range want {
				if strings.EqualFold(d.Algorithm, w.Algorithm) && strings.EqualFold(d.Value, w.Value) {
					return true
				}
			}
		}
	}
	return false
}

func rootDigests(doc *document.Document) []string {
	var out []string
	for _, r := range doc.Roots {
		for _, d := range r.Digests {
			out = append(out, d.String())
		}
	}
	return out
}

func digestList(ds []document.Digest) string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		parts = append(parts, d.String())
	}
	return orNone(parts)
}

func toDocDigest(d sdk.Digest) document.Digest {
	return document.Digest{Algorithm: d.Algorithm, Value: strings.ToLower(d.Hex)}
}

// failed ends res with the reason an outcome's failed check already
// records (a check only when none does: a read that failed).
func failed(res *sdk.Result, reason string) *sdk.Result {
	for _, c := range res.Checks {
		if !c.OK && c.Detail == reason {
			res.Status, res.Reason, res.Evidence = sdk.StatusFail, reason, nil
			return res
		}
	}
	res.Evidence = nil
	return res.Fail("sbom", reason)
}
