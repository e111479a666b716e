// Package sdk is the public plugin SDK of vmafx-trust. A verifier plugin
// implements Verifier and calls Serve from its main function; built-in
// plugins use exactly this package. The wire protocol (protobuf, gRPC over
// hashicorp/go-plugin) stays internal: plugin authors see only these types.
package sdk

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vmafx/vmafx-trust/internal/progresshub"
	"github.com/vmafx/vmafx-trust/internal/protocol"
)

// ProtocolVersion is the plugin protocol major version this SDK speaks.
const ProtocolVersion = protocol.Version

// MaxMessageSize bounds each message between host and plugin, either way.
// A Result is one message: when it is larger (evidence counts with its
// bytes), the whole answer is refused and the host reports the artifact as
// "could not be checked". A plugin whose evidence may be large (an SBOM
// attestation bundle) checks it against this bound to say so itself.
const MaxMessageSize = protocol.MaxMessageSize

// Info describes a plugin: its name, version and the artifact kinds it serves.
type Info struct {
	Name    string
	Version string
	Kinds   []KindSchema
	// OpaqueEvidence marks a plugin whose verdicts rest on evidence the host
	// cannot re-verify (not Sigstore). Policies must pin such plugins.
	OpaqueEvidence bool
	// ProtocolVersions is filled by the SDK.
	ProtocolVersions []int
}

// KindSchema is the schema of one policy block type, e.g. `blob "x" {…}`.
type KindSchema struct {
	Kind        string
	Description string
	Attributes  []Attribute
	Blocks      []NestedBlock
}

// Attribute types understood by the host.
const (
	TypeString     = "string"
	TypeNumber     = "number"
	TypeBool       = "bool"
	TypePath       = "path" // a string resolved against the policy's directory
	TypeListString = "list(string)"
	TypeListPath   = "list(path)" // each resolved like TypePath
	// TypeStringOrList takes a string or a list of strings: the plugin gets
	// a JSON string or array (e.g. platforms = "all" | ["linux/amd64"]).
	TypeStringOrList = "string | list(string)"
	TypeMapString    = "map(string)"
	// TypeReference names another artifact block of the policy, as
	// `image.app` (Attribute.Kinds lists the kinds it may name). The host
	// verifies that artifact first and hands the plugin what its
	// verification established (Request.References); when it did not pass,
	// the referencing block fails with its reason and never reaches the
	// plugin.
	TypeReference = "reference"
)

// Attribute is one attribute of a block.
type Attribute struct {
	Name        string
	Type        string
	Required    bool
	Description string
	Example     string
	// Kinds are the artifact kinds a TypeReference attribute may name.
	Kinds []string
}

// Nesting says how often a nested block may appear.
type Nesting int

const (
	NestingSingle Nesting = iota + 1 // at most once
	NestingList                      // any number of times
)

// NestedBlock is a block inside a kind's block, e.g. `attestation {…}`.
type NestedBlock struct {
	TypeName    string
	Nesting     Nesting
	Required    bool
	Description string
	Attributes  []Attribute
	// IdentityForm, when set (IdentityTrustedPublisher), makes the block name
	// who must have signed the artifact: the host expands it into the
	// artifact's identity itself and verifies evidence against it, so a
	// plugin cannot loosen it. The block still reaches the plugin as an
	// attribute, for the checks only the plugin can make.
	IdentityForm string
}

// IdentityTrustedPublisher is the identity form of a CI Trusted Publisher
// block (NestingSingle): kind = "github" | "gitlab" | "google", repository,
// workflow (GitHub), workflow_filepath (GitLab), environment, email (Google).
// The host maps it to the OIDC issuer and Fulcio certificate claims each CI
// system's certificates carry; see docs/pypi.md.
const IdentityTrustedPublisher = "trusted_publisher"

// TrustRoot is trust material the host loaded for the run.
type TrustRoot struct {
	Name string
	// TrustedRootJSON is a Sigstore trusted_root.json document (may be empty
	// for key-only roots).
	TrustedRootJSON []byte
	// PublicKeysPEM are trusted signing keys.
	PublicKeysPEM [][]byte
}

// Identity is a signer the policy accepts for an artifact. Regular
// expressions arrive anchored as the policy author meant them.
type Identity struct {
	Name             string
	Issuer           string
	IssuerRegexp     string
	Subject          string
	SubjectRegexp    string
	Extensions       map[string]string
	ExtensionRegexps map[string]string
}

// Requirements are the transparency-log and timestamp evidence the policy
// demands (nil thresholds: derived from the trust root). The host verifies
// returned evidence with the same requirements; plugins pre-checking with
// pkg/trust should pass them on (trust.Requirements has the same fields).
type Requirements struct {
	TlogThreshold         *int
	SCTThreshold          *int
	TimestampThreshold    *int
	IgnoreTlog            bool
	RequireInclusionProof bool
	TimeSource            string
}

// Request asks a plugin to verify one artifact block.
type Request struct {
	Kind string
	Name string
	// Attributes is the block decoded by the host with the kind's schema, as
	// a JSON object. Use Decode to fill a struct.
	Attributes json.RawMessage
	Identities []Identity
	// Require is how many distinct identities must be matched (at least 1).
	Require int
	// TrustRoot is the material this artifact is verified against.
	TrustRoot *TrustRoot
	// UseKey is set when the artifact must be signed by one of the trust
	// root's public keys rather than a certificate identity.
	UseKey       bool
	Requirements Requirements
	Offline      bool
	Deadline     time.Time
	PolicyDir    string
	// References are the artifacts the block's reference attributes name,
	// by attribute name, each as this run verified it (always a pass).
	References map[string]Reference

	progress *progresshub.Hub // where Progress reports go; nil outside a plugin
}

// Reference is an artifact another block refers to, as this run verified
// it: a plugin binds its own verdict to the digests the referenced
// artifact's verification established, never resolving the artifact again.
type Reference struct {
	Kind string
	Name string
	// Attributes are the referenced block's attributes, as its own plugin
	// received them (a JSON object).
	Attributes json.RawMessage
	// Parts are the rows of the referenced artifact's verdict (one, or one
	// per platform of an image index), each with the digest it is about.
	Parts []ReferencePart
}

// ReferencePart is one passing row of a referenced artifact.
type ReferencePart struct {
	// Name is the row's part name: "" for the artifact itself, else as its
	// plugin named the SubResult ("index", "linux/amd64").
	Name   string
	Digest Digest
}

// Decode unmarshals the block's attributes into v (a pointer to a struct with
// json tags named like the schema's attributes).
func (r *Request) Decode(v any) error {
	if len(r.Attributes) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Attributes, v); err != nil {
		return fmt.Errorf("%s %q: decoding attributes: %w", r.Kind, r.Name, err)
	}
	return nil
}

// Status is a verdict.
type Status int

const (
	StatusUnknown Status = iota
	StatusPass
	StatusFail
	StatusError // could not be checked (network, crash, timeout)
)

func (s Status) String() string {
	switch s {
	case StatusPass:
		return "pass"
	case StatusFail:
		return "fail"
	case StatusError:
		return "error"
	}
	return "unknown"
}

// MarshalText makes Status render as its name in JSON.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Check is one step of a verification, in order.
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// Digest is an artifact digest.
type Digest struct {
	Algorithm string `json:"algorithm"`
	Hex       string `json:"hex"`
}

func (d Digest) String() string { return d.Algorithm + ":" + d.Hex }

// EvidenceType says how evidence is encoded.
type EvidenceType int

const (
	EvidenceUnknown EvidenceType = iota
	// EvidenceBundle is a Sigstore bundle (v0.1–v0.3) in Bundle.
	EvidenceBundle
	// EvidenceDetached is a signature + certificate (+ chain, tlog entry,
	// RFC 3161 timestamps).
	EvidenceDetached
)

// Evidence is Sigstore material a plugin relied on, with the digest it must
// bind. The host verifies it itself.
type Evidence struct {
	Type           EvidenceType
	MediaType      string
	Bundle         []byte
	Signature      []byte
	CertificatePEM []byte
	ChainPEM       []byte
	TlogEntryJSON  []byte
	RFC3161        [][]byte
	SubjectDigest  Digest
	Source         string
}

// Severity of a diagnostic.
type Severity int

const (
	SeverityWarning Severity = iota + 1
	SeverityError
)

// Diagnostic is a message from a plugin to the user.
type Diagnostic struct {
	Severity Severity
	Summary  string
	Detail   string
}

// Result is a plugin's answer for one artifact.
type Result struct {
	Status   Status
	Checks   []Check
	Evidence []Evidence
	// Reason says, on failure, what was expected and what was found.
	Reason      string
	Diagnostics []Diagnostic
	// SubResults are per-part verdicts (e.g. one per platform of an image
	// index), each reported on its own row.
	SubResults []SubResult
	// Subject is the digest of the artifact the verdict is about (a file's
	// sha256, an image's manifest digest): blocks that refer to this
	// artifact are bound to it. Zero when the plugin does not say, and then
	// no block can refer to the artifact.
	Subject Digest
}

// SubResult is the verdict on one part of an artifact.
type SubResult struct {
	Name     string
	Status   Status
	Checks   []Check
	Evidence []Evidence
	Reason   string
	// Subject is as Result.Subject, for this part.
	Subject Digest
}

// Pass records a passing check and returns r for chaining.
func (r *Result) Pass(name, detail string) *Result {
	r.Checks = append(r.Checks, Check{Name: name, OK: true, Detail: detail})
	return r
}

// Fail records a failing check, sets the status to fail and the reason.
func (r *Result) Fail(name, reason string) *Result {
	r.Checks = append(r.Checks, Check{Name: name, OK: false, Detail: reason})
	r.Status = StatusFail
	if r.Reason == "" {
		r.Reason = reason
	}
	return r
}

// Errorf marks the result as "could not be checked".
func (r *Result) Errorf(name, format string, args ...any) *Result {
	reason := fmt.Sprintf(format, args...)
	r.Checks = append(r.Checks, Check{Name: name, OK: false, Detail: reason})
	r.Status = StatusError
	if r.Reason == "" {
		r.Reason = reason
	}
	return r
}

// Warn adds a warning diagnostic.
func (r *Result) Warn(summary, detail string) {
	r.Diagnostics = append(r.Diagnostics, Diagnostic{Severity: SeverityWarning, Summary: summary, Detail: detail})
}

// SummarizeParts sets the verdict on the whole from r.SubResults, under a
// check named name: fail when a part failed, else "could not be checked"
// when a part could not be, each such part named with its reason; else
// pass, with passDetail.
func (r *Result) SummarizeParts(name, passDetail string) *Result {
	var failed, errored []string
	for _, s := range r.SubResults {
		why := s.Reason
		if !strings.HasPrefix(why, s.Name+":") {
			why = s.Name + ": " + why
		}
		switch s.Status {
		case StatusFail:
			failed = append(failed, why)
		case StatusError:
			errored = append(errored, why)
		}
	}
	n := len(r.SubResults)
	switch {
	case len(failed) > 0:
		return r.Fail(name, fmt.Sprintf("%d of %d part(s) failed: %s", len(failed), n, strings.Join(failed, "; ")))
	case len(errored) > 0:
		return r.Errorf(name, "%d of %d part(s) could not be checked: %s", len(errored), n, strings.Join(errored, "; "))
	}
	return r.Pass(name, passDetail)
}
