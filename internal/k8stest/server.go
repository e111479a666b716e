package k8stest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Token is the static bearer token of the server's admin (group
// system:masters).
const Token = "vmafx-trust-test-admin-0123456789abcdef"

// Server is a running etcd + kube-apiserver.
type Server struct {
	// URL is the API server's https://127.0.0.1:PORT.
	URL string
	// CA is the PEM certificate the serving certificate chains to.
	CA []byte
	// Kubeconfig is a kubeconfig file for the admin (context "test").
	Kubeconfig string
	dir        string
}

// Start runs etcd and kube-apiserver on free loopback ports until the test
// ends: kube-apiserver with RBAC, the static admin Token, a self-made CA and
// service-account key, no ServiceAccount admission (no controller makes
// "default" service accounts), and no endpoint reconciler (it refuses a
// loopback address). It fails the test when the server is not ready within
// two minutes.
func Start(t testing.TB, b Binaries) *Server {
	t.Helper()
	s := &Server{dir: t.TempDir()}
	pki, err := s.writePKI()
	if err != nil {
		t.Fatal(err)
	}
	ports := freePorts(t, 3)
	client, peer, secure := ports[0], ports[1], ports[2]
	etcd := s.run(t, b.Etcd, "etcd.log",
		"--name", "test", "--data-dir", filepath.Join(s.dir, "etcd-data"),
		"--listen-client-urls", "http://127.0.0.1:"+client, "--advertise-client-urls", "http://127.0.0.1:"+client,
		"--listen-peer-urls", "http://127.0.0.1:"+peer, "--initial-advertise-peer-urls", "http://127.0.0.1:"+peer,
		"--initial-cluster", "test=http://127.0.0.1:"+peer, "--unsafe-no-fsync", "--log-level", "warn")
	s.waitFor(t, etcd, "etcd", "http://127.0.0.1:"+client+"/health", nil)
	api := s.run(t, b.APIServer, "apiserver.log",
		"--etcd-servers", "http://127.0.0.1:"+client,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", secure,
		"--endpoint-reconciler-type", "none",
		"--tls-cert-file", pki["apiserver.crt"], "--tls-private-key-file", pki["apiserver.key"],
		"--client-ca-file", pki["ca.crt"], "--token-auth-file", pki["tokens.csv"],
		"--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", pki["sa.pub"], "--service-account-signing-key-file", pki["sa.key"],
		"--service-cluster-ip-range", "10.96.0.0/24",
		"--disable-admission-plugins", "ServiceAccount", "--allow-privileged=true", "--v=1")
	s.URL = "https://127.0.0.1:" + secure
	s.waitFor(t, api, "kube-apiserver", s.URL+"/readyz", s.CA)
	s.Kubeconfig = filepath.Join(s.dir, "kubeconfig")
	if err := os.WriteFile(s.Kubeconfig, []byte(s.kubeconfig()), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// HTTPClient is a client that trusts the server's CA and sends the admin
// token.
func (s *Server) HTTPClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CA)
	return &http.Client{Timeout: 30 * time.Second, Transport: &tokenTransport{base: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
}

type tokenTransport struct{ base http.RoundTripper }

func (t *tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+Token)
	return t.base.RoundTrip(r)
}

func (s *Server) kubeconfig() string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: test-admin
  user:
    token: %s
contexts:
- name: test
  context: {cluster: test, user: test-admin, namespace: default}
current-context: test
`, s.URL, base64.StdEncoding.EncodeToString(s.CA), Token)
}

// run starts bin with args, its output in the log file; the test's end
// kills it.
func (s *Server) run(t testing.TB, bin, logName string, args ...string) *exec.Cmd {
	t.Helper()
	logf, err := os.Create(filepath.Join(s.dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited); logf.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	return cmd
}

// waitFor polls url until it answers 200, failing the test with the end of
// the process's log when it exits or two minutes pass.
func (s *Server) waitFor(t testing.TB, cmd *exec.Cmd, what, url string, ca []byte) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	if ca != nil {
		client = s.HTTPClient()
		client.Timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	logTail, _ := os.ReadFile(filepath.Join(s.dir, map[string]string{"etcd": "etcd.log", "kube-apiserver": "apiserver.log"}[what]))
	if len(logTail) > 4000 {
		logTail = logTail[len(logTail)-4000:]
	}
	t.Fatalf("%s is not ready at %s:\n%s", what, url, logTail)
}

func freePorts(t testing.TB, n int) []string {
	t.Helper()
	var ls []net.Listener
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// writePKI writes a CA, the serving certificate for 127.0.0.1 and
// localhost, the service-account key pair and the token file, and returns
// their paths by name.
func (s *Server) writePKI() (map[string]string, error) {
	dir := filepath.Join(s.dir, "pki")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vmafx-trust test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	s.CA = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	files := map[string][]byte{
		"ca.crt":        s.CA,
		"apiserver.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}),
		"apiserver.key": pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(srvKey)}),
		"sa.key":        pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)}),
		"sa.pub":        pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub}),
		"tokens.csv":    []byte(Token + ",test-admin,test-admin-uid,\"system:masters\"\n"),
	}
	paths := map[string]string{}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return nil, err
		}
		paths[name] = p
	}
	return paths, nil
}
