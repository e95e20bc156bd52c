package installer

import (
	"context"
	"fmt"
	"sort"
	"sync"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// installVerbs are what install does to each object it renders: read it, create or patch it with
// server-side apply, and delete it when a later install prunes it.
var installVerbs = []string{"get", "create", "patch", "delete"}

// installPermissions lists the permissions installing objs needs, deduplicated and sorted: the verbs of
// installVerbs on each rendered kind, the installed-state record, and the reads of the readiness wait.
func (c *Clients) installPermissions(objs []*object, namespace string) []Permission {
	crds := manifestCRDs(objs)
	seen := map[Permission]bool{}
	add := func(p Permission) { seen[p] = true }
	for _, o := range objs {
		gvr, namespaced, ok := c.resourceOf(o, crds)
		if !ok {
			continue
		}
		ns := ""
		if namespaced {
			ns = o.Namespace
		}
		for _, v := range installVerbs {
			add(Permission{Verb: v, Group: gvr.Group, Resource: gvr.Resource, Namespace: ns})
		}
	}
	for _, v := range []string{"get", "create", "patch"} {
		add(Permission{Verb: v, Group: iopGVR.Group, Resource: iopGVR.Resource, Namespace: namespace})
	}
	add(Permission{Verb: "patch", Group: iopGVR.Group, Resource: iopGVR.Resource, Subresource: "status", Namespace: namespace})
	for _, r := range []schema.GroupResource{{Resource: "pods"}, {Resource: "events"}, {Group: "apps", Resource: "replicasets"}, {Group: "discovery.k8s.io", Resource: "endpointslices"}} {
		add(Permission{Verb: "list", Group: r.Group, Resource: r.Resource, Namespace: namespace})
	}
	out := make([]Permission, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sortPermissions(out)
	return out
}

// sortPermissions orders by resource, then scope, then verb in the order install uses them.
func sortPermissions(ps []Permission) {
	rank := func(verb string) int {
		for i, v := range []string{"get", "list", "create", "patch", "delete"} {
			if v == verb {
				return i
			}
		}
		return 99
	}
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Resource+"."+a.Group != b.Resource+"."+b.Group {
			return a.Resource+"."+a.Group < b.Resource+"."+b.Group
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Subresource != b.Subresource {
			return a.Subresource < b.Subresource
		}
		return rank(a.Verb) < rank(b.Verb)
	})
}

// resourceOf finds an object's resource from discovery or, for a kind whose CRD is in the same manifest
// and not installed yet, from that CRD.
func (c *Clients) resourceOf(o *object, crds map[schema.GroupKind]crdInfo) (schema.GroupVersionResource, bool, bool) {
	if err := c.resolve(o); err == nil {
		return o.mapping.Resource, o.mapping.Scope.Name() == meta.RESTScopeNameNamespace, true
	}
	gvk := o.u.GroupVersionKind()
	if crd, ok := crds[gvk.GroupKind()]; ok {
		return schema.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: crd.plural}, crd.namespaced, true
	}
	return schema.GroupVersionResource{}, false, false
}

type crdInfo struct {
	plural     string
	namespaced bool
}

func manifestCRDs(objs []*object) map[schema.GroupKind]crdInfo {
	out := map[schema.GroupKind]crdInfo{}
	for _, o := range objs {
		if o.Kind != "CustomResourceDefinition" {
			continue
		}
		group, _, _ := unstructured.NestedString(o.u.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(o.u.Object, "spec", "names", "kind")
		plural, _, _ := unstructured.NestedString(o.u.Object, "spec", "names", "plural")
		scope, _, _ := unstructured.NestedString(o.u.Object, "spec", "scope")
		out[schema.GroupKind{Group: group, Kind: kind}] = crdInfo{plural: plural, namespaced: scope == "Namespaced"}
	}
	return out
}

// CheckPermissions asks the API server, with one SelfSubjectAccessReview per permission sent in parallel,
// which of need the current user lacks.
func (c *Clients) CheckPermissions(ctx context.Context, need []Permission) ([]Permission, error) {
	var (
		mu     sync.Mutex
		denied []Permission
	)
	err := parallel(ctx, len(need), func(i int) error {
		p := need[i]
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: p.Verb, Group: p.Group, Resource: p.Resource, Subresource: p.Subresource, Namespace: p.Namespace,
			},
		}}
		got, err := c.Kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("access review (%s): %w", p, err)
		}
		if !got.Status.Allowed {
			mu.Lock()
			denied = append(denied, p)
			mu.Unlock()
		}
		return nil
	})
	sortPermissions(denied)
	return denied, err
}

// WhoAmI is the user name the API server authenticates us as, or "" when it will not say.
func (c *Clients) WhoAmI(ctx context.Context) string {
	r, err := c.Kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return ""
	}
	return r.Status.UserInfo.Username
}

// missingInstallPermissions reports which permissions installing rendered objects needs and lacks.
func (c *Clients) missingInstallPermissions(ctx context.Context, objs []*object, namespace string) error {
	denied, err := c.CheckPermissions(ctx, c.installPermissions(objs, namespace))
	if err != nil {
		return err
	}
	if len(denied) == 0 {
		return nil
	}
	return &ForbiddenError{User: c.WhoAmI(ctx), Denied: denied}
}
