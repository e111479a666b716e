// Package document reads SBOMs — SPDX 2.2/2.3 JSON and tag-value,
// CycloneDX 1.2–1.7 JSON, alone or as an in-toto attestation's predicate —
// into one compact model: the document's identity, its creators, the root it
// describes with the digests that root names, and its components.
//
// The JSON readers stream: they read the input once, keep only the model's
// strings, and bound every read (bytes, nesting depth, component count), so
// an SBOM of a hundred thousand components is read in a fraction of a second
// with a few tens of megabytes of heap.
package document

import "time"

// Format is an SBOM standard.
type Format string

// The formats read.
const (
	SPDX      Format = "SPDX"
	CycloneDX Format = "CycloneDX"
)

// Syntax is how a document is written.
type Syntax string

// The syntaxes read.
const (
	JSON     Syntax = "JSON"
	TagValue Syntax = "tag-value"
)

// Document is the part of an SBOM the content rules read.
type Document struct {
	Format Format
	// SpecVersion is the version the document declares: "2.3" for
	// spdxVersion "SPDX-2.3", "1.6" for CycloneDX specVersion "1.6".
	SpecVersion string
	Syntax      Syntax
	// PredicateType is the in-toto predicate type the document came under,
	// empty for a plain SBOM file.
	PredicateType string
	// Wrapper names an envelope the SBOM was unwrapped from: "cosign-custom"
	// for cosign's custom predicate {"Data": "<SBOM>"}; empty otherwise.
	Wrapper string

	// Name is the SPDX document name; CycloneDX documents have none.
	Name string
	// Namespace is the SPDX documentNamespace.
	Namespace string
	// Serial is the CycloneDX serialNumber.
	Serial string

	// Created is the document's creation time (SPDX creationInfo.created,
	// CycloneDX metadata.timestamp); zero when absent or unreadable, and
	// CreatedText then holds what was written, if anything.
	Created     time.Time
	CreatedText string
	// Creators are the document's authors and tools: SPDX creators,
	// CycloneDX metadata.authors (Person), metadata.manufacturer,
	// metadata.supplier (Organization) and metadata.tools (Tool).
	Creators []Creator

	// Roots are what the document describes: the packages of SPDX DESCRIBES
	// relationships from the document (or documentDescribes), the CycloneDX
	// metadata.component. Empty when the document names none.
	Roots []Root

	// Components are the SPDX packages or the CycloneDX components, in
	// document order, nested CycloneDX components before the component
	// that holds them. The CycloneDX metadata.component is a root, not a
	// component. Empty when Options.OnComponent received them instead.
	Components []Component
	// ComponentCount is how many components were read.
	ComponentCount int

	// HasDependencies reports whether the document states dependency
	// relationships: an SPDX DEPENDS_ON, *_DEPENDENCY_OF, CONTAINS or
	// CONTAINED_BY relationship, or any CycloneDX dependencies entry.
	HasDependencies bool
}

// CreatorKind is what kind of entity a creator is.
type CreatorKind string

// The creator kinds.
const (
	Person       CreatorKind = "Person"
	Organization CreatorKind = "Organization"
	Tool         CreatorKind = "Tool"
)

// Creator is an author or tool of the document.
type Creator struct {
	Kind CreatorKind
	Name string
}

// Root is a described root: its component data and every digest it names.
type Root struct {
	Component
	// Digests are the root's hashes, the digest of a pkg:oci (or
	// pkg:docker) purl's version, and a version that is itself a digest
	// ("sha256:…", as syft writes an image's manifest digest).
	Digests []Digest
}

// Component is one package of the SBOM. Empty strings mean the document does
// not say.
type Component struct {
	// ID is the document-unique identifier: SPDXID or bom-ref.
	ID      string
	Name    string
	Version string
	// PURL is the first package URL; OtherPURLs any further ones (SPDX
	// packages may have several purl external references).
	PURL       string
	OtherPURLs []string
	// License is an SPDX licence expression: for SPDX the concluded licence,
	// else the declared one; for CycloneDX the licenses (several entries
	// joined with AND, each expression parenthesised). NOASSERTION, NONE
	// and absence are all empty: no licence data. A CycloneDX licence name
	// that is no SPDX identifier appears as LicenseRef- followed by the name
	// with every character outside [A-Za-z0-9.-] replaced by '-'.
	License string
	// Supplier is the SPDX supplier or the CycloneDX supplier (else
	// manufacturer, else publisher), without its "Organization: " prefix.
	Supplier string
	// Author is the SPDX originator or the CycloneDX authors (else author),
	// joined with ", ".
	Author string
	Hashes []Digest
}

// PURLs returns every package URL of the component.
func (c *Component) PURLs() []string {
	if c.PURL == "" {
		return nil
	}
	return append([]string{c.PURL}, c.OtherPURLs...)
}

// Digest is a hash with its algorithm named as in-toto names it ("sha256",
// "sha512", "sha1", "md5", "sha3_256", …) and its value in lower-case hex.
type Digest struct {
	Algorithm string
	Value     string
}

func (d Digest) String() string { return d.Algorithm + ":" + d.Value }
