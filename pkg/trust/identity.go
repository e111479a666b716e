package trust

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// OIDC issuers of the CI systems whose signers policies name: GitHub
// Actions, GitLab CI (gitlab.com) and Google service accounts.
const (
	GitHubIssuer = "https://token.actions.githubusercontent.com"
	GitLabIssuer = "https://gitlab.com"
	GoogleIssuer = "https://accounts.google.com"
)

// Identity is a signer a policy accepts: an OIDC issuer and certificate
// subject (SAN), each exact or by regular expression, plus Fulcio certificate
// extensions that must equal or match given values.
//
// Regular expressions are used exactly as given: anchoring is the policy
// layer's job (it anchors unless the author opts out).
type Identity struct {
	Name             string
	Issuer           string
	IssuerRegexp     string
	Subject          string
	SubjectRegexp    string
	Extensions       map[string]string // by extension name, see ExtensionNames
	ExtensionRegexps map[string]string
}

// extensionFields maps the policy's snake_case extension names to the values
// of a parsed Fulcio certificate.
var extensionFields = map[string]func(*certificate.Extensions) string{
	"issuer":                                  func(e *certificate.Extensions) string { return e.Issuer },
	"github_workflow_trigger":                 func(e *certificate.Extensions) string { return e.GithubWorkflowTrigger },
	"github_workflow_sha":                     func(e *certificate.Extensions) string { return e.GithubWorkflowSHA },
	"github_workflow_name":                    func(e *certificate.Extensions) string { return e.GithubWorkflowName },
	"github_workflow_repository":              func(e *certificate.Extensions) string { return e.GithubWorkflowRepository },
	"github_workflow_ref":                     func(e *certificate.Extensions) string { return e.GithubWorkflowRef },
	"build_signer_uri":                        func(e *certificate.Extensions) string { return e.BuildSignerURI },
	"build_signer_digest":                     func(e *certificate.Extensions) string { return e.BuildSignerDigest },
	"runner_environment":                      func(e *certificate.Extensions) string { return e.RunnerEnvironment },
	"source_repository_uri":                   func(e *certificate.Extensions) string { return e.SourceRepositoryURI },
	"source_repository_digest":                func(e *certificate.Extensions) string { return e.SourceRepositoryDigest },
	"source_repository_ref":                   func(e *certificate.Extensions) string { return e.SourceRepositoryRef },
	"source_repository_identifier":            func(e *certificate.Extensions) string { return e.SourceRepositoryIdentifier },
	"source_repository_owner_uri":             func(e *certificate.Extensions) string { return e.SourceRepositoryOwnerURI },
	"source_repository_owner_identifier":      func(e *certificate.Extensions) string { return e.SourceRepositoryOwnerIdentifier },
	"build_config_uri":                        func(e *certificate.Extensions) string { return e.BuildConfigURI },
	"build_config_digest":                     func(e *certificate.Extensions) string { return e.BuildConfigDigest },
	"build_trigger":                           func(e *certificate.Extensions) string { return e.BuildTrigger },
	"run_invocation_uri":                      func(e *certificate.Extensions) string { return e.RunInvocationURI },
	"source_repository_visibility_at_signing": func(e *certificate.Extensions) string { return e.SourceRepositoryVisibilityAtSigning },
}

// ExtensionNames lists the Fulcio extension names an Identity may constrain.
func ExtensionNames() []string {
	names := make([]string, 0, len(extensionFields))
	for n := range extensionFields {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// IsExtensionName reports whether name is a known Fulcio extension name.
func IsExtensionName(name string) bool {
	_, ok := extensionFields[name]
	return ok
}

// Validate reports a malformed identity: nothing to match, both exact and
// regexp forms for the same field, a regexp that does not compile or an
// unknown extension.
func (id Identity) Validate() error {
	if id.Issuer == "" && id.IssuerRegexp == "" {
		return fmt.Errorf("identity %q: an issuer or issuer_regexp is required", id.Name)
	}
	if id.Subject == "" && id.SubjectRegexp == "" {
		return fmt.Errorf("identity %q: a subject or subject_regexp is required", id.Name)
	}
	if id.Issuer != "" && id.IssuerRegexp != "" {
		return fmt.Errorf("identity %q: issuer and issuer_regexp are mutually exclusive", id.Name)
	}
	if id.Subject != "" && id.SubjectRegexp != "" {
		return fmt.Errorf("identity %q: subject and subject_regexp are mutually exclusive", id.Name)
	}
	for _, re := range []string{id.IssuerRegexp, id.SubjectRegexp} {
		if re == "" {
			continue
		}
		if _, err := regexp.Compile(re); err != nil {
			return fmt.Errorf("identity %q: %w", id.Name, err)
		}
	}
	for name, v := range id.Extensions {
		if !IsExtensionName(name) {
			return fmt.Errorf("identity %q: unknown certificate extension %q", id.Name, name)
		}
		if v == "" {
			return fmt.Errorf("identity %q: extension %s is empty: an empty value would match anything (remove it, or give a value)", id.Name, name)
		}
	}
	for name, re := range id.ExtensionRegexps {
		if !IsExtensionName(name) {
			return fmt.Errorf("identity %q: unknown certificate extension %q", id.Name, name)
		}
		if re == "" {
			return fmt.Errorf("identity %q: extension_regexps %s is empty: an empty regexp would match anything", id.Name, name)
		}
		if _, err := regexp.Compile(re); err != nil {
			return fmt.Errorf("identity %q: extension %s: %w", id.Name, name, err)
		}
	}
	return nil
}

// Signer is what a verified certificate says about who signed.
type Signer struct {
	Subject    string
	Issuer     string
	Extensions map[string]string
	// KeyID is set instead of Subject when a public key signed.
	KeyID string
}

// String is a one-line description, e.g. for a report's "signer" column.
func (s *Signer) String() string {
	if s == nil {
		return ""
	}
	if s.Subject == "" && s.KeyID != "" {
		return "key " + s.KeyID
	}
	return s.Subject
}

func signerFromSummary(sum certificate.Summary) *Signer {
	s := &Signer{Subject: sum.SubjectAlternativeName, Issuer: sum.Extensions.Issuer, Extensions: map[string]string{}}
	for name, get := range extensionFields {
		if v := get(&sum.Extensions); v != "" && name != "issuer" {
			s.Extensions[name] = v
		}
	}
	return s
}

// Mismatch is one criterion an identity enforced that the certificate did not
// meet.
type Mismatch struct {
	Field    string
	Expected string
	Found    string
}

// Match checks the signer against the identity and returns every criterion
// that differs (nil when the identity matches).
func (id Identity) Match(s *Signer) []Mismatch {
	var out []Mismatch
	check := func(field, exact, re, found string) {
		switch {
		case exact != "" && exact != found:
			out = append(out, Mismatch{Field: field, Expected: exact, Found: found})
		case re != "" && !regexp.MustCompile(re).MatchString(found):
			out = append(out, Mismatch{Field: field, Expected: "/" + re + "/", Found: found})
		}
	}
	check("subject", id.Subject, id.SubjectRegexp, s.Subject)
	check("issuer", id.Issuer, id.IssuerRegexp, s.Issuer)
	for _, name := range sortedKeys(id.Extensions) {
		check(name, id.Extensions[name], "", s.extension(name))
	}
	for _, name := range sortedKeys(id.ExtensionRegexps) {
		check(name, "", id.ExtensionRegexps[name], s.extension(name))
	}
	return out
}

// extension returns the value of a Fulcio extension by name. The issuer is
// kept in Signer.Issuer, not repeated in Extensions.
func (s *Signer) extension(name string) string {
	if name == "issuer" {
		return s.Issuer
	}
	return s.Extensions[name]
}

// IdentityError says no accepted identity signed: for each identity, the
// criteria enforced next to what the certificate contained.
type IdentityError struct {
	Found      *Signer
	Identities []Identity
	Mismatches [][]Mismatch // parallel to Identities
}

func (e *IdentityError) Error() string {
	var b strings.Builder
	b.WriteString("signer identity not accepted")
	for i, id := range e.Identities {
		if len(e.Identities) > 1 || id.Name != "" {
			fmt.Fprintf(&b, "; identity %q:", id.Name)
		} else {
			b.WriteString(":")
		}
		for j, m := range e.Mismatches[i] {
			if j > 0 {
				b.WriteString(",")
			}
			found := m.Found
			if found == "" {
				found = "(absent)"
			}
			fmt.Fprintf(&b, " %s: expected %s, found %s", m.Field, m.Expected, found)
		}
	}
	return b.String()
}

// sigstoreIdentity converts to sigstore-go's matcher (subject, issuer and
// exact extensions); regexps on extensions are checked by Match.
func (id Identity) sigstoreIdentity() (verify.CertificateIdentity, error) {
	san, err := verify.NewSANMatcher(id.Subject, id.SubjectRegexp)
	if err != nil {
		return verify.CertificateIdentity{}, err
	}
	iss, err := verify.NewIssuerMatcher(id.Issuer, id.IssuerRegexp)
	if err != nil {
		return verify.CertificateIdentity{}, err
	}
	return verify.NewCertificateIdentity(san, iss, certificate.Extensions{})
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
