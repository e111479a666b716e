// Package report renders run results: a text table for people and a
// versioned JSON document for machines.
package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vmafx/vmafx-trust/internal/host"
	"github.com/vmafx/vmafx-trust/internal/termtext"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// SchemaVersion is the version of the JSON report; it changes only when a
// field changes meaning or disappears (new fields may be added).
const SchemaVersion = 1

// Summary counts results by status.
type Summary struct {
	Total    int `json:"total"`
	Passed   int `json:"passed"`
	Failed   int `json:"failed"`
	Errored  int `json:"errored"`
	ExitCode int `json:"exit_code"`
}

// Exit codes.
const (
	ExitOK        = 0 // all verified
	ExitFailed    = 1 // some artifact failed verification
	ExitUsage     = 2 // usage or policy error, nothing run
	ExitUnchecked = 3 // some artifact could not be checked, none failed
)

// Summarize counts results and derives the exit code.
func Summarize(results []*host.Result) Summary {
	s := Summary{Total: len(results)}
	for _, r := range results {
		switch r.Status {
		case sdk.StatusPass:
			s.Passed++
		case sdk.StatusFail:
			s.Failed++
		default:
			s.Errored++
		}
	}
	switch {
	case s.Failed > 0:
		s.ExitCode = ExitFailed
	case s.Errored > 0:
		s.ExitCode = ExitUnchecked
	}
	return s
}

// Document is the JSON report.
type Document struct {
	SchemaVersion int            `json:"schema_version"`
	Tool          string         `json:"tool"`
	ToolVersion   string         `json:"tool_version"`
	Policy        string         `json:"policy"`
	GeneratedAt   time.Time      `json:"generated_at"`
	Summary       Summary        `json:"summary"`
	Results       []*host.Result `json:"results"`
}

// JSON writes the versioned JSON report.
func JSON(w io.Writer, policyFile, toolVersion string, results []*host.Result, now time.Time) error {
	if results == nil {
		results = []*host.Result{}
	}
	doc := Document{
		SchemaVersion: SchemaVersion, Tool: "vmafx-trust", ToolVersion: toolVersion, Policy: policyFile,
		GeneratedAt: now.UTC(), Summary: Summarize(results), Results: results,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// TextOptions tune the text report.
type TextOptions struct {
	Color   bool // ANSI colours (only on a terminal)
	Verbose bool // every check of every artifact
}

// Text writes a table: artifact, kind, status, signer, reason. Every string
// that came from a plugin or an artifact is printed through termtext.Clean:
// a certificate subject or a registry's message must not be able to move the
// cursor or recolour a verdict.
func Text(out io.Writer, results []*host.Result, opts TextOptions) error {
	// One write at the end: tabwriter writes every cell and pad separately,
	// hundreds of system calls for a release's table.
	w := bufio.NewWriterSize(out, 64<<10)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ARTIFACT\tKIND\tSTATUS\tSIGNER\tREASON")
	for _, r := range results {
		name := r.Name
		if r.Part != "" {
			name += " [" + r.Part + "]"
		}
		name = termtext.Clean(name)
		signer := termtext.Clean(r.Signer)
		if signer == "" {
			signer = "-"
		}
		reason := oneLine(r.Reason)
		if reason == "" {
			reason = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, termtext.Clean(r.Kind), status(r.Status, opts.Color), signer, reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		for _, warn := range r.Warnings {
			fmt.Fprintf(w, "warning: %s: %s\n", termtext.Clean(r.ID()), termtext.Clean(warn))
		}
		if !opts.Verbose && r.Status == sdk.StatusPass {
			continue
		}
		if opts.Verbose || r.Status != sdk.StatusPass {
			fmt.Fprintf(w, "\n%s (%s):\n", termtext.Clean(r.ID()), r.Status)
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
	}
	s := Summarize(results)
	fmt.Fprintf(w, "\nsummary: %d artifact(s): %d verified, %d failed, %d could not be checked\n", s.Total, s.Passed, s.Failed, s.Errored)
	return w.Flush()
}

func status(s sdk.Status, color bool) string {
	word := map[sdk.Status]string{sdk.StatusPass: "PASS", sdk.StatusFail: "FAIL", sdk.StatusError: "ERROR"}[s]
	if word == "" {
		word = "ERROR"
	}
	if !color {
		return word
	}
	code := map[string]string{"PASS": "32", "FAIL": "31", "ERROR": "33"}[word]
	return "\x1b[" + code + "m" + word + "\x1b[0m"
}

func oneLine(s string) string {
	return termtext.Clean(strings.Join(strings.Fields(s), " "))
}
