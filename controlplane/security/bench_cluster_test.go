package security

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/internal/testenv"
)

// BenchmarkPodCreationThroughInjector creates pods (dry run: admitted, injected, not stored) through the
// test cluster's API server and meshd's injector, and reports the p50 and p99 of the whole create call:
// run with -benchtime 1000x for the 1,000 pod creations of docs' figure.
func BenchmarkPodCreationThroughInjector(b *testing.B) {
	env := testenv.Get(b)
	_, _, appNS, _ := injectionCluster(b, env)
	pods := env.Client().CoreV1().Pods(appNS)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "reviews-", Labels: map[string]string{"app": "reviews", "version": "v1"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "reviews", Image: "registry.invalid/reviews:1",
			Ports: []corev1.ContainerPort{{ContainerPort: 9080}}}}},
	}
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		got, err := pods.Create(b.Context(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		lat = append(lat, time.Since(start))
		if err != nil || !hasProxy(got) {
			b.Fatalf("pod not injected: %v", err)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
