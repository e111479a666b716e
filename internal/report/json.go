package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// JSON writes the document as JSON, schema version SchemaVersion, indented
// by two spaces. HTML characters are escaped (\u003c for <) as
// encoding/json does by default: the report can be embedded in a web page
// as it is.
type JSON struct{}

// Write implements Writer.
func (JSON) Write(w io.Writer, doc *Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("json report: %w", err)
	}
	return nil
}
