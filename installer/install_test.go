package installer_test

import (
	"slices"
	"strings"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/internal/testenv"
)

// TestLifecycle walks the mesh's life on one cluster: install demo, install it again (nothing changes),
// dry-run, verify, drift and diff, switch to the default profile (the egress gateway is pruned), purge
// (nothing with the owner labels is left), and install again.
func TestLifecycle(t *testing.T) {
	env := testenv.Get(t)
	c := clients(t, env)
	ctx := t.Context()
	cleanupPurge(t, c)

	first := mustInstall(t, c, "profile=demo")
	wantLines := []string{
		"✔ Mesh core installed",
		"✔ Istiod installed",
		"✔ Egress gateways installed",
		"✔ Ingress gateways installed",
		"✔ Installation complete",
	}
	if got := lines(first.rec.String()); !slices.Equal(got, wantLines) {
		t.Errorf("progress:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
	}
	if !first.res.Changed || first.res.Counts()[installer.ActionCreated] != len(first.res.Objects) {
		t.Errorf("first install: changed=%v counts=%v, want every object created", first.res.Changed, first.res.Counts())
	}

	// The record of the install, as `kubectl get istiooperator installed-state -n istio-system` shows it.
	state, err := env.Dynamic().Resource(iopGVR).Namespace("istio-system").Get(ctx, "installed-state", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("installed-state: %v", err)
	}
	if p := state.Object["spec"].(map[string]any)["profile"]; p != "demo" {
		t.Errorf("installed-state spec.profile = %v, want demo", p)
	}
	if st := state.Object["status"].(map[string]any)["status"]; st != installer.StatusHealthy {
		t.Errorf("installed-state status = %v, want %s", st, installer.StatusHealthy)
	}
	if v := state.GetAnnotations()[installer.AnnotationVersion]; v != testVersion {
		t.Errorf("installed-state version annotation = %q", v)
	}
	planes, err := c.ControlPlanes(ctx, "istio-system")
	if err != nil || len(planes) != 1 || planes[0].Version != testVersion || planes[0].Revision != "default" {
		t.Errorf("ControlPlanes = %+v, %v", planes, err)
	}

	// A second identical install writes nothing.
	_, demo := resolve(t, "profile=demo")
	waitStable(t, env, demo)
	before := resourceVersions(t, env, demo)
	second := mustInstall(t, c, "profile=demo")
	if changed := diffMaps(before, resourceVersions(t, env, demo)); len(changed) > 0 {
		t.Errorf("a second identical install changed resource versions: %v", changed)
	}
	if second.res.Changed || second.res.Counts()[installer.ActionUnchanged] != len(second.res.Objects) {
		t.Errorf("second install: changed=%v counts=%v", second.res.Changed, second.res.Counts())
	}
	if !strings.Contains(second.rec.String(), "✔ Installation complete: nothing changed") {
		t.Errorf("second install does not say that nothing changed:\n%s", second.rec)
	}

	// Verify: everything present, as configured and ready.
	rep, err := installer.Verify(ctx, installer.VerifyOptions{Clients: c, Manifest: demo})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Healthy() || rep.OK != len(demo.Objects()) {
		t.Errorf("verify after install: %+v", rep)
	}

	// Drift: someone scales istiod by hand and deletes a ConfigMap.
	_, err = env.Client().AppsV1().Deployments("istio-system").Patch(ctx, "istiod", types.MergePatchType,
		[]byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Client().CoreV1().ConfigMaps("istio-system").Delete(ctx, "istio", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err = installer.Verify(ctx, installer.VerifyOptions{Clients: c, Manifest: demo})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]installer.ObjectStatus{}
	for _, s := range rep.Objects {
		got[s.Object] = s
	}
	if s := got["Deployment/istio-system/istiod"]; s.Status != installer.VerifyDrifted || !strings.Contains(s.Detail, "spec.replicas") {
		t.Errorf("verify istiod: %+v, want drifted at spec.replicas", s)
	}
	if s := got["ConfigMap/istio-system/istio"]; s.Status != installer.VerifyMissing {
		t.Errorf("verify ConfigMap istio: %+v, want missing", s)
	}
	if rep.Drifted != 1 || rep.Missing != 1 {
		t.Errorf("verify counts: drifted %d missing %d, want 1 and 1", rep.Drifted, rep.Missing)
	}

	// Diff: exactly those two objects, computed by server-side dry run (no defaulted-field noise).
	opDemo, _ := resolve(t, "profile=demo")
	d, err := installer.Diff(ctx, installer.DiffOptions{Clients: c, Manifest: demo, Operator: opDemo, Version: testVersion})
	if err != nil {
		t.Fatal(err)
	}
	var changed []string
	for _, od := range d.Objects {
		changed = append(changed, od.Change+" "+od.Object)
	}
	wantChanged := []string{"added ConfigMap/istio-system/istio", "changed Deployment/istio-system/istiod"}
	slices.Sort(changed)
	if !slices.Equal(changed, wantChanged) {
		t.Errorf("diff objects %v, want %v", changed, wantChanged)
	}
	for _, od := range d.Objects {
		if od.Object == "Deployment/istio-system/istiod" && (!strings.Contains(od.Diff, "-  replicas: 3") || !strings.Contains(od.Diff, "+  replicas: 1")) {
			t.Errorf("istiod diff:\n%s", od.Diff)
		}
	}

	// A dry run changes nothing on the cluster (no object of any kind gets a new resource version), and
	// says what it would do.
	before = waitClusterStable(t, env)
	dry := install(t, c, func(o *installer.InstallOptions) { o.DryRun = true }, "profile=demo")
	if dry.err != nil {
		t.Fatal(dry.err)
	}
	if changed := diffMaps(before, clusterResourceVersions(t, env)); len(changed) > 0 {
		t.Errorf("install --dry-run changed resource versions: %v", changed)
	}
	n := dry.res.Counts()
	if n[installer.ActionWouldCreate] != 1 || n[installer.ActionWouldConfigure] != 1 {
		t.Errorf("dry run counts %v, want 1 would create (ConfigMap istio), 1 would configure (istiod)", n)
	}

	// Switching to the default profile prunes the egress gateway, and only what meshctl applied.
	def := mustInstall(t, c, "profile=default")
	if !slices.Contains(def.res.Pruned, "Deployment/istio-system/istio-egressgateway") {
		t.Errorf("pruned %v, want the egress gateway's Deployment", def.res.Pruned)
	}
	if _, err := env.Client().AppsV1().Deployments("istio-system").Get(ctx, "istio-egressgateway", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("egress gateway after install --set profile=default: %v, want not found", err)
	}
	if _, err := env.Client().AppsV1().Deployments("istio-system").Get(ctx, "istio-ingressgateway", metav1.GetOptions{}); err != nil {
		t.Errorf("ingress gateway after install --set profile=default: %v", err)
	}
	for _, p := range def.res.Pruned {
		if strings.HasPrefix(p, "Pod/") || strings.HasPrefix(p, "ReplicaSet/") || strings.HasPrefix(p, "CustomResourceDefinition/") {
			t.Errorf("prune removed %s, which meshctl did not apply itself", p)
		}
	}
	_, defManifest := resolve(t, "profile=default")
	if rep, err := installer.Verify(ctx, installer.VerifyOptions{Clients: c, Manifest: defManifest}); err != nil || !rep.Healthy() {
		t.Errorf("verify after switching to default: %+v %v", rep, err)
	}

	// Uninstall --dry-run lists and removes nothing.
	rvs := waitClusterStable(t, env)
	dres, err := installer.Uninstall(ctx, installer.UninstallOptions{Clients: c, Purge: true, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(dres.Removed, "Deployment/istio-system/istiod") || !slices.Contains(dres.Removed, "CustomResourceDefinition/virtualservices.networking.istio.io") {
		t.Errorf("uninstall --dry-run would remove %v", dres.Removed)
	}
	if changed := diffMaps(rvs, clusterResourceVersions(t, env)); len(changed) > 0 {
		t.Errorf("uninstall --dry-run changed: %v", changed)
	}

	// The control plane's run-time objects go with --purge too.
	ns := env.Namespace(t)
	root := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "istio-ca-root-cert", Namespace: ns}, Data: map[string]string{"root-cert.pem": "x"}}
	if _, err := env.Client().CoreV1().ConfigMaps(ns).Create(ctx, root, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// What istiod creates in its namespace as it runs, under Istio's names (pilot/pkg/leaderelection): a
	// per-revision election Lease, ConfigMap elections old and new, the self-signed CA.
	runtime := []struct{ kind, name string }{
		{"Lease", "istio-gateway-deployment-default"}, {"Lease", "istio-node-untaint"},
		{"ConfigMap", "istio-leader"}, {"ConfigMap", "istio-ip-autoallocate"}, {"Secret", "istio-ca-secret"},
	}
	for _, o := range runtime {
		meta := metav1.ObjectMeta{Name: o.name, Namespace: "istio-system"}
		var err error
		switch o.kind {
		case "Lease":
			_, err = env.Client().CoordinationV1().Leases("istio-system").Create(ctx, &coordinationv1.Lease{ObjectMeta: meta}, metav1.CreateOptions{})
		case "ConfigMap":
			_, err = env.Client().CoreV1().ConfigMaps("istio-system").Create(ctx, &corev1.ConfigMap{ObjectMeta: meta}, metav1.CreateOptions{})
		case "Secret":
			_, err = env.Client().CoreV1().Secrets("istio-system").Create(ctx, &corev1.Secret{ObjectMeta: meta}, metav1.CreateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	res := purge(t, env, c)
	if !slices.Contains(res.Removed, "ConfigMap/"+ns+"/istio-ca-root-cert") {
		t.Errorf("purge did not remove the run-time root certificate ConfigMap: %v", res.Removed)
	}
	for _, o := range runtime {
		if key := o.kind + "/istio-system/" + o.name; !slices.Contains(res.Removed, key) {
			t.Errorf("purge did not remove the run-time object %s: removed %v", key, res.Removed)
		}
	}
	if !slices.Contains(res.Removed, "Namespace/istio-system") {
		t.Errorf("purge kept the empty istio-system namespace: kept %v", res.Kept)
	}

	// And a new install works on the cleaned cluster.
	again := mustInstall(t, c, "profile=demo")
	if again.res.Counts()[installer.ActionCreated] != len(again.res.Objects) {
		t.Errorf("re-install after purge: %v, want everything created", again.res.Counts())
	}
	purge(t, env, c)
}
