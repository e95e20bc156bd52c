package installer_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
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

// purge removes everything and checks that nothing with the owner labels is left, in any served kind.
func purge(t *testing.T, c *installer.Clients) *installer.UninstallResult {
	t.Helper()
	rec := &recorder{}
	start := time.Now()
	res, err := installer.Uninstall(context.Background(), installer.UninstallOptions{Clients: c, Purge: true, Timeout: time.Minute, Progress: rec})
	t.Logf("uninstall --purge: %s\n%s", time.Since(start).Round(time.Millisecond), rec)
	if err != nil {
		t.Fatalf("uninstall --purge: %v", err)
	}
	left, err := c.FindOwned(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Fatalf("after uninstall --purge, objects with owner labels remain: %v", left)
	}
	return res
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

// clusterResourceVersions maps every object of every served kind to its resourceVersion, except the
// kinds the cluster itself rewrites all the time (events, leases, nodes' heartbeats), so that a dry run
// can be shown to change nothing at all.
func clusterResourceVersions(t *testing.T, env *testenv.Env) map[string]string {
	t.Helper()
	lists, err := discovery.ServerPreferredResources(env.Client().Discovery())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") ||
				slices.Contains([]string{"events", "leases", "nodes"}, r.Name) {
				continue
			}
			items, err := env.Dynamic().Resource(gv.WithResource(r.Name)).List(context.Background(), metav1.ListOptions{})
			if err != nil {
				continue
			}
			for _, u := range items.Items {
				out[gv.Group+"/"+r.Kind+"/"+u.GetNamespace()+"/"+u.GetName()] = u.GetResourceVersion()
			}
		}
	}
	return out
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
