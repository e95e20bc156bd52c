package analyze

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ClusterReader lists objects from a live cluster. The command implements it with a dynamic client; the
// library only says what to list, so that it needs no client itself.
type ClusterReader interface {
	// List returns the objects of a kind in a namespace ("" for all namespaces, or for a cluster-scoped
	// kind). It returns an error wrapping ErrNotServed when the cluster does not serve the kind (its CRD is
	// not installed); the kind is then taken to have no objects. When k.Names is set, only the objects of
	// those names are wanted (one that does not exist is left out).
	List(ctx context.Context, k Kind, namespace string) ([]map[string]any, error)
}

// ErrNotServed means the API server does not know the kind.
var ErrNotServed = errors.New("kind not served by the cluster")

// referenceKinds are listed in every namespace even when analyzing one namespace: resources refer to
// hosts, gateways and rules in other namespaces, and not finding them would be reported as an error.
var referenceKinds = map[schema.GroupKind]bool{
	KindService: true, KindServiceEntry: true, KindVirtualService: true, KindDestinationRule: true, KindGateway: true,
	KindNamespace: true, KindK8sGateway: true, KindReferenceGrant: true,
}

// listRequest is one List call.
type listRequest struct {
	kind      Kind
	namespace string
}

// plan decides what to list: only the kinds the analyzers need; namespaced kinds in the analyzed
// namespace and the root namespace, or everywhere for reference kinds and --all-namespaces.
func plan(needed []schema.GroupKind, namespace, root string, all bool) []listRequest {
	var reqs []listRequest
	for _, gk := range needed {
		k, ok := LookupKind(gk)
		if !ok {
			continue
		}
		switch {
		case !k.Namespaced || all || referenceKinds[gk]:
			reqs = append(reqs, listRequest{k, ""})
		default:
			reqs = append(reqs, listRequest{k, namespace})
			if root != "" && root != namespace {
				reqs = append(reqs, listRequest{k, root})
			}
		}
	}
	return reqs
}

// readCluster runs the list requests, four at a time, and returns the objects of each.
func readCluster(ctx context.Context, r ClusterReader, reqs []listRequest) ([][]map[string]any, error) {
	results := make([][]map[string]any, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			items, err := r.List(ctx, req.kind, req.namespace)
			if errors.Is(err, ErrNotServed) {
				err = nil
			}
			if err != nil {
				where := "all namespaces"
				if req.namespace != "" {
					where = "namespace " + req.namespace
				}
				err = fmt.Errorf("list %s in %s: %w", req.kind.Resource, where, err)
			}
			results[i], errs[i] = items, err
		}()
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

// neededKinds is the union of the analyzers' inputs, in a stable order.
func neededKinds(analyzers []Analyzer) []schema.GroupKind {
	seen := map[schema.GroupKind]bool{}
	var out []schema.GroupKind
	for _, a := range analyzers {
		for _, gk := range a.Metadata().Inputs {
			if !seen[gk] {
				seen[gk] = true
				out = append(out, gk)
			}
		}
	}
	slices.SortFunc(out, func(a, b schema.GroupKind) int {
		return cmp.Or(strings.Compare(a.Group, b.Group), strings.Compare(a.Kind, b.Kind))
	})
	return out
}
