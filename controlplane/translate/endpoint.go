package translate

import (
	"cmp"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshctl/meshctl/controlplane/model"
)

// assignment is the EDS resource of an outbound cluster: the service's endpoints that serve the
// port and carry the subset's labels, grouped by locality.
func assignment(s *model.Snapshot, name string, svc *model.Service, port model.Port, subset map[string]string) *endpointv3.ClusterLoadAssignment {
	var eps []*model.Endpoint
	for _, e := range s.Endpoints(svc) {
		if matchesLabels(subset, e.Labels) {
			eps = append(eps, e)
		}
	}
	return &endpointv3.ClusterLoadAssignment{ClusterName: name,
		Endpoints: localityGroups(eps, func(e *model.Endpoint) (uint32, bool) { return endpointPort(port, e) })}
}

// localityGroups groups endpoints by locality, localities sorted, endpoints in the model's order.
func localityGroups(eps []*model.Endpoint, portOf func(*model.Endpoint) (uint32, bool)) []*endpointv3.LocalityLbEndpoints {
	var out []*endpointv3.LocalityLbEndpoints
	index := map[model.Locality]*endpointv3.LocalityLbEndpoints{}
	for _, e := range eps {
		p, ok := portOf(e)
		if !ok {
			continue
		}
		g := index[e.Locality]
		if g == nil {
			g = &endpointv3.LocalityLbEndpoints{}
			if e.Locality != (model.Locality{}) {
				g.Locality = &corev3.Locality{Region: e.Locality.Region, Zone: e.Locality.Zone, SubZone: e.Locality.SubZone}
			}
			index[e.Locality] = g
			out = append(out, g)
		}
		lb := &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
			Address: socketAddress(e.Address, p)}}, Metadata: endpointMetadata(e)}
		if e.Weight > 0 {
			lb.LoadBalancingWeight = wrapperspb.UInt32(e.Weight)
		}
		g.LbEndpoints = append(g.LbEndpoints, lb)
	}
	slices.SortFunc(out, func(a, b *endpointv3.LocalityLbEndpoints) int {
		return cmp.Or(cmp.Compare(a.GetLocality().GetRegion(), b.GetLocality().GetRegion()),
			cmp.Compare(a.GetLocality().GetZone(), b.GetLocality().GetZone()),
			cmp.Compare(a.GetLocality().GetSubZone(), b.GetLocality().GetSubZone()))
	})
	return out
}

func socketAddress(addr string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: addr, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}}}}
}
