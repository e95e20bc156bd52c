package testenv

import (
	"os"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// aggregatedDiscoveryAccept asks /apis for the aggregated discovery document (one response for
// every group and resource), which client-go and kubectl use when the server offers it.
const aggregatedDiscoveryAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

func TestAggregatedDiscovery(t *testing.T) {
	env := Get(t)
	result := env.Client().Discovery().RESTClient().Get().AbsPath("/apis").
		SetHeader("Accept", aggregatedDiscoveryAccept).Do(t.Context())
	var contentType string
	result.ContentType(&contentType)
	if err := result.Error(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(contentType, "as=APIGroupDiscoveryList") {
		t.Fatalf("/apis answered %q, want the aggregated discovery document", contentType)
	}
}

// TestOldestVersionStartsAndStopsByPID starts the oldest supported release, API server only,
// as precheck tests do, and stops it the way `make cluster-down` does: from its state file.
func TestOldestVersionStartsAndStopsByPID(t *testing.T) {
	skipIfAsked(t)
	cl, err := Up(t.Context(), Config{Version: Oldest, Components: APIOnly, Log: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Stop() })

	cs, err := kubernetes.NewForConfig(cl.Config())
	if err != nil {
		t.Fatal(err)
	}
	info, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if info.GitVersion != Oldest {
		t.Errorf("server version %s, want %s", info.GitVersion, Oldest)
	}
	// Server-side dry-run runs defaulting and admission without a controller in sight.
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "dry", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "dry"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "dry"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.invalid/c:1"}}},
			},
		},
	}
	got, err := cs.AppsV1().Deployments("default").Create(t.Context(), deploy, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatal(err)
	}
	if ptr.Deref(got.Spec.Replicas, 0) != 1 {
		t.Errorf("dry-run Deployment replicas = %v, want the server's default 1", got.Spec.Replicas)
	}

	state, err := readState(cl.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(state.Procs) != 2 {
		t.Fatalf("state records %v, want etcd and kube-apiserver", state.Procs)
	}
	if err := Down(cl.Dir, testWriter{t}); err != nil {
		t.Fatal(err)
	}
	for _, p := range state.Procs {
		if isProcess(p.PID, p.Exe) {
			t.Errorf("%s (pid %d) still runs after Down", p.Name, p.PID)
		}
	}
	if _, err := os.Stat(cl.Dir); !os.IsNotExist(err) {
		t.Errorf("cluster folder %s still there after Down: %v", cl.Dir, err)
	}
	if _, err := cs.Discovery().ServerVersion(); err == nil {
		t.Error("the apiserver still answers after Down")
	}
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
