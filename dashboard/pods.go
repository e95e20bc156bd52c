package dashboard

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/kubectl/pkg/util/podutils"
)

// FindPod returns the best running, ready pod matching the first of selectors that matches any pod in
// namespace. With no pod at all it returns a *NotFoundError naming every selector tried and installHint;
// with pods that are not usable, a *NotReadyError that diagnoses the best of them.
func FindPod(ctx context.Context, client kubernetes.Interface, namespace string, selectors []string, installHint string) (*corev1.Pod, error) {
	for _, sel := range selectors {
		if _, err := labels.Parse(sel); err != nil {
			return nil, &SelectorError{Selector: sel, Err: err}
		}
		list, err := client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			return nil, fmt.Errorf("list pods with selector %q in namespace %s: %w", sel, namespace, err)
		}
		if len(list.Items) == 0 {
			continue
		}
		pods := make([]*corev1.Pod, len(list.Items))
		for i := range list.Items {
			pods[i] = &list.Items[i]
		}
		// kubectl's order for "which pod to read logs from" is the right one here too: scheduled, Running,
		// Ready, ready for longest, fewest restarts. Terminating pods go last: they are about to vanish.
		sort.SliceStable(pods, func(i, j int) bool {
			if (pods[i].DeletionTimestamp == nil) != (pods[j].DeletionTimestamp == nil) {
				return pods[i].DeletionTimestamp == nil
			}
			return podutils.ByLogging(pods).Less(i, j)
		})
		if err := Usable(pods[0]); err != nil {
			if nr, ok := err.(*NotReadyError); ok {
				nr.Selector, nr.Others = sel, len(pods)-1
			}
			return nil, err
		}
		return pods[0], nil
	}
	return nil, &NotFoundError{Namespace: namespace, Selectors: selectors, InstallHint: installHint}
}

// GetPod returns the named pod if it is running and ready, else a *PodNotFoundError or a *NotReadyError.
func GetPod(ctx context.Context, client kubernetes.Interface, ref PodRef) (*corev1.Pod, error) {
	pod, err := client.CoreV1().Pods(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &PodNotFoundError{Namespace: ref.Namespace, Name: ref.Name}
	}
	if err != nil {
		return nil, fmt.Errorf("get pod %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	if err := Usable(pod); err != nil {
		return nil, err
	}
	return pod, nil
}

// Usable says whether a port can be forwarded to pod with a useful result: it is Running, Ready and not
// being deleted. Otherwise it returns a *NotReadyError saying why.
func Usable(pod *corev1.Pod) error {
	if pod.DeletionTimestamp == nil && pod.Status.Phase == corev1.PodRunning && podutils.IsPodReady(pod) {
		return nil
	}
	return &NotReadyError{Namespace: pod.Namespace, Name: pod.Name, Reasons: Diagnose(pod)}
}

// HasContainer reports whether pod runs a container (or a native sidecar init container) called name.
func HasContainer(pod *corev1.Pod, name string) bool {
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return true
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			return true
		}
	}
	return false
}
