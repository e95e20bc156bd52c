package translate

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/xdscontract"
)

// gatewayServer is one server of a Gateway the proxy runs.
type gatewayServer struct {
	gw     *model.Config[*networking.Gateway]
	server *networking.Server
}

func (g gatewayServer) key() string { return g.gw.Namespace + "/" + g.gw.Name }

// gatewayServers are the servers of the Gateways whose selector picks the proxy, by port.
func gatewayServers(s *model.Snapshot, p *Proxy) map[uint32][]gatewayServer {
	out := map[uint32][]gatewayServer{}
	for _, gw := range s.Gateways {
		if !matchesLabels(gw.Spec.GetSelector(), p.Labels()) {
			continue
		}
		for _, srv := range gw.Spec.GetServers() {
			out[srv.GetPort().GetNumber()] = append(out[srv.GetPort().GetNumber()], gatewayServer{gw, srv})
		}
	}
	return out
}

// targetPort is the container port the gateway's Service sends port to (80 → 8080 in Istio's
// charts); the port itself when no Service of the gateway says.
func targetPort(s *model.Snapshot, p *Proxy, port uint32) uint32 {
	for _, svc := range s.Services {
		if svc.FromServiceEntry || svc.Namespace != p.Namespace() || len(svc.Selector) == 0 || !matchesLabels(svc.Selector, p.Labels()) {
			continue
		}
		for _, sp := range svc.Ports {
			if sp.Port == port && sp.TargetPort != 0 {
				return sp.TargetPort
			}
		}
	}
	return port
}

// gateway is a router's configuration: a listener per server port, its routes, and the clusters of
// the services its routes name (nothing else).
func gateway(s *model.Snapshot, p *Proxy) *resources {
	r := &resources{}
	servers := gatewayServers(s, p)
	dests := map[string]bool{}
	for _, port := range slices.Sorted(maps.Keys(servers)) {
		tp := targetPort(s, p, port)
		l := &listenerv3.Listener{Name: listenerName("0.0.0.0", tp), Address: listenerAddress("0.0.0.0", tp)}
		var plain []gatewayServer
		for _, gs := range servers[port] {
			srv := gs.server
			proto := strings.ToUpper(srv.GetPort().GetProtocol())
			tls := srv.GetTls()
			switch {
			case (proto == "HTTPS" || proto == "TLS") && tls.GetMode() == networking.ServerTLSSettings_PASSTHROUGH ||
				proto == "TLS" && tls.GetMode() == networking.ServerTLSSettings_AUTO_PASSTHROUGH:
				l.FilterChains = append(l.FilterChains, passthroughChains(s, p, gs, port, dests)...)
			case proto == "HTTPS":
				name := "https." + strconv.Itoa(int(port)) + "." + srv.GetPort().GetName() + "." + gs.gw.Name + "." + gs.gw.Namespace
				r.routes = append(r.routes, gatewayRoutes(s, p, name, port, []gatewayServer{gs}, dests))
				l.FilterChains = append(l.FilterChains, &listenerv3.FilterChain{Name: name,
					FilterChainMatch: &listenerv3.FilterChainMatch{ServerNames: sniNames(srv.GetHosts())},
					TransportSocket:  downstreamTLS(tls),
					Filters:          []*listenerv3.Filter{httpManager(s, "outbound_0.0.0.0_"+strconv.Itoa(int(tp)), name, nil, true, authFilters(s, p)...)}})
			case proto == "HTTP" || proto == "HTTP2" || proto == "GRPC" || proto == "GRPC-WEB":
				plain = append(plain, gs)
			case proto == "TCP" || proto == "MONGO" || proto == "REDIS" || proto == "MYSQL":
				if fc := tcpServerChain(s, p, gs, port, dests); fc != nil {
					l.FilterChains = append(l.FilterChains, fc)
				}
			}
		}
		if len(plain) > 0 {
			name := "http." + strconv.Itoa(int(tp))
			r.routes = append(r.routes, gatewayRoutes(s, p, name, port, plain, dests))
			l.FilterChains = append(l.FilterChains, &listenerv3.FilterChain{Name: name,
				Filters: []*listenerv3.Filter{httpManager(s, "outbound_0.0.0.0_"+strconv.Itoa(int(tp)), name, nil, true, authFilters(s, p)...)}})
		}
		for _, fc := range l.FilterChains {
			if fc.GetFilterChainMatch() != nil && len(fc.GetFilterChainMatch().GetServerNames()) > 0 {
				l.ListenerFilters = []*listenerv3.ListenerFilter{tlsInspectorFilter}
				break
			}
		}
		if len(l.FilterChains) > 0 {
			r.listeners = append(r.listeners, l)
		}
	}
	// The clusters of the services routes name, as a sidecar of the gateway's namespace sees them.
	for _, host := range slices.Sorted(maps.Keys(dests)) {
		for _, svc := range s.ServicesByHost(host) {
			if exported(or(svc.ExportTo, s.Mesh.GetDefaultServiceExportTo()), svc.Namespace, p.Namespace()) {
				serviceClusters(s, p.Namespace(), svc, nil, r)
				break
			}
		}
	}
	r.clusters = append(r.clusters, blackHole(s))
	return r
}

// gatewayRoutes is the route configuration of some HTTP servers on one port: a virtual host per
// host a bound VirtualService routes (its routes merged in age order), else a 404 for everything.
func gatewayRoutes(s *model.Snapshot, p *Proxy, name string, port uint32, servers []gatewayServer, dests map[string]bool) *routev3.RouteConfiguration {
	rc := &routev3.RouteConfiguration{Name: name}
	vhosts := map[string]*routev3.VirtualHost{}
	merged := map[string]bool{} // host + VirtualService: routes already in the host's virtual host
	var order []string
	for _, gs := range servers {
		ctx := &routeCtx{s: s, proxy: p, gateways: map[string]bool{gs.key(): true}, port: port, dests: dests}
		for _, vs := range s.VirtualServices {
			if !ctx.boundTo(vs.Spec.GetGateways(), vs.Namespace) || len(vs.Spec.GetGateways()) == 0 {
				continue
			}
			for _, sh := range gs.server.GetHosts() {
				shNS, shHost, ok := strings.Cut(sh, "/")
				if !ok {
					shNS, shHost = "*", sh
				}
				if shNS != "*" && shNS != vs.Namespace && !(shNS == "." && vs.Namespace == gs.gw.Namespace) {
					continue
				}
				for _, h := range vs.Spec.GetHosts() {
					host := h
					if !hostsOverlap(shHost, host) {
						continue
					}
					if hostMatches(host, shHost) {
						host = shHost // the narrower of the two
					}
					vh := vhosts[host]
					if vh == nil {
						vh = &routev3.VirtualHost{Name: host + ":" + strconv.Itoa(int(port)), Domains: []string{host}}
						if gs.server.GetTls().GetHttpsRedirect() {
							vh.RequireTls = routev3.VirtualHost_ALL
						}
						vhosts[host] = vh
						order = append(order, host)
					}
					if k := host + "|" + vs.Namespace + "/" + vs.Name; merged[k] {
						continue
					} else {
						merged[k] = true
					}
					vh.Routes = append(vh.Routes, ctx.vsRoutes(vs)...)
				}
			}
		}
	}
	slices.Sort(order)
	for _, h := range order {
		rc.VirtualHosts = append(rc.VirtualHosts, vhosts[h])
	}
	if len(rc.VirtualHosts) == 0 {
		rc.VirtualHosts = []*routev3.VirtualHost{{Name: "blackhole:" + strconv.Itoa(int(port)), Domains: []string{"*"}}}
	}
	return rc
}

// sniNames are a server's hosts as server names ("ns/" dropped; "*" matches any, so none).
func sniNames(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		if _, host, ok := strings.Cut(h, "/"); ok {
			h = host
		}
		if h != "*" && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// downstreamTLS terminates TLS with the server's credential (SDS, by Kubernetes Secret name). The
// proxy keeps such chains warming until it speaks TLS (docs/xds.md).
func downstreamTLS(t *networking.ServerTLSSettings) *corev3.TransportSocket {
	ctx := &tlsv3.DownstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{AlpnProtocols: []string{"h2", "http/1.1"}}}
	name := "kubernetes://" + t.GetCredentialName()
	if t.GetCredentialName() != "" {
		ctx.CommonTlsContext.TlsCertificateSdsSecretConfigs = []*tlsv3.SdsSecretConfig{{Name: name, SdsConfig: adsSource}}
	} else if t.GetServerCertificate() != "" {
		ctx.CommonTlsContext.TlsCertificates = []*tlsv3.TlsCertificate{{CertificateChain: fileSource(t.GetServerCertificate()), PrivateKey: fileSource(t.GetPrivateKey())}}
	}
	if t.GetMode() == networking.ServerTLSSettings_MUTUAL {
		ctx.RequireClientCertificate = wrapperspb.Bool(true)
		if t.GetCredentialName() != "" {
			ctx.CommonTlsContext.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContextSdsSecretConfig{
				ValidationContextSdsSecretConfig: &tlsv3.SdsSecretConfig{Name: name + "-cacert", SdsConfig: adsSource}}
		} else if t.GetCaCertificates() != "" {
			ctx.CommonTlsContext.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContext{
				ValidationContext: &tlsv3.CertificateValidationContext{TrustedCa: fileSource(t.GetCaCertificates())}}
		}
	}
	return &corev3.TransportSocket{Name: xdscontract.TransportTLS, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(ctx)}}
}

// passthroughChains route TLS by SNI without terminating it: a chain per TLS rule of the
// VirtualServices bound to the server.
func passthroughChains(s *model.Snapshot, p *Proxy, gs gatewayServer, port uint32, dests map[string]bool) []*listenerv3.FilterChain {
	ctx := &routeCtx{s: s, proxy: p, gateways: map[string]bool{gs.key(): true}, port: port, dests: dests}
	var out []*listenerv3.FilterChain
	for _, vs := range s.VirtualServices {
		if len(vs.Spec.GetGateways()) == 0 || !ctx.boundTo(vs.Spec.GetGateways(), vs.Namespace) {
			continue
		}
		for i, tr := range vs.Spec.GetTls() {
			var snis []string
			for _, m := range tr.GetMatch() {
				if m.GetPort() == 0 || m.GetPort() == port {
					snis = append(snis, m.GetSniHosts()...)
				}
			}
			if len(snis) == 0 {
				continue
			}
			var targets []weighted
			for _, d := range tr.GetRoute() {
				w := uint32(d.GetWeight())
				if len(tr.GetRoute()) == 1 {
					w = 1
				}
				targets = append(targets, weighted{ctx.clusterOf(vs, d.GetDestination()), w})
			}
			if len(targets) == 0 {
				continue
			}
			name := vs.Namespace + "/" + vs.Name + ".tls." + strconv.Itoa(i)
			out = append(out, &listenerv3.FilterChain{Name: name,
				FilterChainMatch: &listenerv3.FilterChainMatch{ServerNames: snis, TransportProtocol: "tls"},
				Filters:          []*listenerv3.Filter{tcpProxy(s, name, targets)}})
		}
	}
	return out
}

// tcpServerChain forwards a TCP server's connections as the first bound VirtualService's TCP rule says.
func tcpServerChain(s *model.Snapshot, p *Proxy, gs gatewayServer, port uint32, dests map[string]bool) *listenerv3.FilterChain {
	ctx := &routeCtx{s: s, proxy: p, gateways: map[string]bool{gs.key(): true}, port: port, dests: dests}
	for _, vs := range s.VirtualServices {
		if len(vs.Spec.GetGateways()) == 0 || !ctx.boundTo(vs.Spec.GetGateways(), vs.Namespace) {
			continue
		}
		if t := ctx.tcpTargets(vs); len(t) > 0 {
			name := "tcp." + strconv.Itoa(int(port))
			return &listenerv3.FilterChain{Name: name, Filters: []*listenerv3.Filter{tcpProxy(s, name, t)}}
		}
	}
	return nil
}
