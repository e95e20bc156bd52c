package installer

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestDiagnosePod(t *testing.T) {
	tests := []struct {
		name       string
		pod        corev1.PodStatus
		wantReason string
		inMessage  string
	}{
		{"unschedulable", corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{
			Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/3 nodes are available"}}},
			"Unschedulable", "0/3 nodes"},
		{"image pull", corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "discovery", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image \"meshd:x\""}}}}},
			"ImagePullBackOff", "container discovery: Back-off pulling"},
		{"init container first", corev1.PodStatus{Phase: corev1.PodPending,
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "istio-init", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}},
			ContainerStatuses:     []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}}}},
			"CrashLoopBackOff", "istio-init"},
		{"crashed", corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "discovery", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 2}}}}},
			"Error", "exited with code 2"},
		{"probe failing", corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "discovery", Ready: false, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
			"ContainerNotReady", "readiness probe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := diagnosePod(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Status: tc.pod})
			if d.Reason != tc.wantReason || !strings.Contains(d.Message, tc.inMessage) {
				t.Errorf("got %+v, want reason %s and a message with %q", d, tc.wantReason, tc.inMessage)
			}
		})
	}
}

func TestDeploymentReady(t *testing.T) {
	dep := func(replicas int32, gen, observed int64, st appsv1.DeploymentStatus) *appsv1.Deployment {
		st.ObservedGeneration = observed
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Generation: gen}, Spec: appsv1.DeploymentSpec{Replicas: ptr.To(replicas)}, Status: st}
	}
	tests := []struct {
		name string
		d    *appsv1.Deployment
		ok   bool
		why  string
	}{
		{"ready", dep(2, 1, 1, appsv1.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}), true, ""},
		{"not observed", dep(1, 2, 1, appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1}), false, "not seen the new spec"},
		{"rolling", dep(2, 1, 1, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 2, AvailableReplicas: 2}), false, "1 old replicas"},
		{"unavailable", dep(1, 1, 1, appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1}), false, "0 of 1 replicas available"},
	}
	for _, tc := range tests {
		ok, why := deploymentReady(tc.d)
		if ok != tc.ok || !strings.Contains(why, tc.why) {
			t.Errorf("%s: %v %q, want %v %q", tc.name, ok, why, tc.ok, tc.why)
		}
	}
}

func TestChangedPaths(t *testing.T) {
	a := map[string]any{"spec": map[string]any{"replicas": int64(1), "template": map[string]any{"containers": []any{map[string]any{"image": "a"}}}}, "x": "same"}
	b := map[string]any{"spec": map[string]any{"replicas": int64(3), "template": map[string]any{"containers": []any{map[string]any{"image": "b"}}}}, "x": "same", "y": 1}
	got := changedPaths(a, b, 10)
	want := []string{"spec.replicas", "spec.template.containers[0].image", "y"}
	if !slices.Equal(got, want) {
		t.Errorf("changedPaths = %v, want %v", got, want)
	}
	if got := changedPaths(a, b, 1); len(got) != 1 {
		t.Errorf("limit 1: %v", got)
	}
}

func TestDeleteOrder(t *testing.T) {
	kinds := []string{"Namespace", "CustomResourceDefinition", "ClusterRole", "ConfigMap", "Deployment", "Pod", "IstioOperator", "ValidatingWebhookConfiguration"}
	slices.SortStableFunc(kinds, func(a, b string) int { return deleteRank(a) - deleteRank(b) })
	want := []string{"ValidatingWebhookConfiguration", "Deployment", "Pod", "IstioOperator", "ConfigMap", "ClusterRole", "CustomResourceDefinition", "Namespace"}
	if !slices.Equal(kinds, want) {
		t.Errorf("delete order %v, want %v", kinds, want)
	}
}

func TestFormatEvent(t *testing.T) {
	tests := []struct {
		e    Event
		want string
	}{
		{Event{Type: EventComponentDone, Message: "Istiod installed"}, "✔ Istiod installed"},
		{Event{Type: EventWarning, Message: "careful"}, "! careful"},
		{Event{Type: EventObject, Action: ActionCreated, Message: "created X"}, ""},
		{Event{Type: EventObject, Action: ActionPruned, Message: "pruned X"}, "  pruned X"},
		{Event{Type: EventWaiting, Message: "Waiting for X"}, ""},
		{Event{Type: EventComponentFailed, Message: "Istiod: not ready after 1s", NotReady: []NotReady{{Object: "Deployment/a/b", Reason: "0 of 1 replicas available",
			Pods: []Pod{{Name: "b-1", Phase: "Pending", Reason: "Unschedulable", Message: "no nodes"}}}}},
			"✘ Istiod: not ready after 1s\n  Deployment/a/b: 0 of 1 replicas available\n    pod b-1: Pending, Unschedulable: no nodes"},
	}
	for _, tc := range tests {
		if got := FormatEvent(tc.e, false); got != tc.want {
			t.Errorf("FormatEvent(%s) = %q, want %q", tc.e.Type, got, tc.want)
		}
	}
}

func TestForbiddenErrorGroupsVerbs(t *testing.T) {
	ps := []Permission{
		{Verb: "delete", Group: "apps", Resource: "deployments", Namespace: "istio-system"},
		{Verb: "create", Group: "apps", Resource: "deployments", Namespace: "istio-system"},
		{Verb: "patch", Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"},
	}
	sortPermissions(ps)
	msg := (&ForbiddenError{User: "bob", Denied: ps}).Error()
	for _, want := range []string{`user "bob"`, "\n  patch customresourcedefinitions.apiextensions.k8s.io at the cluster scope", "\n  create, delete deployments.apps in namespace istio-system"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}
