package workloads

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// PageSize is how many pods one LIST request asks for: a cluster-wide
// list is paginated rather than one response of every pod.
const PageSize = 500

// Scope says which pods to list: Namespace "" is every namespace (one
// cluster-wide LIST, paginated); Selector is a label selector.
type Scope struct {
	Namespace string
	Selector  string
	// PageSize is how many pods a LIST returns at most (0: PageSize).
	PageSize int64
}

// ListContainers lists the pods in scope, page by page, and returns their
// containers with each pod's owner resolved to the workload that manages
// it (a ReplicaSet's Deployment, a Job's CronJob).
func ListContainers(ctx context.Context, c kubernetes.Interface, scope Scope) ([]Container, error) {
	owners := newOwnerCache(c)
	var out []Container
	opts := metav1.ListOptions{LabelSelector: scope.Selector, Limit: PageSize}
	if scope.PageSize > 0 {
		opts.Limit = scope.PageSize
	}
	for {
		list, err := c.CoreV1().Pods(scope.Namespace).List(ctx, opts)
		if err != nil {
			return nil, refused(err, "list", "pods", scope.Namespace)
		}
		for i := range list.Items {
			pod := &list.Items[i]
			cs := Containers(pod)
			owner, err := owners.top(ctx, pod)
			if err != nil {
				return nil, err
			}
			for j := range cs {
				cs[j].Owner = owner
			}
			out = append(out, cs...)
		}
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// refused names the verb, resource and namespace the API server refused,
// so that RBAC can be fixed (kubectl auth can-i VERB RESOURCE -n NS).
func refused(err error, verb, resource, namespace string) error {
	where := "in every namespace"
	if namespace != "" {
		where = "in namespace " + namespace
	}
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		return fmt.Errorf("the API server refused to %s %s %s: %w", verb, resource, where, err)
	}
	return fmt.Errorf("%s %s %s: %w", verb, resource, where, err)
}

// ownerCache resolves controllers one level up (ReplicaSet → Deployment,
// Job → CronJob), reading each ReplicaSet or Job once.
type ownerCache struct {
	c    kubernetes.Interface
	seen map[string]Owner
}

func newOwnerCache(c kubernetes.Interface) *ownerCache {
	return &ownerCache{c: c, seen: map[string]Owner{}}
}

// top is the workload that manages pod: its controller, or that
// controller's own controller for a ReplicaSet or a Job; the pod itself
// when nothing controls it.
func (o *ownerCache) top(ctx context.Context, pod *corev1.Pod) (Owner, error) {
	ref := metav1.GetControllerOf(pod)
	if ref == nil {
		return Owner{Kind: "Pod", Name: pod.Name}, nil
	}
	owner := Owner{Kind: ref.Kind, Name: ref.Name}
	if ref.Kind != "ReplicaSet" && ref.Kind != "Job" {
		return owner, nil
	}
	key := pod.Namespace + "/" + ref.Kind + "/" + ref.Name
	if up, ok := o.seen[key]; ok {
		return up, nil
	}
	var meta metav1.Object
	var err error
	if ref.Kind == "ReplicaSet" {
		meta, err = o.c.AppsV1().ReplicaSets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	} else {
		meta, err = o.c.BatchV1().Jobs(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	}
	switch {
	case apierrors.IsNotFound(err):
		// Gone (or never there): the pod's own controller is all we know.
	case err != nil:
		return owner, refused(err, "get", map[string]string{"ReplicaSet": "replicasets", "Job": "jobs"}[ref.Kind], pod.Namespace)
	default:
		if up := metav1.GetControllerOf(meta); up != nil {
			owner = Owner{Kind: up.Kind, Name: up.Name}
		}
	}
	o.seen[key] = owner
	return owner, nil
}
