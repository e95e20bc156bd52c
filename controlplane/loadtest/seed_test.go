package loadtest_test

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/controlplane/loadtest"
	"github.com/meshctl/meshctl/internal/testenv"
)

// TestSeed fills an API-only cluster (no controller creates ServiceAccounts or EndpointSlices
// there, as in the rerun of docs/meshd.md) and runs again over the result.
func TestSeed(t *testing.T) {
	env := testenv.StartVersion(t, testenv.Newest, testenv.Options{Components: testenv.APIOnly})
	kube, ctx := env.Client(), t.Context()
	o := loadtest.SeedOptions{Namespaces: 2, Services: 3, Endpoints: 4, Pods: true}
	for run := range 2 { // the second run completes nothing and must not fail on what exists
		if err := loadtest.Seed(ctx, kube, o); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
	for _, ns := range []string{"load-0", "load-1"} {
		svcs, err := kube.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=svc-2,version=v2"})
		if err != nil {
			t.Fatal(err)
		}
		es, err := kube.DiscoveryV1().EndpointSlices(ns).Get(ctx, "svc-2", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ready := 0
		for _, e := range es.Endpoints {
			if e.Conditions.Ready != nil && *e.Conditions.Ready && e.TargetRef != nil && e.TargetRef.Kind == "Pod" {
				ready++
			}
		}
		if len(svcs.Items) != 3 || len(pods.Items) != 2 || ready != 4 || es.Labels["kubernetes.io/service-name"] != "svc-2" {
			t.Errorf("%s: %d Services, %d v2 Pods of svc-2, %d ready endpoints with a Pod, label %q; want 3, 2, 4, svc-2",
				ns, len(svcs.Items), len(pods.Items), ready, es.Labels["kubernetes.io/service-name"])
		}
	}
	if err := loadtest.Seed(ctx, kube, loadtest.SeedOptions{Namespaces: 1, Endpoints: 251}); err == nil {
		t.Error("Seed accepted 251 endpoints per Service (the addresses' last octet)")
	}
}
