package document

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// relationshipFixer also checks that each line is valid UTF-8 (the
// library does not) and at most 64 KiB (the library's own line limit), and
// it rewrites "Relationship SPDXRef-A DESCRIBES SPDXRef-B"
// lines into "Relationship: SPDXRef-A DESCRIBES SPDXRef-B". The
// spdx-sbom-generator that produced the tag-value SBOMs cosign documents and
// tests with writes relationships without the colon, and tools-golang's
// reader (rightly, by the grammar) rejects such lines; every other line is
// passed through unchanged.
type relationshipFixer struct {
	br      *bufio.Reader
	pending []byte
	line    int
	err     error
}

func newRelationshipFixer(r io.Reader) *relationshipFixer {
	return &relationshipFixer{br: bufio.NewReaderSize(r, 64<<10)}
}

func (f *relationshipFixer) Read(p []byte) (int, error) {
	for len(f.pending) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		line, err := f.br.ReadSlice('\n')
		f.line++
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			return 0, fmt.Errorf("line %d is longer than %d bytes", f.line, f.br.Size())
		case err != nil:
			f.err = err
		}
		if !utf8.Valid(line) {
			return 0, fmt.Errorf("line %d is not valid UTF-8", f.line)
		}
		trimmed := bytes.TrimLeft(line, " \t")
		if rest, ok := bytes.CutPrefix(trimmed, []byte("Relationship")); ok && len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
			fixed := make([]byte, 0, len(line)+1)
			fixed = append(fixed, line[:len(line)-len(rest)]...)
			fixed = append(fixed, ':')
			line = append(fixed, rest...)
		}
		f.pending = line
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}
