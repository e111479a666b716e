package document

import (
	"errors"
	"fmt"
	"io"
)

// Defaults for the bounds of Options.
const (
	DefaultMaxBytes      = 256 << 20
	DefaultMaxDepth      = 100
	DefaultMaxComponents = 1_000_000
)

// Options bound what a reader accepts. Zero values take the defaults.
type Options struct {
	// MaxBytes is the most a document (or predicate) may have: reading
	// stops with an error as soon as the input has more.
	MaxBytes int64
	// MaxDepth is the deepest nesting of JSON objects and arrays. Real SBOMs
	// nest a few levels per nested CycloneDX component.
	MaxDepth int
	// MaxComponents is the most components a document may list.
	MaxComponents int
	// AllowCosignCustom accepts cosign's custom predicate (predicate type
	// https://cosign.sigstore.dev/attestation/v1, {"Data": "<SBOM>"}),
	// which is what syft attest and cosign attest --type custom write. It
	// says nothing about the SBOM's format, so it is refused unless a
	// policy opts in.
	AllowCosignCustom bool
	// OnComponent, when set, receives each component as it is read, and
	// the document keeps none (Document.Components stays empty,
	// ComponentCount counts them): a hundred thousand components then cost
	// no memory beyond what OnComponent keeps. The pointer is valid until
	// OnComponent returns; to keep the component, copy the struct (its
	// strings and slices are the callee's). An error stops the read and is
	// returned. SPDX roots are
	// then found among the packages kept for that purpose: those described
	// (documentDescribes or DESCRIBES) before they appear, and up to
	// MaxRootCandidates that name a digest; a root described only later
	// that names no digest is known by its ID alone.
	OnComponent func(*Component) error
}

// MaxRootCandidates bounds the SPDX packages kept, with OnComponent set,
// because they might turn out to be the described root.
const MaxRootCandidates = 1024

func (o Options) maxBytes() int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return DefaultMaxBytes
}

func (o Options) maxDepth() int {
	if o.MaxDepth > 0 {
		return o.MaxDepth
	}
	return DefaultMaxDepth
}

func (o Options) maxComponents() int {
	if o.MaxComponents > 0 {
		return o.MaxComponents
	}
	return DefaultMaxComponents
}

// ErrTooLarge is wrapped by the error for input beyond Options.MaxBytes.
var ErrTooLarge = errors.New("SBOM exceeds the size limit")

// limitReader fails as soon as its reader yields more than limit bytes. It
// never asks the reader for more than one byte past the limit.
type limitReader struct {
	r     io.Reader
	left  int64 // bytes still allowed
	limit int64
}

func newLimitReader(r io.Reader, limit int64) *limitReader {
	return &limitReader{r: r, left: limit, limit: limit}
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, l.tooLarge()
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n + int(l.left), l.tooLarge()
	}
	return n, err
}

func (l *limitReader) tooLarge() error {
	return fmt.Errorf("%w of %d bytes", ErrTooLarge, l.limit)
}
