package testenv

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// BenchmarkRealNodePodReady measures a pod's way from create to Ready on the real node (scheduling,
// sandbox, CNI, container start, readiness), and reports the RSS of the node's processes after it.
func BenchmarkRealNodePodReady(b *testing.B) {
	env := GetRealNode(b)
	ns := env.Namespace(b)
	image := env.BuildImages(b, Probe)[Probe.Name]
	cs := env.Client().CoreV1().Pods(ns)
	b.ResetTimer()
	for i := range b.N {
		pod := probePod(fmt.Sprintf("bench-%d", i), image, "sleep")
		if _, err := cs.Create(b.Context(), pod, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		err := wait.PollUntilContextTimeout(b.Context(), 20*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			p, err := cs.Get(ctx, pod.Name, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			for _, c := range p.Status.Conditions {
				if c.Type == "Ready" && c.Status == "True" {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			b.Fatalf("pod %s: %v", pod.Name, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/pod")
	for _, p := range env.Cluster.state.Procs {
		switch p.Name {
		case Containerd, Kubelet, KubeProxy:
			b.ReportMetric(rssMB(p.PID), string(p.Name)+"-MB")
		}
	}
}

// rssMB is a process's resident set size in MB, from /proc/PID/status.
func rssMB(pid int) float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1000
		}
	}
	return 0
}
