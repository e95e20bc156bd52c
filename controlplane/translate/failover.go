package translate

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/controlplane/model"
)

// failoverOn is Istio's default locality load balancing: a cluster with outlier detection fails
// over by locality (its endpoints get priorities relative to the proxy's locality) unless the mesh
// or the rule's loadBalancer turns localityLbSetting off.
func failoverOn(s *model.Snapshot, c *clusterv3.Cluster, policy *networking.TrafficPolicy, port uint32) bool {
	if c.GetOutlierDetection() == nil {
		return false
	}
	if e := s.Mesh.GetLocalityLbSetting().GetEnabled(); e != nil && !e.GetValue() {
		return false
	}
	lb := policy.GetLoadBalancer()
	for _, pl := range policy.GetPortLevelSettings() {
		if pl.GetPort().GetNumber() == port && pl.GetLoadBalancer() != nil {
			lb = pl.GetLoadBalancer()
		}
	}
	if e := lb.GetLocalityLbSetting().GetEnabled(); e != nil && !e.GetValue() {
		return false
	}
	return true
}

// proxyLocality is where the proxy runs: the locality of its own endpoint (its pod's node), found by
// its address; unknown (zero) when no service selects it.
func proxyLocality(s *model.Snapshot, p *Proxy) model.Locality {
	byIP := s.Memo("locality-by-ip", func() any {
		m := map[string]model.Locality{}
		for _, svc := range s.Services {
			for _, e := range s.Endpoints(svc) {
				if e.Locality != (model.Locality{}) {
					m[e.Address] = e.Locality
				}
			}
		}
		return m
	}).(map[string]model.Locality)
	if !p.ID.IP.IsValid() {
		return model.Locality{}
	}
	return byIP[p.ID.IP.Unmap().String()]
}

// withPriorities is a copy of cla whose locality groups have Istio's failover priorities seen from
// loc: 0 the same region, zone and subzone, then the same zone, then the same region, then the
// rest; the levels used are renumbered from 0 without gaps, as Envoy requires.
func withPriorities(cla *endpointv3.ClusterLoadAssignment, loc model.Locality) *endpointv3.ClusterLoadAssignment {
	out := proto.Clone(cla).(*endpointv3.ClusterLoadAssignment)
	raw := make([]int, len(out.Endpoints))
	used := [4]bool{}
	for i, g := range out.Endpoints {
		l := g.GetLocality()
		switch {
		case l.GetRegion() != loc.Region:
			raw[i] = 3
		case l.GetZone() != loc.Zone:
			raw[i] = 2
		case l.GetSubZone() != loc.SubZone:
			raw[i] = 1
		}
		used[raw[i]] = true
	}
	var dense [4]uint32
	n := uint32(0)
	for p, u := range used {
		dense[p] = n
		if u {
			n++
		}
	}
	for i, g := range out.Endpoints {
		g.Priority = dense[raw[i]]
	}
	return out
}
