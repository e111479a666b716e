package report

import (
	"github.com/hashicorp/hcl/v2"
)

// Diagnostic severities, as the report spells them.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Diagnostic is one problem found in the policy, where it is: the report's
// "errors" entries. Line and Column are 1-based; 0 when the problem has no
// place in a file (a variable given on the command line, say).
type Diagnostic struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
}

// FromHCL converts the policy's diagnostics, in order. A diagnostic with no
// source range is placed in file, the policy file, with no line or column.
// Any severity other than a warning is an error: an unknown one must not
// let a broken policy pass for a warned one.
func FromHCL(diags hcl.Diagnostics, file string) []Diagnostic {
	out := make([]Diagnostic, 0, len(diags))
	for _, d := range diags {
		e := Diagnostic{File: file, Severity: SeverityError, Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			e.Severity = SeverityWarning
		}
		if d.Subject != nil {
			e.File, e.Line, e.Column = d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column
		}
		out = append(out, e)
	}
	return out
}

// PolicyErrors is the document of a run that stopped at its policy: no
// results, the diagnostics as errors, exit code ExitUsage when one of them
// is an error. meta.Errors is replaced.
func PolicyErrors(meta Meta, diags hcl.Diagnostics) *Document {
	meta.Errors = FromHCL(diags, meta.Policy)
	return New(meta, nil)
}
