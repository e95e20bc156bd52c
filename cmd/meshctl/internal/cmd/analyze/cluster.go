package analyze

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/apiretry"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
)

// remoteReader reads another cluster of the mesh: a context of the same kubeconfig.
func remoteReader(f *factory.Factory, context string) (analyze.ClusterReader, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if p := f.KubeconfigPaths(); f.ConfigFlags.KubeConfig != nil && *f.ConfigFlags.KubeConfig != "" {
		rules.ExplicitPath = p[0]
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("--remote-contexts %s: %w", context, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	apiretry.WrapConfig(cfg)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("--remote-contexts %s: %w", context, err)
	}
	return &dynamicReader{client: dyn}, nil
}

// currentContext names this cluster in multicluster findings: the context analyzed.
func currentContext(f *factory.Factory) string {
	if f.ConfigFlags.Context != nil && *f.ConfigFlags.Context != "" {
		return *f.ConfigFlags.Context
	}
	if raw, err := f.ConfigFlags.ToRawKubeConfigLoader().RawConfig(); err == nil {
		return raw.CurrentContext
	}
	return ""
}

// dynamicReader lists objects for the analyze library with a dynamic client, a page at a time.
type dynamicReader struct {
	client dynamic.Interface
}

func (r *dynamicReader) List(ctx context.Context, k analyze.Kind, namespace string) ([]map[string]any, error) {
	// Istio's CRDs may serve only older versions on older installations: try the newest first.
	versions := slices.Clone(k.Versions)
	slices.Reverse(versions)
	var lastErr error
	for _, v := range versions {
		gvr := schema.GroupVersionResource{Group: k.Group, Version: v, Resource: k.Resource}
		if len(k.Names) > 0 {
			return r.get(ctx, gvr, k.Names)
		}
		items, err := r.list(ctx, gvr, k.Namespaced, namespace)
		if apierrors.IsNotFound(err) {
			lastErr = fmt.Errorf("%w: %v", analyze.ErrNotServed, err)
			continue
		}
		return items, err
	}
	return nil, lastErr
}

// get reads cluster-scoped objects by name, leaving out those that do not exist: listing a kind of which
// only a few objects matter (CRDs) would read them all.
func (r *dynamicReader) get(ctx context.Context, gvr schema.GroupVersionResource, names []string) ([]map[string]any, error) {
	var out []map[string]any
	for _, name := range names {
		u, err := r.client.Resource(gvr).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, u.Object)
	}
	return out, nil
}

func (r *dynamicReader) list(ctx context.Context, gvr schema.GroupVersionResource, namespaced bool, namespace string) ([]map[string]any, error) {
	var ri dynamic.ResourceInterface = r.client.Resource(gvr)
	if namespaced && namespace != "" {
		ri = r.client.Resource(gvr).Namespace(namespace)
	}
	var out []map[string]any
	opts := metav1.ListOptions{Limit: 500}
	for {
		list, err := ri.List(ctx, opts)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("timed out (see --timeout): %w", err)
			}
			return nil, err
		}
		for i := range list.Items {
			obj := list.Items[i].Object
			if obj["apiVersion"] == nil { // list items may omit them
				obj["apiVersion"] = gvr.GroupVersion().String()
			}
			if obj["kind"] == nil {
				obj["kind"] = strings.TrimSuffix(list.GetKind(), "List")
			}
			out = append(out, obj)
		}
		if list.GetContinue() == "" {
			return out, nil
		}
		opts.Continue = list.GetContinue()
	}
}
