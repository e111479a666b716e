package blob

import (
	"encoding/json"
	"fmt"
	"strings"

	slsa02 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v0.2"
	"google.golang.org/protobuf/encoding/protojson"

	intoto "github.com/in-toto/attestation/go/v1"
)

// SLSA provenance predicate types.
const (
	predicateSLSA02 = "https://slsa.dev/provenance/v0.2"
	predicateSLSA1  = "https://slsa.dev/provenance/v1"
)

// provenanceRules are what a policy may require of SLSA provenance.
type provenanceRules struct {
	BuilderID        string `json:"builder_id"`
	SourceRepository string `json:"source_repository"`
	SourceRef        string `json:"source_ref"`
}

// provenanceFacts is what the provenance says, normalised across predicate
// versions and builders.
type provenanceFacts struct {
	BuilderID        string
	SourceRepository string // https://github.com/owner/name
	SourceRef        string
}

// readProvenance extracts builder and source from SLSA v0.2 (slsa-github-
// generator) and v1 (GitHub attest-build-provenance, generator v2 builders).
func readProvenance(st *intoto.Statement) (provenanceFacts, error) {
	raw, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		return provenanceFacts{}, fmt.Errorf("reading predicate: %w", err)
	}
	var f provenanceFacts
	switch st.GetPredicateType() {
	case predicateSLSA02:
		var p slsa02.ProvenancePredicate
		if err := json.Unmarshal(raw, &p); err != nil {
			return f, fmt.Errorf("SLSA v0.2 predicate: %w", err)
		}
		f.BuilderID = p.Builder.ID
		uri := p.Invocation.ConfigSource.URI
		if uri == "" && len(p.Materials) > 0 {
			uri = p.Materials[0].URI
		}
		f.SourceRepository, f.SourceRef = splitGitURI(uri)
	case predicateSLSA1:
		// The fields read here, of a SLSA v1 predicate. in-toto-golang's Go
		// type for it is deprecated for protobuf-generated ones, which would
		// need protojson to read the same JSON.
		var p struct {
			BuildDefinition struct {
				ExternalParameters   json.RawMessage `json:"externalParameters"`
				ResolvedDependencies []struct {
					URI string `json:"uri"`
				} `json:"resolvedDependencies"`
			} `json:"buildDefinition"`
			RunDetails struct {
				Builder struct {
					ID string `json:"id"`
				} `json:"builder"`
			} `json:"runDetails"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return f, fmt.Errorf("SLSA v1 predicate: %w", err)
		}
		f.BuilderID = p.RunDetails.Builder.ID
		var ext struct {
			Workflow struct {
				Repository string `json:"repository"`
				Ref        string `json:"ref"`
			} `json:"workflow"`
			Source struct {
				URI string `json:"uri"`
			} `json:"source"`
		}
		// External parameters are the builder's own: a shape other than
		// GitHub's leaves the source unknown, not the predicate unreadable.
		_ = json.Unmarshal(p.BuildDefinition.ExternalParameters, &ext)
		switch {
		case ext.Workflow.Repository != "":
			f.SourceRepository, f.SourceRef = normaliseRepo(ext.Workflow.Repository), ext.Workflow.Ref
		case ext.Source.URI != "":
			f.SourceRepository, f.SourceRef = splitGitURI(ext.Source.URI)
		case len(p.BuildDefinition.ResolvedDependencies) > 0:
			f.SourceRepository, f.SourceRef = splitGitURI(p.BuildDefinition.ResolvedDependencies[0].URI)
		}
	default:
		return f, fmt.Errorf("predicate type %s is not SLSA provenance (%s or %s)", st.GetPredicateType(), predicateSLSA02, predicateSLSA1)
	}
	return f, nil
}

// splitGitURI splits "git+https://github.com/o/r@refs/tags/v1" into the
// repository URI and the ref.
func splitGitURI(uri string) (repo, ref string) {
	uri = strings.TrimPrefix(uri, "git+")
	if i := strings.LastIndex(uri, "@"); i > strings.Index(uri, "://")+2 && strings.Contains(uri, "://") {
		uri, ref = uri[:i], uri[i+1:]
	}
	return normaliseRepo(uri), ref
}

func normaliseRepo(s string) string {
	s = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), "/"), ".git")
	if strings.HasPrefix(s, "github.com/") {
		s = "https://" + s // slsa-verifier's --source-uri form
	}
	if !strings.Contains(s, "://") && strings.Count(s, "/") == 1 {
		s = "https://github.com/" + s
	}
	return s
}

// checkProvenance compares the facts with the rules and lists every
// criterion that differs, expected next to found.
func checkProvenance(f provenanceFacts, r provenanceRules) []string {
	var out []string
	if r.BuilderID != "" && !builderMatches(r.BuilderID, f.BuilderID) {
		out = append(out, fmt.Sprintf("builder id: expected %s, found %s", r.BuilderID, orAbsent(f.BuilderID)))
	}
	if r.SourceRepository != "" && normaliseRepo(r.SourceRepository) != f.SourceRepository {
		out = append(out, fmt.Sprintf("source repository: expected %s, found %s", normaliseRepo(r.SourceRepository), orAbsent(f.SourceRepository)))
	}
	if r.SourceRef != "" && !refMatches(r.SourceRef, f.SourceRef) {
		out = append(out, fmt.Sprintf("source ref: expected %s, found %s", r.SourceRef, orAbsent(f.SourceRef)))
	}
	return out
}

// builderMatches compares builder ids; an expected id without "@ref"
// accepts any ref of that builder, as slsa-verifier's --builder-id does.
func builderMatches(expected, found string) bool {
	if strings.Contains(expected, "@") {
		return expected == found
	}
	id, _, _ := strings.Cut(found, "@")
	return id == expected
}

// refMatches accepts "refs/tags/v1" for "v1" only when written in full:
// refs are compared exactly, except that a bare tag name matches refs/tags/.
func refMatches(expected, found string) bool {
	return expected == found || (!strings.HasPrefix(expected, "refs/") && found == "refs/tags/"+expected)
}

func orAbsent(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}
