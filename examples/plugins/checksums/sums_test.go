package main

import (
	"strings"
	"testing"
)

const (
	hexA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	hexB = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
)

func TestParseSums(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string // name -> hex
		wantErr string
	}{
		{name: "text and binary mode", in: hexA + "  app.bin\n" + hexB + " *lib.so\n", want: map[string]string{"app.bin": hexA, "lib.so": hexB}},
		{name: "uppercase, CRLF, ./ prefix", in: strings.ToUpper(hexA) + "  ./app.bin\r\n", want: map[string]string{"app.bin": hexA}},
		{name: "blank lines and comments", in: "# release v1\n\n" + hexA + "  app.bin\n\n", want: map[string]string{"app.bin": hexA}},
		{name: "name with spaces", in: hexA + "  my app.bin\n", want: map[string]string{"my app.bin": hexA}},
		{name: "escaped name", in: `\` + hexA + `  a\nb\\c` + "\n", want: map[string]string{"a\nb\\c": hexA}},
		{name: "same entry twice", in: hexA + "  app.bin\n" + hexA + " *app.bin\n", want: map[string]string{"app.bin": hexA}},
		{name: "one space only", in: hexA + " app.bin\n", wantErr: "line 1"},
		{name: "short digest", in: hexA + "  ok\n" + hexA[:63] + "  app.bin\n", wantErr: "line 2"},
		{name: "not hex", in: strings.Repeat("z", 64) + "  app.bin\n", wantErr: "line 1"},
		{name: "BSD style", in: "SHA256 (app.bin) = " + hexA + "\n", wantErr: "line 1"},
		{name: "no name", in: hexA + "  \n", wantErr: "line 1"},
		{name: "conflicting entries", in: hexA + "  app.bin\n" + hexB + "  app.bin\n", wantErr: "lines 1 and 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSums([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d entries %v, want %v", len(got), got, tt.want)
			}
			for n, h := range tt.want {
				if got[n].hex != h {
					t.Errorf("%q: %q, want %q", n, got[n].hex, h)
				}
			}
		})
	}
}
