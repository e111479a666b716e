package k8stest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/vmafx/vmafx-trust/internal/workloads"
)

// TestServer: the harness's API server serves the pod API with RBAC and
// the status subresource (no kubelet runs, so a test writes a pod's
// status), refuses a request without the token, and a pod's status reaches
// workloads.Containers as the digest it runs.
func TestServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	start := time.Now()
	b, err := Build(ctx, BinDir(), testLog{t})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("binaries ready in %s", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	s := Start(t, b)
	t.Logf("etcd and kube-apiserver ready in %s", time.Since(start).Round(time.Millisecond))
	c := s.HTTPClient()

	do := func(method, path, contentType, body string, want int) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, out)
		}
		return out
	}
	const digest = "sha256:3f6f9a2b7c1d4e5f60718293a4b5c6d7e8f9012345678901234567890abcdef0"
	do(http.MethodPost, "/api/v1/namespaces/default/pods", "application/json",
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"app"},"spec":{"containers":[{"name":"app","image":"ghcr.io/vmafx/vmafx:1.4.0"}]}}`, http.StatusCreated)
	do(http.MethodPatch, "/api/v1/namespaces/default/pods/app/status", "application/merge-patch+json",
		`{"status":{"containerStatuses":[{"name":"app","image":"ghcr.io/vmafx/vmafx:1.4.0","imageID":"ghcr.io/vmafx/vmafx@`+digest+`","ready":true,"restartCount":0,"state":{"running":{}}}]}}`, http.StatusOK)
	var pod corev1.Pod
	if err := json.Unmarshal(do(http.MethodGet, "/api/v1/namespaces/default/pods/app", "", "", http.StatusOK), &pod); err != nil {
		t.Fatal(err)
	}
	cs := workloads.Containers(&pod)
	if len(cs) != 1 || cs[0].Err != nil || cs[0].Running.Ref() != "ghcr.io/vmafx/vmafx@"+digest || cs[0].State != "running" {
		t.Fatalf("containers %+v", cs)
	}

	// Without the token: 401, as for any anonymous client.
	anon := &http.Client{Transport: c.Transport.(*tokenTransport).base}
	resp, err := anon.Get(s.URL + "/api/v1/pods")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous list: %d, want 401 or 403", resp.StatusCode)
	}
	if kc, err := os.ReadFile(s.Kubeconfig); err != nil || !bytes.Contains(kc, []byte(s.URL)) {
		t.Errorf("kubeconfig %s does not name %s (%v)", s.Kubeconfig, s.URL, err)
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
