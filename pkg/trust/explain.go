package trust

import (
	"fmt"
	"sort"
	"strings"
)

// explainFields are the certificate facts users fix policies from, in the
// order gh attestation verify shows them.
var explainFields = []struct{ label, ext string }{
	{"source repository", "source_repository_uri"},
	{"source ref", "source_repository_ref"},
	{"workflow (build config)", "build_config_uri"},
	{"build signer", "build_signer_uri"},
	{"runner", "runner_environment"},
	{"trigger", "build_trigger"},
}

// Criteria lists, one line each, what an identity enforces.
func (id Identity) Criteria() []string {
	var out []string
	add := func(field, exact, re string) {
		switch {
		case exact != "":
			out = append(out, fmt.Sprintf("%s must equal %s", field, exact))
		case re != "":
			out = append(out, fmt.Sprintf("%s must match /%s/", field, re))
		}
	}
	add("subject (SAN)", id.Subject, id.SubjectRegexp)
	add("issuer", id.Issuer, id.IssuerRegexp)
	names := map[string]bool{}
	for k := range id.Extensions {
		names[k] = true
	}
	for k := range id.ExtensionRegexps {
		names[k] = true
	}
	sorted := make([]string, 0, len(names))
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		add(k, id.Extensions[k], id.ExtensionRegexps[k])
	}
	return out
}

// Facts lists, one line each, what the certificate contained.
func (s *Signer) Facts() []string {
	if s == nil {
		return nil
	}
	if s.KeyID != "" && s.Subject == "" {
		return []string{"public key " + s.KeyID}
	}
	out := []string{"subject (SAN): " + orNone(s.Subject), "issuer: " + orNone(s.Issuer)}
	for _, f := range explainFields {
		if v := s.Extensions[f.ext]; v != "" {
			out = append(out, f.label+": "+v)
		}
	}
	return out
}

// Explain renders the criteria enforced next to what the certificate
// contained, as a multi-line block.
func (e *IdentityError) Explain() string {
	var b strings.Builder
	for i, id := range e.Identities {
		name := id.Name
		if name == "" {
			name = "(command line)"
		}
		fmt.Fprintf(&b, "identity %s enforced:\n", name)
		for _, c := range id.Criteria() {
			fmt.Fprintf(&b, "  - %s\n", c)
		}
		for _, m := range e.Mismatches[i] {
			fmt.Fprintf(&b, "  ✗ %s: found %s\n", m.Field, orNone(m.Found))
		}
	}
	b.WriteString("the certificate contained:\n")
	for _, f := range e.Found.Facts() {
		fmt.Fprintf(&b, "  - %s\n", f)
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}
