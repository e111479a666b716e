package trust

import "fmt"

// Bundle size limits. Every function that parses a bundle, a legacy bundle
// or a DSSE envelope bounds its input, so that a hostile file costs a
// bounded amount of memory (decoding takes several times the input's size).
// The bound depends on what the bundle may carry.
const (
	// MaxBundleSize is the default bound: a message signature, or an
	// attestation of provenance, is a few KiB to a few MiB.
	MaxBundleSize = 32 << 20
	// MaxAttestationBundleSize is the default bound where a bundle may be
	// an attestation carrying a whole SBOM in its statement (cosign
	// attest-blob --type cyclonedx|spdxjson, GitHub attest-sbom), which
	// can be tens of MiB before base64 adds a third (cosign's legacy
	// attest-blob bundle base64-encodes the envelope once more).
	MaxAttestationBundleSize = 256 << 20
	// MaxBundleSizeLimit is the most a configured bound may be.
	MaxBundleSizeLimit = 1 << 30
)

// bundleLimit resolves a configured bound: 0 is MaxBundleSize.
func bundleLimit(maxSize int) (int, error) {
	switch {
	case maxSize == 0:
		return MaxBundleSize, nil
	case maxSize < 0 || maxSize > MaxBundleSizeLimit:
		return 0, fmt.Errorf("bundle size limit %d is not between 1 and %d bytes", maxSize, MaxBundleSizeLimit)
	}
	return maxSize, nil
}

// tooLarge is the error for input past its bound.
func tooLarge(what string, size, limit int) error {
	return fmt.Errorf("%s is %d bytes, more than the %d allowed", what, size, limit)
}
