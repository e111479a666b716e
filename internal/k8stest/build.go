// Package k8stest runs a real etcd and kube-apiserver on loopback for
// tests: no kubelet and no controllers, so tests write pods and their
// status themselves. The binaries are built from pinned module versions
// (the upstream go.mod files carry replace directives, so `go install` is
// refused: a throw-away module requires k8s.io/kubernetes and replaces each
// staging module by its published version) and cached in a directory.
package k8stest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Pinned versions: kube-apiserver and the staging modules it is built
// with; etcd is the one k8s.io/kubernetes requires.
const (
	KubernetesVersion = "1.37.2"
	stagingVersion    = "0.37.2"
)

// stagingModules are k8s.io/kubernetes's staging repositories, which its
// go.mod requires at v0.0.0 and replaces with local paths.
var stagingModules = []string{
	"api", "apiextensions-apiserver", "apimachinery", "apiserver", "cli-runtime", "client-go", "cloud-provider",
	"cluster-bootstrap", "code-generator", "component-base", "component-helpers", "controller-manager", "cri-api",
	"cri-client", "cri-streaming", "csi-translation-lib", "dynamic-resource-allocation", "endpointslice",
	"externaljwt", "kms", "kube-aggregator", "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubectl",
	"kubelet", "metrics", "mount-utils", "pod-security-admission", "sample-apiserver", "sample-cli-plugin",
	"sample-controller", "streaming",
}

// Binaries are the built etcd and kube-apiserver.
type Binaries struct {
	Etcd      string
	APIServer string
}

// EnvBinDir overrides where the binaries are cached.
const EnvBinDir = "VMAFX_TRUST_K8S_BIN_DIR"

// stamp names what a cache directory holds; a directory built for other
// versions is rebuilt.
var stamp = "kube-apiserver v" + KubernetesVersion + " staging v" + stagingVersion + "\n"

// Cached returns the binaries in dir when they were built for the pinned
// versions.
func Cached(dir string) (Binaries, bool) {
	b := Binaries{Etcd: filepath.Join(dir, "etcd"), APIServer: filepath.Join(dir, "kube-apiserver")}
	got, err := os.ReadFile(filepath.Join(dir, "VERSION"))
	if err != nil || string(got) != stamp {
		return b, false
	}
	for _, p := range []string{b.Etcd, b.APIServer} {
		if st, err := os.Stat(p); err != nil || st.Mode()&0o111 == 0 {
			return b, false
		}
	}
	return b, true
}

// Build returns the cached binaries in dir, building them first when they
// are missing. Cold, the build takes 10–25 minutes on 2 cores and ~3 GB of
// memory; with a warm Go build cache, ~20 s. Progress goes to log.
func Build(ctx context.Context, dir string, log io.Writer) (Binaries, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return Binaries{}, err
	}
	if b, ok := Cached(dir); ok {
		return b, nil
	}
	work, err := os.MkdirTemp("", "k8sbins-")
	if err != nil {
		return Binaries{}, err
	}
	defer os.RemoveAll(work)
	if err := writeModule(work); err != nil {
		return Binaries{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Binaries{}, err
	}
	b := Binaries{Etcd: filepath.Join(dir, "etcd"), APIServer: filepath.Join(dir, "kube-apiserver")}
	v := "k8s.io/component-base/version"
	minor := strings.Split(KubernetesVersion, ".")[1]
	steps := [][]string{
		{"mod", "tidy"},
		{"build", "-o", b.Etcd, "-ldflags", "-s -w", "go.etcd.io/etcd/server/v3"},
		// Without the version flags the server reports a version kubectl
		// cannot parse.
		{"build", "-o", b.APIServer, "-ldflags", fmt.Sprintf("-s -w -X %[1]s.gitVersion=v%[2]s -X %[1]s.gitMajor=1 -X %[1]s.gitMinor=%[3]s -X %[1]s.gitTreeState=clean", v, KubernetesVersion, minor),
			"k8s.io/kubernetes/cmd/kube-apiserver"},
	}
	for _, args := range steps {
		fmt.Fprintf(log, "k8stest: go %s\n", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return Binaries{}, fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "VERSION"), []byte(stamp), 0o644); err != nil {
		return Binaries{}, err
	}
	if _, ok := Cached(dir); !ok {
		return Binaries{}, errors.New("the built binaries are not where they were written")
	}
	return b, nil
}

func writeModule(dir string) error {
	var gomod strings.Builder
	fmt.Fprintf(&gomod, "module local/k8sbins\n\ngo 1.26.8\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n", KubernetesVersion)
	for _, m := range stagingModules {
		fmt.Fprintf(&gomod, "\tk8s.io/%s => k8s.io/%s v%s\n", m, m, stagingVersion)
	}
	gomod.WriteString(")\n")
	tools := "//go:build tools\n\npackage tools\n\nimport (\n\t_ \"go.etcd.io/etcd/server/v3/etcdmain\"\n\t_ \"k8s.io/kubernetes/cmd/kube-apiserver/app\"\n)\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "tools.go"), []byte(tools), 0o644)
}

// BinDir is where tests find the binaries: $VMAFX_TRUST_K8S_BIN_DIR, else
// build/k8s in the repository (where `make k8s-bins` builds them).
func BinDir() string {
	if d := os.Getenv(EnvBinDir); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "build", "k8s")
}
