package translate

import (
	"maps"
	"slices"
	"strconv"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	meshconfig "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/meshapi"
)

// resources are generated resources by kind, each list sorted by name. eds are the endpoints to
// generate for the EDS clusters: configuration-only results (shared between snapshots that differ
// in endpoints only) carry them as specs, not as ClusterLoadAssignments.
type resources struct {
	clusters, endpoints, listeners, routes []types.Resource
	eds                                    []edsSpec
}

// edsSpec is the ClusterLoadAssignment an EDS cluster needs.
type edsSpec struct {
	cluster string
	svc     *model.Service
	port    model.Port
	subset  map[string]string
	// failover: the endpoints get locality priorities relative to the proxy (failoverOn).
	failover bool
}

// assignments are the ClusterLoadAssignments of specs in a snapshot for a proxy at loc, each computed
// once (per locality where it fails over).
func assignments(s *model.Snapshot, specs []edsSpec, loc model.Locality) []types.Resource {
	out := make([]types.Resource, 0, len(specs))
	for _, e := range specs {
		key := "eds|" + e.cluster + "|" + subsetKey(e.subset)
		base := s.Memo(key, func() any { return assignment(s, e.cluster, e.svc, e.port, e.subset) }).(*endpointv3.ClusterLoadAssignment)
		if e.failover && loc != (model.Locality{}) {
			out = append(out, s.Memo(key+"|"+localityKey(loc), func() any { return withPriorities(base, loc) }).(types.Resource))
			continue
		}
		out = append(out, base)
	}
	return out
}

// visibleServices are the services a scope sees, one per hostname (a Kubernetes Service before a
// ServiceEntry of the same host), sorted by hostname.
func visibleServices(s *model.Snapshot, sc *scope) []*model.Service {
	var out []*model.Service
	for _, svc := range s.Services {
		if n := len(out); n > 0 && out[n-1].Hostname == svc.Hostname {
			continue
		}
		if exported(or(svc.ExportTo, s.Mesh.GetDefaultServiceExportTo()), svc.Namespace, sc.ns) && sc.allows(svc.Namespace, svc.Hostname) {
			out = append(out, svc)
		}
	}
	return out
}

// serviceClusters are a service's clusters (each port, and each subset of its DestinationRule) and
// their endpoints.
// keep, when not nil, says which ports the proxy may see (a Sidecar's port-specific egress).
func serviceClusters(s *model.Snapshot, ns string, svc *model.Service, keep func(model.Port) bool, r *resources) {
	dr := destinationRule(s, ns, svc.Hostname, svc.Namespace)
	var base *networking.TrafficPolicy
	var subsets []*networking.Subset
	if dr != nil {
		base, subsets = dr.Spec.GetTrafficPolicy(), dr.Spec.GetSubsets()
	}
	for _, port := range svc.Ports {
		if keep != nil && !keep(port) {
			continue
		}
		add := func(subset string, lbls map[string]string, policy *networking.TrafficPolicy) {
			c := outboundCluster(s, svc, port, subset, policy)
			r.clusters = append(r.clusters, c)
			if c.GetType() == clusterv3.Cluster_EDS {
				r.eds = append(r.eds, edsSpec{c.Name, svc, port, lbls, failoverOn(s, c, policy, port.Port)})
			}
		}
		add("", nil, base)
		for _, ss := range subsets {
			add(ss.GetName(), ss.GetLabels(), mergePolicy(base, ss.GetTrafficPolicy()))
		}
	}
}

func subsetKey(l map[string]string) string {
	out := ""
	for _, k := range sortedKeys(l) {
		out += k + "=" + l[k] + ","
	}
	return out
}

// meshVirtualServices maps each host to the VirtualService that routes it inside the mesh for the
// scope: the oldest visible one bound to "mesh". Wildcard hosts are kept apart.
func meshVirtualServices(s *model.Snapshot, sc *scope) (exact map[string]*model.Config[*networking.VirtualService], wild []vsHost) {
	exact = map[string]*model.Config[*networking.VirtualService]{}
	rc := &routeCtx{gateways: map[string]bool{"mesh": true}}
	for _, vs := range s.VirtualServices {
		if !exported(or(vs.Spec.GetExportTo(), s.Mesh.GetDefaultVirtualServiceExportTo()), vs.Namespace, sc.ns) || !rc.boundTo(vs.Spec.GetGateways(), vs.Namespace) {
			continue
		}
		for _, h := range vs.Spec.GetHosts() {
			host := fqdn(h, vs.Namespace, s.ClusterDomain)
			if !sc.allows(vs.Namespace, host) {
				continue
			}
			if host[0] == '*' {
				wild = append(wild, vsHost{host, vs})
			} else if exact[host] == nil {
				exact[host] = vs
			}
		}
	}
	return exact, wild
}

type vsHost struct {
	host string
	vs   *model.Config[*networking.VirtualService]
}

func vsFor(host string, exact map[string]*model.Config[*networking.VirtualService], wild []vsHost) *model.Config[*networking.VirtualService] {
	if vs := exact[host]; vs != nil {
		return vs
	}
	for _, w := range wild {
		if hostMatches(w.host, host) {
			return w.vs
		}
	}
	return nil
}

// outbound is what every sidecar of a scope (and labels) receives for its outbound traffic.
func outbound(s *model.Snapshot, p *Proxy, sc *scope) *resources {
	r := &resources{}
	svcs := visibleServices(s, sc)
	for _, svc := range svcs {
		serviceClusters(s, sc.ns, svc, func(p model.Port) bool { return sc.allowsPort(svc.Namespace, svc.Hostname, p.Port) }, r)
	}
	allowAny := s.Mesh.GetOutboundTrafficPolicy().GetMode() != meshconfig.MeshConfig_OutboundTrafficPolicy_REGISTRY_ONLY
	if o := sc.sidecar; o != nil && o.Spec.GetOutboundTrafficPolicy() != nil {
		allowAny = o.Spec.GetOutboundTrafficPolicy().GetMode() != networking.OutboundTrafficPolicy_REGISTRY_ONLY
	}
	r.clusters = append(r.clusters, passthrough(s), blackHole(s))
	fallback := passthroughCluster
	if !allowAny {
		fallback = blackHoleCluster
	}
	r.listeners = append(r.listeners, virtualOutboundListener(s, uint32(meshapi.ProxyOutboundPort), fallback))

	exact, wild := meshVirtualServices(s, sc)
	// httpPorts are the ports of HTTP services (listener 0.0.0.0_PORT); routePorts also the sniffed
	// ports, whose HTTP is routed by the same route configuration "PORT".
	httpPorts, routePorts := map[uint32][]*model.Service{}, map[uint32][]*model.Service{}
	for _, svc := range svcs {
		for _, port := range svc.Ports {
			if !sc.allowsPort(svc.Namespace, svc.Hostname, port.Port) {
				continue
			}
			if isHTTP(port.Protocol) {
				httpPorts[port.Port] = append(httpPorts[port.Port], svc)
			}
			if isHTTP(port.Protocol) || isSniffed(port.Protocol) {
				routePorts[port.Port] = append(routePorts[port.Port], svc)
			}
		}
	}
	// sniffedAny: the first sniffed service without an address on a port no HTTP service uses; its
	// TCP chain is the 0.0.0.0_PORT listener's fallback.
	sniffedAny := map[uint32]*model.Service{}
	for _, svc := range svcs {
		for _, port := range svc.Ports {
			if isHTTP(port.Protocol) || !sc.allowsPort(svc.Namespace, svc.Hostname, port.Port) {
				continue
			}
			vs := vsFor(svc.Hostname, exact, wild)
			if isSniffed(port.Protocol) && serviceIP(svc) == "" {
				if len(httpPorts[port.Port]) == 0 && sniffedAny[port.Port] == nil {
					sniffedAny[port.Port] = svc
				}
				continue
			}
			if l := tcpListener(s, p, svc, port, vs, httpPorts); l != nil {
				r.listeners = append(r.listeners, l)
			}
		}
	}
	for _, port := range slices.Sorted(maps.Keys(routePorts)) {
		name := strconv.Itoa(int(port))
		r.routes = append(r.routes, meshRoutes(s, p, sc, port, routePorts[port], exact, wild, allowAny))
		if len(httpPorts[port]) == 0 && sniffedAny[port] == nil {
			continue // only sniffed services with addresses: their own listeners
		}
		l := &listenerv3.Listener{
			Name: listenerName("0.0.0.0", port), Address: listenerAddress("0.0.0.0", port), BindToPort: notBound(),
			FilterChains: []*listenerv3.FilterChain{{Name: name,
				Filters: []*listenerv3.Filter{httpManager(s, "outbound_0.0.0.0_"+name, name, nil, false)}}},
		}
		if svc := sniffedAny[port]; svc != nil {
			sniff(l, tcpFilterChain(s, p, svc, model.Port{Port: port}, vsFor(svc.Hostname, exact, wild)))
		}
		r.listeners = append(r.listeners, l)
	}
	return r
}

// meshRoutes is route configuration "PORT": a virtual host per service on that port, and one for
// everything else (passthrough or blocked).
func meshRoutes(s *model.Snapshot, p *Proxy, sc *scope, port uint32, svcs []*model.Service,
	exact map[string]*model.Config[*networking.VirtualService], wild []vsHost, allowAny bool) *routev3.RouteConfiguration {
	name := strconv.Itoa(int(port))
	rc := &routev3.RouteConfiguration{Name: name}
	used := map[string]bool{}
	for _, svc := range svcs {
		vh := &routev3.VirtualHost{Name: svc.Hostname + ":" + name}
		for _, d := range domains(svc, sc.ns, port) {
			if !used[d] {
				used[d] = true
				vh.Domains = append(vh.Domains, d)
			}
		}
		if len(vh.Domains) == 0 {
			continue
		}
		ctx := &routeCtx{s: s, proxy: p, gateways: map[string]bool{"mesh": true}, port: port, dests: map[string]bool{}}
		if vs := vsFor(svc.Hostname, exact, wild); vs != nil {
			vh.Routes = ctx.vsRoutes(vs)
		} else {
			vh.Routes = []*routev3.Route{defaultRoute(OutboundCluster(port, "", svc.Hostname))}
		}
		rc.VirtualHosts = append(rc.VirtualHosts, vh)
	}
	if allowAny {
		rc.VirtualHosts = append(rc.VirtualHosts, &routev3.VirtualHost{Name: "allow_any", Domains: []string{"*"},
			Routes: []*routev3.Route{{Name: "allow_any", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: passthroughCluster}, Timeout: zeroTimeout()}}}}})
	} else {
		rc.VirtualHosts = append(rc.VirtualHosts, &routev3.VirtualHost{Name: "block_all", Domains: []string{"*"},
			Routes: []*routev3.Route{{Name: "block_all", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: 502}}}}})
	}
	return rc
}

// defaultRoute sends everything to one cluster, with Istio's default retries and no timeout.
func defaultRoute(cluster string) *routev3.Route {
	return &routev3.Route{Name: "default", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster},
			Timeout: zeroTimeout(), RetryPolicy: retryPolicy(nil)}}}
}

// domains are the names a client of namespace ns may use for the service, as Istio lists them:
// the FQDN, the short forms its DNS search path completes, the addresses, each with ":port".
func domains(svc *model.Service, ns string, port uint32) []string {
	names := []string{svc.Hostname}
	if !svc.FromServiceEntry {
		if svc.Namespace == ns {
			names = append(names, svc.Name)
		}
		names = append(names, svc.Name+"."+svc.Namespace, svc.Name+"."+svc.Namespace+".svc")
	}
	for _, a := range svc.Addresses {
		if isIP(a) {
			names = append(names, a)
		}
	}
	p := ":" + strconv.Itoa(int(port))
	out := make([]string, 0, 2*len(names))
	for _, n := range names {
		out = append(out, n, n+p)
	}
	return out
}

// tcpListener is the listener of a TCP service port: on its address (or any address when it has
// none and no HTTP service uses the port), forwarding to its cluster or its VirtualService's. A
// sniffed port's listener (it has an address) also routes what the proxy recognises as HTTP.
func tcpListener(s *model.Snapshot, p *Proxy, svc *model.Service, port model.Port, vs *model.Config[*networking.VirtualService], httpPorts map[uint32][]*model.Service) *listenerv3.Listener {
	addr := serviceIP(svc)
	if addr == "" {
		addr = "0.0.0.0"
	}
	if addr == "0.0.0.0" && len(httpPorts[port.Port]) > 0 {
		return nil // Istio too refuses a TCP service without an address on an HTTP port
	}
	name := listenerName(addr, port.Port)
	tcp := tcpFilterChain(s, p, svc, port, vs)
	tcp.Name = name
	l := &listenerv3.Listener{Name: name, Address: listenerAddress(addr, port.Port), BindToPort: notBound(),
		FilterChains: []*listenerv3.FilterChain{tcp}}
	if isSniffed(port.Protocol) {
		rds := strconv.Itoa(int(port.Port))
		l.FilterChains = []*listenerv3.FilterChain{{Name: rds,
			Filters: []*listenerv3.Filter{httpManager(s, "outbound_"+name, rds, nil, false)}}}
		sniff(l, tcp)
	}
	return l
}

// tcpFilterChain forwards a service port's connections to its cluster, or its VirtualService's tcp
// destinations.
func tcpFilterChain(s *model.Snapshot, p *Proxy, svc *model.Service, port model.Port, vs *model.Config[*networking.VirtualService]) *listenerv3.FilterChain {
	targets := []weighted{{OutboundCluster(port.Port, "", svc.Hostname), 1}}
	if vs != nil {
		rc := &routeCtx{s: s, proxy: p, gateways: map[string]bool{"mesh": true}, port: port.Port, dests: map[string]bool{}}
		if t := rc.tcpTargets(vs); len(t) > 0 {
			targets = t
		}
	}
	stat := "outbound|" + strconv.Itoa(int(port.Port)) + "||" + svc.Hostname
	return &listenerv3.FilterChain{Name: stat, Filters: []*listenerv3.Filter{tcpProxy(s, stat, targets)}}
}

// serviceIP is the service's first IP address, "" when it has none.
func serviceIP(svc *model.Service) string {
	for _, a := range svc.Addresses {
		if isIP(a) {
			return a
		}
	}
	return ""
}

// tcpTargets are the weighted destinations of the first TCP rule of vs that applies on rc's port.
func (rc *routeCtx) tcpTargets(vs *model.Config[*networking.VirtualService]) []weighted {
	for _, tr := range vs.Spec.GetTcp() {
		ok := len(tr.GetMatch()) == 0
		for _, m := range tr.GetMatch() {
			if (m.GetPort() == 0 || m.GetPort() == rc.port) && (len(m.GetGateways()) == 0 || rc.boundTo(m.GetGateways(), vs.Namespace)) &&
				matchesLabels(m.GetSourceLabels(), rc.proxy.Labels()) {
				ok = true
			}
		}
		if !ok {
			continue
		}
		var out []weighted
		for _, d := range tr.GetRoute() {
			w := uint32(d.GetWeight())
			if len(tr.GetRoute()) == 1 {
				w = 1
			}
			out = append(out, weighted{rc.clusterOf(vs, d.GetDestination()), w})
		}
		return out
	}
	return nil
}
