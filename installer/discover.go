package installer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// servedKind is a resource the API server serves that can be listed and deleted.
type servedKind struct {
	GVR        schema.GroupVersionResource
	Kind       string
	Namespaced bool
}

// liveObject is an object found on the cluster, with its resource.
type liveObject struct {
	U    *unstructured.Unstructured
	Kind servedKind
}

func (l liveObject) key() string { return liveKey(l.U) }

func (l liveObject) id() string {
	return objectKey(l.Kind.GVR.Group, l.U.GetKind(), l.U.GetNamespace(), l.U.GetName())
}

// skippedResources are never searched: they cannot carry owner labels, or they are the same objects as
// another resource under an older name.
var skippedResources = map[schema.GroupResource]bool{
	{Group: "", Resource: "events"}:              true,
	{Group: "events.k8s.io", Resource: "events"}: true,
	{Group: "", Resource: "bindings"}:            true,
	{Group: "", Resource: "componentstatuses"}:   true,
	{Group: "metrics.k8s.io", Resource: "pods"}:  true,
	{Group: "metrics.k8s.io", Resource: "nodes"}: true,
}

// servedKinds asks discovery for every resource the API server serves (each group at its preferred
// version) that supports list and delete. Groups whose discovery fails (an aggregated API that is down)
// are reported in the error but do not hide the others.
func (c *Clients) servedKinds() ([]servedKind, error) {
	c.Discovery.Invalidate()
	lists, err := discovery.ServerPreferredResources(c.Discovery)
	var partial error
	if err != nil {
		var gdf *discovery.ErrGroupDiscoveryFailed
		if !errors.As(err, &gdf) {
			return nil, fmt.Errorf("discover the API server's resources: %w", err)
		}
		partial = err
	}
	var out []servedKind
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || skippedResources[gv.WithResource(r.Name).GroupResource()] {
				continue
			}
			if !slices.Contains(r.Verbs, "list") || !slices.Contains(r.Verbs, "delete") {
				continue
			}
			out = append(out, servedKind{GVR: gv.WithResource(r.Name), Kind: r.Kind, Namespaced: r.Namespaced})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GVR.String() < out[j].GVR.String() })
	return out, partial
}

// listSelected lists, in every served kind, the objects the selector matches, across all namespaces.
func (c *Clients) listSelected(ctx context.Context, kinds []servedKind, selector string) ([]liveObject, error) {
	var (
		mu  sync.Mutex
		out []liveObject
	)
	err := parallel(ctx, len(kinds), func(i int) error {
		k := kinds[i]
		list, err := c.scan.Resource(k.GVR).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
			return nil // gone since discovery (a CRD just deleted)
		}
		if err != nil {
			return wrapAPIError("list", resourceName(k.GVR), k.GVR, "", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for j := range list.Items {
			u := list.Items[j]
			if u.GetKind() == "" {
				u.SetKind(k.Kind)
			}
			out = append(out, liveObject{U: &u, Kind: k})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out, err
}

// FindOwned lists every object in every served kind that carries meshctl's owner labels (owner "" means
// any installed-state). It is how uninstall --purge finds what to delete and how tests prove it did.
func (c *Clients) FindOwned(ctx context.Context, owner string) ([]string, error) {
	kinds, err := c.servedKinds()
	if err != nil && kinds == nil {
		return nil, err
	}
	objs, lerr := c.listSelected(ctx, kinds, OwnedSelector(owner).String())
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.key()
	}
	return keys, errors.Join(err, lerr)
}
