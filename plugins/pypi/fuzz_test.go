package pypi

import (
	"testing"

	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// FuzzCandidatesFrom feeds provenance / attestation / bundle decoding: no
// panic, and whatever it accepts is a parseable Sigstore bundle.
func FuzzCandidatesFrom(f *testing.F) {
	f.Add([]byte(`{"version":1,"attestation_bundles":[{"publisher":{"kind":"GitHub"},"attestations":[{}]}]}`))
	f.Add([]byte(`{"version":1,"verification_material":{"certificate":"AAAA","transparency_entries":[{}]},"envelope":{"statement":"e30=","signature":"AA=="}}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cands, err := candidatesFrom(data, "fuzz")
		if err != nil {
			return
		}
		for _, c := range cands {
			if c.declared == nil && len(c.bundle) == 0 {
				t.Fatal("empty candidate")
			}
			if _, err := docKind(data); err != nil {
				t.Fatal(err)
			}
			if c.declared != nil {
				if _, err := trust.ParseBundle(c.bundle); err != nil {
					t.Fatalf("accepted an attestation that does not convert: %v", err)
				}
			}
		}
	})
}

// FuzzParseDistFile: no panic, and a parsed name equals itself.
func FuzzParseDistFile(f *testing.F) {
	for _, s := range []string{"vmaf_mcp-1.4.0-py3-none-any.whl", "a-1.0.tar.gz", "spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "x-1!2.0rc1.post3.dev4+l.5.zip"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		d, err := parseDistFile(name)
		if err == nil && !d.equal(d) {
			t.Fatalf("%q does not equal itself", name)
		}
		_ = inRelease(name, "a", "1.0")
	})
}
