package installer

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// NotReady explains why one object is not ready: what its controller says, what each of its pods says
// (phase, why it is not scheduled or its containers wait) and the warnings the cluster recorded.
type NotReady struct {
	Object string `json:"object"`
	Reason string `json:"reason"`
	Pods   []Pod  `json:"pods,omitempty"`
	// Events are the object's recent warning events ("FailedCreate: ...").
	Events []string `json:"events,omitempty"`
}

// Pod is one not-ready pod of a workload.
type Pod struct {
	Name  string `json:"name"`
	Phase string `json:"phase"`
	// Reason is the most telling cause: Unschedulable, ImagePullBackOff, CrashLoopBackOff...
	Reason  string   `json:"reason,omitempty"`
	Message string   `json:"message,omitempty"`
	Events  []string `json:"events,omitempty"`
}

func (nr NotReady) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", nr.Object, nr.Reason)
	for _, e := range nr.Events {
		b.WriteString("\n  event: " + e)
	}
	for _, p := range nr.Pods {
		fmt.Fprintf(&b, "\n  pod %s: %s", p.Name, p.Phase)
		if p.Reason != "" {
			b.WriteString(", " + p.Reason)
		}
		if p.Message != "" {
			b.WriteString(": " + p.Message)
		}
		for _, e := range p.Events {
			b.WriteString("\n    event: " + e)
		}
	}
	return b.String()
}

// maxPods and maxEvents keep a diagnosis readable on a large failing DaemonSet.
const (
	maxPods   = 5
	maxEvents = 3
)

// diagnose collects why r is not ready. It never fails: what it cannot read it leaves out.
func (c *Clients) diagnose(ctx context.Context, r readyCheck, reason string) NotReady {
	nr := NotReady{Object: r.key(), Reason: reason}
	if nr.Reason == "" {
		nr.Reason = "not ready"
	}
	var selector *metav1.LabelSelector
	switch r.Kind {
	case "Deployment":
		d, err := c.Kube.AppsV1().Deployments(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
		if err != nil {
			return nr
		}
		selector = d.Spec.Selector
		for _, cond := range d.Status.Conditions {
			if cond.Type == appsv1.DeploymentReplicaFailure && cond.Status == corev1.ConditionTrue {
				nr.Events = append(nr.Events, cond.Reason+": "+cond.Message)
			}
		}
		nr.Events = append(nr.Events, c.replicaSetEvents(ctx, r.Namespace, selector)...)
	case "DaemonSet":
		d, err := c.Kube.AppsV1().DaemonSets(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
		if err != nil {
			return nr
		}
		selector = d.Spec.Selector
	case "StatefulSet":
		s, err := c.Kube.AppsV1().StatefulSets(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
		if err != nil {
			return nr
		}
		selector = s.Spec.Selector
	}
	nr.Events = append(nr.Events, c.warningEvents(ctx, r.Namespace, r.Kind, r.Name)...)
	if selector != nil {
		nr.Pods = c.podDiagnoses(ctx, r.Namespace, selector)
	}
	return nr
}

func (c *Clients) podDiagnoses(ctx context.Context, namespace string, ls *metav1.LabelSelector) []Pod {
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return nil
	}
	pods, err := c.Kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil
	}
	sort.Slice(pods.Items, func(i, j int) bool { return pods.Items[i].Name < pods.Items[j].Name })
	var out []Pod
	for i := range pods.Items {
		p := &pods.Items[i]
		if podReady(p) || p.DeletionTimestamp != nil {
			continue
		}
		d := diagnosePod(p)
		for _, e := range c.warningEvents(ctx, namespace, "Pod", p.Name) {
			if !strings.Contains(e, d.Message) || d.Message == "" {
				d.Events = append(d.Events, e)
			}
		}
		out = append(out, d)
		if len(out) == maxPods {
			break
		}
	}
	return out
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// diagnosePod finds the most telling reason a pod is not ready: not scheduled, then a waiting or
// terminated container (init containers first: they run first), then a failing readiness gate.
func diagnosePod(p *corev1.Pod) Pod {
	d := Pod{Name: p.Name, Phase: string(p.Status.Phase)}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			d.Reason, d.Message = c.Reason, c.Message
			return d
		}
	}
	statuses := append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	for _, cs := range statuses {
		switch {
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "" && cs.State.Waiting.Reason != "PodInitializing":
			d.Reason = cs.State.Waiting.Reason
			d.Message = "container " + cs.Name
			if cs.State.Waiting.Message != "" {
				d.Message += ": " + cs.State.Waiting.Message
			}
			return d
		case cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0:
			d.Reason = cs.State.Terminated.Reason
			d.Message = fmt.Sprintf("container %s exited with code %d", cs.Name, cs.State.Terminated.ExitCode)
			return d
		case cs.State.Running != nil && !cs.Ready:
			d.Reason = "ContainerNotReady"
			d.Message = "container " + cs.Name + " is running but its readiness probe fails"
		}
	}
	if d.Reason == "" {
		for _, c := range p.Status.Conditions {
			if c.Status == corev1.ConditionFalse && c.Reason != "" {
				d.Reason, d.Message = c.Reason, c.Message
				break
			}
		}
	}
	return d
}

// replicaSetEvents are the warnings of a Deployment's ReplicaSets, where pod creation failures
// (FailedCreate: a quota, a webhook that denied the pod) are recorded.
func (c *Clients) replicaSetEvents(ctx context.Context, namespace string, ls *metav1.LabelSelector) []string {
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return nil
	}
	rsList, err := c.Kube.AppsV1().ReplicaSets(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil
	}
	var out []string
	for _, rs := range rsList.Items {
		out = append(out, c.warningEvents(ctx, namespace, "ReplicaSet", rs.Name)...)
	}
	return out
}

// warningEvents are the newest warning events about one object, "Reason: message", at most maxEvents.
func (c *Clients) warningEvents(ctx context.Context, namespace, kind, name string) []string {
	fs := fields.Set{"involvedObject.kind": kind, "involvedObject.name": name, "type": corev1.EventTypeWarning}
	if namespace != "" {
		fs["involvedObject.namespace"] = namespace
	}
	list, err := c.Kube.CoreV1().Events(namespace).List(ctx, metav1.ListOptions{FieldSelector: fields.SelectorFromSet(fs).String()})
	if err != nil {
		return nil
	}
	items := list.Items
	sort.Slice(items, func(i, j int) bool { return eventTime(&items[i]).After(eventTime(&items[j]).Time) })
	var out []string
	for i := range items {
		if len(out) == maxEvents {
			break
		}
		out = append(out, items[i].Reason+": "+strings.TrimSpace(items[i].Message))
	}
	return out
}

func eventTime(e *corev1.Event) metav1.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp
	case !e.EventTime.IsZero():
		return metav1.Time{Time: e.EventTime.Time}
	}
	return e.CreationTimestamp
}
