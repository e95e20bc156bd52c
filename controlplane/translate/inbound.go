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

// inboundKey identifies what a sidecar's inbound side is made of: its ports, their mTLS modes, and
// the AuthorizationPolicies and RequestAuthentications that select it. Proxies with equal keys (in
// one namespace) share their inbound configuration.
func inboundKey(s *model.Snapshot, p *Proxy, ports []inboundPort, pol peerPolicy) string {
	b := make([]byte, 0, 16*len(ports)+8)
	for _, ip := range ports {
		b = strconv.AppendUint(b, uint64(ip.port), 10)
		b = append(b, '/')
		b = append(b, ip.protocol...)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(pol.at(ip.port)), 10)
		b = append(b, ',')
	}
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(pol.mode), 10) // the passthrough chain's
	for _, ap := range authzPolicies(s, p) {
		b = append(b, "|ap:"...)
		b = append(b, ap.Namespace+"/"+ap.Name...)
	}
	for _, ra := range requestAuthentications(s, p) {
		b = append(b, "|ra:"...)
		b = append(b, ra.Namespace+"/"+ra.Name...)
	}
	return string(b)
}

// inbound is the sidecar's inbound side for its served ports: listener virtualInbound (15006)
// with a chain per port, their clusters, and a passthrough for the rest. Each port's chains follow
// its PeerAuthentication mode (pol); every chain, the passthrough's too, carries the
// AuthorizationPolicies and RequestAuthentications selecting p, as Istio's.
func inbound(s *model.Snapshot, p *Proxy, ports []inboundPort, pol peerPolicy, r *resources) {
	tcpAuthz := authzRBAC(s, p, true)
	httpAuth := authFilters(s, p)
	passthrough := &listenerv3.FilterChain{Name: inboundPassthrough,
		Filters: append(rbacNetworkFilters(tcpAuthz, "tcp."), tcpProxy(s, inboundPassthrough, []weighted{{inboundPassthrough, 1}}))}
	if pol.mode == modeStrict {
		// Ports no Service declares are the workload's too: STRICT holds there as well.
		passthrough.TransportSocket = istioMutualDownstream()
	}
	l := &listenerv3.Listener{
		Name:               virtualInbound,
		Address:            listenerAddress("0.0.0.0", uint32(meshapi.ProxyInboundPort)),
		ListenerFilters:    []*listenerv3.ListenerFilter{originalDstFilter},
		DefaultFilterChain: passthrough,
	}
	r.clusters = append(r.clusters, inboundCluster(s, inboundPassthrough))
	sniffInbound, inspectTLS := false, false
	for _, ip := range ports {
		cluster := InboundCluster(ip.port)
		c := inboundCluster(s, cluster)
		upstreamProtocol(c, ip.protocol) // the workload speaks what the port says
		r.clusters = append(r.clusters, c)
		port := strconv.Itoa(int(ip.port))
		fc := &listenerv3.FilterChain{Name: listenerName("0.0.0.0", ip.port),
			FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: u32(ip.port)}}
		tcp := append(rbacNetworkFilters(tcpAuthz, "tcp."), tcpProxy(s, cluster, []weighted{{cluster, 1}}))
		var plain []*listenerv3.FilterChain
		switch {
		case !isHTTP(ip.protocol) && !isSniffed(ip.protocol):
			fc.Filters = tcp
			plain = []*listenerv3.FilterChain{fc}
		default:
			rc := &routev3.RouteConfiguration{Name: cluster, VirtualHosts: []*routev3.VirtualHost{{
				Name: "inbound|http|" + port, Domains: []string{"*"},
				Routes: []*routev3.Route{{Name: "default", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
					Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster}, Timeout: zeroTimeout()}}}},
			}}}
			fc.Filters = []*listenerv3.Filter{httpManager(s, "inbound_0.0.0.0_"+port, "", rc, false, httpAuth...)}
			plain = []*listenerv3.FilterChain{fc}
			if isSniffed(ip.protocol) {
				// As Istio: HTTP the proxy recognises is routed, the rest of the port is TCP.
				fc.FilterChainMatch.ApplicationProtocols = sniffedProtocols
				plain = append(plain, &listenerv3.FilterChain{Name: fc.Name + "_tcp",
					FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: u32(ip.port)}, Filters: tcp})
			}
		}
		mode := pol.at(ip.port)
		if mode == modeDisable {
			l.FilterChains = append(l.FilterChains, plain...)
			sniffInbound = sniffInbound || isSniffed(ip.protocol)
			continue
		}
		// Mutual TLS: the port's filter once TLS is terminated. A port of unknown protocol is
		// TCP inside the tunnel: sniffing reads the connection's first bytes, which are TLS.
		mtls := &listenerv3.FilterChain{Name: fc.Name, FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: u32(ip.port)},
			TransportSocket: istioMutualDownstream(), Filters: fc.Filters}
		if isSniffed(ip.protocol) {
			mtls.Filters = tcp
		}
		if mode == modeStrict {
			l.FilterChains = append(l.FilterChains, mtls)
			continue
		}
		// PERMISSIVE: TLS with Istio's ALPN is terminated, anything else served as it comes.
		mtls.Name += "_mtls"
		mtls.FilterChainMatch.TransportProtocol, mtls.FilterChainMatch.ApplicationProtocols = "tls", istioInboundALPN
		l.FilterChains = append(l.FilterChains, mtls)
		l.FilterChains = append(l.FilterChains, plain...)
		inspectTLS = true
		sniffInbound = sniffInbound || isSniffed(ip.protocol)
	}
	if inspectTLS {
		l.ListenerFilters = append(l.ListenerFilters, tlsInspectorFilter)
	}
	if sniffInbound {
		l.ListenerFilters = append(l.ListenerFilters, httpInspectorFilter)
	}
	r.listeners = append(r.listeners, l)
}
