package translate

import (
	"slices"
	"strconv"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/meshapi"
)

// inboundPort is one port the workload serves through its sidecar.
type inboundPort struct {
	port     uint32
	protocol meshapi.Protocol
}

// inboundPorts are the target ports of the services that select the proxy's workload, a named
// target port resolved through the pod's ports (POD_PORTS).
func inboundPorts(s *model.Snapshot, p *Proxy) []inboundPort {
	podPorts, _ := p.Meta.ParsedPodPorts()
	seen := map[uint32]bool{}
	var out []inboundPort
	for _, svc := range s.Services {
		if svc.FromServiceEntry || svc.Namespace != p.Namespace() || len(svc.Selector) == 0 || !matchesLabels(svc.Selector, p.Labels()) {
			continue
		}
		for _, sp := range svc.Ports {
			tp := sp.TargetPort
			if sp.TargetPortName != "" {
				for _, pp := range podPorts {
					if pp.Name == sp.TargetPortName {
						tp = uint32(pp.ContainerPort)
					}
				}
			}
			if tp == 0 || seen[tp] {
				continue
			}
			seen[tp] = true
			out = append(out, inboundPort{tp, sp.Protocol})
		}
	}
	slices.SortFunc(out, func(a, b inboundPort) int { return int(a.port) - int(b.port) })
	return out
}

// inbound is the sidecar's inbound side: listener virtualInbound (15006) with a chain per served
// port, their clusters, and a passthrough for the rest.
func inbound(s *model.Snapshot, p *Proxy, r *resources) {
	// AuthorizationPolicy and RequestAuthentication on every chain, the passthrough's too, as Istio.
	tcpAuthz := authzRBAC(s, p, true)
	httpAuth := authFilters(s, p)
	l := &listenerv3.Listener{
		Name:            virtualInbound,
		Address:         listenerAddress("0.0.0.0", uint32(meshapi.ProxyInboundPort)),
		ListenerFilters: []*listenerv3.ListenerFilter{originalDstFilter},
		DefaultFilterChain: &listenerv3.FilterChain{Name: inboundPassthrough,
			Filters: append(rbacNetworkFilters(tcpAuthz, "tcp."), tcpProxy(s, inboundPassthrough, []weighted{{inboundPassthrough, 1}}))},
	}
	r.clusters = append(r.clusters, inboundCluster(s, inboundPassthrough))
	sniffInbound := false
	for _, ip := range inboundPorts(s, p) {
		cluster := InboundCluster(ip.port)
		c := inboundCluster(s, cluster)
		upstreamProtocol(c, ip.protocol) // the workload speaks what the port says
		r.clusters = append(r.clusters, c)
		port := strconv.Itoa(int(ip.port))
		fc := &listenerv3.FilterChain{Name: listenerName("0.0.0.0", ip.port),
			FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: u32(ip.port)}}
		tcp := append(rbacNetworkFilters(tcpAuthz, "tcp."), tcpProxy(s, cluster, []weighted{{cluster, 1}}))
		if !isHTTP(ip.protocol) && !isSniffed(ip.protocol) {
			fc.Filters = tcp
			l.FilterChains = append(l.FilterChains, fc)
			continue
		}
		rc := &routev3.RouteConfiguration{Name: cluster, VirtualHosts: []*routev3.VirtualHost{{
			Name: "inbound|http|" + port, Domains: []string{"*"},
			Routes: []*routev3.Route{{Name: "default", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster}, Timeout: zeroTimeout()}}}},
		}}}
		fc.Filters = []*listenerv3.Filter{httpManager(s, "inbound_0.0.0.0_"+port, "", rc, false, httpAuth...)}
		if isSniffed(ip.protocol) {
			// As Istio: HTTP the proxy recognises is routed, the rest of the port is TCP.
			fc.FilterChainMatch.ApplicationProtocols = sniffedProtocols
			sniffInbound = true
			l.FilterChains = append(l.FilterChains, fc, &listenerv3.FilterChain{Name: fc.Name + "_tcp",
				FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: u32(ip.port)}, Filters: tcp})
			continue
		}
		l.FilterChains = append(l.FilterChains, fc)
	}
	if sniffInbound {
		l.ListenerFilters = append(l.ListenerFilters, httpInspectorFilter)
	}
	r.listeners = append(r.listeners, l)
}
