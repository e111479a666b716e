package jsonstream

import (
	"bytes"
	"context"
	"testing"

	"github.com/vmafx/vmafx-trust/internal/sbomgen"
)

// BenchmarkSkip100k is the floor of any read: validating a 100,000-component
// CycloneDX document without keeping anything.
func BenchmarkSkip100k(b *testing.B) {
	data := sbomgen.CycloneDX(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDecoder(context.Background(), bytes.NewReader(data), 0)
		if err := d.Skip(); err != nil {
			b.Fatal(err)
		}
	}
}
