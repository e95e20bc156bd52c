package translate

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/meshctl/meshctl/controlplane/model"
)

// Generate returns every resource the proxy needs, keyed by type URL, each list sorted by name.
// The resources may be shared with other proxies' results: callers must not modify them.
func Generate(s *model.Snapshot, p *Proxy) (_ map[string][]types.Resource, err error) {
	// A rule translation cannot handle must cost one proxy its update, never the server.
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("translate for %s: %v", p.ID, v)
		}
	}()
	var r *resources
	var secrets []types.Resource
	if p.IsGateway() {
		secrets = s.Memo("gateway-sds|"+p.Namespace(), func() any { return gatewaySecrets(s, p) }).([]types.Resource)
		g := s.ConfigMemo("gateway|"+p.Namespace()+"|"+p.labelKey(), func() any { return internAll(s, sorted(gateway(s, p))) }).(*resources)
		loc := proxyLocality(s, p)
		eds := s.Memo("gateway-eds|"+p.Namespace()+"|"+p.labelKey()+"|"+localityKey(loc), func() any { return assignments(s, g.eds, loc) }).([]types.Resource)
		r = &resources{clusters: g.clusters, endpoints: eds, listeners: g.listeners, routes: g.routes}
	} else {
		sc := scopeOf(s, p)
		// Sidecars of one scope share their outbound side, as far as rules matching on source
		// labels treat them alike.
		key := "outbound|" + sc.key + sourceKey(s, p)
		out := s.ConfigMemo(key, func() any { return internAll(s, sorted(outbound(s, p, sc))) }).(*resources)
		loc := proxyLocality(s, p)
		eds := s.Memo("eds-of|"+key+"|"+localityKey(loc), func() any { return assignments(s, out.eds, loc) }).([]types.Resource)
		// Sidecars of one scope serving the same ports get the very same slices: the xDS server
		// then builds, serializes and keeps their configuration once for all of them.
		ports := inboundPorts(s, p)
		pol := workloadPeerPolicy(s, p.Namespace(), p.Labels())
		both := s.ConfigMemo(key+"|inbound|"+inboundKey(s, p, ports, pol), func() any {
			in := &resources{}
			inbound(s, p, ports, pol, in)
			internAll(s, in)
			return &resources{clusters: merge(out.clusters, in.clusters), listeners: merge(out.listeners, in.listeners)}
		}).(*resources)
		r = &resources{clusters: both.clusters, endpoints: eds, listeners: both.listeners, routes: out.routes}
	}
	out := map[string][]types.Resource{
		resourcev3.ClusterType:  r.clusters,
		resourcev3.EndpointType: r.endpoints,
		resourcev3.ListenerType: r.listeners,
		resourcev3.RouteType:    r.routes,
	}
	if len(secrets) > 0 {
		out[resourcev3.SecretType] = secrets
	}
	return out, nil
}

// sourceSelectors are the sourceLabels of every VirtualService match that has them.
func sourceSelectors(s *model.Snapshot) []map[string]string {
	return s.ConfigMemo("sourceSelectors", func() any {
		var out []map[string]string
		for _, vs := range s.VirtualServices {
			for _, hr := range vs.Spec.GetHttp() {
				for _, m := range hr.GetMatch() {
					if len(m.GetSourceLabels()) > 0 {
						out = append(out, m.GetSourceLabels())
					}
				}
			}
			for _, tr := range vs.Spec.GetTcp() {
				for _, m := range tr.GetMatch() {
					if len(m.GetSourceLabels()) > 0 {
						out = append(out, m.GetSourceLabels())
					}
				}
			}
		}
		return out
	}).([]map[string]string)
}

// sourceKey says which sourceLabels matches hold for p: sidecars of one scope that agree on all
// of them receive the same outbound configuration.
func sourceKey(s *model.Snapshot, p *Proxy) string {
	sels := sourceSelectors(s)
	if len(sels) == 0 {
		return ""
	}
	b := make([]byte, len(sels))
	for i, sel := range sels {
		b[i] = '0'
		if matchesLabels(sel, p.Labels()) {
			b[i] = '1'
		}
	}
	return "|" + string(b)
}

func sorted(r *resources) *resources {
	slices.SortFunc(r.eds, func(a, b edsSpec) int { return cmp.Compare(a.cluster, b.cluster) })
	for _, l := range [][]types.Resource{r.clusters, r.endpoints, r.listeners, r.routes} {
		slices.SortFunc(l, func(a, b types.Resource) int { return cmp.Compare(nameOf(a), nameOf(b)) })
	}
	return r
}

// merge is shared, sorted resources with a proxy's own few added in order, in a new slice.
func merge(shared, own []types.Resource) []types.Resource {
	out := make([]types.Resource, 0, len(shared)+len(own))
	out = append(out, shared...)
	for _, r := range own {
		n := nameOf(r)
		i, _ := slices.BinarySearchFunc(out, n, func(e types.Resource, n string) int { return cmp.Compare(nameOf(e), n) })
		out = slices.Insert(out, i, r)
	}
	return out
}

// nameOf is a resource's name: its name, or a ClusterLoadAssignment's cluster.
func nameOf(r types.Resource) string {
	switch v := r.(type) {
	case interface{ GetClusterName() string }:
		return v.GetClusterName()
	case interface{ GetName() string }:
		return v.GetName()
	}
	return ""
}

// Affects reports whether a change can alter what p receives: the mesh config always; for a
// sidecar, a Sidecar, AuthorizationPolicy or RequestAuthentication of its namespace or the root
// namespace, and objects of namespaces its egress hosts reach (Gateways and Secrets never); for a
// gateway, anything but Sidecars, and Secrets of its own namespace only (those it may be sent).
func Affects(s *model.Snapshot, p *Proxy, c model.Change) bool {
	for _, k := range c.Kinds {
		if k == model.KindMeshConfig || k == model.KindNode {
			return true
		}
	}
	if p.IsGateway() {
		for _, k := range c.Kinds {
			switch k {
			case model.KindSidecar, model.KindNamespace:
			case model.KindSecret:
				if len(c.Namespaces) == 0 || slices.Contains(c.Namespaces, p.Namespace()) {
					return true
				}
			default:
				return true
			}
		}
		return false
	}
	relevant := false
	for _, k := range c.Kinds {
		switch k {
		case model.KindGateway, model.KindNamespace, model.KindSecret:
		case model.KindSidecar, model.KindAuthorizationPolicy, model.KindRequestAuthentication:
			// Security policies (and Sidecars) apply to the workloads of their namespace, or of all
			// namespaces from the root namespace; a key set fetched (no namespace) to all.
			if len(c.Namespaces) == 0 && k != model.KindSidecar {
				return true
			}
			for _, ns := range c.Namespaces {
				if ns == p.Namespace() || ns == s.RootNamespace() {
					return true
				}
			}
		case model.KindPeerAuthentication:
			// The root namespace's is mesh-wide; another's, that namespace's workloads (inbound)
			// and the clients of its services (auto mTLS).
			for _, ns := range c.Namespaces {
				if ns == s.RootNamespace() {
					return true
				}
			}
			relevant = true
		default:
			relevant = true
		}
	}
	if !relevant {
		return false
	}
	if len(c.Namespaces) == 0 {
		return true // not known where: everywhere (the first sync, cluster-scoped objects)
	}
	sc := scopeOf(s, p)
	for _, ns := range c.Namespaces {
		if ns == p.Namespace() || sc.seesNamespace(ns) {
			return true
		}
	}
	return false
}

// Generator answers for the latest snapshot, as the xDS server asks (GLUE.md): Snapshot is
// usually (*model.Store).Snapshot.
type Generator struct {
	Snapshot func() *model.Snapshot
}

// Generate is Generate on the latest snapshot.
func (g Generator) Generate(p *Proxy) (map[string][]types.Resource, error) {
	return Generate(g.Snapshot(), p)
}

// Affects is Affects on the latest snapshot.
func (g Generator) Affects(p *Proxy, c model.Change) bool { return Affects(g.Snapshot(), p, c) }

func localityKey(l model.Locality) string { return l.Region + "/" + l.Zone + "/" + l.SubZone }
