package dashboard

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Diagnose says, in short phrases, why pod is not serving: its phase, deletion, every container that is
// not ready with its state, and the failed conditions that say more (Unschedulable, …).
func Diagnose(pod *corev1.Pod) []string {
	phase := string(pod.Status.Phase)
	if phase == "" {
		phase = "unknown"
	}
	reasons := []string{"phase " + phase}
	if pod.Status.Reason != "" {
		reasons[0] += " (" + oneLine(pod.Status.Reason, pod.Status.Message) + ")"
	}
	if pod.DeletionTimestamp != nil {
		reasons = append(reasons, "being deleted")
	}
	for _, st := range pod.Status.InitContainerStatuses {
		if st.State.Terminated != nil && st.State.Terminated.ExitCode == 0 {
			continue // finished init containers are fine
		}
		if st.Ready {
			continue // a running native sidecar
		}
		reasons = append(reasons, fmt.Sprintf("init container %s %s", st.Name, containerState(st)))
	}
	for _, st := range pod.Status.ContainerStatuses {
		if st.Ready {
			continue
		}
		reasons = append(reasons, fmt.Sprintf("container %s %s", st.Name, containerState(st)))
	}
	for _, c := range pod.Status.Conditions {
		if c.Status == corev1.ConditionTrue || c.Reason == "" {
			continue
		}
		// Ready=False and ContainersReady=False repeat what the container states say; keep the others.
		if (c.Type == corev1.PodReady || c.Type == corev1.ContainersReady) && c.Reason == "ContainersNotReady" {
			continue
		}
		reasons = append(reasons, fmt.Sprintf("%s=%s (%s)", c.Type, c.Status, oneLine(c.Reason, c.Message)))
	}
	if len(reasons) == 1 && len(pod.Status.ContainerStatuses) == 0 && pod.Status.Phase == corev1.PodPending {
		reasons = append(reasons, "no container started yet")
	}
	return reasons
}

func containerState(st corev1.ContainerStatus) string {
	var s string
	switch {
	case st.State.Waiting != nil:
		s = "waiting"
		if w := st.State.Waiting; w.Reason != "" {
			s += " (" + oneLine(w.Reason, w.Message) + ")"
		}
	case st.State.Terminated != nil:
		t := st.State.Terminated
		s = fmt.Sprintf("terminated with exit code %d", t.ExitCode)
		if t.Reason != "" {
			s += " (" + oneLine(t.Reason, t.Message) + ")"
		}
	case st.State.Running != nil:
		s = "running but not ready"
	default:
		s = "in no known state"
	}
	if st.RestartCount > 0 {
		s += fmt.Sprintf(", %d restarts", st.RestartCount)
	}
	return s
}

// oneLine joins a reason and a message and keeps the result on one short line: messages can hold whole
// stack traces.
func oneLine(reason, message string) string {
	s := reason
	if message != "" {
		s += ": " + message
	}
	s = strings.Join(strings.Fields(s), " ")
	const max = 160
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}
