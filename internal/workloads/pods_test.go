package workloads

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestContainers(t *testing.T) {
	yes := true
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "app-7d9f-x2", Namespace: "vmafx", OwnerReferences: []metav1.OwnerReference{
			{Kind: "Node", Name: "n1"}, // not the controller
			{Kind: "ReplicaSet", Name: "app-7d9f", Controller: &yes},
		}},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "migrate", Image: "ghcr.io/vmafx/migrate:1"}},
			Containers: []corev1.Container{
				{Name: "app", Image: "ghcr.io/vmafx/vmafx:1.4.0"},
				{Name: "local", Image: "vmafx:dev"},
				{Name: "pending", Image: "ghcr.io/vmafx/sidecar:2"},
			},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "busybox:1"}}},
		},
		Status: corev1.PodStatus{
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "migrate", ImageID: "ghcr.io/vmafx/migrate@sha256:" + hex64,
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed"}}}},
			ContainerStatuses: []corev1.ContainerStatus{
				// The spec says 1.4.0; the status reports the digest that runs.
				{Name: "app", ImageID: "docker-pullable://ghcr.io/vmafx/vmafx@sha256:" + hex64, State: running},
				{Name: "local", ImageID: "sha256:" + hex64, State: running},
				{Name: "pending", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}},
			},
			EphemeralContainerStatuses: []corev1.ContainerStatus{{Name: "debug", ImageID: "docker.io/library/busybox@sha256:" + hex64, State: running}},
		},
	}
	got := Containers(pod)
	want := []struct {
		name  string
		kind  Kind
		state string
		repo  string
		err   string
	}{
		{"migrate", KindInit, "terminated: Completed", "ghcr.io/vmafx/migrate", ""},
		{"app", KindContainer, "running", "ghcr.io/vmafx/vmafx", ""},
		{"local", KindContainer, "running", "", "no repository digest"},
		{"pending", KindContainer, "waiting: ImagePullBackOff", "", "has not started"},
		{"debug", KindEphemeral, "running", "index.docker.io/library/busybox", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d containers, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		c := got[i]
		if c.Name != w.name || c.Kind != w.kind || c.State != w.state || c.Owner != (Owner{Kind: "ReplicaSet", Name: "app-7d9f"}) || c.Namespace != "vmafx" || c.Pod != "app-7d9f-x2" {
			t.Errorf("container %d: %+v, want %s %s %q owned by ReplicaSet/app-7d9f", i, c, w.kind, w.name, w.state)
		}
		switch {
		case w.err == "" && (c.Err != nil || c.Running.Repository != w.repo || c.Running.Digest != "sha256:"+hex64):
			t.Errorf("%s: running %+v, err %v; want %s", w.name, c.Running, c.Err, w.repo)
		case w.err != "" && (c.Err == nil || !strings.Contains(c.Err.Error(), w.err)):
			t.Errorf("%s: err %v, want one containing %q", w.name, c.Err, w.err)
		}
	}
	if !errors.Is(got[2].Err, ErrNoRepoDigest) {
		t.Errorf("a bare sha256 image ID is not ErrNoRepoDigest: %v", got[2].Err)
	}
	if got[1].Image != "ghcr.io/vmafx/vmafx:1.4.0" {
		t.Errorf("the spec's image is not kept for the report: %q", got[1].Image)
	}

	bare := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "solo", Namespace: "default"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}
	if cs := Containers(bare); len(cs) != 1 || cs[0].Owner != (Owner{Kind: "Pod", Name: "solo"}) || cs[0].State != "not started" || cs[0].Err == nil {
		t.Errorf("bare pod: %+v", cs)
	}
}
