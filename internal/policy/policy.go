// Package policy parses and evaluates vmafx-trust HCL policies: variables,
// locals, functions, trust roots, identities and artifact blocks decoded with
// the schema their plugin returned. Every problem is an hcl.Diagnostic with a
// source range.
package policy

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/vmafx/vmafx-trust/internal/trustroot"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// MaxPolicySize bounds a policy or variables file.
const MaxPolicySize = 4 << 20

// Policy is an evaluated policy, ready to run.
type Policy struct {
	File       string
	Dir        string
	TrustRoots []*TrustRoot
	Identities map[string]*Identity
	Artifacts  []*Artifact
}

// TrustRoot is a `trust_root "name" {…}` block: where its material comes
// from (all empty: the Sigstore public-good instance via TUF), with paths
// resolved against the policy's directory.
type TrustRoot struct {
	trustroot.Spec
	Implicit bool // added because the policy declared none
	Range    hcl.Range
}

// Identity is an `identity "name" {…}` block, expanded.
type Identity struct {
	trust.Identity
	Range hcl.Range
}

// Artifact is one artifact block (blob, image, pypi, …).
type Artifact struct {
	Kind       string
	Name       string
	Attributes map[string]any // decoded with the kind's schema; paths resolved
	// References are the reference attributes (sdk.TypeReference), by
	// name: the host runs those artifacts first and passes on what they
	// established, not the attribute's text.
	References map[string]ArtifactRef
	Identities []trust.Identity
	Require    int
	TrustRoot  string
	UseKey     bool
	// Requirements come from the artifact's verification {} block.
	Requirements trust.Requirements
	Range        hcl.Range
}

// ID is "kind.name", how reports and diagnostics name an artifact.
func (a *Artifact) ID() string { return a.Kind + "." + a.Name }

// File is a parsed but not yet evaluated policy file.
type File struct {
	Path   string
	Dir    string
	Body   hcl.Body
	Parser *hclparse.Parser
}

// Load reads and parses a policy file (syntax only).
func Load(path string) (*File, hcl.Diagnostics) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read policy", Detail: err.Error()}}
	}
	src, err := readBounded(abs, MaxPolicySize)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read policy", Detail: err.Error()}}
	}
	return Parse(path, abs, src)
}

// Parse parses policy source; name is how diagnostics show the file, abs its
// absolute path (relative paths in the policy resolve against its directory).
func Parse(name, abs string, src []byte) (*File, hcl.Diagnostics) {
	p := hclparse.NewParser()
	f, diags := p.ParseHCL(src, name)
	if diags.HasErrors() {
		return &File{Path: name, Dir: filepath.Dir(abs), Parser: p}, diags
	}
	return &File{Path: name, Dir: filepath.Dir(abs), Body: f.Body, Parser: p}, diags
}

// BlockTypes lists the distinct top-level block types of the file, from the
// syntax alone (before Decode): enough to know which artifact kinds it uses.
func (f *File) BlockTypes() []string {
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, b := range body.Blocks {
		if !seen[b.Type] {
			seen[b.Type] = true
			out = append(out, b.Type)
		}
	}
	return out
}

// Files returns the source files for the diagnostic writer.
func (f *File) Files() map[string]*hcl.File {
	if f == nil || f.Parser == nil {
		return nil
	}
	return f.Parser.Files()
}

func readBounded(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

func readFull(r io.Reader, buf []byte) (int, error) {
	n, err := io.ReadFull(r, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return n, err
}

// Schemas maps an artifact kind to its schema (from the plugins' Describe).
type Schemas map[string]sdk.KindSchema

func (s Schemas) kinds() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
