package installer_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/internal/testenv"
)

// hidingDiscovery is discovery that does not show one resource. An uninstall given it is incomplete on
// purpose: it never sees that kind, and neither does its own final check.
type hidingDiscovery struct {
	discovery.CachedDiscoveryInterface
	hide schema.GroupResource
}

// ServerResourcesForGroupVersion is what discovery.ServerPreferredResources asks when the client does not
// do aggregated discovery, which the embedding hides.
func (h hidingDiscovery) ServerResourcesForGroupVersion(gv string) (*metav1.APIResourceList, error) {
	l, err := h.CachedDiscoveryInterface.ServerResourcesForGroupVersion(gv)
	if l == nil {
		return l, err
	}
	g, perr := schema.ParseGroupVersion(gv)
	if perr != nil || g.Group != h.hide.Group {
		return l, err
	}
	l = l.DeepCopy()
	l.APIResources = slices.DeleteFunc(l.APIResources, func(r metav1.APIResource) bool {
		return r.Name == h.hide.Resource || strings.HasPrefix(r.Name, h.hide.Resource+"/")
	})
	return l, err
}

// TestLeftoversSeeWhatUninstallMisses is the negative control of the purge check. An uninstall that cannot
// see ClusterRoleBindings leaves the mesh's; a leader-election Lease outside the mesh's namespace (where
// uninstall does not look) and a ClusterRole with owner labels but no part-of=meshctl (which uninstall's
// selector requires) stay too. meshLeftovers reports exactly those, whatever uninstall says.
func TestLeftoversSeeWhatUninstallMisses(t *testing.T) {
	env := testenv.Get(t)
	c := clients(t, env)
	ctx := t.Context()
	cleanupPurge(t, c)
	if left := leftovers(t, env); len(left) > 0 {
		t.Fatalf("before install, objects of the mesh exist: %v", left)
	}
	mustInstall(t, c, "profile=minimal")

	ns := env.Namespace(t)
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "istio-ip-autoallocate", Namespace: ns}}
	if _, err := env.Client().CoordinationV1().Leases(ns).Create(ctx, lease, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.Client().CoordinationV1().Leases(ns).Delete(context.Background(), lease.Name, metav1.DeleteOptions{})
	})

	// An object with the mesh's owner labels but not app.kubernetes.io/part-of=meshctl, which uninstall's
	// selector requires, under a name no name rule knows: only the label rules can find it.
	extra := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "meshctl-test-" + ns, Labels: map[string]string{
		"install.operator.istio.io/owning-resource": "installed-state", "operator.istio.io/component": "Pilot"}}}
	if _, err := env.Client().RbacV1().ClusterRoles().Create(ctx, extra, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.Client().RbacV1().ClusterRoles().Delete(context.Background(), extra.Name, metav1.DeleteOptions{})
	})

	incomplete := clients(t, env)
	incomplete.Discovery = hidingDiscovery{CachedDiscoveryInterface: incomplete.Discovery,
		hide: schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}}
	res, err := installer.Uninstall(ctx, installer.UninstallOptions{Clients: incomplete, Purge: true, Timeout: time.Minute})
	t.Logf("the incomplete uninstall --purge says: %v; left behind by its own count: %v", err, res.Remaining)

	want := []string{"leases.coordination.k8s.io/" + ns + "/istio-ip-autoallocate", "clusterroles.rbac.authorization.k8s.io/" + extra.Name}
	_, m := resolve(t, "profile=minimal")
	for _, o := range m.Objects() {
		if o.Kind == "ClusterRoleBinding" {
			want = append(want, "clusterrolebindings.rbac.authorization.k8s.io/"+o.Name)
		}
	}
	if len(want) < 3 {
		t.Fatal("the minimal profile renders no ClusterRoleBinding: hide another kind")
	}
	var got []string
	for _, l := range leftovers(t, env) {
		got = append(got, l[:strings.Index(l, " (")])
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after the incomplete uninstall, the sweep reports\n  %s\nwant\n  %s",
			strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	// The complete uninstall removes the bindings; the Lease and the ClusterRole are the test's to delete.
	if err := env.Client().CoordinationV1().Leases(ns).Delete(ctx, lease.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := env.Client().RbacV1().ClusterRoles().Delete(ctx, extra.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	purge(t, env, c)
}
