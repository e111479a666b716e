// Package pypitest builds PEP 740 test releases: distributions signed by an
// in-memory Sigstore (internal/testsigstore) with Fulcio claims like those of
// GitHub Actions and GitLab CI certificates, wrapped in provenance objects,
// and a package index on 127.0.0.1 that serves them in the real wire formats:
// the PEP 691 JSON Simple API (with PEP 700 / PEP 740 keys), the files, and
// PyPI's Integrity API.
package pypitest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmafx/vmafx-trust/internal/testsigstore"
	"github.com/vmafx/vmafx-trust/plugins/pypi"
)

// Signer signs attestations as Trusted Publishers.
type Signer struct {
	ss *testsigstore.Sigstore
	// TrustedRootJSON verifies everything the signer signs.
	TrustedRootJSON []byte
}

// NewSigner creates a fresh in-memory Sigstore.
func NewSigner() (*Signer, error) {
	ss, err := testsigstore.NewWithClaimsCA()
	if err != nil {
		return nil, err
	}
	tr, err := ss.TrustedRootJSON()
	if err != nil {
		return nil, err
	}
	return &Signer{ss: ss, TrustedRootJSON: tr}, nil
}

// CI is who signs: a GitHub or GitLab workflow run at a ref, as its Fulcio
// certificate describes it.
type CI struct {
	Kind       string // "github" or "gitlab"
	Repository string
	Workflow   string // GitHub: file name in .github/workflows; GitLab: CI file path
	Ref        string // default refs/tags/v1.0.0
	Digest     string // commit; default a fixed sha
}

func (c CI) claims() (string, testsigstore.Claims) {
	ref, sha := c.Ref, c.Digest
	if ref == "" {
		ref = "refs/tags/v1.0.0"
	}
	if sha == "" {
		sha = "08802efe1f8e5fec4ad842d6b8ce97656092ee72"
	}
	if strings.EqualFold(c.Kind, "gitlab") {
		uri := "https://gitlab.com/" + c.Repository + "//" + c.Workflow + "@" + ref
		return uri, testsigstore.Claims{
			Issuer: "https://gitlab.com", BuildSignerURI: uri, BuildConfigURI: uri, RunnerEnvironment: "gitlab-hosted",
			SourceRepositoryURI: "https://gitlab.com/" + c.Repository, SourceRepositoryRef: ref, SourceRepositoryDigest: sha, BuildTrigger: "push",
		}
	}
	uri := "https://github.com/" + c.Repository + "/.github/workflows/" + c.Workflow + "@" + ref
	return uri, testsigstore.Claims{
		Issuer: "https://token.actions.githubusercontent.com", BuildSignerURI: uri, BuildConfigURI: uri, RunnerEnvironment: "github-hosted",
		SourceRepositoryURI: "https://github.com/" + c.Repository, SourceRepositoryRef: ref, SourceRepositoryDigest: sha, BuildTrigger: "release",
		SourceRepositoryOwnerURI: "https://github.com/" + strings.SplitN(c.Repository, "/", 2)[0],
	}
}

// Statement is the PEP 740 publish statement for a file (one subject).
func Statement(filename string, data []byte) []byte {
	sum := sha256.Sum256(data)
	return StatementFor(filename, hex.EncodeToString(sum[:]))
}

// StatementFor is Statement with a given sha256.
func StatementFor(filename, sha256Hex string) []byte {
	st := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": filename, "digest": map[string]string{"sha256": sha256Hex}}},
		"predicateType": pypi.PublishPredicate,
		"predicate":     nil,
	}
	b, _ := json.Marshal(st)
	return b
}

// Bundle signs statement as ci and returns the Sigstore bundle.
func (s *Signer) Bundle(ci CI, statement []byte) ([]byte, error) {
	subject, claims := ci.claims()
	return s.ss.AttestWithClaims(subject, claims, statement)
}

// BundleAs signs statement as any (subject, issuer), e.g. a Google service
// account's e-mail address and https://accounts.google.com.
func (s *Signer) BundleAs(subject, issuer string, statement []byte) ([]byte, error) {
	return s.ss.AttestWithClaims(subject, testsigstore.Claims{Issuer: issuer}, statement)
}

// Attestation signs statement as ci and returns the PEP 740 attestation
// object.
func (s *Signer) Attestation(ci CI, statement []byte) ([]byte, error) {
	b, err := s.Bundle(ci, statement)
	if err != nil {
		return nil, err
	}
	return pypi.AttestationFromBundle(b)
}

// Provenance wraps attestations in a provenance object under the publisher
// the index declares.
func Provenance(declared pypi.Publisher, attestations ...[]byte) []byte {
	atts := make([]json.RawMessage, len(attestations))
	for i, a := range attestations {
		atts[i] = a
	}
	pub := map[string]any{"kind": declared.Kind}
	switch strings.ToLower(declared.Kind) {
	case "github":
		pub["repository"], pub["workflow"] = declared.Repository, declared.Workflow
	case "gitlab":
		pub["repository"], pub["workflow_filepath"] = declared.Repository, declared.WorkflowFilepath
	case "google":
		pub["email"] = declared.Email
	}
	if declared.Kind != "google" && declared.Kind != "Google" {
		if declared.Environment != "" {
			pub["environment"] = declared.Environment
		} else {
			pub["environment"] = nil
		}
	}
	b, _ := json.Marshal(map[string]any{"version": 1, "attestation_bundles": []any{map[string]any{"publisher": pub, "attestations": atts}}})
	return b
}

// GitHubPublisher is the publisher an index declares for a GitHub CI.
func GitHubPublisher(ci CI, environment string) pypi.Publisher {
	return pypi.Publisher{Kind: "GitHub", Repository: ci.Repository, Workflow: ci.Workflow, Environment: environment}
}

// File is one distribution of a release on the index.
type File struct {
	Name       string
	Data       []byte
	Provenance []byte // provenance object; nil: none (404)
}

// SHA256 is the file's digest, hex.
func (f *File) SHA256() string {
	sum := sha256.Sum256(f.Data)
	return hex.EncodeToString(sum[:])
}

// Index is a PEP 691 / PEP 740 package index on 127.0.0.1.
type Index struct {
	*httptest.Server

	mu       sync.Mutex
	project  string // as the index spells it
	version  string
	files    map[string]*File
	served   map[string][]byte // filename -> bytes served instead of Data
	listed   map[string]string // filename -> sha256 listed instead of the real one
	status   map[string]int    // URL path -> status to answer
	noKey    bool              // omit the provenance key: clients fall back to the Integrity API
	requests map[string]int    // URL path -> requests seen
	accepts  map[string]string // URL path -> last Accept header
}

// NewIndex serves project's version with files.
func NewIndex(project, version string, files ...*File) *Index {
	ix := &Index{project: project, version: version, files: map[string]*File{}, served: map[string][]byte{},
		listed: map[string]string{}, status: map[string]int{}, requests: map[string]int{}, accepts: map[string]string{}}
	for _, f := range files {
		ix.files[f.Name] = f
	}
	ix.Server = httptest.NewServer(http.HandlerFunc(ix.serve))
	return ix
}

// Serve makes the index serve other bytes for a file than the ones signed.
func (ix *Index) Serve(filename string, data []byte) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.served[filename] = data
}

// List makes the index list another sha256 for a file.
func (ix *Index) List(filename, sha256Hex string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.listed[filename] = sha256Hex
}

// Status makes the index answer path with code (e.g. 403 for a file's
// ProvenancePath).
func (ix *Index) Status(path string, code int) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.status[path] = code
}

// OmitProvenanceKey leaves the provenance key out of the JSON page.
func (ix *Index) OmitProvenanceKey() {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.noKey = true
}

// Requests returns how often path was requested.
func (ix *Index) Requests(path string) int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.requests[path]
}

// Accept returns the Accept header of the last request for path.
func (ix *Index) Accept(path string) string {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.accepts[path]
}

// FilePath is where a file is served.
func (ix *Index) FilePath(filename string) string {
	return "/packages/" + filename
}

// ProvenancePath is a file's Integrity API route.
func (ix *Index) ProvenancePath(filename string) string {
	return "/integrity/" + pypi.NormalizeName(ix.project) + "/" + ix.version + "/" + filename + "/provenance"
}

// ProjectPath is the project's Simple API page.
func (ix *Index) ProjectPath() string {
	return "/simple/" + pypi.NormalizeName(ix.project) + "/"
}

func (ix *Index) serve(w http.ResponseWriter, r *http.Request) {
	ix.mu.Lock()
	ix.requests[r.URL.Path]++
	ix.accepts[r.URL.Path] = r.Header.Get("Accept")
	code, forced := ix.status[r.URL.Path]
	ix.mu.Unlock()
	if forced {
		writeJSON(w, code, "application/json", map[string]string{"message": http.StatusText(code)})
		return
	}
	switch {
	case r.URL.Path == ix.ProjectPath():
		if !strings.Contains(r.Header.Get("Accept"), pypi.SimpleJSONType) {
			http.Error(w, "<html>only HTML here</html>", http.StatusNotAcceptable)
			return
		}
		writeJSON(w, http.StatusOK, pypi.SimpleJSONType, ix.page())
	case strings.HasPrefix(r.URL.Path, "/simple/"):
		writeJSON(w, http.StatusNotFound, "application/json", map[string]string{"message": "Not Found"})
	case strings.HasPrefix(r.URL.Path, "/packages/"):
		name := strings.TrimPrefix(r.URL.Path, "/packages/")
		ix.mu.Lock()
		f, ok := ix.files[name]
		data, override := ix.served[name]
		ix.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if !override {
			data = f.Data
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		_, _ = w.Write(data)
	case strings.HasPrefix(r.URL.Path, "/integrity/") && strings.HasSuffix(r.URL.Path, "/provenance"):
		accept := r.Header.Get("Accept")
		if accept != "" && !strings.Contains(accept, pypi.IntegrityJSONType) && !strings.Contains(accept, "application/json") && !strings.Contains(accept, "*/*") {
			writeJSON(w, http.StatusNotAcceptable, "application/json", map[string]string{"message": "Request not acceptable"})
			return
		}
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/integrity/"), "/")
		ix.mu.Lock()
		var f *File
		if len(parts) == 4 && parts[0] == pypi.NormalizeName(ix.project) && parts[1] == ix.version {
			f = ix.files[parts[2]]
		}
		ix.mu.Unlock()
		switch {
		case f == nil:
			writeJSON(w, http.StatusNotFound, "application/json", map[string]string{"message": "Not Found"})
		case f.Provenance == nil:
			writeJSON(w, http.StatusNotFound, "application/json", map[string]string{"message": "No provenance available for " + f.Name})
		default:
			w.Header().Set("Content-Type", pypi.IntegrityJSONType)
			_, _ = w.Write(f.Provenance)
		}
	default:
		http.NotFound(w, r)
	}
}

// page renders the project's PEP 691 JSON page (api-version 1.1: PEP 700's
// versions, size and upload-time; PEP 740's provenance).
func (ix *Index) page() map[string]any {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	names := make([]string, 0, len(ix.files))
	for n := range ix.files {
		names = append(names, n)
	}
	sort.Strings(names)
	var files []any
	for _, n := range names {
		f := ix.files[n]
		sum := f.SHA256()
		if l, ok := ix.listed[n]; ok {
			sum = l
		}
		entry := map[string]any{
			"filename":                n,
			"url":                     ix.URL + ix.FilePath(n),
			"hashes":                  map[string]string{"sha256": sum},
			"requires-python":         ">=3.9",
			"core-metadata":           false,
			"data-dist-info-metadata": false,
			"size":                    len(f.Data),
			"upload-time":             time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC).Format("2006-01-02T15:04:05.000000Z"),
			"yanked":                  false,
		}
		if !ix.noKey {
			if f.Provenance != nil {
				entry["provenance"] = ix.URL + ix.ProvenancePath(n)
			} else {
				entry["provenance"] = nil
			}
		}
		files = append(files, entry)
	}
	// An older release, whose files must not be picked up.
	files = append(files, map[string]any{
		"filename": strings.ReplaceAll(pypi.NormalizeName(ix.project), "-", "_") + "-0.0.1.tar.gz",
		"url":      ix.URL + "/packages/old.tar.gz", "hashes": map[string]string{"sha256": strings.Repeat("0", 64)},
		"requires-python": nil, "yanked": "broken", "size": 1, "upload-time": "2020-01-01T00:00:00.000000Z", "provenance": nil,
	})
	return map[string]any{
		"meta":     map[string]string{"api-version": "1.1", "_last-serial": "123"},
		"name":     pypi.NormalizeName(ix.project),
		"files":    files,
		"versions": []string{"0.0.1", ix.version},
	}
}

func writeJSON(w http.ResponseWriter, code int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
