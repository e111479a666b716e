package document

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// relationshipFixer rewrites "Relationship SPDXRef-A DESCRIBES SPDXRef-B"
// lines into "Relationship: SPDXRef-A DESCRIBES SPDXRef-B". The
// spdx-sbom-generator that produced the tag-value SBOMs cosign documents and
// tests with writes relationships without the colon, and tools-golang's
// reader (rightly, by the grammar) rejects such lines; every other line is
// passed through unchanged.
type relationshipFixer struct {
	br        *bufio.Reader
	pending   []byte
	lineStart bool
	err       error
}

func newRelationshipFixer(r io.Reader) *relationshipFixer {
	return &relationshipFixer{br: bufio.NewReaderSize(r, 64<<10), lineStart: true}
}

func (f *relationshipFixer) Read(p []byte) (int, error) {
	for len(f.pending) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		line, err := f.br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			f.err = err
		}
		if f.lineStart {
			trimmed := bytes.TrimLeft(line, " \t")
			if rest, ok := bytes.CutPrefix(trimmed, []byte("Relationship")); ok && len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
				fixed := make([]byte, 0, len(line)+1)
				fixed = append(fixed, line[:len(line)-len(rest)]...)
				fixed = append(fixed, ':')
				line = append(fixed, rest...)
			}
		}
		f.lineStart = len(line) > 0 && line[len(line)-1] == '\n'
		f.pending = line
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}
