package main

import (
	"errors"
	"io"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/vmafx/vmafx-trust/internal/options"
	"github.com/vmafx/vmafx-trust/internal/report"
)

// policyError is a policy that does not load: its diagnostics, already
// written to stderr for people, kept for a machine-readable report. It
// unwraps to the usage error that sets the exit code.
type policyError struct {
	diags hcl.Diagnostics
	err   error
}

func (e *policyError) Error() string { return e.err.Error() }
func (e *policyError) Unwrap() error { return e.err }

// policyFailed is the error of a policy with diags: exit code 2, and no
// message of its own (the diagnostics are the message).
func policyFailed(diags hcl.Diagnostics) error {
	return &policyError{diags: diags, err: exitf(report.ExitUsage, "")}
}

// reportPolicyErrors writes, when err is a policy that did not load and the
// format is not text, the report of that policy's diagnostics to out: a
// tool reading the JSON report on stdout learns why nothing was verified.
// The text format has its report on stderr already (writeDiags). It
// returns err, the run's outcome, unless the report cannot be written.
func reportPolicyErrors(out io.Writer, o options.Output, file string, err error) error {
	var pe *policyError
	if o.Format == "text" || !errors.As(err, &pe) {
		return err
	}
	w, lerr := report.Lookup(o.Format, report.Options{Verbose: o.Verbose})
	if lerr != nil {
		return exitf(report.ExitUsage, "--format: %v", lerr)
	}
	doc := report.PolicyErrors(report.Meta{ToolVersion: version, Policy: file, GeneratedAt: time.Now()}, pe.diags)
	if werr := w.Write(out, doc); werr != nil {
		return exitf(report.ExitUsage, "writing report: %v", werr)
	}
	return err
}
