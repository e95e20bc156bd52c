package installer

import (
	"context"
	"errors"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/installer/render"
)

// object is a rendered object, parsed, with where it lives on the API server once that is known.
type object struct {
	*render.Object
	u *unstructured.Unstructured
	// mapping is nil until resolve succeeds; a kind whose CRD is not installed yet has none.
	mapping *meta.RESTMapping
	// installedState marks the installed-state record, which install adds to the rendered objects.
	installedState bool
}

func parseObjects(rendered []*render.Object) ([]*object, error) {
	out := make([]*object, 0, len(rendered))
	for _, r := range rendered {
		var m map[string]any
		if err := yaml.Unmarshal(r.YAML, &m); err != nil {
			return nil, fmt.Errorf("parse rendered %s: %w", r.Key(), err)
		}
		out = append(out, &object{Object: r, u: &unstructured.Unstructured{Object: m}})
	}
	return out, nil
}

// key identifies an object across groups: the rendered Key plus the API group.
func objectKey(group, kind, namespace, name string) string {
	return group + "|" + kind + "|" + namespace + "|" + name
}

func (o *object) key() string {
	return objectKey(o.u.GroupVersionKind().Group, o.Kind, o.Namespace, o.Name)
}

// errNoKind means the API server does not serve an object's kind (yet: its CRD may be in the same manifest).
var errNoKind = errors.New("kind not served")

// resolve finds the object's resource, refreshing discovery once when the kind is unknown.
func (c *Clients) resolve(o *object) error {
	if o.mapping != nil {
		return nil
	}
	gvk := o.u.GroupVersionKind()
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.Mapper.Reset()
		m, err = c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if meta.IsNoMatchError(err) {
		return fmt.Errorf("%s: %w: the API server serves no %s", o.Key(), errNoKind, gvk)
	}
	if err != nil {
		return fmt.Errorf("%s: map kind %s: %w", o.Key(), gvk, err)
	}
	o.mapping = m
	return nil
}

// resource is the dynamic client for a mapping in a namespace.
func (c *Clients) resource(m *meta.RESTMapping, namespace string) dynamic.ResourceInterface {
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.Dynamic.Resource(m.Resource).Namespace(namespace)
	}
	return c.Dynamic.Resource(m.Resource)
}

// scanResource is resource for objects found by a search through every served kind, without the API
// server's deprecation warnings (see Clients.scan).
func (c *Clients) scanResource(k servedKind, namespace string) dynamic.ResourceInterface {
	if k.Namespaced {
		return c.scan.Resource(k.GVR).Namespace(namespace)
	}
	return c.scan.Resource(k.GVR)
}

func (c *Clients) objResource(o *object) dynamic.ResourceInterface {
	return c.resource(o.mapping, o.Namespace)
}

// fetchLive reads the live version of each object (nil when absent). Objects whose kind is not served yet
// count as absent.
func (c *Clients) fetchLive(ctx context.Context, objs []*object) (map[string]*unstructured.Unstructured, error) {
	live := make(map[string]*unstructured.Unstructured, len(objs))
	var mu sync.Mutex
	err := parallel(ctx, len(objs), func(i int) error {
		o := objs[i]
		if err := c.resolve(o); err != nil {
			if errors.Is(err, errNoKind) {
				return nil
			}
			return err
		}
		got, err := c.objResource(o).Get(ctx, o.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return wrapAPIError("get", o.Key(), o.mapping.Resource, o.Namespace, err)
		}
		mu.Lock()
		live[o.key()] = got
		mu.Unlock()
		return nil
	})
	return live, err
}

// resourceName is "clusterroles.rbac.authorization.k8s.io" or "services" for messages and RBAC.
func resourceName(gvr schema.GroupVersionResource) string {
	if gvr.Group == "" {
		return gvr.Resource
	}
	return gvr.Resource + "." + gvr.Group
}

// liveKey is Kind/namespace/name of a live object, as render.Object.Key writes it.
func liveKey(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetKind() + "/" + u.GetName()
	}
	return u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
}
