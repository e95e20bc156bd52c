package dashboard

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func pod(phase corev1.PodPhase, mutate func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "kiali-1", Namespace: "istio-system"},
		Status:     corev1.PodStatus{Phase: phase},
	}
	if mutate != nil {
		mutate(p)
	}
	return p
}

func readyCondition(s corev1.ConditionStatus) corev1.PodCondition {
	return corev1.PodCondition{Type: corev1.PodReady, Status: s}
}

func TestUsableAndDiagnose(t *testing.T) {
	now := metav1.Now()
	tests := []struct {
		name string
		pod  *corev1.Pod
		want string // "" means usable
	}{
		{
			name: "running and ready",
			pod: pod(corev1.PodRunning, func(p *corev1.Pod) {
				p.Status.Conditions = []corev1.PodCondition{readyCondition(corev1.ConditionTrue)}
			}),
		},
		{
			name: "unschedulable",
			pod: pod(corev1.PodPending, func(p *corev1.Pod) {
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
					Reason: "Unschedulable", Message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."}}
			}),
			want: "pod istio-system/kiali-1 is not ready: phase Pending; " +
				"PodScheduled=False (Unschedulable: 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.)",
		},
		{
			name: "image pull back-off",
			pod: pod(corev1.PodPending, func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "kiali", State: corev1.ContainerState{
					Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image \"quay.io/kiali/kiali:v0\""}}}}
				p.Status.Conditions = []corev1.PodCondition{
					{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: "containers with unready status: [kiali]"},
				}
			}),
			want: `pod istio-system/kiali-1 is not ready: phase Pending; container kiali waiting (ImagePullBackOff: Back-off pulling image "quay.io/kiali/kiali:v0")`,
		},
		{
			name: "crash loop",
			pod: pod(corev1.PodRunning, func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{
					{Name: "kiali", RestartCount: 4, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}},
					{Name: "sidecar", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
				}
			}),
			want: "pod istio-system/kiali-1 is not ready: phase Running; container kiali waiting (CrashLoopBackOff), 4 restarts",
		},
		{
			name: "running, readiness probe failing",
			pod: pod(corev1.PodRunning, func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "kiali", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
				p.Status.Conditions = []corev1.PodCondition{readyCondition(corev1.ConditionFalse)}
			}),
			want: "pod istio-system/kiali-1 is not ready: phase Running; container kiali running but not ready",
		},
		{
			name: "failed init container",
			pod: pod(corev1.PodPending, func(p *corev1.Pod) {
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{
					{Name: "done", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}},
					{Name: "istio-init", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error"}}},
				}
			}),
			want: "pod istio-system/kiali-1 is not ready: phase Pending; init container istio-init terminated with exit code 2 (Error)",
		},
		{
			name: "evicted",
			pod: pod(corev1.PodFailed, func(p *corev1.Pod) {
				p.Status.Reason, p.Status.Message = "Evicted", "The node was low on resource: memory."
			}),
			want: "pod istio-system/kiali-1 is not ready: phase Failed (Evicted: The node was low on resource: memory.)",
		},
		{
			name: "ready but terminating",
			pod: pod(corev1.PodRunning, func(p *corev1.Pod) {
				p.DeletionTimestamp = &now
				p.Status.Conditions = []corev1.PodCondition{readyCondition(corev1.ConditionTrue)}
			}),
			want: "pod istio-system/kiali-1 is not ready: phase Running; being deleted",
		},
		{
			name: "pending, nothing known yet",
			pod:  pod(corev1.PodPending, nil),
			want: "pod istio-system/kiali-1 is not ready: phase Pending; no container started yet",
		},
		{
			name: "no status at all",
			pod:  pod("", nil),
			want: "pod istio-system/kiali-1 is not ready: phase unknown",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Usable(tt.pod)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Usable = %v; want usable", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Usable = nil; want %q", tt.want)
			case tt.want != "" && err.Error() != tt.want:
				t.Fatalf("Usable =\n  %s\nwant\n  %s", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("message spans lines: %q", err)
			}
		})
	}
}

func TestOneLineCutsLongMessages(t *testing.T) {
	got := oneLine("Error", strings.Repeat("é stack\n\tframe ", 40))
	if strings.ContainsAny(got, "\n\t") || len([]rune(got)) != 161 || !strings.HasSuffix(got, "…") {
		t.Fatalf("oneLine = %q (%d runes)", got, len([]rune(got)))
	}
}

func TestHasContainer(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	p := &corev1.Pod{Spec: corev1.PodSpec{
		Containers:     []corev1.Container{{Name: "app"}},
		InitContainers: []corev1.Container{{Name: "istio-init"}, {Name: "istio-proxy", RestartPolicy: &always}},
	}}
	if !HasContainer(p, "app") || !HasContainer(p, "istio-proxy") || HasContainer(p, "istio-init") || HasContainer(p, "x") {
		t.Fatal("HasContainer: a container, a native sidecar yes; a plain init container, a missing one no")
	}
}
