package blob

import (
	"strings"
	"testing"
)

// FuzzLookupChecksum: checksums files never panic the parser, and a found
// digest is always 64 lowercase hex characters.
func FuzzLookupChecksum(f *testing.F) {
	f.Add("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  app.tar.gz\n", "app.tar.gz")
	f.Add("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 *app\r\n# c\n\n", "app")
	f.Add("zz  app\n", "app")
	f.Fuzz(func(t *testing.T, data, name string) {
		sum, err := lookupChecksum([]byte(data), name)
		if err != nil {
			return
		}
		if len(sum) != 64 || strings.ToLower(sum) != sum || !isHex(sum) {
			t.Fatalf("digest %q", sum)
		}
	})
}
