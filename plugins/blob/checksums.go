package blob

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// MaxChecksumsSize bounds a checksums file.
const MaxChecksumsSize = 4 << 20

// verifyChecksums checks that the signed checksums file lists the blob with
// its digest, and returns the checksums file's bundle as evidence (bound to
// the checksums file's own sha256). It returns a final result on failure,
// nil to go on.
func (p *Plugin) verifyChecksums(ctx context.Context, res *sdk.Result, m *trust.Material, d *digester, ids []trust.Identity, req *sdk.Request, a attributes) *sdk.Result {
	name := a.Name
	if name == "" {
		if a.Path == "" {
			return res.Fail("checksums", "with digest = …, checksums needs name = the file's name in the checksums file")
		}
		name = filepath.Base(a.Path)
	}
	data, err := d.src.read(a.Checksums, MaxChecksumsSize)
	if err != nil {
		if d.src.unchecked != nil {
			return res.Errorf("checksums", "%v", d.src.unchecked)
		}
		return res.Fail("checksums", fmt.Sprintf("%s: %v", a.Checksums, err))
	}
	listed, err := lookupChecksum(data, name)
	if err != nil {
		return res.Fail("checksums", fmt.Sprintf("%s: %v", a.Checksums, err))
	}
	digest, err := d.digest("sha256")
	if err != nil {
		if d.src.unchecked != nil {
			return res.Errorf("digest", "%v", d.src.unchecked)
		}
		return res.Fail("digest", err.Error())
	}
	if listed != digest.Hex {
		return res.Fail("checksums", fmt.Sprintf("%s lists %s with sha256:%s, but the file's digest is %s", a.Checksums, name, listed, digest))
	}
	res.Pass("checksums", fmt.Sprintf("%s lists %s with %s", a.Checksums, name, digest))

	// The checksums file is a blob of its own, signed by the same identity.
	sums := &digester{src: d.src, path: a.Checksums, cache: map[string]trust.Digest{}}
	sumAttrs := attributes{Path: a.Checksums, Bundle: a.ChecksumsBundle, MaxBundleSize: a.MaxBundleSize}
	cands, err := candidates(sumAttrs, sums)
	if err != nil {
		return res.Fail("checksums signature", err.Error())
	}
	before := len(res.Evidence)
	if r := p.verifyCandidates(res, m, sums, cands, ids, req, sumAttrs); r != nil {
		return r
	}
	if len(res.Evidence) == before {
		return res.Fail("checksums signature", "no verified signature on "+a.Checksums)
	}
	return nil
}

// lookupChecksum finds name in sha256sum output ("<hex>  <name>" or
// "<hex> *<name>"); a malformed line is an error naming its number.
func lookupChecksum(data []byte, name string) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	found := ""
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, file, ok := strings.Cut(line, " ")
		if !ok || len(sum) != 64 || !isHex(sum) {
			return "", fmt.Errorf("line %d is not \"<sha256 hex>  <name>\"", n)
		}
		file = strings.TrimPrefix(strings.TrimPrefix(file, " "), "*")
		if file != name && strings.TrimPrefix(file, "./") != name {
			continue
		}
		if found != "" && found != strings.ToLower(sum) {
			return "", fmt.Errorf("%s is listed twice with different digests", name)
		}
		found = strings.ToLower(sum)
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if found == "" {
		return "", errors.New(name + " is not listed")
	}
	return found, nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}
