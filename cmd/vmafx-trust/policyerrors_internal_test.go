package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/vmafx/vmafx-trust/internal/options"
	"github.com/vmafx/vmafx-trust/internal/report"
)

func TestReportPolicyErrors(t *testing.T) {
	diags := hcl.Diagnostics{{
		Severity: hcl.DiagError, Summary: "Unsupported argument", Detail: `An argument named "colour" is not expected here.`,
		Subject: &hcl.Range{Filename: "p.hcl", Start: hcl.Pos{Line: 3, Column: 3}, End: hcl.Pos{Line: 3, Column: 9}},
	}}
	other := exitf(report.ExitUnchecked, "no verifier plugin could be started")
	tests := []struct {
		name     string
		format   string
		err      error
		wantJSON bool
	}{
		{name: "json, policy error", format: "json", err: policyFailed(diags), wantJSON: true},
		{name: "text, policy error: stderr has it", format: "text", err: policyFailed(diags)},
		{name: "json, another error", format: "json", err: other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			got := reportPolicyErrors(&out, options.Output{Format: tt.format}, "p.hcl", tt.err)
			if got != tt.err {
				t.Errorf("returned %v, want the run's error %v", got, tt.err)
			}
			if !tt.wantJSON {
				if out.Len() != 0 {
					t.Errorf("wrote %q, want nothing", out.String())
				}
				return
			}
			var doc struct {
				Policy  string
				Summary report.Summary
				Results []any
				Errors  []report.Diagnostic
			}
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out.String())
			}
			want := report.Diagnostic{File: "p.hcl", Line: 3, Column: 3, Severity: "error", Summary: "Unsupported argument", Detail: `An argument named "colour" is not expected here.`}
			if doc.Policy != "p.hcl" || doc.Summary != (report.Summary{ExitCode: 2}) || doc.Results == nil || len(doc.Results) != 0 || len(doc.Errors) != 1 || doc.Errors[0] != want {
				t.Errorf("report = %+v\n%s", doc, out.String())
			}
		})
	}
}

// TestPolicyFailedExitCode: a policy error exits 2 with no message of its
// own (the diagnostics, on stderr, are the message).
func TestPolicyFailedExitCode(t *testing.T) {
	err := policyFailed(nil)
	var ec *exitError
	if !errors.As(err, &ec) || ec.code != report.ExitUsage || err.Error() != "" {
		t.Errorf("policyFailed = %#v (%q), want exit 2 and no message", err, err.Error())
	}
}
