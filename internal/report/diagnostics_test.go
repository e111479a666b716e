package report_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/vmafx/vmafx-trust/internal/host"
	"github.com/vmafx/vmafx-trust/internal/report"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// parseDiags parses src as HCL named file and returns hcl's diagnostics.
func parseDiags(t *testing.T, file, src string) hcl.Diagnostics {
	t.Helper()
	_, diags := hclparse.NewParser().ParseHCL([]byte(src), file)
	if !diags.HasErrors() {
		t.Fatalf("%q parsed without errors", src)
	}
	return diags
}

func TestFromHCL(t *testing.T) {
	tests := []struct {
		name  string
		diags func(t *testing.T) hcl.Diagnostics
		want  []report.Diagnostic
	}{
		{
			name:  "none",
			diags: func(*testing.T) hcl.Diagnostics { return nil },
			want:  []report.Diagnostic{},
		},
		{
			name: "syntax error from the parser",
			diags: func(t *testing.T) hcl.Diagnostics {
				return parseDiags(t, "dir/policy.hcl", "blob \"x\" {\n  path = = \"a\"\n}\n")
			},
			want: []report.Diagnostic{{
				File: "dir/policy.hcl", Line: 2, Column: 10, Severity: report.SeverityError,
				Summary: "Invalid expression", Detail: "Expected the start of an expression, but found an invalid expression token.",
			}},
		},
		{
			name: "warning keeps its file; no subject takes the policy file",
			diags: func(*testing.T) hcl.Diagnostics {
				return hcl.Diagnostics{
					{Severity: hcl.DiagWarning, Summary: "w", Detail: "d", Subject: &hcl.Range{Filename: "vars.hcl", Start: hcl.Pos{Line: 3, Column: 1}}},
					{Severity: hcl.DiagError, Summary: "No value for required variable"},
				}
			},
			want: []report.Diagnostic{
				{File: "vars.hcl", Line: 3, Column: 1, Severity: report.SeverityWarning, Summary: "w", Detail: "d"},
				{File: "policy.hcl", Severity: report.SeverityError, Summary: "No value for required variable"},
			},
		},
		{
			name: "an invalid severity is an error",
			diags: func(*testing.T) hcl.Diagnostics {
				return hcl.Diagnostics{{Severity: hcl.DiagInvalid, Summary: "s"}}
			},
			want: []report.Diagnostic{{File: "policy.hcl", Severity: report.SeverityError, Summary: "s"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := report.FromHCL(tt.diags(t), "policy.hcl")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FromHCL =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestNewSummaryAndErrors(t *testing.T) {
	warning := report.Diagnostic{File: "p.hcl", Severity: report.SeverityWarning, Summary: "w"}
	policyError := report.Diagnostic{File: "p.hcl", Line: 1, Column: 1, Severity: report.SeverityError, Summary: "e"}
	tests := []struct {
		name       string
		errors     []report.Diagnostic
		results    []*host.Result
		wantErrors bool
		want       report.Summary
	}{
		{name: "results only", results: []*host.Result{res("a", sdk.StatusPass), res("b", sdk.StatusError)},
			want: report.Summary{Total: 2, Passed: 1, Errored: 1, ExitCode: report.ExitUnchecked}},
		{name: "a warning leaves the exit code", errors: []report.Diagnostic{warning}, results: []*host.Result{res("a", sdk.StatusPass)},
			want: report.Summary{Total: 1, Passed: 1, ExitCode: report.ExitOK}},
		{name: "a policy error is a usage error", errors: []report.Diagnostic{warning, policyError}, wantErrors: true,
			want: report.Summary{ExitCode: report.ExitUsage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := report.New(report.Meta{Policy: "p.hcl", Errors: tt.errors}, tt.results)
			if doc.Summary != tt.want {
				t.Errorf("Summary = %+v, want %+v", doc.Summary, tt.want)
			}
			if doc.HasErrors() != tt.wantErrors {
				t.Errorf("HasErrors = %v, want %v", doc.HasErrors(), tt.wantErrors)
			}
			if len(doc.Results) != len(tt.results) || doc.Results == nil {
				t.Errorf("Results = %#v, want %d (never nil)", doc.Results, len(tt.results))
			}
		})
	}
}

func TestNewMeta(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", -7200))
	doc := report.New(report.Meta{ToolVersion: "v1", Policy: "p.hcl", GeneratedAt: at}, nil)
	want := report.Document{
		SchemaVersion: 1, Tool: "vmafx-trust", ToolVersion: "v1", Policy: "p.hcl",
		GeneratedAt: at.UTC(), Results: []report.Result{},
	}
	if !reflect.DeepEqual(*doc, want) {
		t.Errorf("New = %+v, want %+v", *doc, want)
	}
	if doc.GeneratedAt.Location() != time.UTC {
		t.Errorf("generated_at in %v, want UTC", doc.GeneratedAt.Location())
	}
}

// TestNewCopies: the document does not share the results' slices and maps;
// a writer or a later change to the results cannot alter the other.
func TestNewCopies(t *testing.T) {
	rs := goldenResults()
	doc := report.New(report.Meta{}, rs)
	rs[0].SignerInfo.Extensions["source_repository_uri"] = "changed"
	rs[0].Evidence[0].Matched[0] = "changed"
	rs[2].Warnings[0] = "changed"
	rs[0].Checks[0].Detail = "changed"
	if got := doc.Results[0].SignerDetails.Extensions["source_repository_uri"]; got != "https://github.com/vmafx/vmafx" {
		t.Errorf("extensions shared: %q", got)
	}
	if got := doc.Results[0].Evidence[0].Matched[0]; got != "release" {
		t.Errorf("matched identities shared: %q", got)
	}
	if got := doc.Results[2].Warnings[0]; got == "changed" {
		t.Error("warnings shared")
	}
	if got := doc.Results[0].Checks[0].Detail; got == "changed" {
		t.Error("checks shared")
	}
}

func TestPolicyErrors(t *testing.T) {
	diags := parseDiags(t, "policy.hcl", "blob \"x\" {\n")
	doc := report.PolicyErrors(report.Meta{Policy: "policy.hcl", Errors: []report.Diagnostic{{Summary: "replaced"}}}, diags)
	if len(doc.Errors) != len(diags) || doc.Errors[0].Summary != diags[0].Summary {
		t.Errorf("Errors = %+v, want the %d diagnostics", doc.Errors, len(diags))
	}
	if doc.Summary != (report.Summary{ExitCode: report.ExitUsage}) || len(doc.Results) != 0 {
		t.Errorf("Summary = %+v, results %d; want zero counts, exit 2, no results", doc.Summary, len(doc.Results))
	}
}
