package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// PublisherIdentityName names the identity a Trusted Publisher block expands
// to, in reports ("matched identities").
const PublisherIdentityName = "publisher"

// identityFromForm expands a nested block that a plugin's schema declared as
// an identity form. The expansion is the host's own: the plugin only says
// which block carries it.
func identityFromForm(form string, attrs map[string]any) (trust.Identity, error) {
	switch form {
	case sdk.IdentityTrustedPublisher:
		return TrustedPublisherIdentity(attrs)
	}
	return trust.Identity{}, fmt.Errorf("the plugin declares identity form %q, which this version of vmafx-trust does not know (known: %s); upgrade vmafx-trust", form, sdk.IdentityTrustedPublisher)
}

// TrustedPublisherIdentity maps a Trusted Publisher (kind, repository,
// workflow, workflow_filepath, environment, email) to the certificate identity
// its CI system's Fulcio certificates carry, the way pypi-attestations checks
// publishers:
//
//   - github: issuer https://token.actions.githubusercontent.com, Source
//     Repository URI https://github.com/{repository}, Build Config URI
//     https://github.com/{repository}/.github/workflows/{workflow}@… (the
//     plugin checks the part after @ is the certificate's own source ref or
//     digest);
//   - gitlab: issuer https://gitlab.com, Source Repository URI
//     https://gitlab.com/{repository}, Build Config URI
//     https://gitlab.com/{repository}//{workflow_filepath}@…;
//   - google: issuer https://accounts.google.com, subject (SAN) = email.
//
// The subject of GitHub and GitLab certificates is the workflow that ran,
// which may be a reusable workflow or an included CI file of another
// project; like pypi-attestations, the identity constrains the repository and
// the top-level workflow (Build Config URI), not the subject. environment is
// not in Fulcio certificates: plugins check it against the index's
// provenance.
func TrustedPublisherIdentity(attrs map[string]any) (trust.Identity, error) {
	str := func(name string) string {
		s, _ := attrs[name].(string)
		return strings.TrimSpace(s)
	}
	kind := strings.ToLower(str("kind"))
	repo, workflow, path, email := str("repository"), str("workflow"), str("workflow_filepath"), str("email")
	forbid := func(names ...string) error {
		var set []string
		for _, n := range names {
			if str(n) != "" {
				set = append(set, n)
			}
		}
		if len(set) > 0 {
			return fmt.Errorf("a %s publisher takes no %s", kind, strings.Join(set, ", "))
		}
		return nil
	}
	id := trust.Identity{Name: PublisherIdentityName, Extensions: map[string]string{}, ExtensionRegexps: map[string]string{}}
	switch kind {
	case "github":
		if err := forbid("workflow_filepath", "email"); err != nil {
			return id, err
		}
		if !ownerName(repo) {
			return id, fmt.Errorf("repository %q: want owner/name", repo)
		}
		wf := strings.TrimPrefix(workflow, ".github/workflows/")
		if wf == "" || strings.ContainsAny(wf, "/@") {
			return id, fmt.Errorf("workflow %q: want the workflow's file name, e.g. release.yml", workflow)
		}
		id.Issuer = trust.GitHubIssuer
		id.SubjectRegexp = "^" + regexp.QuoteMeta("https://github.com/") + ".+$"
		id.Extensions["source_repository_uri"] = "https://github.com/" + repo
		id.ExtensionRegexps["build_config_uri"] = "^" + regexp.QuoteMeta("https://github.com/"+repo+"/.github/workflows/"+wf+"@") + ".+$"
	case "gitlab":
		if err := forbid("workflow", "email"); err != nil {
			return id, fmt.Errorf("%w (GitLab names its CI file with workflow_filepath)", err)
		}
		if strings.Count(repo, "/") < 1 || strings.HasPrefix(repo, "/") || strings.HasSuffix(repo, "/") || strings.Contains(repo, "//") {
			return id, fmt.Errorf("repository %q: want namespace/project", repo)
		}
		if path == "" || strings.Contains(path, "@") {
			return id, fmt.Errorf("workflow_filepath %q: want the CI file's path in the project, e.g. .gitlab-ci.yml", path)
		}
		id.Issuer = trust.GitLabIssuer
		id.SubjectRegexp = "^" + regexp.QuoteMeta("https://gitlab.com/") + ".+$"
		id.Extensions["source_repository_uri"] = "https://gitlab.com/" + repo
		id.ExtensionRegexps["build_config_uri"] = "^" + regexp.QuoteMeta("https://gitlab.com/"+repo+"//"+path+"@") + ".+$"
	case "google":
		if err := forbid("repository", "workflow", "workflow_filepath", "environment"); err != nil {
			return id, err
		}
		if email == "" || !strings.Contains(email, "@") {
			return id, fmt.Errorf("email %q: want the service account's e-mail address", email)
		}
		id.Issuer = trust.GoogleIssuer
		id.Subject = email
	case "":
		return id, errors.New("kind is required: github, gitlab or google")
	default:
		return id, fmt.Errorf("unknown publisher kind %q: want github, gitlab or google", str("kind"))
	}
	if err := id.Validate(); err != nil {
		return id, err
	}
	return id, nil
}

func ownerName(repo string) bool {
	owner, name, ok := strings.Cut(repo, "/")
	return ok && owner != "" && name != "" && !strings.Contains(name, "/")
}
