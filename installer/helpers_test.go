package installer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/profiles"
)

const testVersion = "1.0.0-test"

// resolve renders the mesh for --set flags, as install would.
func resolve(t *testing.T, sets ...string) (*profiles.IstioOperator, *render.Manifest) {
	t.Helper()
	return resolveB(t, sets...)
}

func resolveB(t testing.TB, sets ...string) (*profiles.IstioOperator, *render.Manifest) {
	t.Helper()
	r, err := profiles.Resolve(profiles.Input{Sets: sets, Charts: render.EmbeddedCharts(), DefaultTag: testVersion})
	if err != nil {
		t.Fatalf("resolve %v: %v", sets, err)
	}
	m, err := render.Generate(r.Operator, render.Options{})
	if err != nil {
		t.Fatalf("render %v: %v", sets, err)
	}
	return r.Operator, m
}

func clients(t *testing.T, env *testenv.Env) *installer.Clients {
	t.Helper()
	c, err := installer.NewClients(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recorder keeps progress events and their plain log.
type recorder struct {
	mu     sync.Mutex
	events []installer.Event
	log    bytes.Buffer
}

func (r *recorder) Event(e installer.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	if line := installer.FormatEvent(e, false); line != "" {
		r.log.WriteString(line + "\n")
	}
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

type installRun struct {
	res *installer.InstallResult
	err error
	rec *recorder
	dur time.Duration
}

func install(t *testing.T, c *installer.Clients, mod func(*installer.InstallOptions), sets ...string) installRun {
	t.Helper()
	op, m := resolve(t, sets...)
	rec := &recorder{}
	o := installer.InstallOptions{Clients: c, Manifest: m, Operator: op, Version: testVersion, Progress: rec,
		ReadinessTimeout: time.Minute}
	if mod != nil {
		mod(&o)
	}
	start := time.Now()
	res, err := installer.Install(t.Context(), o)
	run := installRun{res: res, err: err, rec: rec, dur: time.Since(start)}
	t.Logf("install %v: %s\n%s", sets, run.dur.Round(time.Millisecond), rec)
	return run
}

func mustInstall(t *testing.T, c *installer.Clients, sets ...string) installRun {
	t.Helper()
	run := install(t, c, nil, sets...)
	if run.err != nil {
		t.Fatalf("install %v: %v", sets, run.err)
	}
	return run
}

// purge removes everything and checks, with the tests' own sweep of every listable kind, that nothing of
// the mesh is left.
func purge(t *testing.T, env *testenv.Env, c *installer.Clients) *installer.UninstallResult {
	t.Helper()
	rec := &recorder{}
	start := time.Now()
	res, err := installer.Uninstall(context.Background(), installer.UninstallOptions{Clients: c, Purge: true, Timeout: time.Minute, Progress: rec})
	t.Logf("uninstall --purge: %s\n%s", time.Since(start).Round(time.Millisecond), rec)
	if err != nil {
		t.Fatalf("uninstall --purge: %v", err)
	}
	if left := leftovers(t, env); len(left) > 0 {
		t.Fatalf("after uninstall --purge, %d object(s) of the mesh remain:\n  %s", len(left), strings.Join(left, "\n  "))
	}
	return res
}

// leftovers is meshLeftovers on the test cluster.
func leftovers(t *testing.T, env *testenv.Env) []string {
	t.Helper()
	dyn, err := quietDynamic(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	left, err := meshLeftovers(context.Background(), env.Client().Discovery(), dyn)
	if err != nil {
		t.Fatalf("look for objects of the mesh: %v", err)
	}
	return left
}

// cleanupPurge registers a purge that runs even when the test fails, so that the next test starts clean.
func cleanupPurge(t *testing.T, c *installer.Clients) {
	t.Cleanup(func() {
		if _, err := installer.Uninstall(context.Background(), installer.UninstallOptions{Clients: c, Purge: true, Timeout: time.Minute}); err != nil {
			t.Errorf("cleanup: uninstall --purge: %v", err)
		}
	})
}

// resourceVersions maps Kind/namespace/name to resourceVersion for every rendered object (and the
// installed-state record) that exists.
func resourceVersions(t *testing.T, env *testenv.Env, m *render.Manifest, extra ...schema.GroupVersionResource) map[string]string {
	t.Helper()
	out := map[string]string{}
	mapper := restMapper(t, env)
	for _, o := range m.Objects() {
		gv, err := schema.ParseGroupVersion(o.APIVersion)
		if err != nil {
			t.Fatal(err)
		}
		mp, err := mapper.RESTMapping(gv.WithKind(o.Kind).GroupKind(), gv.Version)
		if err != nil {
			t.Fatal(err)
		}
		got, err := env.Dynamic().Resource(mp.Resource).Namespace(o.Namespace).Get(context.Background(), o.Name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		out[o.Key()] = got.GetResourceVersion()
	}
	iops, err := env.Dynamic().Resource(iopGVR).Namespace("istio-system").List(context.Background(), metav1.ListOptions{})
	if err == nil {
		for _, u := range iops.Items {
			out["IstioOperator/"+u.GetName()] = u.GetResourceVersion()
		}
	}
	return out
}

var iopGVR = schema.GroupVersionResource{Group: "install.istio.io", Version: "v1alpha1", Resource: "istiooperators"}

func diffMaps(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k+": "+v+" -> "+b[k])
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k+": new")
		}
	}
	return out
}

func lines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

func restMapper(t *testing.T, env *testenv.Env) *restmapper.DeferredDiscoveryRESTMapper {
	t.Helper()
	return restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(env.Client().Discovery()))
}

// waitStable waits until the rendered objects' resource versions stop moving (controllers finish writing
// status), so that an idempotence check compares like with like.
func waitStable(t *testing.T, env *testenv.Env, m *render.Manifest) {
	t.Helper()
	prev := resourceVersions(t, env, m)
	for i := 0; i < 30; i++ {
		time.Sleep(time.Second)
		cur := resourceVersions(t, env, m)
		if len(diffMaps(prev, cur)) == 0 {
			return
		}
		prev = cur
	}
	t.Fatalf("resource versions still change after 30s")
}

// clusterResourceVersions maps every object of every listable kind to its resourceVersion, so that a dry run
// can be shown to change nothing at all. Left out are only the objects the cluster rewrites by itself
// (see changesByItself); a Node is compared by what is not its status.
func clusterResourceVersions(t *testing.T, env *testenv.Env) map[string]string {
	t.Helper()
	dyn, err := quietDynamic(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	err = eachObject(context.Background(), env.Client().Discovery(), dyn, func(r listable, u *unstructured.Unstructured) {
		switch {
		case changesByItself(r, u):
		case r.GVR.Group == "" && r.GVR.Resource == "nodes":
			// KWOK writes node status (conditions, heartbeats); labels, annotations, taints and the rest
			// of the spec are what an installer could change.
			b, err := json.Marshal([]any{u.GetLabels(), u.GetAnnotations(), u.Object["spec"]})
			if err != nil {
				t.Fatal(err)
			}
			out[objectID(r, u)] = string(b)
		default:
			out[objectID(r, u)] = u.GetResourceVersion()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// changesByItself: Events (the cluster's log of what its controllers do) and the Leases of kube-system and
// kube-node-lease (API server identities, leader elections of the controller-manager and scheduler, node
// heartbeats, renewed every few seconds). Nothing meshctl installs is one of these: the mesh's Leases live
// in its own namespace, and meshctl writes no Events.
func changesByItself(r listable, u *unstructured.Unstructured) bool {
	switch {
	case r.GVR.Resource == "events" && (r.GVR.Group == "" || r.GVR.Group == "events.k8s.io"):
		return true
	case r.GVR.Resource == "leases" && r.GVR.Group == "coordination.k8s.io":
		return u.GetNamespace() == "kube-system" || u.GetNamespace() == "kube-node-lease"
	}
	return false
}

// waitClusterStable waits until clusterResourceVersions stops changing.
func waitClusterStable(t *testing.T, env *testenv.Env) map[string]string {
	t.Helper()
	prev := clusterResourceVersions(t, env)
	for i := 0; i < 30; i++ {
		time.Sleep(time.Second)
		cur := clusterResourceVersions(t, env)
		if len(diffMaps(prev, cur)) == 0 {
			return cur
		}
		prev = cur
	}
	t.Fatalf("the cluster's objects still change after 30s: %v", diffMaps(prev, clusterResourceVersions(t, env)))
	return nil
}
