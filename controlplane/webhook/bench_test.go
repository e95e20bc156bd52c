package webhook

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// BenchmarkInjectionWebhook is the injection webhook's own latency for a typical pod (two containers with
// ports, probes, a volume), from the request body to the JSON patch, with the p50 and p99 of the runs.
func BenchmarkInjectionWebhook(b *testing.B) {
	h := Handler(testInjector(b), testValidator(b), quiet)
	pod := map[string]any{
		"metadata": map[string]any{"generateName": "reviews-v1-5d4f8b9c7-", "labels": map[string]any{"app": "reviews", "version": "v1", "pod-template-hash": "5d4f8b9c7"},
			"ownerReferences": []any{map[string]any{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "reviews-v1-5d4f8b9c7", "controller": true, "uid": "u"}}},
		"spec": map[string]any{"serviceAccountName": "reviews", "containers": []any{
			map[string]any{"name": "reviews", "image": "docker.io/istio/examples-bookinfo-reviews-v1:1.20.3", "ports": []any{map[string]any{"containerPort": 9080}},
				"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/health", "port": 9080}}},
			map[string]any{"name": "logger", "image": "busybox"}},
			"volumes": []any{map[string]any{"name": "tmp", "emptyDir": map[string]any{}}}},
	}
	body := review(b, podKind, podResource, "bookinfo", admissionv1.Create, pod)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/inject", bytes.NewReader(body)))
		lat = append(lat, time.Since(start))
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"patch"`)) {
			b.Fatalf("no patch: %d %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
