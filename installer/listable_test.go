package installer_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// The tests' own view of "everything on the cluster", written apart from installer's discovery (discover.go)
// so that a kind the installer skips or cannot delete is still seen here.

// listable is a resource the API server serves with the list verb, at its group's preferred version.
type listable struct {
	GVR        schema.GroupVersionResource
	Kind       string
	Namespaced bool
}

// listableResources asks discovery for every resource that can be listed, whatever other verbs it has
// (a kind without delete is exactly what an uninstall would miss). Subresources are left out. A group whose
// discovery fails (one whose CRD was just deleted) is asked again a few times before it is an error.
func listableResources(disc discovery.DiscoveryInterface) ([]listable, error) {
	var (
		lists []*metav1.APIResourceList
		err   error
	)
	for range 5 {
		lists, err = discovery.ServerPreferredResources(disc)
		var stale *discovery.ErrGroupDiscoveryFailed
		if !errors.As(err, &stale) {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	var out []listable
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			return nil, err
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") {
				continue
			}
			out = append(out, listable{GVR: gv.WithResource(r.Name), Kind: r.Kind, Namespaced: r.Namespaced})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GVR.String() < out[j].GVR.String() })
	return out, nil
}

// quietDynamic is a dynamic client that drops the API server's deprecation warnings (v1 Endpoints,
// ComponentStatus), which a walk through every kind would otherwise print.
func quietDynamic(cfg *rest.Config) (dynamic.Interface, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = rest.NoWarnings{}
	return dynamic.NewForConfig(cfg)
}

// listAll lists every object of r in every namespace, page by page. A resource that is gone since
// discovery (its CRD deleted) has no objects.
func listAll(ctx context.Context, dyn dynamic.Interface, r listable) ([]unstructured.Unstructured, error) {
	var out []unstructured.Unstructured
	opts := metav1.ListOptions{Limit: 500}
	for {
		list, err := dyn.Resource(r.GVR).List(ctx, opts)
		if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", r.GVR, err)
		}
		out = append(out, list.Items...)
		if opts.Continue = list.GetContinue(); opts.Continue == "" {
			return out, nil
		}
	}
}

// eachObject calls fn for every object of every listable resource.
func eachObject(ctx context.Context, disc discovery.DiscoveryInterface, dyn dynamic.Interface, fn func(r listable, u *unstructured.Unstructured)) error {
	resources, err := listableResources(disc)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range resources {
		items, err := listAll(ctx, dyn, r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i := range items {
			fn(r, &items[i])
		}
	}
	return errors.Join(errs...)
}

// objectID names an object by group, resource, namespace and name: two resources of one kind (core and
// events.k8s.io Events) stay apart.
func objectID(r listable, u *unstructured.Unstructured) string {
	id := r.GVR.Resource
	if r.GVR.Group != "" {
		id += "." + r.GVR.Group
	}
	if ns := u.GetNamespace(); ns != "" {
		id += "/" + ns
	}
	return id + "/" + u.GetName()
}
