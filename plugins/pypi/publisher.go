package pypi

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// Publisher is a Trusted Publisher, as a policy's publisher {} block names it
// or as an index declares it in a provenance object (kind "GitHub", "GitLab",
// "Google"; environment may be null there).
type Publisher struct {
	Kind             string `json:"kind"`
	Repository       string `json:"repository,omitempty"`
	Workflow         string `json:"workflow,omitempty"`
	WorkflowFilepath string `json:"workflow_filepath,omitempty"`
	Environment      string `json:"environment,omitempty"`
	Email            string `json:"email,omitempty"`
}

func (p *Publisher) kind() string { return strings.ToLower(strings.TrimSpace(p.Kind)) }

// workflowFile is the workflow's file name: release.yml and
// .github/workflows/release.yml name the same.
func (p *Publisher) workflowFile() string {
	return strings.TrimPrefix(p.Workflow, ".github/workflows/")
}

// String describes the publisher in one line.
func (p *Publisher) String() string {
	if p == nil {
		return "(none)"
	}
	var s string
	switch p.kind() {
	case "github":
		s = fmt.Sprintf("GitHub %s, workflow %s", p.Repository, p.workflowFile())
	case "gitlab":
		s = fmt.Sprintf("GitLab %s, CI file %s", p.Repository, p.WorkflowFilepath)
	case "google":
		s = "Google service account " + p.Email
	default:
		return fmt.Sprintf("%s publisher", p.Kind)
	}
	if p.Environment != "" {
		s += ", environment " + p.Environment
	}
	return s
}

// validate rejects publishers the rules do not cover.
func (p *Publisher) validate() error {
	switch p.kind() {
	case "github":
		owner, name, ok := strings.Cut(p.Repository, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return fmt.Errorf("publisher repository %q: want owner/name", p.Repository)
		}
		if wf := p.workflowFile(); wf == "" || strings.ContainsAny(wf, "/@") {
			return fmt.Errorf("publisher workflow %q: want the workflow's file name, e.g. release.yml", p.Workflow)
		}
	case "gitlab":
		if !strings.Contains(p.Repository, "/") || strings.HasPrefix(p.Repository, "/") || strings.HasSuffix(p.Repository, "/") {
			return fmt.Errorf("publisher repository %q: want namespace/project", p.Repository)
		}
		if p.WorkflowFilepath == "" || strings.Contains(p.WorkflowFilepath, "@") {
			return fmt.Errorf("publisher workflow_filepath %q: want the CI file's path, e.g. .gitlab-ci.yml", p.WorkflowFilepath)
		}
	case "google":
		if !strings.Contains(p.Email, "@") {
			return fmt.Errorf("publisher email %q: want the service account's e-mail address", p.Email)
		}
	case "":
		return errors.New("publisher kind is missing: want github, gitlab or google")
	default:
		return fmt.Errorf("publisher kind %q is not supported: want github, gitlab or google", p.Kind)
	}
	return nil
}

// mismatch is one publisher criterion the certificate (or the index's
// declared publisher) does not meet.
type mismatch struct{ field, expected, found string }

func (m mismatch) String() string {
	found := m.found
	if found == "" {
		found = "(absent)"
	}
	return fmt.Sprintf("%s: expected %s, found %s", m.field, m.expected, found)
}

func joinMismatches(mm []mismatch) string {
	parts := make([]string, len(mm))
	for i, m := range mm {
		parts[i] = m.String()
	}
	return strings.Join(parts, "; ")
}

// checkCertificate applies pypi-attestations' Trusted Publisher rules to a
// verified signer:
//
//   - GitHub: issuer https://token.actions.githubusercontent.com, Source
//     Repository URI https://github.com/{repository}, and Build Config URI
//     https://github.com/{repository}/.github/workflows/{workflow}@{suffix}
//     where suffix is the certificate's own Source Repository Digest or Ref;
//   - GitLab: issuer https://gitlab.com, Source Repository URI
//     https://gitlab.com/{repository}, Build Config URI
//     https://gitlab.com/{repository}//{workflow_filepath}@{suffix};
//   - Google: issuer https://accounts.google.com, SAN = email.
//
// Fulcio certificates carry no deployment environment, so environment is not
// checked here (see agree).
func (p *Publisher) checkCertificate(s *trust.Signer) []mismatch {
	if s == nil {
		return []mismatch{{field: "certificate", expected: "a signing certificate", found: "a public key"}}
	}
	var out []mismatch
	ext := func(name string) string { return s.Extensions[name] }
	check := func(field, expected, found string) {
		if expected != found {
			out = append(out, mismatch{field, expected, found})
		}
	}
	buildConfig := func(prefix string) {
		var suffixes []string
		for _, n := range []string{"source_repository_digest", "source_repository_ref"} {
			if v := ext(n); v != "" {
				suffixes = append(suffixes, v)
			}
		}
		found := ext("build_config_uri")
		if len(suffixes) == 0 {
			out = append(out, mismatch{"source repository digest or ref", "one of them in the certificate", ""})
			return
		}
		for _, sfx := range suffixes {
			if found == prefix+"@"+sfx {
				return
			}
		}
		out = append(out, mismatch{"workflow (Build Config URI)", prefix + "@" + suffixes[len(suffixes)-1], found})
	}
	switch p.kind() {
	case "github":
		check("issuer", trust.GitHubIssuer, s.Issuer)
		check("repository (Source Repository URI)", "https://github.com/"+p.Repository, ext("source_repository_uri"))
		buildConfig("https://github.com/" + p.Repository + "/.github/workflows/" + p.workflowFile())
	case "gitlab":
		check("issuer", trust.GitLabIssuer, s.Issuer)
		check("repository (Source Repository URI)", "https://gitlab.com/"+p.Repository, ext("source_repository_uri"))
		buildConfig("https://gitlab.com/" + p.Repository + "//" + p.WorkflowFilepath)
	case "google":
		check("issuer", trust.GoogleIssuer, s.Issuer)
		check("e-mail (SAN)", p.Email, s.Subject)
	default:
		out = append(out, mismatch{"publisher kind", "github, gitlab or google", p.Kind})
	}
	return out
}

// agree compares the policy's publisher with the one the index declares for
// an attestation: same kind, repository, workflow (or CI file, or e-mail),
// and, when the policy names one, the same environment. The index verified
// the environment claim of the publishing workflow's OIDC token at upload;
// the provenance object is the only place it is recorded.
func (p *Publisher) agree(declared *Publisher) []mismatch {
	var out []mismatch
	check := func(field, expected, found string) {
		if expected != found {
			out = append(out, mismatch{field, expected, found})
		}
	}
	if p.kind() != declared.kind() {
		return []mismatch{{"publisher kind", p.Kind, declared.Kind}}
	}
	switch p.kind() {
	case "github":
		check("repository", p.Repository, declared.Repository)
		check("workflow", p.workflowFile(), declared.workflowFile())
	case "gitlab":
		check("repository", p.Repository, declared.Repository)
		check("workflow_filepath", p.WorkflowFilepath, declared.WorkflowFilepath)
	case "google":
		check("email", p.Email, declared.Email)
	}
	if p.Environment != "" && p.Environment != declared.Environment {
		found := declared.Environment
		if found == "" {
			found = "(none: the index's Trusted Publisher for this project names no environment)"
		}
		out = append(out, mismatch{"environment", p.Environment, found})
	}
	return out
}
