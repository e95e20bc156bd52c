package xdsserver

import (
	"slices"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"

	"github.com/meshctl/meshctl/meshapi"
)

// Proxy is one connected proxy as the Generator sees it: its parsed node id and metadata.
// Its fields are those of translate.Proxy, so one converts to the other.
type Proxy struct {
	ID   meshapi.NodeID
	Meta meshapi.NodeMetadata
}

// Change describes what changed in the store; the server merges a burst of them into one push.
type Change struct {
	// Kinds of the changed objects, e.g. "VirtualService", "Service", "EndpointSlice".
	Kinds []string
	// Namespaces of the changed objects.
	Namespaces []string
	// EndpointsOnly is true when only endpoints changed: the push carries EDS only.
	EndpointsOnly bool
}

// Generator builds a proxy's configuration from the latest state of the store.
type Generator interface {
	// Generate returns every resource p needs, keyed by type URL (resource.ClusterType ...),
	// each resource named by its own name.
	Generate(p *Proxy) (map[string][]types.Resource, error)
	// Affects reports whether c can alter what p receives.
	Affects(p *Proxy, c Change) bool
}

// merge folds c into m: the union of kinds and namespaces; endpoints-only while both are.
func (m Change) merge(c Change) Change {
	out := Change{EndpointsOnly: m.EndpointsOnly && c.EndpointsOnly}
	out.Kinds = union(m.Kinds, c.Kinds)
	out.Namespaces = union(m.Namespaces, c.Namespaces)
	return out
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// EmptyGenerator gives every proxy no resources. meshd runs with it until a store and a translator
// are plugged in; it keeps the protocol honest (proxies connect, ACK empty configuration).
type EmptyGenerator struct{}

// Generate returns no resources.
func (EmptyGenerator) Generate(*Proxy) (map[string][]types.Resource, error) { return nil, nil }

// Affects reports every change as visible.
func (EmptyGenerator) Affects(*Proxy, Change) bool { return true }
