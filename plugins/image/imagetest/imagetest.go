// Package imagetest is test support for the image verifier: registries on
// loopback (go-containerregistry's in-process registry, with or without the
// referrers API, and Debian's docker-registry), pushing random images and
// indexes, and attaching Sigstore material the way cosign and GitHub store
// it (legacy .sig/.att tags, OCI 1.1 referrers, the referrers tag fallback).
// It writes the formats itself so tests can attach bundles made by any
// signer (internal/testsigstore, real public-good fixtures).
package imagetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/vmafx/vmafx-trust/internal/testsigstore"
)

// Media types and annotations cosign and the Sigstore OCI guidance use.
const (
	BundleMediaType        = "application/vnd.dev.sigstore.bundle.v0.3+json"
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	DSSEMediaType          = "application/vnd.dsse.envelope.v1+json"
	EmptyMediaType         = "application/vnd.oci.empty.v1+json"
)

// Registry is go-containerregistry's registry served on 127.0.0.1, counting
// the requests it receives.
type Registry struct {
	Addr string // host:port

	mu     sync.Mutex
	counts map[string]int
	gate   func(*http.Request)
}

// Gate makes the registry call fn with each request before serving it
// (nil: no gate). fn may block to hold a request back.
func (r *Registry) Gate(fn func(*http.Request)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gate = fn
}

// NewRegistry starts an in-process registry; referrers switches the OCI 1.1
// referrers API on (without it the tag-schema fallback is used).
func NewRegistry(t testing.TB, referrers bool) *Registry {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := registry.New(registry.WithReferrersSupport(referrers), registry.Logger(log.New(io.Discard, "", 0)))
	r := &Registry{Addr: l.Addr().String(), counts: map[string]int{}}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.counts[req.Method+" "+req.URL.Path]++
		gate := r.gate
		r.mu.Unlock()
		if gate != nil {
			gate(req)
		}
		h.ServeHTTP(w, req)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

// Counts returns the requests received since the last Reset, by
// "METHOD /path".
func (r *Registry) Counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.counts {
		out[k] = v
	}
	return out
}

// Reset clears the request counts.
func (r *Registry) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts = map[string]int{}
}

// DockerRegistry starts Debian's docker-registry (CNCF distribution 2.8, no
// referrers API) on a free loopback port with a configuration and storage
// in the test's temp dir, and returns host:port. Without the binary the
// test is skipped, unless CI=true, where that is a failure.
func DockerRegistry(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		if _, err2 := os.Stat("/usr/bin/docker-registry"); err2 == nil {
			bin = "/usr/bin/docker-registry"
		} else if os.Getenv("CI") == "true" {
			t.Fatal("docker-registry not installed (.ci/run installs the Debian package docker-registry)")
		} else {
			t.Skip("docker-registry not installed (apt-get install docker-registry)")
		}
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "data"), addr)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-registry on %s did not start: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// PushRandom pushes a random single-layer image to ref (host/repo:tag) and
// returns its digest.
func PushRandom(t testing.TB, ref string) string {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	return pushImage(t, ref, img)
}

func pushImage(t testing.TB, ref string, img v1.Image) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// PushIndex pushes an index of random images, one per platform
// ("os/arch[/variant]"), to ref and returns the index digest and each
// platform's manifest digest.
func PushIndex(t testing.TB, ref string, platforms ...string) (string, map[string]string) {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	idx = mutate.IndexMediaType(idx, types.OCIImageIndex)
	children := map[string]string{}
	for _, p := range platforms {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(p, "/")
		pl := &v1.Platform{OS: parts[0], Architecture: parts[1]}
		if len(parts) > 2 {
			pl.Variant = parts[2]
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Variant = pl.OS, pl.Architecture, pl.Variant
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		children[p] = d.String()
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: pl}})
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatalf("pushing index %s: %v", ref, err)
	}
	d, _ := idx.Digest()
	return d.String(), children
}

// Descriptor is an OCI descriptor.
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// Manifest is an OCI image manifest (also an artifact manifest).
type Manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Config        Descriptor        `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Subject       *Descriptor       `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// PushBlob uploads data to host/repo and returns its descriptor.
func PushBlob(t testing.TB, repo, mediaType string, data []byte) Descriptor {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteLayer(r, static.NewLayer(data, types.MediaType(mediaType))); err != nil {
		t.Fatalf("pushing blob to %s: %v", repo, err)
	}
	return Descriptor{MediaType: mediaType, Digest: Digest(data), Size: int64(len(data))}
}

// PushManifest puts raw manifest bytes at host/repo:tag or host/repo@digest
// and returns their digest.
func PushManifest(t testing.TB, ref, mediaType string, raw []byte) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(r, rawManifest{raw: raw, mt: types.MediaType(mediaType)}); err != nil {
		t.Fatalf("putting manifest %s: %v", ref, err)
	}
	return Digest(raw)
}

// DeleteManifest deletes host/repo@digest (an index then lists a manifest
// the registry no longer has).
func DeleteManifest(t testing.TB, repo, digest string) {
	t.Helper()
	r, err := name.NewDigest(repo + "@" + digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Delete(r); err != nil {
		t.Fatalf("deleting %s: %v", r, err)
	}
}

// Digest is "sha256:<hex>" of data.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// LegacyTag is cosign's tag for a digest's signatures (".sig") or
// attestations (".att"), or the referrers fallback tag (suffix "").
func LegacyTag(digest, suffix string) string {
	return strings.Replace(digest, ":", "-", 1) + suffix
}

// SimpleSigningPayload is the payload `cosign sign` signs.
func SimpleSigningPayload(dockerReference, digest string) []byte {
	b, _ := json.Marshal(map[string]any{
		"critical": map[string]any{
			"identity": map[string]string{"docker-reference": dockerReference},
			"image":    map[string]string{"docker-manifest-digest": digest},
			"type":     "cosign container image signature",
		},
		"optional": nil,
	})
	return b
}

// Layer is one layer of a cosign .sig or .att manifest.
type Layer struct {
	Data        []byte
	Annotations map[string]string
}

// AttachLegacy writes cosign's legacy signature (suffix ".sig", layers of
// simplesigning payloads) or attestation (".att", DSSE envelope layers)
// manifest for digest in host/repo, replacing what is there.
func AttachLegacy(t testing.TB, repo, digest, suffix string, layers ...Layer) string {
	t.Helper()
	mt := SimpleSigningMediaType
	if suffix == ".att" {
		mt = DSSEMediaType
	}
	cfg := []byte(`{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}`)
	m := Manifest{SchemaVersion: 2, MediaType: string(types.OCIManifestSchema1),
		Config: PushBlob(t, repo, string(types.OCIConfigJSON), cfg)}
	for _, l := range layers {
		d := PushBlob(t, repo, mt, l.Data)
		d.Annotations = l.Annotations
		m.Layers = append(m.Layers, d)
	}
	raw, _ := json.Marshal(m)
	return PushManifest(t, repo+":"+LegacyTag(digest, suffix), string(types.OCIManifestSchema1), raw)
}

// CopyTag copies the manifest at host/repo:from to host/repo:to (cosign's
// legacy manifests, moved onto another image's tag).
func CopyTag(t testing.TB, repo, from, to string) {
	t.Helper()
	r, err := name.ParseReference(repo + ":" + from)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(r)
	if err != nil {
		t.Fatalf("reading %s: %v", r, err)
	}
	PushManifest(t, repo+":"+to, string(d.MediaType), d.Manifest)
}

// Subject returns the descriptor of the manifest at host/repo@digest, or a
// bare OCI manifest descriptor when the registry does not have it.
func Subject(t testing.TB, repo, digest string) Descriptor {
	t.Helper()
	r, err := name.NewDigest(repo + "@" + digest)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(r)
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return Descriptor{MediaType: string(types.OCIManifestSchema1), Digest: digest, Size: 1}
	}
	if err != nil {
		t.Fatalf("reading %s: %v", r, err)
	}
	return Descriptor{MediaType: string(d.MediaType), Digest: digest, Size: d.Size}
}

// AttachBundle attaches a Sigstore bundle to subject as an OCI 1.1
// referrer, as `cosign … --new-bundle-format` and GitHub's
// attest-build-provenance push-to-registry do. With fallback it also
// updates the referrers tag-schema index sha256-<hex> (for registries
// without the referrers API). It returns the referrer manifest's digest.
func AttachBundle(t testing.TB, repo string, subject Descriptor, bundleJSON []byte, predicateType string, fallback bool) string {
	t.Helper()
	cfg := PushBlob(t, repo, EmptyMediaType, []byte("{}"))
	layer := PushBlob(t, repo, BundleMediaType, bundleJSON)
	ann := map[string]string{"dev.sigstore.bundle.content": "dsse-envelope", "org.opencontainers.image.created": "2026-01-01T00:00:00Z"}
	if predicateType != "" {
		ann["dev.sigstore.bundle.predicateType"] = predicateType
	} else {
		ann["dev.sigstore.bundle.content"] = "message-signature"
	}
	m := Manifest{SchemaVersion: 2, MediaType: string(types.OCIManifestSchema1), ArtifactType: BundleMediaType,
		Config: cfg, Layers: []Descriptor{layer}, Subject: &subject, Annotations: ann}
	raw, _ := json.Marshal(m)
	d := PushManifest(t, repo+"@"+Digest(raw), string(types.OCIManifestSchema1), raw)
	if fallback {
		tag := repo + ":" + LegacyTag(subject.Digest, "")
		index := struct {
			SchemaVersion int          `json:"schemaVersion"`
			MediaType     string       `json:"mediaType"`
			Manifests     []Descriptor `json:"manifests"`
		}{SchemaVersion: 2, MediaType: string(types.OCIImageIndex)}
		if r, err := name.ParseReference(tag); err == nil {
			if old, err := remote.Get(r); err == nil {
				_ = json.Unmarshal(old.Manifest, &index)
			}
		}
		index.Manifests = append(index.Manifests, Descriptor{MediaType: m.MediaType, Digest: d, Size: int64(len(raw)), ArtifactType: BundleMediaType, Annotations: ann})
		rawIdx, _ := json.Marshal(index)
		PushManifest(t, tag, string(types.OCIImageIndex), rawIdx)
	}
	return d
}

// Legacy is a Sigstore bundle split into what cosign stores on a legacy
// layer: the signature (base64) or DSSE envelope, the certificate PEM, the
// Rekor bundle and the RFC 3161 timestamp.
type Legacy struct {
	testsigstore.LegacyPieces
}

// Annotations are cosign's layer annotations for l.
func (l Legacy) Annotations() map[string]string {
	ann := map[string]string{"dev.cosignproject.cosign/signature": l.Signature}
	if l.Certificate != "" {
		ann["dev.sigstore.cosign/certificate"] = l.Certificate
	}
	if l.RekorBundle != "" {
		ann["dev.sigstore.cosign/bundle"] = l.RekorBundle
	}
	if l.RFC3161 != "" {
		ann["dev.sigstore.cosign/rfc3161timestamp"] = l.RFC3161
	}
	return ann
}

// SplitBundle takes a Sigstore bundle (v0.1–v0.3 JSON) apart into cosign's
// legacy layer material (testsigstore.SplitLegacy).
func SplitBundle(bundleJSON []byte) (Legacy, error) {
	p, err := testsigstore.SplitLegacy(bundleJSON)
	return Legacy{p}, err
}

// Statement is an in-toto v1 statement about digest.
func Statement(subjectName, digest, predicateType string, predicate any) []byte {
	alg, hx, _ := strings.Cut(digest, ":")
	if predicate == nil {
		predicate = map[string]any{}
	}
	b, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": subjectName, "digest": map[string]string{alg: hx}}},
		"predicateType": predicateType,
		"predicate":     predicate,
	})
	return b
}

// WriteLayout writes an OCI image layout at dir with the given blobs and
// index.json entries.
func WriteLayout(t testing.TB, dir string, blobs [][]byte, entries ...Descriptor) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, b := range blobs {
		p := filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(Digest(b), "sha256:"))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": string(types.OCIImageIndex), "manifests": entries})
	if err := os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
}

// platformDescriptor is an index entry: a descriptor with its platform.
type platformDescriptor struct {
	Descriptor
	Platform map[string]string `json:"platform,omitempty"`
}

// PushBuildKitIndex pushes to repo:tag an index of random platform images
// ("os/arch") as `docker buildx build --sbom=true --provenance=true`
// lays it out: for each platform an attestation manifest (platform
// unknown/unknown, vnd.docker.reference.type attestation-manifest,
// vnd.docker.reference.digest the platform's digest) whose layers are the
// unsigned in-toto statements stmt makes for the platform's digest (an SPDX
// one) and an SLSA provenance statement. It returns the index digest and
// each platform's digest.
func PushBuildKitIndex(t testing.TB, repo, tag string, stmt func(platformDigest string) []byte, platforms ...string) (string, map[string]string) {
	t.Helper()
	children := map[string]string{}
	var entries, atts []platformDescriptor
	for _, pl := range platforms {
		osName, arch, _ := strings.Cut(pl, "/")
		d := PushRandom(t, repo+":"+strings.ReplaceAll(pl, "/", "-"))
		children[pl] = d
		entries = append(entries, platformDescriptor{Descriptor: Subject(t, repo, d), Platform: map[string]string{"os": osName, "architecture": arch}})
		sbom := PushBlob(t, repo, "application/vnd.in-toto+json", stmt(d))
		sbom.Annotations = map[string]string{"in-toto.io/predicate-type": "https://spdx.dev/Document"}
		prov := PushBlob(t, repo, "application/vnd.in-toto+json", Statement("image", d, "https://slsa.dev/provenance/v0.2", nil))
		prov.Annotations = map[string]string{"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}
		cfg := PushBlob(t, repo, string(types.OCIConfigJSON), []byte(`{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}`))
		raw, _ := json.Marshal(Manifest{SchemaVersion: 2, MediaType: string(types.OCIManifestSchema1), Config: cfg, Layers: []Descriptor{sbom, prov}})
		md := PushManifest(t, repo+"@"+Digest(raw), string(types.OCIManifestSchema1), raw)
		atts = append(atts, platformDescriptor{
			Descriptor: Descriptor{MediaType: string(types.OCIManifestSchema1), Digest: md, Size: int64(len(raw)),
				Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": d}},
			Platform: map[string]string{"os": "unknown", "architecture": "unknown"},
		})
	}
	raw, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": string(types.OCIImageIndex), "manifests": append(entries, atts...)})
	return PushManifest(t, repo+":"+tag, string(types.OCIImageIndex), raw), children
}
