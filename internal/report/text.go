package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/vmafx/vmafx-trust/internal/termtext"
)

// Text writes a table for people: artifact, kind, status, signer, reason;
// then warnings, the checks of each artifact that did not pass (of every
// artifact when Verbose), and a summary line. A document that stopped at
// its policy lists the policy's diagnostics instead.
//
// Every string that came from a plugin, an artifact or the policy is printed
// through termtext.Clean: a certificate subject or a registry's message must
// not be able to move the cursor or recolour a verdict.
type Text struct {
	Color   bool // ANSI colours (only on a terminal)
	Verbose bool // every check of every artifact
}

// Write implements Writer. The table reaches w in one write: tabwriter
// writes every cell and pad separately, hundreds of system calls for a
// release's table.
func (t Text) Write(out io.Writer, doc *Document) error {
	w := bufio.NewWriterSize(out, 64<<10)
	writeDiagnostics(w, doc.Errors)
	if doc.HasErrors() {
		fmt.Fprintf(w, "\nsummary: nothing verified: the policy has %d error(s)\n", countErrors(doc.Errors))
	} else if err := t.writeResults(w, doc); err != nil {
		return fmt.Errorf("text report: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("text report: %w", err)
	}
	return nil
}

func (t Text) writeResults(w io.Writer, doc *Document) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ARTIFACT\tKIND\tSTATUS\tSIGNER\tREASON")
	for _, r := range doc.Results {
		name := r.Name
		if r.Part != "" {
			name += " [" + r.Part + "]"
		}
		signer := termtext.Clean(r.Signer)
		if signer == "" {
			signer = "-"
		}
		reason := oneLine(r.Reason)
		if reason == "" {
			reason = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", termtext.Clean(name), termtext.Clean(r.Kind), statusWord(r.Status, t.Color), signer, reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range doc.Results {
		id := termtext.Clean(r.ID())
		for _, warn := range r.Warnings {
			fmt.Fprintf(w, "warning: %s: %s\n", id, termtext.Clean(warn))
		}
		if !t.Verbose && r.Status == StatusPass {
			continue
		}
		fmt.Fprintf(w, "\n%s (%s):\n", id, termtext.Clean(r.Status))
		for _, c := range r.Checks {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
			}
			lines := strings.Split(termtext.CleanLines(strings.TrimRight(c.Detail, "\n")), "\n")
			fmt.Fprintf(w, "  %s %-18s %s\n", mark, termtext.Clean(c.Name), strings.TrimSpace(lines[0]))
			// Multi-line details (criteria vs certificate) keep their shape.
			for _, l := range lines[1:] {
				fmt.Fprintf(w, "  %s %-18s %s\n", "    ", "", l)
			}
		}
	}
	s := doc.Summary
	fmt.Fprintf(w, "\nsummary: %d artifact(s): %d verified, %d failed, %d could not be checked\n", s.Total, s.Passed, s.Failed, s.Errored)
	return nil
}

// writeDiagnostics lists the policy's problems as FILE:LINE,COL: SEVERITY:
// SUMMARY (the form editors and CI annotate from), each detail indented
// below.
func writeDiagnostics(w io.Writer, diags []Diagnostic) {
	for _, d := range diags {
		place := d.File
		if d.Line > 0 {
			place += fmt.Sprintf(":%d,%d", d.Line, d.Column)
		}
		fmt.Fprintf(w, "%s: %s: %s\n", termtext.Clean(place), termtext.Clean(d.Severity), termtext.Clean(d.Summary))
		if detail := strings.TrimSpace(d.Detail); detail != "" {
			for _, l := range strings.Split(termtext.CleanLines(detail), "\n") {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
	}
}

func countErrors(diags []Diagnostic) int {
	n := 0
	for _, d := range diags {
		if d.Severity != SeverityWarning {
			n++
		}
	}
	return n
}

// statusWord is the table's verdict; anything but a pass or a failure is an
// ERROR (could not be checked).
func statusWord(status string, color bool) string {
	word, code := "ERROR", "33"
	switch status {
	case StatusPass:
		word, code = "PASS", "32"
	case StatusFail:
		word, code = "FAIL", "31"
	}
	if !color {
		return word
	}
	return "\x1b[" + code + "m" + word + "\x1b[0m"
}

func oneLine(s string) string {
	return termtext.Clean(strings.Join(strings.Fields(s), " "))
}
