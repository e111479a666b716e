package workloads

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/vmafx/vmafx-trust/internal/k8stest"
)

func apiServer(t *testing.T) (*k8stest.Server, *rest.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	b, err := k8stest.Build(ctx, k8stest.BinDir(), os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	s := k8stest.Start(t, b)
	return s, &rest.Config{Host: s.URL, BearerToken: k8stest.Token, TLSClientConfig: rest.TLSClientConfig{CAData: s.CA}}
}

func controller(kind, name string) []metav1.OwnerReference {
	yes := true
	return []metav1.OwnerReference{{APIVersion: "v1", Kind: kind, Name: name, UID: types.UID(kind + "-" + name), Controller: &yes}}
}

func podSpec(image string, restart corev1.RestartPolicy) corev1.PodSpec {
	return corev1.PodSpec{RestartPolicy: restart, Containers: []corev1.Container{{Name: "main", Image: image}}}
}

// TestListContainers: against a real API server, pods of every namespace
// are listed page by page, each container's owner is the workload that
// manages it (a ReplicaSet's Deployment, a Job's CronJob, a StatefulSet,
// the pod itself), -n and -l narrow the list, and a service account
// without `list pods` gets an error naming what was refused.
func TestListContainers(t *testing.T) {
	_, cfg := apiServer(t)
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{"vmafx", "batch"} {
		must(c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	}
	labels := map[string]string{"app": "web"}
	must(c.AppsV1().ReplicaSets("vmafx").Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-7d9f", OwnerReferences: controller("Deployment", "web")},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec("ghcr.io/vmafx/vmafx:1.4.0", corev1.RestartPolicyAlways)}},
	}, metav1.CreateOptions{}))
	must(c.BatchV1().Jobs("batch").Create(ctx, &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly-29000000", OwnerReferences: controller("CronJob", "nightly")},
		Spec:       batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: podSpec("ghcr.io/vmafx/batch:1", corev1.RestartPolicyNever)}},
	}, metav1.CreateOptions{}))
	pods := []struct {
		ns, name string
		owner    []metav1.OwnerReference
		labels   map[string]string
	}{
		{"vmafx", "web-7d9f-a", controller("ReplicaSet", "web-7d9f"), labels},
		{"vmafx", "web-7d9f-b", controller("ReplicaSet", "web-7d9f"), labels},
		{"vmafx", "web-7d9f-c", controller("ReplicaSet", "web-7d9f"), labels},
		{"vmafx", "db-0", controller("StatefulSet", "db"), nil},
		{"vmafx", "debug", nil, nil},
		{"batch", "nightly-29000000-x", controller("Job", "nightly-29000000"), nil},
		{"batch", "orphan-z", controller("ReplicaSet", "gone"), nil},
	}
	for _, p := range pods {
		must(c.CoreV1().Pods(p.ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.name, Labels: p.labels, OwnerReferences: p.owner},
			Spec: podSpec("ghcr.io/vmafx/"+p.name+":1", corev1.RestartPolicyAlways)}, metav1.CreateOptions{}))
	}

	owners := func(cs []Container) []string {
		var out []string
		for _, x := range cs {
			out = append(out, x.Namespace+"/"+x.Pod+" "+x.Owner.String())
		}
		sort.Strings(out)
		return out
	}
	all, err := ListContainers(ctx, c, Scope{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"batch/nightly-29000000-x CronJob/nightly", "batch/orphan-z ReplicaSet/gone",
		"vmafx/db-0 StatefulSet/db", "vmafx/debug Pod/debug",
		"vmafx/web-7d9f-a Deployment/web", "vmafx/web-7d9f-b Deployment/web", "vmafx/web-7d9f-c Deployment/web",
	}
	if got := owners(all); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("all namespaces, pages of 2:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	web, err := ListContainers(ctx, c, Scope{Namespace: "vmafx", Selector: "app=web"})
	if err != nil || len(web) != 3 {
		t.Errorf("-n vmafx -l app=web: %d containers, %v; want 3", len(web), err)
	}

	// A service account with no role: refused, and the error says what.
	must(c.CoreV1().ServiceAccounts("vmafx").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "viewer"}}, metav1.CreateOptions{}))
	tok, err := c.CoreV1().ServiceAccounts("vmafx").CreateToken(ctx, "viewer", &authnv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	saCfg := rest.CopyConfig(cfg)
	saCfg.BearerToken = tok.Status.Token
	sa, err := kubernetes.NewForConfig(saCfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ListContainers(ctx, sa, Scope{Namespace: "vmafx"})
	if err == nil || !strings.Contains(err.Error(), "the API server refused to list pods in namespace vmafx") {
		t.Errorf("a service account without list pods: %v", err)
	}
}
