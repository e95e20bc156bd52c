package dashboard

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// watchPod returns a *PodGoneError once pod is deleted, replaced, being deleted or stopped, and nil when ctx
// ends first. The API server does not always close a port-forward stream when its pod dies (kwok never does,
// and a kubelet keeps it open through the grace period), so the session watches for itself.
func watchPod(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod) error {
	ns, name, uid := pod.Namespace, pod.Name, pod.UID
	byName := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = byName
			return client.CoreV1().Pods(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = byName
			return client.CoreV1().Pods(ns).Watch(ctx, o)
		},
	}
	var gone *PodGoneError
	check := func(p *corev1.Pod) bool {
		if what := goneState(p, uid); what != "" {
			gone = &PodGoneError{Namespace: ns, Name: name, What: what}
		}
		return gone != nil
	}
	precondition := func(store cache.Store) (bool, error) {
		obj, exists, err := store.GetByKey(ns + "/" + name)
		if err != nil {
			return false, err
		}
		if !exists {
			gone = &PodGoneError{Namespace: ns, Name: name, What: "was deleted"}
			return true, nil
		}
		p, ok := obj.(*corev1.Pod)
		return ok && check(p), nil
	}
	condition := func(ev watch.Event) (bool, error) {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok {
			return false, nil
		}
		if ev.Type == watch.Deleted {
			gone = &PodGoneError{Namespace: ns, Name: name, What: "was deleted"}
			return true, nil
		}
		return check(p), nil
	}
	_, err := watchtools.UntilWithSync(ctx, lw, &corev1.Pod{}, precondition, condition)
	if gone != nil {
		return gone
	}
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("watch pod %s/%s: %w", ns, name, err)
	}
	return nil
}

// goneState is "" while p is the pod being forwarded to and still serving, else what happened to it.
func goneState(p *corev1.Pod, uid types.UID) string {
	switch {
	case uid != "" && p.UID != uid:
		return "was replaced by a new pod of the same name"
	case p.DeletionTimestamp != nil:
		return "is being deleted"
	case p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed:
		return fmt.Sprintf("has stopped (phase %s)", p.Status.Phase)
	}
	return ""
}
