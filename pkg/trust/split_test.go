package trust

import (
	"bytes"
	"testing"
)

func TestSplitBundles(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want int
	}{
		{"one line", `{"a":1}`, 1},
		{"pretty-printed one", "{\n  \"a\": 1\n}\n", 1},
		{"json lines", "{\"a\":1}\n{\"b\":2}\n\n{\"c\":3}\n", 3},
		{"empty", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SplitBundles([]byte(tc.in)); len(got) != tc.want {
				t.Fatalf("SplitBundles(%q) = %d documents, want %d", tc.in, len(got), tc.want)
			}
		})
	}
}

// FuzzSplitBundles: splitting never loses or invents content.
func FuzzSplitBundles(f *testing.F) {
	f.Add([]byte("{}\n{}\n"))
	f.Add([]byte("{\"a\":1}"))
	f.Add([]byte("\n\n{\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs := SplitBundles(data)
		if len(docs) == 0 {
			t.Fatal("no documents")
		}
		for _, d := range docs {
			if len(d) > len(data) || !bytes.Contains(data, d) {
				t.Fatal("a document that is not part of the input")
			}
		}
	})
}
