// Package report builds a run's report document and writes it in a format:
// a text table for people, a versioned JSON document for machines. The
// document has types of its own, so what the host, the SDK or the trust
// package change in theirs does not change the report's schema.
package report

import (
	"maps"
	"slices"
	"time"

	"github.com/vmafx/vmafx-trust/internal/host"
)

// SchemaVersion is the version of the JSON report; it changes only when a
// field changes meaning or disappears (new fields may be added).
const SchemaVersion = 1

// Tool is the report's "tool" field.
const Tool = "vmafx-trust"

// Result statuses, as the report spells them. A status the host does not
// know is "unknown" and counts as could-not-check.
const (
	StatusPass  = "pass"
	StatusFail  = "fail"
	StatusError = "error"
)

// Meta is what a report says about the run besides its results.
type Meta struct {
	ToolVersion string
	// Policy is the policy file, or the verb whose command line made the
	// policy.
	Policy      string
	GeneratedAt time.Time
	// Errors are the policy's diagnostics; one of severity error means
	// nothing was verified.
	Errors []Diagnostic
}

// Document is one run's report, built once and written by any Writer. Its
// JSON form is schema version 1: the fields' order and omissions are part of
// the schema.
type Document struct {
	SchemaVersion int       `json:"schema_version"`
	Tool          string    `json:"tool"`
	ToolVersion   string    `json:"tool_version"`
	Policy        string    `json:"policy"`
	GeneratedAt   time.Time `json:"generated_at"`
	Summary       Summary   `json:"summary"`
	// Results is never nil: JSON has an empty array, not null.
	Results []Result `json:"results"`
	// Errors is absent when the policy loaded without diagnostics.
	Errors []Diagnostic `json:"errors,omitempty"`
}

// Result is the verdict on one artifact, or one part of it (an image's
// platform).
type Result struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Part   string `json:"part,omitempty"`
	Plugin string `json:"plugin"`
	Status string `json:"status"`
	// Signer is the one-line signer: a certificate's subject, or "key ID".
	Signer        string  `json:"signer,omitempty"`
	SignerDetails *Signer `json:"signer_details,omitempty"`
	Reason        string  `json:"reason,omitempty"`
	// Checks is never nil: JSON has an empty array, not null.
	Checks     []Check    `json:"checks"`
	Evidence   []Evidence `json:"evidence,omitempty"`
	Warnings   []string   `json:"warnings,omitempty"`
	DurationMS int64      `json:"duration_ms"`
}

// ID is "kind.name" or "kind.name[part]", as diagnostics name a result.
func (r *Result) ID() string {
	id := r.Kind + "." + r.Name
	if r.Part != "" {
		id += "[" + r.Part + "]"
	}
	return id
}

// Signer is what the verified certificate or key says about who signed.
type Signer struct {
	// Subject is the certificate's subject; present, empty, for a key.
	Subject    string            `json:"subject"`
	Issuer     string            `json:"issuer,omitempty"`
	Extensions map[string]string `json:"extensions,omitempty"`
	KeyID      string            `json:"key_id,omitempty"`
}

// Check is one step of a verification, in order.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Evidence is what the host established about one piece of evidence.
type Evidence struct {
	Source        string   `json:"source,omitempty"`
	MediaType     string   `json:"media_type,omitempty"`
	SubjectDigest string   `json:"subject_digest"`
	Verified      bool     `json:"verified"`
	Signer        string   `json:"signer,omitempty"`
	Matched       []string `json:"matched_identities,omitempty"`
	PredicateType string   `json:"predicate_type,omitempty"`
	TimeSources   []string `json:"time_sources,omitempty"`
	Error         string   `json:"error,omitempty"`
}

// New builds the document of a run: its results in the host's order, their
// summary and meta's run details. A policy error among meta.Errors makes the
// exit code ExitUsage.
func New(meta Meta, results []*host.Result) *Document {
	d := &Document{
		SchemaVersion: SchemaVersion,
		Tool:          Tool,
		ToolVersion:   meta.ToolVersion,
		Policy:        meta.Policy,
		GeneratedAt:   meta.GeneratedAt.UTC(),
		Summary:       Summarize(results),
		Results:       make([]Result, 0, len(results)),
		Errors:        slices.Clone(meta.Errors),
	}
	for _, r := range results {
		d.Results = append(d.Results, fromHost(r))
	}
	if d.HasErrors() {
		d.Summary.ExitCode = ExitUsage
	}
	return d
}

// HasErrors reports whether a diagnostic of severity error stopped the run.
func (d *Document) HasErrors() bool {
	return slices.ContainsFunc(d.Errors, func(e Diagnostic) bool { return e.Severity != SeverityWarning })
}

func fromHost(r *host.Result) Result {
	out := Result{
		Kind: r.Kind, Name: r.Name, Part: r.Part, Plugin: r.Plugin,
		Status: r.Status.String(), Signer: r.Signer, Reason: r.Reason,
		Checks:     make([]Check, 0, len(r.Checks)),
		Warnings:   slices.Clone(r.Warnings),
		DurationMS: r.DurationMS,
	}
	if s := r.SignerInfo; s != nil {
		out.SignerDetails = &Signer{Subject: s.Subject, Issuer: s.Issuer, Extensions: maps.Clone(s.Extensions), KeyID: s.KeyID}
	}
	for _, c := range r.Checks {
		out.Checks = append(out.Checks, Check{Name: c.Name, OK: c.OK, Detail: c.Detail})
	}
	for _, e := range r.Evidence {
		out.Evidence = append(out.Evidence, Evidence{
			Source: e.Source, MediaType: e.MediaType, SubjectDigest: e.SubjectDigest, Verified: e.Verified,
			Signer: e.Signer, Matched: slices.Clone(e.Matched), PredicateType: e.PredicateType,
			TimeSources: slices.Clone(e.TimeSources), Error: e.Error,
		})
	}
	return out
}
