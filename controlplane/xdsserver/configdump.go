package xdsserver

import (
	"fmt"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// ErrUnknownProxy is returned for a proxy id no stream is connected as.
var ErrUnknownProxy = fmt.Errorf("no connected proxy with this id")

// ConfigDump is /debug/config_dump?proxyID=: the latest configuration built for a proxy, in
// Envoy's admin ConfigDump shape (what istiod answers, and what `istioctl proxy-config` reads).
// proxyID is the full node id or Istio's short form POD.NAMESPACE.
func (s *Server) ConfigDump(proxyID string) (*adminv3.ConfigDump, error) {
	p := s.lookup(proxyID)
	if p == nil {
		return nil, fmt.Errorf("proxy %q: %w", proxyID, ErrUnknownProxy)
	}
	p.mu.Lock()
	snap := p.snap
	p.mu.Unlock()

	sorted := func(url string) (string, []types.Resource) {
		set := snap.set(url)
		out := make([]types.Resource, 0, len(set.names))
		for _, n := range set.names {
			out = append(out, set.entries[n].res)
		}
		return set.version, out
	}
	var err error
	wrap := func(m proto.Message) *anypb.Any {
		a, e := anypb.New(m)
		if e != nil && err == nil {
			err = e
		}
		return a
	}
	clusters := &adminv3.ClustersConfigDump{}
	v, rs := sorted(resource.ClusterType)
	clusters.VersionInfo = v
	for _, r := range rs {
		clusters.DynamicActiveClusters = append(clusters.DynamicActiveClusters, &adminv3.ClustersConfigDump_DynamicCluster{VersionInfo: v, Cluster: wrap(r)})
	}
	listeners := &adminv3.ListenersConfigDump{}
	v, rs = sorted(resource.ListenerType)
	listeners.VersionInfo = v
	for _, r := range rs {
		listeners.DynamicListeners = append(listeners.DynamicListeners, &adminv3.ListenersConfigDump_DynamicListener{
			Name:        resourceName(r),
			ActiveState: &adminv3.ListenersConfigDump_DynamicListenerState{VersionInfo: v, Listener: wrap(r)},
		})
	}
	routes := &adminv3.RoutesConfigDump{}
	v, rs = sorted(resource.RouteType)
	for _, r := range rs {
		routes.DynamicRouteConfigs = append(routes.DynamicRouteConfigs, &adminv3.RoutesConfigDump_DynamicRouteConfig{VersionInfo: v, RouteConfig: wrap(r)})
	}
	endpoints := &adminv3.EndpointsConfigDump{}
	v, rs = sorted(resource.EndpointType)
	for _, r := range rs {
		endpoints.DynamicEndpointConfigs = append(endpoints.DynamicEndpointConfigs, &adminv3.EndpointsConfigDump_DynamicEndpointConfig{VersionInfo: v, EndpointConfig: wrap(r)})
	}
	dump := &adminv3.ConfigDump{Configs: []*anypb.Any{wrap(clusters), wrap(listeners), wrap(routes), wrap(endpoints)}}
	if err != nil {
		return nil, fmt.Errorf("config dump of %s: %w", p.key, err)
	}
	return dump, nil
}

func resourceName(r types.Resource) string {
	if n, ok := r.(interface{ GetName() string }); ok {
		return n.GetName()
	}
	return ""
}

// lookup finds a connected proxy by node id, or by POD.NAMESPACE as istioctl names proxies.
func (s *Server) lookup(id string) *proxyState {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p := s.proxies[id]; p != nil {
		return p
	}
	for _, p := range s.proxies {
		if p.proxy.ID.ID == id {
			return p
		}
	}
	return nil
}
