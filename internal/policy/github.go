package policy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// GitHub names a GitHub Actions signer the way people think of one: the
// repository a build came from, its workflow and ref, and, when a reusable
// workflow signed, that workflow. Apply turns it into certificate criteria
// (an exact or anchored SAN plus Fulcio extensions), so that neither a
// policy's github {} block nor gh-style command-line flags need a
// hand-written regular expression. Both use this one expansion.
type GitHub struct {
	// Owner is the source repository's owner when the repository itself
	// is not named (gh attestation verify --owner).
	Owner string
	// Repository is the source repository, owner/name.
	Repository string
	// Workflow is the caller's workflow: release.yml or
	// .github/workflows/release.yml.
	Workflow string
	// Ref is the source ref the build ran on (refs/tags/v1.4.0).
	Ref string
	// SignerRepository, SignerWorkflow and SignerRef name the reusable
	// workflow that signed, when it is not the caller's own.
	SignerRepository string
	SignerWorkflow   string
	SignerRef        string
	// Runner is github-hosted or self-hosted.
	Runner string
}

// Apply adds the criteria g stands for to id. When id already names the
// certificate subject, g only constrains the source (repository, owner,
// ref, runner) and must not name a workflow or signer, which would set the
// subject too. The issuer defaults to GitHub Actions'.
func (g GitHub) Apply(id *trust.Identity) error {
	if err := g.validate(); err != nil {
		return err
	}
	explicitSAN := id.Subject != "" || id.SubjectRegexp != ""
	if explicitSAN && (g.Workflow != "" || g.SignerRepository != "") {
		return fmt.Errorf("a workflow or signer sets the certificate subject, which is already given")
	}
	if id.Issuer == "" && id.IssuerRegexp == "" {
		id.Issuer = trust.GitHubIssuer
	}
	if id.Extensions == nil {
		id.Extensions = map[string]string{}
	}
	if g.Repository != "" {
		id.Extensions["source_repository_uri"] = "https://github.com/" + g.Repository
	}
	if g.Owner != "" {
		id.Extensions["source_repository_owner_uri"] = "https://github.com/" + g.Owner
	}
	if g.Ref != "" {
		id.Extensions["source_repository_ref"] = g.Ref
	}
	if g.Runner != "" {
		id.Extensions["runner_environment"] = g.Runner
	}
	if explicitSAN {
		return nil
	}
	// The certificate subject is the workflow that ran: the caller's own,
	// or the reusable workflow (signer) it called.
	sanRepo, sanWorkflow, sanRef := g.Repository, g.Workflow, g.Ref
	if g.SignerRepository != "" {
		sanRepo, sanWorkflow, sanRef = g.SignerRepository, g.SignerWorkflow, g.SignerRef
	}
	switch {
	case sanRepo == "":
		// Only the owner is known: any workflow of any of its repositories.
		id.SubjectRegexp = "^" + regexp.QuoteMeta("https://github.com/"+g.Owner+"/") + `[^/]+/\.github/workflows/[^@]+@.+$`
	case sanWorkflow == "":
		id.SubjectRegexp = "^" + regexp.QuoteMeta("https://github.com/"+sanRepo+"/.github/workflows/") + "[^@]+@.+$"
	case sanRef != "":
		id.Subject = workflowURI(sanRepo, sanWorkflow) + "@" + sanRef
	default:
		id.SubjectRegexp = "^" + regexp.QuoteMeta(workflowURI(sanRepo, sanWorkflow)+"@") + ".+$"
	}
	if g.SignerRepository != "" && id.Subject != "" {
		// For reusable workflows the build signer extension names it too.
		id.Extensions["build_signer_uri"] = id.Subject
	}
	if g.Workflow != "" && g.Repository != "" {
		// The caller's workflow (the top-level one, also when a reusable
		// workflow signed) is the build config.
		id.ExtensionRegexps = mergeMap(id.ExtensionRegexps, map[string]string{
			"build_config_uri": "^" + regexp.QuoteMeta(workflowURI(g.Repository, g.Workflow)+"@") + ".+$",
		})
	}
	return nil
}

func (g GitHub) validate() error {
	switch {
	case g.Repository != "" && !isOwnerName(g.Repository):
		return fmt.Errorf("repository %q: want owner/name", g.Repository)
	case g.SignerRepository != "" && !isOwnerName(g.SignerRepository):
		return fmt.Errorf("signer repository %q: want owner/name", g.SignerRepository)
	case g.Owner != "" && (strings.Contains(g.Owner, "/") || strings.TrimSpace(g.Owner) != g.Owner):
		return fmt.Errorf("owner %q: want a user or organisation name", g.Owner)
	case g.Owner != "" && g.Repository != "" && !strings.EqualFold(strings.SplitN(g.Repository, "/", 2)[0], g.Owner):
		return fmt.Errorf("repository %q is not owned by %q", g.Repository, g.Owner)
	case g.Repository == "" && g.Owner == "" && g.SignerRepository == "":
		return fmt.Errorf("name the repository, its owner or the signer repository")
	case g.SignerWorkflow != "" && g.SignerRepository == "":
		return fmt.Errorf("a signer workflow needs its signer repository")
	case g.SignerRef != "" && g.SignerWorkflow == "":
		return fmt.Errorf("a signer ref needs its signer workflow")
	case g.Workflow != "" && g.Repository == "":
		return fmt.Errorf("a workflow needs its repository")
	}
	switch g.Runner {
	case "", "github-hosted", "self-hosted":
	default:
		return fmt.Errorf("runner %q: want github-hosted or self-hosted", g.Runner)
	}
	return nil
}

// isOwnerName reports whether s is owner/name.
func isOwnerName(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	return ok && owner != "" && name != "" && !strings.Contains(name, "/")
}

// ParseGitHubWorkflow splits a workflow named as gh names it,
// [https://][github.com/]owner/name/.github/workflows/x.yml[@ref], into its
// repository, path and ref.
func ParseGitHubWorkflow(s string) (repo, workflow, ref string, err error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "github.com/")
	s, ref, _ = strings.Cut(s, "@")
	parts := strings.SplitN(s, "/", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", fmt.Errorf("workflow %q: want owner/name/.github/workflows/file.yml[@ref]", s)
	}
	return parts[0] + "/" + parts[1], parts[2], ref, nil
}

// TrimGitHubURL removes a leading https:// and github.com/ from a
// repository or owner named as a URL.
func TrimGitHubURL(s string) string {
	return strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "github.com/")
}
