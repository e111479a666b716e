package trustroot

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// testRepo is a real TUF repository built with go-tuf's metadata API and
// served over loopback HTTP in the layout sigstore's CDN uses (consistent
// snapshots): N.root.json, timestamp.json, N.snapshot.json, N.targets.json,
// targets/<sha256>.trusted_root.json.
type testRepo struct {
	t    *testing.T
	srv  *httptest.Server
	keys map[string]ed25519.PrivateKey // role → current key
	root *metadata.Metadata[metadata.RootType]

	mu       sync.Mutex
	files    map[string][]byte
	fail     bool // answer 500 to everything
	requests atomic.Int64

	version map[string]int64 // role → current version
	rootV1  []byte
}

func newTestRepo(t *testing.T, target []byte, timestampExpires time.Time) *testRepo {
	t.Helper()
	r := &testRepo{t: t, keys: map[string]ed25519.PrivateKey{}, files: map[string][]byte{}, version: map[string]int64{}}
	r.root = metadata.Root(time.Now().Add(365 * 24 * time.Hour))
	for _, role := range []string{metadata.ROOT, metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP} {
		r.setKey(role)
	}
	r.rootV1 = r.signRoot(nil)
	r.publish(target, timestampExpires)
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *testRepo) serve(w http.ResponseWriter, req *http.Request) {
	r.requests.Add(1)
	r.mu.Lock()
	data, ok := r.files[strings.TrimPrefix(req.URL.Path, "/")]
	fail := r.fail
	r.mu.Unlock()
	switch {
	case fail:
		http.Error(w, "broken", http.StatusInternalServerError)
	case !ok:
		http.NotFound(w, req)
	default:
		_, _ = w.Write(data)
	}
}

// setKey gives role a fresh key in the (unsigned) current root.
func (r *testRepo) setKey(role string) {
	r.t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		r.t.Fatal(err)
	}
	if old, ok := r.keys[role]; ok {
		k, _ := metadata.KeyFromPublicKey(old.Public())
		id, _ := k.ID()
		if err := r.root.Signed.RevokeKey(id, role); err != nil {
			r.t.Fatal(err)
		}
	}
	k, err := metadata.KeyFromPublicKey(pub)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.root.Signed.AddKey(k, role); err != nil {
		r.t.Fatal(err)
	}
	r.keys[role] = priv
}

func sign[T metadata.Roles](t *testing.T, m *metadata.Metadata[T], keys ...ed25519.PrivateKey) []byte {
	t.Helper()
	m.ClearSignatures()
	for _, k := range keys {
		s, err := signature.LoadED25519Signer(k)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Sign(s); err != nil {
			t.Fatal(err)
		}
	}
	data, err := m.ToBytes(true)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// signRoot signs the current root with its root key (and the previous root
// key for a rotation) and serves it as N.root.json.
func (r *testRepo) signRoot(prev ed25519.PrivateKey) []byte {
	keys := []ed25519.PrivateKey{r.keys[metadata.ROOT]}
	if prev != nil && !prev.Equal(r.keys[metadata.ROOT]) {
		keys = append(keys, prev)
	}
	data := sign(r.t, r.root, keys...)
	r.mu.Lock()
	r.files[fmt.Sprintf("%d.root.json", r.root.Signed.Version)] = data
	r.mu.Unlock()
	return data
}

// publish makes target the repository's trusted_root.json: new targets,
// snapshot and timestamp versions.
func (r *testRepo) publish(target []byte, timestampExpires time.Time) {
	t := r.t
	t.Helper()
	far := time.Now().Add(365 * 24 * time.Hour)
	r.version[metadata.TARGETS]++
	targets := metadata.Targets(far)
	targets.Signed.Version = r.version[metadata.TARGETS]
	tf, err := metadata.TargetFile().FromBytes(TargetName, target, "sha256")
	if err != nil {
		t.Fatal(err)
	}
	targets.Signed.Targets[TargetName] = tf
	targetsData := sign(t, targets, r.keys[metadata.TARGETS])

	r.version[metadata.SNAPSHOT]++
	snapshot := metadata.Snapshot(far)
	snapshot.Signed.Version = r.version[metadata.SNAPSHOT]
	snapshot.Signed.Meta["targets.json"] = metadata.MetaFile(targets.Signed.Version)
	snapshotData := sign(t, snapshot, r.keys[metadata.SNAPSHOT])

	r.mu.Lock()
	r.files[fmt.Sprintf("%d.targets.json", targets.Signed.Version)] = targetsData
	r.files[fmt.Sprintf("%d.snapshot.json", snapshot.Signed.Version)] = snapshotData
	r.files["targets/"+hex.EncodeToString(tf.Hashes["sha256"])+"."+TargetName] = target
	r.mu.Unlock()
	r.newTimestamp(timestampExpires)
}

func (r *testRepo) newTimestamp(expires time.Time) {
	r.version[metadata.TIMESTAMP]++
	ts := metadata.Timestamp(expires)
	ts.Signed.Version = r.version[metadata.TIMESTAMP]
	ts.Signed.Meta["snapshot.json"] = metadata.MetaFile(r.version[metadata.SNAPSHOT])
	data := sign(r.t, ts, r.keys[metadata.TIMESTAMP])
	r.mu.Lock()
	r.files["timestamp.json"] = data
	r.mu.Unlock()
}

// rotateTimestampKey publishes root N+1 (signed by the old and new root
// keys, with a new root key and a new timestamp key) and re-signs the
// timestamp with the new key: a client that skips a root version cannot
// verify the timestamp any more.
func (r *testRepo) rotateTimestampKey(timestampExpires time.Time) {
	prev := r.keys[metadata.ROOT]
	r.setKey(metadata.ROOT)
	r.setKey(metadata.TIMESTAMP)
	r.root.Signed.Version++
	r.signRoot(prev)
	r.newTimestamp(timestampExpires)
}

func (r *testRepo) setFail(fail bool) {
	r.mu.Lock()
	r.fail = fail
	r.mu.Unlock()
}

// spec writes the repository's initial root to disk and names it.
func (r *testRepo) spec(name string) Spec {
	p := writeFile(r.t, r.t.TempDir(), "root.json", r.rootV1)
	return Spec{Name: name, TUFMirror: r.srv.URL, TUFRoot: p}
}

// countingTransport counts the requests it forwards.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(req)
}

func TestTUFOnlineThenOffline(t *testing.T) {
	_, want := fixture(t, "sigstore-public-good.json")
	repo := newTestRepo(t, want, time.Now().Add(24*time.Hour))
	spec := repo.spec("custom")
	cache := t.TempDir()
	ctx := context.Background()
	l := layoutFor(cache, repo.srv.URL)

	// Online: full TUF refresh, cache filled, target returned.
	ct := &countingTransport{}
	got, err := Load(ctx, spec, Options{CacheDir: cache, Transport: ct})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.TrustedRootJSON, want) {
		t.Fatalf("online Load returned %d bytes, want the fixture's %d", len(got.TrustedRootJSON), len(want))
	}
	if ct.n.Load() == 0 || repo.requests.Load() == 0 {
		t.Fatal("online Load made no request through the injected transport")
	}
	if cached, err := os.ReadFile(l.target()); err != nil || !bytes.Equal(cached, want) {
		t.Fatalf("cache %s does not hold the target: %v", l.target(), err)
	}
	for _, role := range []string{"root", "timestamp", "snapshot", "targets"} {
		if !fileExists(l.metadata(role)) {
			t.Errorf("cache lacks %s", l.metadata(role))
		}
	}

	// Offline: same bytes from the warm cache, zero requests.
	before := repo.requests.Load()
	got, err = Load(ctx, spec, Options{Offline: true, CacheDir: cache, Transport: noNetwork{t}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.TrustedRootJSON, want) {
		t.Fatal("offline Load returned different bytes")
	}
	if n := repo.requests.Load() - before; n != 0 {
		t.Fatalf("offline Load made %d requests", n)
	}

	// Offline with the server down still works (and still makes no request).
	repo.setFail(true)
	if _, err := Load(ctx, spec, Options{Offline: true, CacheDir: cache, Transport: noNetwork{t}}); err != nil {
		t.Fatalf("offline Load with the mirror down: %v", err)
	}
	if n := repo.requests.Load() - before; n != 0 {
		t.Fatalf("offline Load made %d requests", n)
	}

	// Online with the mirror down fails, and points at --offline.
	_, err = Load(ctx, spec, Options{CacheDir: cache})
	wantErr(t, err, `trust root "custom"`, repo.srv.URL, l.dir, "500", "--offline uses it")
	repo.setFail(false)

	// Fetch returns the bytes too.
	data, err := Fetch(ctx, spec.TUFMirror, spec.TUFRoot, Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Fatal("Fetch returned different bytes")
	}
}

func TestTUFOfflineEmptyCache(t *testing.T) {
	_, target := fixture(t, "sigstore-public-good.json")
	repo := newTestRepo(t, target, time.Now().Add(24*time.Hour))
	cases := []struct {
		name string
		spec Spec
		dir  func(cache string) string
	}{
		{"public-good", Spec{Name: "public-good"}, func(c string) string { return filepath.Join(c, tuf.URLToPath(tuf.DefaultMirror)) }},
		{"custom mirror", repo.spec("custom"), func(c string) string { return filepath.Join(c, tuf.URLToPath(repo.srv.URL)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cache := t.TempDir()
			_, err := Load(context.Background(), c.spec, Options{Offline: true, CacheDir: cache, Transport: noNetwork{t}})
			wantErr(t, err, fmt.Sprintf(`trust root %q: --offline but no cached Sigstore trusted root in %s; run "vmafx-trust trusted-root fetch" once online`, c.spec.Name, c.dir(cache)))
			if n := repo.requests.Load(); n != 0 {
				t.Fatalf("%d requests reached the mirror", n)
			}
			if entries, _ := os.ReadDir(cache); len(entries) != 0 {
				t.Errorf("offline Load wrote to the cache: %v", entries)
			}
		})
	}
}

func TestTUFOfflineUsesDefaultCacheDirEnv(t *testing.T) {
	_, target := fixture(t, "sigstore-public-good.json")
	repo := newTestRepo(t, target, time.Now().Add(24*time.Hour))
	spec := repo.spec("env")
	cache := t.TempDir()
	t.Setenv(CacheDirEnv, cache)
	if _, err := Load(context.Background(), spec, Options{}); err != nil {
		t.Fatal(err)
	}
	if !fileExists(layoutFor(cache, repo.srv.URL).target()) {
		t.Fatalf("$%s not used as the cache", CacheDirEnv)
	}
	if _, err := Load(context.Background(), spec, Options{Offline: true, Transport: noNetwork{t}}); err != nil {
		t.Fatal(err)
	}
}

// Root rotations: the offline load must walk the chain the online refresh saw.
func TestTUFOfflineRootRotation(t *testing.T) {
	_, target := fixture(t, "sigstore-public-good.json")
	exp := time.Now().Add(24 * time.Hour)
	repo := newTestRepo(t, target, exp)
	repo.rotateTimestampKey(exp) // root v2
	repo.rotateTimestampKey(exp) // root v3
	spec := repo.spec("rotated")
	cache := t.TempDir()
	l := layoutFor(cache, repo.srv.URL)
	if _, err := Load(context.Background(), spec, Options{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int{2, 3} {
		if !fileExists(filepath.Join(l.history(), fmt.Sprintf("%d.root.json", v))) {
			t.Fatalf("root history lacks %d.root.json", v)
		}
	}
	got, err := Load(context.Background(), spec, Options{Offline: true, CacheDir: cache, Transport: noNetwork{t}})
	if err != nil {
		t.Fatalf("offline after root rotation: %v", err)
	}
	if !bytes.Equal(got.TrustedRootJSON, target) {
		t.Fatal("offline Load returned different bytes")
	}

	// Without the history the v1 anchor cannot reach v3: the timestamp
	// (signed by v3's key) must not verify.
	if err := os.RemoveAll(l.history()); err != nil {
		t.Fatal(err)
	}
	_, err = Load(context.Background(), spec, Options{Offline: true, CacheDir: cache, Transport: noNetwork{t}})
	wantErr(t, err, `trust root "rotated"`, l.metadata("timestamp"), "does not verify")

	// A forged history entry is refused.
	if err := os.MkdirAll(l.history(), 0o700); err != nil {
		t.Fatal(err)
	}
	forged := metadata.Root(time.Now().Add(time.Hour))
	forged.Signed.Version = 2
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	p := writeFile(t, l.history(), "2.root.json", sign(t, forged, priv))
	_, err = Load(context.Background(), spec, Options{Offline: true, CacheDir: cache, Transport: noNetwork{t}})
	wantErr(t, err, `trust root "rotated"`, p, "does not verify")
}

// Tampering with any cached file is detected offline.
func TestTUFOfflineTamper(t *testing.T) {
	_, target := fixture(t, "sigstore-public-good.json")
	repo := newTestRepo(t, target, time.Now().Add(24*time.Hour))
	spec := repo.spec("tamper")
	cases := []struct {
		name   string
		file   func(l cacheLayout) string
		mutate func([]byte) []byte
		want   string
	}{
		{"target", func(l cacheLayout) string { return l.target() }, func(b []byte) []byte {
			return bytes.Replace(b, []byte("rekor.sigstore.dev"), []byte("rekor.attacker.dev"), 1)
		}, "hash verification failed"},
		{"target truncated", func(l cacheLayout) string { return l.target() }, func(b []byte) []byte { return b[:len(b)/2] }, "length/hash verification error"},
		{"target grown", func(l cacheLayout) string { return l.target() }, func(b []byte) []byte { return append(b, ' ') }, "more than the"},
		{"targets.json", func(l cacheLayout) string { return l.metadata("targets") }, func(b []byte) []byte { return bytes.Replace(b, []byte(`"version": 1`), []byte(`"version": 2`), 1) }, "does not verify"},
		{"timestamp.json", func(l cacheLayout) string { return l.metadata("timestamp") }, func(b []byte) []byte { return bytes.Replace(b, []byte(`"version": 1`), []byte(`"version": 7`), 1) }, "does not verify"},
		{"oversize timestamp.json", func(l cacheLayout) string { return l.metadata("timestamp") }, func(b []byte) []byte { return append(b, bytes.Repeat([]byte(" "), maxTimestampSize)...) }, "more than the 16384 allowed"},
		{"target missing", func(l cacheLayout) string { return l.target() }, nil, "--offline but no cached Sigstore trusted root"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cache := t.TempDir()
			l := layoutFor(cache, repo.srv.URL)
			if _, err := Load(context.Background(), spec, Options{CacheDir: cache}); err != nil {
				t.Fatal(err)
			}
			p := c.file(l)
			if c.mutate == nil {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
			} else {
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				m := c.mutate(data)
				if bytes.Equal(m, data) {
					t.Fatal("mutation changed nothing")
				}
				if err := os.WriteFile(p, m, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Load(context.Background(), spec, Options{Offline: true, CacheDir: cache, Transport: noNetwork{t}})
			wantErr(t, err, `trust root "tamper"`, c.want)
			if c.mutate != nil && !strings.Contains(err.Error(), p) {
				t.Errorf("error does not name %s: %v", p, err)
			}
		})
	}
}

// Offline, expiry is judged at the last online refresh; without a record of
// it, at the current time.
func TestTUFOfflineExpiry(t *testing.T) {
	_, target := fixture(t, "sigstore-public-good.json")
	repo := newTestRepo(t, target, time.Now().Add(time.Hour))
	spec := repo.spec("expiring")
	cache := t.TempDir()
	l := layoutFor(cache, repo.srv.URL)
	if _, err := Load(context.Background(), spec, Options{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	if !fileExists(l.state()) {
		t.Fatalf("sigstore-go did not record the refresh in %s", l.state())
	}
	t.Cleanup(func() { now = time.Now })
	now = func() time.Time { return time.Now().Add(48 * time.Hour) }

	if _, err := Load(context.Background(), spec, Options{Offline: true, CacheDir: cache, Transport: noNetwork{t}}); err != nil {
		t.Fatalf("offline Load two days after a valid refresh: %v", err)
	}
	if err := os.Remove(l.state()); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), spec, Options{Offline: true, CacheDir: cache, Transport: noNetwork{t}})
	wantErr(t, err, `trust root "expiring"`, l.metadata("timestamp"), "expired")
}

func TestTUFOnlineRejectsBadRepository(t *testing.T) {
	_, target := fixture(t, "sigstore-public-good.json")
	cases := []struct {
		name      string
		breakRepo func(r *testRepo)
		want      string
	}{
		{"tampered target", func(r *testRepo) {
			r.mu.Lock()
			defer r.mu.Unlock()
			for k, v := range r.files {
				if strings.HasPrefix(k, "targets/") {
					r.files[k] = bytes.Replace(v, []byte("rekor.sigstore.dev"), []byte("rekor.attacker.dev"), 1)
				}
			}
		}, "hash verification failed"},
		{"expired timestamp", func(r *testRepo) { r.newTimestamp(time.Now().Add(-time.Hour)) }, "timestamp.json is expired"},
		{"target not a trusted root", func(r *testRepo) { r.publish([]byte(`{"hello": "world"}`), time.Now().Add(time.Hour)) }, "not a valid Sigstore trusted root"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			repo := newTestRepo(t, target, time.Now().Add(time.Hour))
			c.breakRepo(repo)
			_, err := Load(context.Background(), repo.spec("bad"), Options{CacheDir: t.TempDir()})
			wantErr(t, err, `trust root "bad"`, repo.srv.URL, c.want)
		})
	}
}

func TestTUFContextCancel(t *testing.T) {
	_, root := fixture(t, "sigstore-public-good.json")
	hung := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hung:
		}
	}))
	defer srv.Close()
	defer close(hung)
	repo := newTestRepo(t, root, time.Now().Add(time.Hour))
	spec := Spec{Name: "slow", TUFMirror: srv.URL, TUFRoot: repo.spec("x").TUFRoot}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Load(ctx, spec, Options{CacheDir: t.TempDir()})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	wantErr(t, err, `trust root "slow"`, srv.URL)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Load took %s after the context expired", d)
	}
}

// Several trust roots naming one repository load concurrently (the host does
// this); the cache must come out consistent.
func TestTUFConcurrentLoads(t *testing.T) {
	_, target := fixture(t, "sigstore-public-good.json")
	repo := newTestRepo(t, target, time.Now().Add(time.Hour))
	cache := t.TempDir()
	spec := repo.spec("a")
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := spec
			s.Name = fmt.Sprintf("root-%d", i)
			got, err := Load(context.Background(), s, Options{CacheDir: cache})
			if err == nil && !bytes.Equal(got.TrustedRootJSON, target) {
				err = errors.New("different bytes")
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load(context.Background(), spec, Options{Offline: true, CacheDir: cache, Transport: noNetwork{t}}); err != nil {
		t.Fatal(err)
	}
}

func TestHTTPFetcher(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 2000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/sized":
			_, _ = w.Write(body)
		case "/chunked":
			// no Content-Length: the limit must hold while reading
			for i := 0; i < 4; i++ {
				_, _ = w.Write(body[:500])
				w.(http.Flusher).Flush()
			}
		case "/1.root.json", "/2.root.json":
			_, _ = w.Write([]byte("root"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := newHTTPFetcher(context.Background(), nil, srv.URL)
	cases := []struct {
		path string
		max  int64
		ok   bool
		want string
	}{
		{"/sized", 2000, true, ""},
		{"/sized", 1999, false, "larger than expected 1999"},
		{"/chunked", 1999, false, "more than the expected 1999 bytes"},
		{"/chunked", 2000, true, ""},
		{"/missing", 10, false, "404"},
		{"/2.root.json", 10, true, ""},
	}
	for _, c := range cases {
		data, err := f.DownloadFile(srv.URL+c.path, c.max, 0)
		if c.ok {
			if err != nil {
				t.Errorf("%s (max %d): %v", c.path, c.max, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s (max %d): got %d bytes, err %v; want error with %q", c.path, c.max, len(data), err, c.want)
		}
	}
	var httpErr *metadata.ErrDownloadHTTP
	if _, err := f.DownloadFile(srv.URL+"/missing", 10, 0); !errors.As(err, &httpErr) || httpErr.StatusCode != 404 {
		t.Errorf("a 404 must be *metadata.ErrDownloadHTTP (go-tuf ends the root walk on it): %v", err)
	}
	if roots := f.fetchedRoots(); len(roots) != 1 || string(roots[2]) != "root" {
		t.Errorf("fetchedRoots = %v, want only version 2", roots)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newHTTPFetcher(ctx, nil, srv.URL).DownloadFile(srv.URL+"/sized", 2000, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}
