package host

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmafx/vmafx-trust/internal/pluginclient"
	"github.com/vmafx/vmafx-trust/internal/policy"
	"github.com/vmafx/vmafx-trust/internal/testsigstore"
	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/pkg/trust"
)

// ---- discovery ----------------------------------------------------------

func writeFile(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode is subject to the umask.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestDiscover(t *testing.T) {
	type file struct {
		dir, name string
		mode      os.FileMode
		isDir     bool
	}
	tests := []struct {
		name  string
		files []file
		dirs  []string // directory labels, in search order; "missing" does not exist
		want  []string // "label/name" of the discovered paths, in order
	}{
		{
			name: "only executables with the prefix",
			files: []file{
				{dir: "a", name: "vmafx-trust-plugin-oci", mode: 0o755},
				{dir: "a", name: "vmafx-trust-plugin-text", mode: 0o644},
				{dir: "a", name: "other-tool", mode: 0o755},
				{dir: "a", name: "vmafx-trust-pluginx", mode: 0o755},
				{dir: "a", name: "vmafx-trust-plugin-dir", isDir: true},
				{dir: "a", name: "vmafx-trust-plugin-user-x", mode: 0o700},
			},
			dirs: []string{"a"},
			want: []string{"a/vmafx-trust-plugin-oci", "a/vmafx-trust-plugin-user-x"},
		},
		{
			name: "first of a name wins across dirs",
			files: []file{
				{dir: "a", name: "vmafx-trust-plugin-x", mode: 0o755},
				{dir: "b", name: "vmafx-trust-plugin-x", mode: 0o755},
				{dir: "b", name: "vmafx-trust-plugin-y", mode: 0o755},
			},
			dirs: []string{"a", "b"},
			want: []string{"a/vmafx-trust-plugin-x", "b/vmafx-trust-plugin-y"},
		},
		{
			name: "search order decides",
			files: []file{
				{dir: "a", name: "vmafx-trust-plugin-x", mode: 0o755},
				{dir: "b", name: "vmafx-trust-plugin-x", mode: 0o755},
			},
			dirs: []string{"b", "a"},
			want: []string{"b/vmafx-trust-plugin-x"},
		},
		{
			name: "a non-executable does not shadow a later executable",
			files: []file{
				{dir: "a", name: "vmafx-trust-plugin-x", mode: 0o644},
				{dir: "b", name: "vmafx-trust-plugin-x", mode: 0o755},
			},
			dirs: []string{"a", "b"},
			want: []string{"b/vmafx-trust-plugin-x"},
		},
		{
			name: "a directory does not shadow a later executable",
			files: []file{
				{dir: "a", name: "vmafx-trust-plugin-x", isDir: true},
				{dir: "b", name: "vmafx-trust-plugin-x", mode: 0o755},
			},
			dirs: []string{"a", "b"},
			want: []string{"b/vmafx-trust-plugin-x"},
		},
		{
			name:  "missing dirs are skipped",
			files: []file{{dir: "b", name: "vmafx-trust-plugin-z", mode: 0o755}},
			dirs:  []string{"missing", "b"},
			want:  []string{"b/vmafx-trust-plugin-z"},
		},
		{
			name: "sorted within a dir",
			files: []file{
				{dir: "a", name: "vmafx-trust-plugin-c", mode: 0o755},
				{dir: "a", name: "vmafx-trust-plugin-a", mode: 0o755},
				{dir: "a", name: "vmafx-trust-plugin-b", mode: 0o755},
			},
			dirs: []string{"a"},
			want: []string{"a/vmafx-trust-plugin-a", "a/vmafx-trust-plugin-b", "a/vmafx-trust-plugin-c"},
		},
		{name: "nothing", dirs: []string{"a"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, l := range []string{"a", "b"} {
				if err := os.Mkdir(filepath.Join(root, l), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range tt.files {
				p := filepath.Join(root, f.dir, f.name)
				if f.isDir {
					if err := os.Mkdir(p, 0o755); err != nil {
						t.Fatal(err)
					}
					continue
				}
				writeFile(t, p, f.mode)
			}
			var dirs []string
			for _, d := range tt.dirs {
				dirs = append(dirs, filepath.Join(root, d))
			}
			var got []string
			for _, s := range Discover(dirs) {
				rel, err := filepath.Rel(root, s.Path)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, filepath.ToSlash(rel))
				if s.Builtin {
					t.Errorf("%s: discovered plugin marked built-in", s.Path)
				}
				if want := strings.TrimPrefix(filepath.Base(s.Path), PluginPrefix); s.Name != want {
					t.Errorf("%s: Name = %q, want %q", s.Path, s.Name, want)
				}
				if cmd := s.Command(); cmd.Path != s.Path {
					t.Errorf("%s: Command().Path = %q", s.Path, cmd.Path)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Discover = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPluginDirs(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	t.Setenv("HOME", t.TempDir())
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tail := []string{filepath.Join(cfg, "vmafx-trust", "plugins"), filepath.Dir(exe)}
	sep := string(os.PathListSeparator)
	tests := []struct {
		name string
		env  string
		want []string
	}{
		{name: "unset", env: "", want: tail},
		{name: "one dir first", env: "/opt/p", want: append([]string{"/opt/p"}, tail...)},
		{name: "list kept in order", env: "/x" + sep + "/y" + sep + "/z", want: append([]string{"/x", "/y", "/z"}, tail...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(PluginPathEnv, tt.env)
			if got := PluginDirs(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PluginDirs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPluginPathEnvFeedsDiscover(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(a, PluginPrefix+"same"), 0o755)
	writeFile(t, filepath.Join(b, PluginPrefix+"same"), 0o755)
	t.Setenv(PluginPathEnv, b+string(os.PathListSeparator)+a)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	got := Discover(PluginDirs())
	var paths []string
	for _, s := range got {
		if s.Name == "same" {
			paths = append(paths, s.Path)
		}
	}
	if want := []string{filepath.Join(b, PluginPrefix+"same")}; !reflect.DeepEqual(paths, want) {
		t.Errorf("plugin \"same\" found at %q, want %q", paths, want)
	}
}

func TestTailBuffer(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		writes []string
		want   string
	}{
		{name: "under limit", n: 10, writes: []string{"abc", "def"}, want: "abcdef"},
		{name: "exactly at limit", n: 6, writes: []string{"abc", "def"}, want: "abcdef"},
		{name: "keeps the end", n: 4, writes: []string{"abc", "def"}, want: "cdef"},
		{name: "one big write", n: 3, writes: []string{"0123456789"}, want: "789"},
		{name: "many small writes", n: 5, writes: strings.Split("the quick brown fox", ""), want: "n fox"},
		{name: "empty", n: 5, writes: nil, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTailBuffer(tt.n)
			for _, w := range tt.writes {
				n, err := b.Write([]byte(w))
				if err != nil || n != len(w) {
					t.Fatalf("Write(%q) = %d, %v; want %d, nil", w, n, err, len(w))
				}
			}
			if got := b.String(); got != tt.want {
				t.Errorf("String = %q, want %q", got, tt.want)
			}
			if len(b.buf) > tt.n {
				t.Errorf("buffer holds %d bytes, limit %d", len(b.buf), tt.n)
			}
		})
	}
}

func TestTailBufferConcurrent(t *testing.T) {
	b := newTailBuffer(64)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				_, _ = b.Write([]byte("0123456789"))
			}
		}()
	}
	wg.Wait()
	if got := b.String(); len(got) != 64 {
		t.Errorf("len = %d, want 64", len(got))
	}
}

func TestExplainLaunch(t *testing.T) {
	tests := []struct {
		name   string
		err    string
		want   []string
		wrap   bool // the original error stays reachable with errors.Is
		passed bool // returned unchanged
	}{
		{
			name: "protocol version",
			err:  "Incompatible API version with plugin. Plugin version: 2, Client versions: [1]",
			want: []string{"another plugin protocol version", "Plugin version: 2", "speaks protocol 1"},
		},
		{
			name: "stdout noise",
			err:  "Unrecognized remote plugin message: hello from a plugin\n\nThis usually means...",
			want: []string{"writing to stdout", "stderr only", "hello from a plugin"},
		},
		{
			name: "exited early",
			err:  "plugin exited before we could connect",
			want: []string{"exited during start-up", "stderr"},
			wrap: true,
		},
		{
			name: "handshake timeout",
			err:  "timeout while waiting for plugin to start",
			want: []string{"did not complete the handshake within " + StartTimeout.String()},
			wrap: true,
		},
		{
			name:   "other errors unchanged",
			err:    "fork/exec /x: permission denied",
			want:   []string{"fork/exec /x: permission denied"},
			passed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := errors.New(tt.err)
			got := explainLaunch(orig)
			for _, w := range tt.want {
				if !strings.Contains(got.Error(), w) {
					t.Errorf("explainLaunch(%q) = %q, want it to contain %q", tt.err, got, w)
				}
			}
			if tt.wrap && !errors.Is(got, orig) {
				t.Errorf("explained error does not wrap the original")
			}
			if tt.passed && got != orig {
				t.Errorf("error was rewritten: %v", got)
			}
		})
	}
}

func TestLaunchErrorMessage(t *testing.T) {
	inner := errors.New("exited during start-up")
	e := &LaunchError{Plugin: "oci", Path: "/p/vmafx-trust-plugin-oci", Err: inner, Stderr: "panic: boom\ngoroutine 1"}
	msg := e.Error()
	for _, w := range []string{`plugin "oci"`, "/p/vmafx-trust-plugin-oci", "exited during start-up", "plugin stderr: panic: boom\n  goroutine 1"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q lacks %q", msg, w)
		}
	}
	if !errors.Is(e, inner) {
		t.Errorf("LaunchError does not unwrap")
	}
	if strings.Contains((&LaunchError{Plugin: "x", Err: inner}).Error(), "stderr") {
		t.Errorf("empty stderr is mentioned")
	}
}

// ---- final verdict: plugin result AND host verification --------------------

const (
	subject = "https://github.com/vmafx/vmafx/.github/workflows/release.yml@refs/tags/v1.4.0"
	issuer  = "https://token.actions.githubusercontent.com"
)

type sigEnv struct {
	data        []byte
	digest      sdk.Digest
	bundle      []byte
	otherBundle []byte // another artifact, same signer
	material    *trust.Material
}

var (
	envOnce sync.Once
	envVal  *sigEnv
	envErr  error
)

func testEnv(t *testing.T) *sigEnv {
	t.Helper()
	envOnce.Do(func() {
		s, err := testsigstore.New()
		if err != nil {
			envErr = err
			return
		}
		e := &sigEnv{data: []byte("libvmaf.so contents for host tests")}
		sum := sha256.Sum256(e.data)
		e.digest = sdk.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
		if e.bundle, err = s.SignBlob(subject, issuer, e.data); err != nil {
			envErr = err
			return
		}
		if e.otherBundle, err = s.SignBlob(subject, issuer, []byte("something else")); err != nil {
			envErr = err
			return
		}
		rootJSON, err := s.TrustedRootJSON()
		if err != nil {
			envErr = err
			return
		}
		if e.material, err = trust.NewMaterial("test", rootJSON, nil); err != nil {
			envErr = err
			return
		}
		envVal = e
	})
	if envErr != nil {
		t.Fatalf("testsigstore: %v", envErr)
	}
	return envVal
}

// detachedFrom takes the signature, certificate and timestamps out of a
// bundle, and with withTlog its Rekor entry as cosign's rekor bundle JSON.
func detachedFrom(t *testing.T, bundleJSON []byte, withTlog bool) sdk.Evidence {
	t.Helper()
	var b struct {
		VerificationMaterial struct {
			Certificate struct {
				RawBytes string `json:"rawBytes"`
			} `json:"certificate"`
			TlogEntries []struct {
				LogIndex string `json:"logIndex"`
				LogID    struct {
					KeyID string `json:"keyId"`
				} `json:"logId"`
				IntegratedTime   string `json:"integratedTime"`
				InclusionPromise struct {
					SignedEntryTimestamp string `json:"signedEntryTimestamp"`
				} `json:"inclusionPromise"`
				CanonicalizedBody string `json:"canonicalizedBody"`
			} `json:"tlogEntries"`
			TimestampVerificationData struct {
				RFC3161Timestamps []struct {
					SignedTimestamp string `json:"signedTimestamp"`
				} `json:"rfc3161Timestamps"`
			} `json:"timestampVerificationData"`
		} `json:"verificationMaterial"`
		MessageSignature struct {
			Signature string `json:"signature"`
		} `json:"messageSignature"`
	}
	if err := json.Unmarshal(bundleJSON, &b); err != nil {
		t.Fatal(err)
	}
	der, err := base64.StdEncoding.DecodeString(b.VerificationMaterial.Certificate.RawBytes)
	if err != nil || len(der) == 0 {
		t.Fatalf("bundle certificate: %v", err)
	}
	sig, err := base64.StdEncoding.DecodeString(b.MessageSignature.Signature)
	if err != nil || len(sig) == 0 {
		t.Fatalf("bundle signature: %v", err)
	}
	ev := sdk.Evidence{
		Type: sdk.EvidenceDetached, Signature: sig, Source: "detached",
		CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}
	for _, ts := range b.VerificationMaterial.TimestampVerificationData.RFC3161Timestamps {
		raw, err := base64.StdEncoding.DecodeString(ts.SignedTimestamp)
		if err != nil {
			t.Fatal(err)
		}
		ev.RFC3161 = append(ev.RFC3161, raw)
	}
	if withTlog {
		if len(b.VerificationMaterial.TlogEntries) != 1 {
			t.Fatalf("bundle has %d tlog entries", len(b.VerificationMaterial.TlogEntries))
		}
		te := b.VerificationMaterial.TlogEntries[0]
		keyID, err := base64.StdEncoding.DecodeString(te.LogID.KeyID)
		if err != nil {
			t.Fatal(err)
		}
		set, err := base64.StdEncoding.DecodeString(te.InclusionPromise.SignedEntryTimestamp)
		if err != nil {
			t.Fatal(err)
		}
		// protojson writes int64 as strings and omits zeros.
		num := func(s string) int64 {
			if s == "" {
				return 0
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		it, li := num(te.IntegratedTime), num(te.LogIndex)
		rb := map[string]any{
			"SignedEntryTimestamp": set,
			"Payload": map[string]any{
				"body": te.CanonicalizedBody, "integratedTime": it, "logIndex": li, "logID": hex.EncodeToString(keyID),
			},
		}
		if ev.TlogEntryJSON, err = json.Marshal(rb); err != nil {
			t.Fatal(err)
		}
	}
	return ev
}

func releaseID(name string) trust.Identity {
	return trust.Identity{Name: name, Issuer: issuer, Subject: subject}
}

func artifact(ids []trust.Identity, require int) *policy.Artifact {
	return &policy.Artifact{Kind: "blob", Name: "libvmaf", Identities: ids, Require: require, TrustRoot: "test", Attributes: map[string]any{}}
}

func TestFinalize(t *testing.T) {
	e := testEnv(t)
	bundleEv := func(b []byte, d sdk.Digest) []sdk.Evidence {
		return []sdk.Evidence{{Type: sdk.EvidenceBundle, MediaType: testsigstore.BundleMediaType, Bundle: b, SubjectDigest: d, Source: "dist/libvmaf.so.sigstore.json"}}
	}
	wrongDigest := e.digest
	wrongDigest.Hex = strings.Repeat("0", 64)
	otherSum := sha256.Sum256([]byte("something else"))
	otherDigest := sdk.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(otherSum[:])}
	emptyDetached := []sdk.Evidence{{Type: sdk.EvidenceDetached, SubjectDigest: e.digest}}
	noTlogDetached := detachedFrom(t, e.bundle, false)
	noTlogDetached.SubjectDigest = e.digest
	goodDetached := detachedFrom(t, e.bundle, true)
	goodDetached.SubjectDigest = e.digest
	wrongDetached := goodDetached
	wrongDetached.SubjectDigest = otherDigest
	pluginChecks := []sdk.Check{{Name: "digest", OK: true, Detail: "sha256 matches"}}

	tests := []struct {
		name       string
		art        *policy.Artifact
		opaque     bool
		pinned     string // the plugin's pinned sha256
		status     sdk.Status
		reason     string
		evidence   []sdk.Evidence
		diags      []sdk.Diagnostic
		wantStatus sdk.Status
		wantReason []string // substrings; empty reason wanted when nil and pass
		wantSigner bool
		wantLast   string // name of the last check
		wantEvOK   []bool // Verified of each evidence report
		wantWarn   []string
	}{
		{
			name: "pass with valid evidence", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusPass, evidence: bundleEv(e.bundle, e.digest),
			wantStatus: sdk.StatusPass, wantSigner: true, wantLast: "host verification", wantEvOK: []bool{true},
		},
		{
			name: "pass with valid evidence keeps plugin reason cleared", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusPass, reason: "leftover", evidence: bundleEv(e.bundle, e.digest),
			wantStatus: sdk.StatusPass, wantSigner: true, wantLast: "host verification", wantEvOK: []bool{true},
		},
		{
			// One signer matching two overlapping identities is still one
			// signer: require = 2 needs two.
			name: "require 2 not met by one signer matching two identities", art: artifact([]trust.Identity{releaseID("release"), {Name: "any-tag", Issuer: issuer, SubjectRegexp: `^https://github\.com/vmafx/vmafx/.*$`}}, 2),
			status: sdk.StatusPass, evidence: bundleEv(e.bundle, e.digest),
			wantStatus: sdk.StatusFail, wantReason: []string{"each by a different signer"}, wantLast: "identities", wantEvOK: []bool{true},
		},
		{
			name: "pass with no evidence", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status:     sdk.StatusPass,
			wantStatus: sdk.StatusFail, wantReason: []string{"no evidence"}, wantLast: "host verification",
		},
		{
			name: "pass with evidence for another digest", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusPass, evidence: bundleEv(e.bundle, wrongDigest),
			wantStatus: sdk.StatusFail, wantReason: []string{"evidence 1", "dist/libvmaf.so.sigstore.json", "does not match digest"}, wantLast: "host verification", wantEvOK: []bool{false},
		},
		{
			name: "pass with a bundle of another artifact", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusPass, evidence: bundleEv(e.otherBundle, e.digest),
			wantStatus: sdk.StatusFail, wantReason: []string{"evidence 1", "does not match digest"}, wantLast: "host verification", wantEvOK: []bool{false},
		},
		{
			name: "second evidence bound elsewhere fails the whole", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusPass, evidence: append(bundleEv(e.bundle, e.digest), bundleEv(e.otherBundle, e.digest)...),
			wantStatus: sdk.StatusFail, wantReason: []string{"evidence 2"}, wantLast: "host verification", wantEvOK: []bool{true, false},
		},
		{
			name: "evidence for another digest that it does bind", art: artifact([]trust.Identity{releaseID("release")}, 1),
			// Valid evidence, but for another artifact: the host cannot know
			// the digest is wrong; the plugin is trusted for that binding.
			status: sdk.StatusPass, evidence: bundleEv(e.otherBundle, otherDigest),
			wantStatus: sdk.StatusPass, wantSigner: true, wantLast: "host verification", wantEvOK: []bool{true},
		},
		{
			name: "pass with garbage bundle", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusPass, evidence: bundleEv([]byte(`{"not":"a bundle"`), e.digest),
			wantStatus: sdk.StatusFail, wantReason: []string{"evidence 1", "not valid"}, wantLast: "host verification", wantEvOK: []bool{false},
		},
		{
			name: "pass with empty bundle", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusPass, evidence: bundleEv(nil, e.digest),
			wantStatus: sdk.StatusFail, wantReason: []string{"evidence 1"}, wantLast: "host verification", wantEvOK: []bool{false},
		},
		{
			name: "pass with no subject digest", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusPass, evidence: bundleEv(e.bundle, sdk.Digest{}),
			wantStatus: sdk.StatusFail, wantReason: []string{"no subject digest"}, wantLast: "host verification", wantEvOK: []bool{false},
		},
		{
			name: "pass with unknown evidence type", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusPass, evidence: []sdk.Evidence{{Type: sdk.EvidenceUnknown, Bundle: e.bundle, SubjectDigest: e.digest}},
			wantStatus: sdk.StatusFail, wantReason: []string{"unknown evidence type"}, wantLast: "host verification", wantEvOK: []bool{false},
		},
		{
			name: "pass with empty detached evidence", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusPass, evidence: emptyDetached,
			wantStatus: sdk.StatusFail, wantReason: []string{"evidence 1", "unnamed", "detached evidence"}, wantLast: "host verification", wantEvOK: []bool{false},
		},
		{
			name: "pass with detached evidence lacking its tlog entry", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusPass, evidence: []sdk.Evidence{noTlogDetached},
			wantStatus: sdk.StatusFail, wantReason: []string{"evidence 1", "(detached)", "transparency log"}, wantLast: "host verification", wantEvOK: []bool{false},
		},
		{
			name: "pass with complete detached evidence", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusPass, evidence: []sdk.Evidence{goodDetached},
			wantStatus: sdk.StatusPass, wantSigner: true, wantLast: "host verification", wantEvOK: []bool{true},
		},
		{
			name: "pass with detached evidence for another digest", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusPass, evidence: []sdk.Evidence{wrongDetached},
			wantStatus: sdk.StatusFail, wantReason: []string{"evidence 1", "does not match"}, wantLast: "host verification", wantEvOK: []bool{false},
		},
		{
			name: "wrong identity", art: artifact([]trust.Identity{{Name: "other", Issuer: issuer, Subject: "https://github.com/evil/evil/.github/workflows/x.yml@refs/heads/main"}}, 1),
			status: sdk.StatusPass, evidence: bundleEv(e.bundle, e.digest),
			wantStatus: sdk.StatusFail, wantReason: []string{"evidence 1", "identity"}, wantLast: "host verification", wantEvOK: []bool{false},
		},
		{
			name: "require 2 with one identity matched", art: artifact([]trust.Identity{releaseID("release"), {Name: "maintainer", Issuer: "https://accounts.google.com", Subject: "m@vmafx.dev"}}, 2),
			status: sdk.StatusPass, evidence: bundleEv(e.bundle, e.digest),
			wantStatus: sdk.StatusFail, wantReason: []string{"require = 2", "matched 1", "release"}, wantLast: "identities", wantEvOK: []bool{true},
		},
		{
			name: "key artifact with certificate evidence", art: func() *policy.Artifact { a := artifact(nil, 1); a.UseKey = true; return a }(),
			status: sdk.StatusPass, evidence: bundleEv(e.bundle, e.digest),
			wantStatus: sdk.StatusFail, wantReason: []string{"evidence 1"}, wantLast: "host verification", wantEvOK: []bool{false},
		},
		{
			name: "plugin fail passes through", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusFail, reason: "digest mismatch: expected aa, found bb", evidence: bundleEv(e.bundle, e.digest),
			wantStatus: sdk.StatusFail, wantReason: []string{"digest mismatch: expected aa, found bb"}, wantLast: "digest",
		},
		{
			name: "plugin error passes through", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusError, reason: "GET https://x: 503",
			wantStatus: sdk.StatusError, wantReason: []string{"GET https://x: 503"}, wantLast: "digest",
		},
		{
			name: "plugin fail without reason", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status:     sdk.StatusFail,
			wantStatus: sdk.StatusFail, wantReason: []string{"plugin gave no reason"}, wantLast: "digest",
		},
		{
			name: "unknown status is an error", art: artifact([]trust.Identity{releaseID("release")}, 1),
			status: sdk.StatusUnknown, evidence: bundleEv(e.bundle, e.digest),
			wantStatus: sdk.StatusError, wantReason: []string{"unknown status"}, wantLast: "digest",
		},
		{
			name: "opaque plugin cannot pass", art: artifact([]trust.Identity{releaseID("release")}, 1), opaque: true,
			status: sdk.StatusPass, evidence: bundleEv(e.bundle, e.digest),
			wantStatus: sdk.StatusFail, wantReason: []string{"opaque"}, wantLast: "host verification",
		},
		{
			name: "opaque plugin pinned passes on its word", art: artifact([]trust.Identity{releaseID("release")}, 1), opaque: true,
			pinned: strings.Repeat("ab", 32), status: sdk.StatusPass,
			wantStatus: sdk.StatusPass, wantLast: "host verification", wantWarn: []string{"alone: its evidence is opaque to the host (executable pinned to sha256 " + strings.Repeat("ab", 32)},
		},
		{
			name: "opaque plugin pinned fails on its word", art: artifact([]trust.Identity{releaseID("release")}, 1), opaque: true,
			pinned: strings.Repeat("ab", 32), status: sdk.StatusFail, reason: "rejected",
			wantStatus: sdk.StatusFail, wantReason: []string{"rejected"}, wantLast: "digest",
		},
		{
			name: "pinned plugin with Sigstore evidence is still verified", art: artifact([]trust.Identity{releaseID("release")}, 1),
			pinned: strings.Repeat("ab", 32), status: sdk.StatusPass, evidence: bundleEv(e.bundle, otherDigest),
			wantStatus: sdk.StatusFail, wantLast: "host verification", wantEvOK: []bool{false},
		},
		{
			name: "warnings kept", art: func() *policy.Artifact {
				a := artifact([]trust.Identity{releaseID("release")}, 1)
				a.Requirements.IgnoreTlog = true
				return a
			}(),
			status: sdk.StatusFail, reason: "x",
			diags:      []sdk.Diagnostic{{Severity: sdk.SeverityWarning, Summary: "old", Detail: "format"}, {Severity: sdk.SeverityError, Summary: "not a warning"}},
			wantStatus: sdk.StatusFail, wantReason: []string{"x"}, wantLast: "digest",
			wantWarn: []string{"INSECURE", "old format"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Plugin{Source: Source{Name: "blob-src", Pinned: tt.pinned}, Info: sdk.Info{Name: "blob", OpaqueEvidence: tt.opaque}}
			r := finalize(tt.art, p, e.material, "", tt.status, pluginChecks, tt.evidence, tt.reason, tt.diags)
			if r.Status != tt.wantStatus {
				t.Fatalf("status = %v (%s), want %v", r.Status, r.Reason, tt.wantStatus)
			}
			if r.Plugin != "blob" || r.Kind != "blob" || r.Name != "libvmaf" {
				t.Errorf("identity of result: %+v", r)
			}
			if tt.wantStatus == sdk.StatusPass && r.Reason != "" {
				t.Errorf("reason = %q on pass", r.Reason)
			}
			for _, w := range tt.wantReason {
				if !strings.Contains(r.Reason, w) {
					t.Errorf("reason %q lacks %q", r.Reason, w)
				}
			}
			if tt.wantSigner {
				if r.Signer != subject || r.SignerInfo == nil || r.SignerInfo.Issuer != issuer {
					t.Errorf("signer = %q %+v, want %q", r.Signer, r.SignerInfo, subject)
				}
			} else if tt.wantStatus != sdk.StatusPass && r.Status == sdk.StatusPass {
				t.Errorf("unexpected pass")
			}
			if len(r.Checks) == 0 || r.Checks[0] != pluginChecks[0] {
				t.Errorf("plugin checks not kept first: %+v", r.Checks)
			}
			if last := r.Checks[len(r.Checks)-1]; last.Name != tt.wantLast {
				t.Errorf("last check = %+v, want %q", last, tt.wantLast)
			} else if last.OK != (tt.wantStatus == sdk.StatusPass) && tt.wantLast != "digest" {
				t.Errorf("last check OK = %v on %v", last.OK, tt.wantStatus)
			}
			var evOK []bool
			for _, er := range r.Evidence {
				evOK = append(evOK, er.Verified)
				if er.Verified && (er.Signer != subject || len(er.Matched) == 0 || len(er.TimeSources) == 0 || er.Error != "") {
					t.Errorf("verified evidence report incomplete: %+v", er)
				}
				if !er.Verified && er.Error == "" {
					t.Errorf("failed evidence report has no error: %+v", er)
				}
			}
			if !reflect.DeepEqual(evOK, tt.wantEvOK) {
				t.Errorf("evidence verified = %v, want %v", evOK, tt.wantEvOK)
			}
			if len(r.Warnings) != len(tt.wantWarn) {
				t.Errorf("warnings = %q, want %d", r.Warnings, len(tt.wantWarn))
			}
			for i, w := range tt.wantWarn {
				if i < len(r.Warnings) && !strings.Contains(r.Warnings[i], w) {
					t.Errorf("warning %d = %q, want %q", i, r.Warnings[i], w)
				}
			}
		})
	}
}

func TestFinalizeDoesNotAliasPluginChecks(t *testing.T) {
	e := testEnv(t)
	checks := make([]sdk.Check, 1, 4)
	checks[0] = sdk.Check{Name: "digest", OK: true}
	p := &Plugin{Info: sdk.Info{Name: "blob"}}
	a := artifact([]trust.Identity{releaseID("release")}, 1)
	ev := []sdk.Evidence{{Type: sdk.EvidenceBundle, Bundle: e.bundle, SubjectDigest: e.digest}}
	r1 := finalize(a, p, e.material, "p1", sdk.StatusPass, checks, ev, "", nil)
	r2 := finalize(a, p, e.material, "p2", sdk.StatusPass, checks, nil, "", nil)
	if r1.Checks[1].Name != "host verification" || !r1.Checks[1].OK {
		t.Errorf("first result's host check overwritten: %+v", r1.Checks)
	}
	if r2.Status != sdk.StatusFail || r1.Part != "p1" || r2.Part != "p2" {
		t.Errorf("r1=%+v r2=%+v", r1, r2)
	}
}

// ---- verifyArtifact with a fake plugin connection --------------------------

type fakeRPC struct {
	res *sdk.Result
	err error
	got *sdk.Request
}

func (f *fakeRPC) Describe(context.Context) (sdk.Info, error) { return sdk.Info{}, nil }
func (f *fakeRPC) Configure(context.Context, []sdk.TrustRoot) ([]sdk.Diagnostic, error) {
	return nil, nil
}
func (f *fakeRPC) Verify(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
	f.got = req
	return f.res, f.err
}
func (f *fakeRPC) Progress(ctx context.Context, _ func(pluginclient.Progress)) error {
	<-ctx.Done()
	return nil
}

func TestVerifyArtifact(t *testing.T) {
	e := testEnv(t)
	good := sdk.Evidence{Type: sdk.EvidenceBundle, Bundle: e.bundle, SubjectDigest: e.digest}
	tests := []struct {
		name    string
		res     *sdk.Result
		err     error
		noPlug  bool
		noRoot  bool
		want    []string // "part:status"
		wantSub string   // substring of the first reason
	}{
		{
			name: "single pass", res: &sdk.Result{Status: sdk.StatusPass, Evidence: []sdk.Evidence{good}},
			want: []string{":pass"},
		},
		{
			name: "sub-results each verified, whole pass adds no row",
			res: &sdk.Result{Status: sdk.StatusPass, SubResults: []sdk.SubResult{
				{Name: "linux/amd64", Status: sdk.StatusPass, Evidence: []sdk.Evidence{good}},
				{Name: "linux/arm64", Status: sdk.StatusPass},
			}},
			want: []string{"linux/amd64:pass", "linux/arm64:fail"},
		},
		{
			name: "sub-results with failing whole",
			res: &sdk.Result{Status: sdk.StatusFail, Reason: "index unsigned", SubResults: []sdk.SubResult{
				{Name: "a", Status: sdk.StatusPass, Evidence: []sdk.Evidence{good}},
			}},
			want: []string{"a:pass", ":fail"},
		},
		{
			name: "gRPC error is an error", err: errors.New("transport is closing"),
			want: []string{":error"}, wantSub: `plugin "blob" crashed`,
		},
		{name: "no plugin", noPlug: true, want: []string{":error"}, wantSub: "no plugin serves"},
		{name: "no trust material", noRoot: true, want: []string{":error"}, wantSub: "was not loaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rpc := &fakeRPC{res: tt.res, err: tt.err}
			var p *Plugin
			if !tt.noPlug {
				// A plugin whose process "is still running": a nil client
				// reads as exited, so give it a stderr tail to quote.
				p = &Plugin{Info: sdk.Info{Name: "blob"}, rpc: rpc, stderr: newTailBuffer(64)}
			}
			m := e.material
			if tt.noRoot {
				m = nil
			}
			a := artifact([]trust.Identity{releaseID("release")}, 1)
			a.Attributes = map[string]any{"path": "/d/libvmaf.so"}
			a.UseKey = false
			rs := verifyArtifact(context.Background(), a, nil, p, m, "/policy/dir", true, time.Minute)
			var got []string
			for _, r := range rs {
				got = append(got, r.Part+":"+r.Status.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("results = %q, want %q (%+v)", got, tt.want, rs[0])
			}
			if tt.wantSub != "" && !strings.Contains(rs[0].Reason, tt.wantSub) {
				t.Errorf("reason %q lacks %q", rs[0].Reason, tt.wantSub)
			}
			if rpc.got != nil {
				req := rpc.got
				if req.Kind != "blob" || req.Name != "libvmaf" || req.Require != 1 || !req.Offline || req.PolicyDir != "/policy/dir" ||
					req.TrustRoot == nil || req.TrustRoot.Name != "test" || len(req.Identities) != 1 || req.Identities[0].Subject != subject ||
					string(req.Attributes) != `{"path":"/d/libvmaf.so"}` {
					t.Errorf("request = %+v", req)
				}
				if d := time.Until(req.Deadline); d <= 0 || d > time.Minute {
					t.Errorf("deadline %v from now, want within the timeout", d)
				}
			}
		})
	}
}

// TestReservedNamesRefused: a plugin schema may not take over the host's
// identity, require, trust_root or verification settings.
func TestReservedNamesRefused(t *testing.T) {
	for _, name := range []string{"identity", "identities", "require", "trust_root", "verification"} {
		attr := sdk.Info{Kinds: []sdk.KindSchema{{Kind: "k", Attributes: []sdk.Attribute{{Name: name, Type: sdk.TypeString}}}}}
		if err := checkReserved(attr); err == nil {
			t.Errorf("attribute %q accepted", name)
		}
		blk := sdk.Info{Kinds: []sdk.KindSchema{{Kind: "k", Blocks: []sdk.NestedBlock{{TypeName: name}}}}}
		if err := checkReserved(blk); err == nil {
			t.Errorf("block %q accepted", name)
		}
	}
	ok := sdk.Info{Kinds: []sdk.KindSchema{{Kind: "k", Attributes: []sdk.Attribute{{Name: "path", Type: sdk.TypePath}}}}}
	if err := checkReserved(ok); err != nil {
		t.Errorf("ordinary schema refused: %v", err)
	}
}

// progressRPC is a plugin whose verifications each report one transfer on
// its Progress stream, and one for an artifact that does not exist, and wait
// until the stream has passed both on.
type progressRPC struct {
	fakeRPC
	events  chan progressEvent
	stopped chan struct{} // closed when Progress returns
}

type progressEvent struct {
	p    pluginclient.Progress
	done chan struct{}
}

func (p *progressRPC) Verify(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	for _, name := range []string{req.Name, "ghost"} {
		ev := progressEvent{p: pluginclient.Progress{Kind: req.Kind, Name: name, Label: name + ".bin", Done: 1, Total: 2}, done: make(chan struct{})}
		p.events <- ev
		<-ev.done
	}
	return p.res, nil // concurrent calls: fakeRPC.Verify's bookkeeping is not safe for them
}

func (p *progressRPC) Progress(ctx context.Context, fn func(pluginclient.Progress)) error {
	defer close(p.stopped)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-p.events:
			fn(ev.p)
			close(ev.done)
		}
	}
}

// recordingSink is a ProgressSink that remembers what it heard.
type recordingSink struct {
	mu       sync.Mutex
	updates  map[string]int
	finished map[string]int
}

func (s *recordingSink) Update(p pluginclient.Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates[p.Kind+"."+p.Name]++
}

func (s *recordingSink) Finish(kind, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finished[kind+"."+name]++
}

// TestRunProgress: Run streams every plugin's progress into the sink while
// it lasts — only for the artifacts being verified — says when each artifact
// is done, and closes the streams before it returns.
func TestRunProgress(t *testing.T) {
	e := testEnv(t)
	good := sdk.Evidence{Type: sdk.EvidenceBundle, Bundle: e.bundle, SubjectDigest: e.digest}
	rpc := &progressRPC{
		fakeRPC: fakeRPC{res: &sdk.Result{Status: sdk.StatusPass, Evidence: []sdk.Evidence{good}}},
		events:  make(chan progressEvent), stopped: make(chan struct{}),
	}
	p := &Plugin{Info: sdk.Info{Name: "blob"}, rpc: rpc, stderr: newTailBuffer(64)}
	set := &Set{Plugins: []*Plugin{p}, byKind: map[string]*Plugin{"blob": p}}
	pol := &policy.Policy{Dir: "/policy"}
	for _, name := range []string{"a", "b", "c"} {
		a := artifact([]trust.Identity{releaseID("release")}, 1)
		a.Name = name
		pol.Artifacts = append(pol.Artifacts, a)
	}
	roots := &Roots{Materials: map[string]*trust.Material{"test": e.material}}
	sink := &recordingSink{updates: map[string]int{}, finished: map[string]int{}}

	results := Run(context.Background(), pol, set, roots, Options{Jobs: 2, Offline: true, Progress: sink})
	for _, r := range results {
		if r.Status != sdk.StatusPass {
			t.Fatalf("%s: %s %s", r.ID(), r.Status, r.Reason)
		}
	}
	select {
	case <-rpc.stopped:
	default:
		t.Fatal("the progress stream is still open after Run returned")
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	want := map[string]int{"blob.a": 1, "blob.b": 1, "blob.c": 1}
	if !reflect.DeepEqual(sink.finished, want) {
		t.Errorf("finished %v, want %v", sink.finished, want)
	}
	// Each artifact's report arrived while it ran; the reports for an
	// artifact the policy does not have were dropped.
	if !reflect.DeepEqual(sink.updates, want) {
		t.Errorf("updates %v, want %v", sink.updates, want)
	}
}
