package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Writer writes a document in one format. A format reads only the
// document: everything a report says is in it.
type Writer interface {
	Write(w io.Writer, doc *Document) error
}

// Options are the command line's settings a format may take; each format
// ignores those that do not apply to it.
type Options struct {
	Color   bool // ANSI colours: only on a terminal
	Verbose bool // every check of every artifact, passing ones too
}

// formats maps a --format name to its writer.
func formats() map[string]func(Options) Writer {
	return map[string]func(Options) Writer{
		"text": func(o Options) Writer { return Text(o) },
		"json": func(Options) Writer { return JSON{} },
	}
}

// Formats are the format names Lookup knows, sorted.
func Formats() []string {
	return slices.Sorted(func(yield func(string) bool) {
		for name := range formats() {
			if !yield(name) {
				return
			}
		}
	})
}

// Lookup returns the writer of the format called name.
func Lookup(name string, opts Options) (Writer, error) {
	newWriter, ok := formats()[name]
	if !ok {
		return nil, fmt.Errorf("unknown report format %q: want one of %s", name, strings.Join(Formats(), ", "))
	}
	return newWriter(opts), nil
}
