package document

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spdx/tools-golang/convert"
	"github.com/spdx/tools-golang/spdx/v2/v2_1"
	v2_1_reader "github.com/spdx/tools-golang/spdx/v2/v2_1/tagvalue/reader"
	"github.com/spdx/tools-golang/spdx/v2/v2_2"
	v2_2_reader "github.com/spdx/tools-golang/spdx/v2/v2_2/tagvalue/reader"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
	v2_3_reader "github.com/spdx/tools-golang/spdx/v2/v2_3/tagvalue/reader"
	tvreader "github.com/spdx/tools-golang/tagvalue/reader"

	"github.com/vmafx/vmafx-trust/plugins/sbom/internal/jsonstream"
)

// Read reads a plain SBOM file — SPDX JSON, SPDX tag-value or CycloneDX
// JSON, told apart by its content — within opts' bounds.
func Read(ctx context.Context, r io.Reader, opts Options) (*Document, error) {
	return readAny(ctx, newLimitReader(&ctxReader{ctx: ctx, r: r}, opts.maxBytes()), opts)
}

// ReadBytes is Read of a document in memory.
func ReadBytes(ctx context.Context, data []byte, opts Options) (*Document, error) {
	return Read(ctx, bytes.NewReader(data), opts)
}

// readAny sniffs the document's syntax from its first bytes and reads it.
func readAny(ctx context.Context, r io.Reader, opts Options) (*Document, error) {
	br := bufio.NewReaderSize(r, 4096)
	first, err := firstByte(br)
	if err != nil {
		return nil, err
	}
	switch {
	case first == '{' || first == '[':
		d := jsonstream.NewDecoder(ctx, br, opts.maxDepth())
		doc, err := readJSON(d, opts)
		if err != nil {
			return nil, err
		}
		if err := d.Finish(); err != nil {
			return nil, fmt.Errorf("reading the %s: after the document: %w", doc.Format, err)
		}
		return doc, nil
	case first == '<':
		return nil, errors.New("not a supported SBOM: XML (CycloneDX XML, SPDX RDF) is not read; use JSON")
	case first == '"':
		return nil, errors.New("not an SBOM: a JSON string, not a document")
	case first >= 'A' && first <= 'Z' || first == '#':
		return readTagValue(br, opts)
	}
	return nil, fmt.Errorf("not an SBOM: it starts with %q, neither JSON nor SPDX tag-value", first)
}

// firstByte peeks at the first byte that is not whitespace, dropping a
// UTF-8 byte order mark, which some Windows tools write.
func firstByte(br *bufio.Reader) (byte, error) {
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return 0, errors.New("not an SBOM: the input is empty")
		}
		if err != nil {
			return 0, fmt.Errorf("reading the SBOM: %w", err)
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			br.UnreadByte()
			return c, nil
		}
	}
}

// readTagValue reads SPDX tag-value with tools-golang. Its reader holds the
// whole document (it has no streaming form); the size limit bounds it, and
// tag-value SBOMs are small in practice (cosign attest --type spdx).
func readTagValue(r io.Reader, opts Options) (doc *Document, err error) {
	defer func() {
		// The tag-value parsers index into fields of lines they split; a
		// malformed line must be an error, not a crash of the verifier.
		if p := recover(); p != nil {
			doc, err = nil, fmt.Errorf("reading the SPDX tag-value document: malformed (parser failed: %v)", p)
		}
	}()
	pairs, err := tvreader.ReadTagValues(newRelationshipFixer(r))
	if err != nil {
		return nil, fmt.Errorf("reading the SPDX tag-value document: %w", err)
	}
	version := ""
	for _, p := range pairs {
		if p.Tag == "SPDXVersion" {
			version = p.Value
			break
		}
	}
	if version == "" {
		return nil, errors.New("not an SBOM: text without an SPDXVersion tag (neither JSON nor SPDX tag-value)")
	}
	spec, err := spdxVersion(version, spdxTagValueVersions)
	if err != nil {
		return nil, err
	}
	var parsed any
	switch version {
	case v2_1.Version:
		parsed, err = v2_1_reader.ParseTagValues(pairs)
	case v2_2.Version:
		parsed, err = v2_2_reader.ParseTagValues(pairs)
	default:
		parsed, err = v2_3_reader.ParseTagValues(pairs)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the SPDX %s tag-value document: %w", spec, err)
	}
	var d v2_3.Document
	if err := convert.Document(parsed, &d); err != nil {
		return nil, fmt.Errorf("reading the SPDX %s tag-value document: %w", spec, err)
	}
	return fromSPDXDocument(&d, spec, opts)
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
