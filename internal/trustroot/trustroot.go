// Package trustroot loads the trust material of a run, once, for the host:
// Sigstore trusted_root.json documents (from a file, or from a TUF repository
// through sigstore-go's TUF client with an on-disk cache) and PEM public keys.
//
// # Sources
//
// A Spec is one `trust_root "name" {…}` block of a policy:
//
//   - trusted_root file: read (at most 8 MiB) and validated with sigstore-go.
//   - public keys: read (at most 64 KiB each), one PEM "PUBLIC KEY" block per
//     file (ECDSA P-256/P-384/P-521, Ed25519, RSA ≥ 2048 bits), returned
//     re-encoded as canonical PEM.
//   - TUF: used when the spec names neither a trusted_root file nor public
//     keys (Sigstore public-good with sigstore-go's embedded root), or when it
//     names a custom mirror plus its initial root.json. The target
//     "trusted_root.json" is fetched and cached under Options.CacheDir.
//
// A spec may combine a trusted_root file (or a TUF repository) with keys. A
// spec with keys only is key-only material: no TUF request is made for it.
//
// # Offline mode
//
// With Options.Offline, Load makes no network request at all. It does not use
// sigstore-go's TUF client there (that client falls back to a network refresh
// whenever the cached metadata does not verify or has expired); instead it
// verifies the cache itself with go-tuf's trustedmetadata, exactly as a TUF
// client would, minus the network:
//
//  1. start from the pinned trust anchor (sigstore-go's embedded public-good
//     root, or the spec's tuf_root file), walk the root rotations recorded in
//     the cache (every N.root.json the last online refresh downloaded) so each
//     new root must be signed by a threshold of the previous one;
//  2. verify the cached timestamp.json, snapshot.json and targets.json against
//     that root (signatures, thresholds, snapshot/targets versions and hashes);
//  3. read the cached trusted_root.json target and check its length and
//     hashes against targets.json.
//
// Freshness cannot be established without the network, so expiry is evaluated
// at the time of the last successful online refresh (sigstore-go records it
// next to the cache) rather than now: metadata that was valid when it was
// fetched stays usable offline. Without such a record expiry is checked
// against the current time. Anything that fails to verify is an error naming
// the cache file; an empty cache says to run `vmafx-trust trusted-root fetch`.
//
// Online mode always refreshes (TUF's full update workflow) and writes the
// cache. Every HTTP request goes through Options.Transport, honours the
// context and is size-bounded by the limits go-tuf passes in.
package trustroot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
)

// Size limits of every file this package reads.
const (
	// MaxTrustedRootSize bounds a trusted_root.json (file, cache or download).
	MaxTrustedRootSize = 8 << 20
	// MaxPublicKeySize bounds a PEM public key file.
	MaxPublicKeySize = 64 << 10

	// TUF metadata limits: the same as go-tuf's updater defaults.
	maxRootSize      = 512000
	maxTimestampSize = 16384
	maxSnapshotSize  = 2000000
	maxTargetsSize   = 5000000
	maxStateSize     = 64 << 10

	// TargetName is the TUF target holding the Sigstore trusted root.
	TargetName = "trusted_root.json"

	// CacheDirEnv overrides DefaultCacheDir.
	CacheDirEnv = "VMAFX_TRUST_CACHE_DIR"
)

// Spec is one `trust_root "name" {…}` block of a policy. All zero = Sigstore
// public-good via TUF.
type Spec struct {
	Name        string
	TrustedRoot string   // path to a trusted_root.json file (already resolved to absolute by the policy layer)
	PublicKeys  []string // paths to PEM public keys
	TUFMirror   string   // custom TUF repository URL; requires TUFRoot
	TUFRoot     string   // path to the initial root.json for the custom mirror
	// WithTUF also loads the TUF trusted root (public-good, or the mirror)
	// when public keys are given: key-signed bundles with Rekor entries.
	WithTUF bool
}

// Options configures loading.
type Options struct {
	Offline   bool              // use only the cache: ZERO network requests
	CacheDir  string            // default: DefaultCacheDir()
	Transport http.RoundTripper // default http.DefaultTransport; tests inject one
}

// now is the clock of this package (tests move it).
var now = time.Now

// DefaultCacheDir is $VMAFX_TRUST_CACHE_DIR when set, else
// os.UserCacheDir()/vmafx-trust/tuf.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv(CacheDirEnv); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set $%s): %w", CacheDirEnv, err)
	}
	return filepath.Join(base, "vmafx-trust", "tuf"), nil
}

// UsesTUF reports whether Load consults a TUF repository for spec.
func (s Spec) UsesTUF() bool {
	if s.TrustedRoot != "" {
		return false
	}
	return s.TUFMirror != "" || s.TUFRoot != "" || len(s.PublicKeys) == 0 || s.WithTUF
}

func (s Spec) label() string {
	if s.Name == "" {
		return "(unnamed)"
	}
	return s.Name
}

func (s Spec) validate() error {
	if s.TrustedRoot != "" && (s.TUFMirror != "" || s.TUFRoot != "") {
		return errors.New("give either a trusted_root file or a TUF mirror (tuf_mirror + tuf_root), not both")
	}
	if s.TUFMirror != "" && s.TUFRoot == "" {
		return fmt.Errorf("TUF mirror %s needs tuf_root, the initial root.json of that repository", s.TUFMirror)
	}
	if s.TUFRoot != "" && s.TUFMirror == "" {
		return fmt.Errorf("tuf_root %s needs tuf_mirror, the URL of the repository it anchors", s.TUFRoot)
	}
	for i, k := range s.PublicKeys {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("public key %d: empty path", i+1)
		}
	}
	return nil
}

// Load returns the material for one spec; see the package documentation.
// Every error names the trust root and the file (or repository) concerned.
func Load(ctx context.Context, spec Spec, opts Options) (sdk.TrustRoot, error) {
	out := sdk.TrustRoot{Name: spec.Name}
	label := spec.label()
	if err := spec.validate(); err != nil {
		return out, fmt.Errorf("trust root %q: %w", label, err)
	}
	switch {
	case spec.TrustedRoot != "":
		data, err := LoadTrustedRootFile(spec.TrustedRoot)
		if err != nil {
			return out, fmt.Errorf("trust root %q: %w", label, err)
		}
		out.TrustedRootJSON = data
	case spec.UsesTUF():
		repo, err := resolveRepo(spec.TUFMirror, spec.TUFRoot)
		if err != nil {
			return out, fmt.Errorf("trust root %q: %w", label, err)
		}
		data, err := loadTUF(ctx, label, repo, opts)
		if err != nil {
			return out, err
		}
		out.TrustedRootJSON = data
	}
	for _, p := range spec.PublicKeys {
		k, err := LoadPublicKeyFile(p)
		if err != nil {
			return out, fmt.Errorf("trust root %q: %w", label, err)
		}
		out.PublicKeysPEM = append(out.PublicKeysPEM, k)
	}
	return out, nil
}

// Fetch refreshes the TUF cache for public-good (mirror and rootPath empty)
// or a custom mirror (both given) and returns the trusted_root.json bytes:
// for `vmafx-trust trusted-root fetch`.
func Fetch(ctx context.Context, mirror, rootPath string, opts Options) ([]byte, error) {
	label := "public-good"
	if mirror != "" {
		label = mirror
	}
	spec := Spec{Name: label, TUFMirror: mirror, TUFRoot: rootPath}
	if err := spec.validate(); err != nil {
		return nil, fmt.Errorf("trust root %q: %w", label, err)
	}
	if opts.Offline {
		return nil, fmt.Errorf("trust root %q: fetching the trusted root needs the network, but --offline was given", label)
	}
	repo, err := resolveRepo(mirror, rootPath)
	if err != nil {
		return nil, fmt.Errorf("trust root %q: %w", label, err)
	}
	return loadTUF(ctx, label, repo, opts)
}

// LoadTrustedRootFile reads (at most MaxTrustedRootSize bytes) and validates a
// trusted_root.json file.
func LoadTrustedRootFile(path string) ([]byte, error) {
	data, err := sdk.ReadFile(path, MaxTrustedRootSize)
	if err != nil {
		return nil, fmt.Errorf("trusted root %s: %w", path, err)
	}
	if data, err = mergeTrustedRootLines(data); err != nil {
		return nil, fmt.Errorf("trusted root %s: %w", path, err)
	}
	if err := ValidateTrustedRoot(data); err != nil {
		return nil, fmt.Errorf("trusted root %s: %w", path, err)
	}
	return data, nil
}

// ValidateTrustedRoot checks that data is a Sigstore trusted_root.json that
// sigstore-go accepts and that it trusts at least something.
func ValidateTrustedRoot(data []byte) error {
	if len(data) > MaxTrustedRootSize {
		return fmt.Errorf("%d bytes, more than the %d allowed", len(data), MaxTrustedRootSize)
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return fmt.Errorf("not a valid Sigstore trusted root: %w", err)
	}
	if len(tr.FulcioCertificateAuthorities()) == 0 && len(tr.RekorLogs()) == 0 &&
		len(tr.CTLogs()) == 0 && len(tr.TimestampingAuthorities()) == 0 {
		return errors.New("trusted root lists no certificate authority, transparency log or timestamp authority: it could verify nothing")
	}
	return nil
}

// tufRepo is a resolved TUF repository: its URL and pinned initial root.
type tufRepo struct {
	mirror   string // normalised, no trailing slash
	root     []byte // initial trusted root.json (the trust anchor)
	rootPath string // "" for sigstore-go's embedded root
}

func resolveRepo(mirror, rootPath string) (tufRepo, error) {
	if mirror == "" && rootPath == "" {
		return tufRepo{mirror: tuf.DefaultMirror, root: tuf.DefaultRoot()}, nil
	}
	m, err := normaliseMirror(mirror)
	if err != nil {
		return tufRepo{}, err
	}
	data, err := sdk.ReadFile(rootPath, maxRootSize)
	if err != nil {
		return tufRepo{}, fmt.Errorf("TUF root %s: %w", rootPath, err)
	}
	return tufRepo{mirror: m, root: data, rootPath: rootPath}, nil
}

// normaliseMirror accepts https URLs, and plain http only for loopback hosts
// (local test repositories).
func normaliseMirror(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("TUF mirror %q: %w", raw, err)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("TUF mirror %q: want an http(s) URL with a host and no credentials, query or fragment", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("TUF mirror %q: plain http is only allowed for loopback addresses; use https", raw)
		}
	default:
		return "", fmt.Errorf("TUF mirror %q: unsupported scheme %q (want https)", raw, u.Scheme)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
