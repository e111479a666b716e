//go:build linux

package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/sbomgen"
)

// sbomgenRoot is the digest sbomgen's documents name as their root.
const sbomgenRoot = "0000000000000000000000000000000100000000000000020000000000000003"

// BenchmarkSBOMVerify100k verifies a 100,000-component CycloneDX SBOM
// attestation (about 30 MB), made by the real `cosign attest-blob --key`
// in both bundle formats, with `vmafx-trust sbom verify` checking
// deny_licenses and deny_packages over every component, and, timer
// stopped, with `cosign verify-blob-attestation --type cyclonedx` on the
// same files, which checks the signature and the predicate type only.
// Both run through rsslaunch (bbLauncherSource) for their peak RSS. It
// reports vmafx-trust's ns/op and peak-RSS-MiB, cosign's cosign-ns/op and
// cosign-peak-RSS-MiB, and their ratios (speedup: cosign's time over
// vmafx-trust's; rss-ratio: vmafx-trust's peak over cosign's). Without
// cosign there is nothing to attest with, and it is skipped.
func BenchmarkSBOMVerify100k(b *testing.B) {
	cosign, cosignEnv := bbCosign(b)
	if cosign == "" {
		b.Skip("cosign makes the attestations: `make cosign` or COSIGN=…")
	}
	dir := b.TempDir()
	art := filepath.Join(dir, "vmafx-1.4.0.tar.gz")
	artData := bbDeterministic(1<<20, 7)
	if err := os.WriteFile(art, artData, 0o644); err != nil {
		b.Fatal(err)
	}
	// The generated SBOM's root (metadata.component) names a placeholder
	// digest; made the release file's, the SBOM describes what it attests.
	sum := sha256.Sum256(artData)
	doc := bytes.ReplaceAll(sbomgen.CycloneDX(100_000), []byte(sbomgenRoot), []byte(hex.EncodeToString(sum[:])))
	if bytes.Equal(doc, sbomgen.CycloneDX(100_000)) {
		b.Fatal("the generated SBOM no longer names the placeholder root digest")
	}
	sbomPath := filepath.Join(dir, "sbom.cdx.json")
	if err := os.WriteFile(sbomPath, doc, 0o644); err != nil {
		b.Fatal(err)
	}
	cosignIn := func(args ...string) {
		cmd := exec.Command(cosign, args...)
		cmd.Dir = dir
		cmd.Env = append(cosignEnv, "COSIGN_PASSWORD=")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("cosign %v: %v\n%s", args, err, out)
		}
	}
	cosignIn("generate-key-pair")
	attest := []string{"attest-blob", "--key", "cosign.key", "--type", "cyclonedx", "--predicate", sbomPath, "--tlog-upload=false", "--yes"}
	cosignIn(append(attest, "--bundle", "legacy.bundle", art)...)
	cosignIn(append(attest, "--new-bundle-format", "--bundle", "new.sigstore.json", art)...)
	pub := filepath.Join(dir, "cosign.pub")
	emptyRoot := filepath.Join(dir, "empty_trusted_root.json")
	if err := os.WriteFile(emptyRoot, []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`), 0o644); err != nil {
		b.Fatal(err)
	}
	launcher := bbLauncher(b)
	env := bbEnv(b)

	for _, f := range []struct {
		name, bundle string
		cosignFlags  []string
	}{
		// cosign reads a new bundle only with a trusted root; a key needs
		// none of its material, so an empty one serves.
		{"new-bundle", "new.sigstore.json", []string{"--new-bundle-format", "--trusted-root", emptyRoot}},
		{"legacy-bundle", "legacy.bundle", nil},
	} {
		b.Run(f.name, func(b *testing.B) {
			bundle := filepath.Join(dir, f.bundle)
			st, err := os.Stat(bundle)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: %.1f MB bundle", f.bundle, float64(st.Size())/1e6)
			vt := []string{"sbom", "verify", art, "--bundle", bundle, "--key", pub, "--insecure-ignore-tlog", "--offline",
				"--type", "cyclonedx", "--deny-license", "GPL-3.0-only", "--deny-license", "AGPL-3.0-only",
				"--deny-package", "pkg:maven/org.apache.logging.log4j/log4j-core >=2.0.0, <2.17.1", "--deny-package", "event-stream"}
			cs := append([]string{"verify-blob-attestation", "--key", pub, "--insecure-ignore-tlog", "--type", "cyclonedx", "--bundle", bundle}, f.cosignFlags...)
			cs = append(cs, art)
			var peak, cosignPeak int64
			var cosignTime time.Duration
			runs := 0
			for b.Loop() {
				r, err := bbExecRSS(launcher, env, nil, binary, vt...)
				if err != nil {
					b.Fatal(err)
				}
				peak = max(peak, r.maxRSSKiB)
				b.StopTimer()
				c, err := bbExecRSS(launcher, cosignEnv, nil, cosign, cs...)
				if err != nil {
					b.Fatal(err)
				}
				cosignPeak = max(cosignPeak, c.maxRSSKiB)
				cosignTime += c.elapsed
				runs++
				b.StartTimer()
			}
			nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(runs)
			cosignNs := float64(cosignTime.Nanoseconds()) / float64(runs)
			b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
			b.ReportMetric(float64(cosignPeak)/1024, "cosign-peak-RSS-MiB")
			b.ReportMetric(cosignNs, "cosign-ns/op")
			b.ReportMetric(cosignNs/nsPerOp, "speedup")
			b.ReportMetric(float64(peak)/float64(cosignPeak), "rss-ratio")
		})
	}
}
