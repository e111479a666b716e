package workloads

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kind is which of a pod's container lists a container is in.
type Kind string

const (
	KindContainer Kind = "container"
	KindInit      Kind = "init"
	KindEphemeral Kind = "ephemeral"
)

// Owner is what a pod belongs to: its controller (ReplicaSet, Job,
// StatefulSet, DaemonSet, …), or the pod itself when it has none.
type Owner struct {
	Kind string
	Name string
}

func (o Owner) String() string { return o.Kind + "/" + o.Name }

// Container is one container of one pod, as the cluster reports it.
type Container struct {
	Namespace string
	Pod       string
	Name      string
	Kind      Kind
	Owner     Owner
	// Image is the spec's image (often a tag); ImageID what the runtime
	// reports running, from which Running comes.
	Image   string
	ImageID string
	// State is "running", "waiting: REASON", "terminated: REASON" or "not
	// started" (no status yet).
	State   string
	Running Running
	// Err is why the container has no digest to verify: not started, or an
	// image ID without a repository digest (ErrNoRepoDigest).
	Err error
}

// Containers lists every container, init container and ephemeral
// container of pod, with the digest its status reports. The spec's image
// is kept for the report: what is verified is the status's digest.
func Containers(pod *corev1.Pod) []Container {
	owner := Owner{Kind: "Pod", Name: pod.Name}
	if ref := metav1.GetControllerOf(pod); ref != nil {
		owner = Owner{Kind: ref.Kind, Name: ref.Name}
	}
	var out []Container
	add := func(kind Kind, name, image string, statuses []corev1.ContainerStatus) {
		c := Container{Namespace: pod.Namespace, Pod: pod.Name, Name: name, Kind: kind, Owner: owner, Image: image}
		st := statusOf(statuses, name)
		c.State = stateOf(st)
		switch {
		case st == nil || st.ImageID == "":
			c.Err = fmt.Errorf("%s %q of pod %s/%s has not started: no image ID reported yet", kind, name, pod.Namespace, pod.Name)
		default:
			c.ImageID = st.ImageID
			c.Running, c.Err = ParseImageID(st.ImageID)
		}
		out = append(out, c)
	}
	for _, c := range pod.Spec.InitContainers {
		add(KindInit, c.Name, c.Image, pod.Status.InitContainerStatuses)
	}
	for _, c := range pod.Spec.Containers {
		add(KindContainer, c.Name, c.Image, pod.Status.ContainerStatuses)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		add(KindEphemeral, c.Name, c.Image, pod.Status.EphemeralContainerStatuses)
	}
	return out
}

func statusOf(statuses []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	for i := range statuses {
		if statuses[i].Name == name {
			return &statuses[i]
		}
	}
	return nil
}

func stateOf(st *corev1.ContainerStatus) string {
	switch {
	case st == nil:
		return "not started"
	case st.State.Running != nil:
		return "running"
	case st.State.Waiting != nil:
		return "waiting: " + st.State.Waiting.Reason
	case st.State.Terminated != nil:
		return "terminated: " + st.State.Terminated.Reason
	}
	return "unknown"
}
