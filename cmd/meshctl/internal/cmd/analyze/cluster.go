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

	"github.com/meshctl/meshctl/analyze"
)

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
		items, err := r.list(ctx, schema.GroupVersionResource{Group: k.Group, Version: v, Resource: k.Resource}, k.Namespaced, namespace)
		if apierrors.IsNotFound(err) {
			lastErr = fmt.Errorf("%w: %v", analyze.ErrNotServed, err)
			continue
		}
		return items, err
	}
	return nil, lastErr
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
