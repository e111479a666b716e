package image

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/vmafx/vmafx-trust/pkg/sdk"
	"github.com/vmafx/vmafx-trust/plugins/image/imagetest"
)

// snappyEncode writes the snappy block format: the first 8 bytes as a
// literal, then (for inputs that allow it) one 2-byte-offset copy of them,
// then the rest as literals of at most 64 KiB.
func snappyEncode(src []byte) []byte {
	var out []byte
	out = binary.AppendUvarint(out, uint64(len(src)))
	literal := func(b []byte) {
		for len(b) > 0 {
			n := min(len(b), 1<<16)
			switch {
			case n <= 60:
				out = append(out, byte(n-1)<<2)
			case n <= 256:
				out = append(out, 60<<2, byte(n-1))
			default:
				out = append(out, 61<<2, byte(n-1), byte((n-1)>>8))
			}
			out = append(out, b[:n]...)
			b = b[n:]
		}
	}
	if len(src) >= 16 && bytes.Equal(src[:8], src[8:16]) {
		literal(src[:8])
		out = append(out, byte(8-1)<<2|2, 8, 0) // copy 8 bytes from offset 8
		literal(src[16:])
		return out
	}
	literal(src)
	return out
}

func TestSnappyDecode(t *testing.T) {
	for _, in := range [][]byte{
		[]byte("abcdefghabcdefgh and then the rest of a bundle"),
		bytes.Repeat([]byte("x"), 70000),
		[]byte("short"),
	} {
		got, err := snappyDecode(snappyEncode(in), maxBlobSize)
		if err != nil || !bytes.Equal(got, in) {
			t.Errorf("round trip of %d bytes: %v", len(in), err)
		}
	}
	for name, bad := range map[string][]byte{
		"empty":        {},
		"too large":    binary.AppendUvarint(nil, maxBlobSize+1),
		"short":        append(binary.AppendUvarint(nil, 10), 4<<2, 'a'),
		"bad offset":   append(binary.AppendUvarint(nil, 8), 0<<2, 'a', 7<<2|2, 9, 0),
		"length short": append(binary.AppendUvarint(nil, 3), 0<<2, 'a'),
	} {
		if _, err := snappyDecode(bad, maxBlobSize); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestGitHubAttestationAPI: attestations GitHub keeps for a digest (inline,
// and behind a snappy-compressed bundle_url on another host, which gets no
// token) complete a registry signature; the token goes to the API only.
func TestGitHubAttestationAPI(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/cpu"
	digest := imagetest.PushRandom(t, repo+":v1")
	imagetest.AttachBundle(t, repo, imagetest.Subject(t, repo, digest), e.signStatement(t, digest), CosignSignPredicate, false)
	sbom := e.attest(t, digest, spdxType)
	prov := e.attest(t, digest, slsaType)

	var mu sync.Mutex
	var storageAuth, apiAuth []string
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		storageAuth = append(storageAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		_, _ = w.Write(snappyEncode(prov))
	}))
	defer storage.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		apiAuth = append(apiAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.URL.Path != "/repos/vmafx/vmafx/attestations/"+digest {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"attestations": []any{
			map[string]any{"bundle": json.RawMessage(sbom), "repository_id": 1},
			map[string]any{"bundle": nil, "bundle_url": strings.Replace(storage.URL, "127.0.0.1", "localhost", 1) + "/b"},
		}})
	}))
	defer api.Close()
	t.Setenv(EnvGitHubAPI, api.URL)
	t.Setenv("GH_TOKEN", "ghs_test")

	req := e.request(t, map[string]any{"ref": repo + ":v1", "attestations": []string{spdxType, slsaType}, "github_repository": "vmafx/vmafx"}, signerSAN)
	res := verify(t, New(), req)
	wantPass(t, req, res)
	if len(res.Evidence) != 3 {
		t.Errorf("%d evidence, want signature + 2 attestations", len(res.Evidence))
	}
	if len(apiAuth) != 1 || apiAuth[0] != "Bearer ghs_test" {
		t.Errorf("API saw Authorization %q", apiAuth)
	}
	if len(storageAuth) != 1 || storageAuth[0] != "" {
		t.Errorf("storage saw Authorization %q", storageAuth)
	}

	// Another repository has none: the SBOM is missing.
	req = e.request(t, map[string]any{"ref": repo + ":v1", "attestations": []string{spdxType}, "github_repository": "vmafx/other"}, signerSAN)
	wantFail(t, verify(t, New(), req), "no https://spdx.dev/Document attestation", "GitHub attestations API")
}

// TestUnreadablePlace: a referrers endpoint that refuses access does not
// hide a legacy signature; with nothing else, the part could not be
// checked (error), not failed.
func TestUnreadablePlace(t *testing.T) {
	e := newEnv(t)
	reg := imagetest.NewRegistry(t, true)
	repo := reg.Addr + "/vmafx/cpu"
	signed := imagetest.PushRandom(t, repo+":signed")
	imagetest.PushRandom(t, repo+":unsigned")
	e.legacySig(t, repo, "", signed)
	target, _ := url.Parse("http://" + reg.Addr)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/referrers/") {
			http.Error(w, "denied", http.StatusForbidden)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	host := strings.TrimPrefix(front.URL, "http://")
	p := New()
	req := e.request(t, map[string]any{"ref": host + "/vmafx/cpu:signed", "allow_reference_mismatch": true}, signerSAN)
	res := verify(t, p, req)
	wantPass(t, req, res)
	if len(res.Diagnostics) == 0 || !strings.Contains(res.Diagnostics[0].Summary, "could not read: referrers") {
		t.Errorf("no warning about the unreadable referrers: %+v", res.Diagnostics)
	}
	res = verify(t, p, e.request(t, map[string]any{"ref": host + "/vmafx/cpu:unsigned"}, signerSAN))
	if res.Status != sdk.StatusError || !strings.Contains(res.Reason, "could not read: referrers") {
		t.Errorf("unsigned behind an unreadable referrers API: %s %q", res.Status, res.Reason)
	}
}
