package trustroot

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// TestTrustedRootJSONLines: `gh attestation trusted-root` output (one root
// per line) loads as one root holding both instances' authorities.
func TestTrustedRootJSONLines(t *testing.T) {
	_, pg := fixture(t, "sigstore-public-good.json")
	_, gh := fixture(t, "github.json")
	compact := func(b []byte) []byte {
		return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\n"), nil), []byte("\r"), nil)
	}
	dir := t.TempDir()
	p := writeFile(t, dir, "roots.jsonl", append(append(compact(pg), '\n'), append(compact(gh), '\n')...))
	data, err := LoadTrustedRootFile(p)
	if err != nil {
		t.Fatal(err)
	}
	merged, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	pgRoot, _ := root.NewTrustedRootFromJSON(pg)
	ghRoot, _ := root.NewTrustedRootFromJSON(gh)
	if got, want := len(merged.FulcioCertificateAuthorities()), len(pgRoot.FulcioCertificateAuthorities())+len(ghRoot.FulcioCertificateAuthorities()); got != want {
		t.Errorf("%d certificate authorities, want %d", got, want)
	}
	if got, want := len(merged.TimestampingAuthorities()), len(pgRoot.TimestampingAuthorities())+len(ghRoot.TimestampingAuthorities()); got != want {
		t.Errorf("%d timestamp authorities, want %d", got, want)
	}
	if len(merged.RekorLogs()) != len(pgRoot.RekorLogs()) {
		t.Errorf("rekor logs %d, want %d", len(merged.RekorLogs()), len(pgRoot.RekorLogs()))
	}
	bad := writeFile(t, dir, "bad.jsonl", append(append(compact(pg), '\n'), []byte("{\"mediaType\": 5}\n")...))
	if _, err := LoadTrustedRootFile(bad); err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), filepath.Base(bad)) {
		t.Errorf("bad second line: %v", err)
	}
}
