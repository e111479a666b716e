package report_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/report"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		name    string
		opts    report.Options
		want    report.Writer
		wantErr string
	}{
		{name: "text", opts: report.Options{Color: true, Verbose: true}, want: report.Text{Color: true, Verbose: true}},
		{name: "text", want: report.Text{}},
		{name: "json", opts: report.Options{Color: true}, want: report.JSON{}},
		{name: "sarif", wantErr: `unknown report format "sarif": want one of json, text`},
		{name: "", wantErr: `unknown report format "": want one of json, text`},
		{name: "JSON", wantErr: `unknown report format "JSON"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := report.Lookup(tt.name, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Lookup error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Lookup = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	if got := report.Formats(); !reflect.DeepEqual(got, []string{"json", "text"}) {
		t.Errorf("Formats = %q", got)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

// TestWriterErrors: a write error reaches the caller wrapped, naming the
// format.
func TestWriterErrors(t *testing.T) {
	broken := errors.New("broken pipe")
	doc := report.New(report.Meta{}, sampleResults())
	for _, name := range report.Formats() {
		t.Run(name, func(t *testing.T) {
			w, err := report.Lookup(name, report.Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = w.Write(failingWriter{broken}, doc)
			if !errors.Is(err, broken) || !strings.HasPrefix(err.Error(), name+" report: ") {
				t.Errorf("Write error = %v, want %q wrapped as %q", err, broken, name+" report: …")
			}
		})
	}
}

// TestTextPolicyErrors: a document that stopped at its policy lists the
// diagnostics, cleaned, and no table.
func TestTextPolicyErrors(t *testing.T) {
	doc := report.New(report.Meta{Errors: []report.Diagnostic{
		{File: "p.hcl", Line: 2, Column: 5, Severity: report.SeverityError, Summary: "bad\x1b[2K", Detail: "line one\nline \x1b]0;two\x07"},
	}}, nil)
	var buf bytes.Buffer
	if err := (report.Text{Color: true}).Write(&buf, doc); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"p.hcl:2,5: error: bad\\x1b[2K\n", "  line one\n", "  line \\x1b]0;two\\x07\n", "summary: nothing verified: the policy has 1 error(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"ARTIFACT", "\x1b"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q:\n%s", bad, out)
		}
	}
}
