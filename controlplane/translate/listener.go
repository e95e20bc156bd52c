package translate

import (
	"net/netip"
	"slices"
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	httpinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/http_inspector/v3"
	origdstv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/original_dst/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/xdscontract"
)

// listenerName is Istio's "ADDRESS_PORT".
func listenerName(addr string, port uint32) string { return addr + "_" + strconv.Itoa(int(port)) }

func listenerAddress(addr string, port uint32) *corev3.Address { return socketAddress(addr, port) }

// httpFilters are every HTTP connection manager's: fault and CORS act only where a route's
// typed_per_filter_config asks; the router is last.
var httpFilters = func() []*hcmv3.HttpFilter {
	return []*hcmv3.HttpFilter{
		{Name: xdscontract.FilterFault, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&faultv3.HTTPFault{})}},
		{Name: xdscontract.FilterCORS, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&corsv3.Cors{})}},
		{Name: xdscontract.FilterRouter, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&routerv3.Router{})}},
	}
}()

// httpManager is the network filter of an HTTP chain: routes by RDS name, or inline. auth are the
// chain's authentication and authorization filters (authFilters), which go first.
func httpManager(s *model.Snapshot, statPrefix, rds string, inline *routev3.RouteConfiguration, gateway bool, auth ...*hcmv3.HttpFilter) *listenerv3.Filter {
	h := &hcmv3.HttpConnectionManager{StatPrefix: statPrefix, HttpFilters: httpFilters, AccessLog: accessLogs(s)}
	if len(auth) > 0 {
		h.HttpFilters = append(auth[:len(auth):len(auth)], httpFilters...)
	}
	if inline != nil {
		h.RouteSpecifier = &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: inline}
	} else {
		h.RouteSpecifier = &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{RouteConfigName: rds, ConfigSource: adsSource}}
	}
	if gateway {
		h.UseRemoteAddress = wrapperspb.Bool(true)
		h.StripPortMode = &hcmv3.HttpConnectionManager_StripAnyHostPort{StripAnyHostPort: true}
	}
	return &listenerv3.Filter{Name: xdscontract.FilterHCM, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(h)}}
}

// tcpProxy forwards to one cluster, or to several by weight.
func tcpProxy(s *model.Snapshot, statPrefix string, clusters []weighted) *listenerv3.Filter {
	t := &tcpv3.TcpProxy{StatPrefix: statPrefix, AccessLog: accessLogs(s)}
	if len(clusters) == 1 {
		t.ClusterSpecifier = &tcpv3.TcpProxy_Cluster{Cluster: clusters[0].name}
	} else {
		wc := &tcpv3.TcpProxy_WeightedCluster{}
		for _, c := range clusters {
			wc.Clusters = append(wc.Clusters, &tcpv3.TcpProxy_WeightedCluster_ClusterWeight{Name: c.name, Weight: c.weight})
		}
		t.ClusterSpecifier = &tcpv3.TcpProxy_WeightedClusters{WeightedClusters: wc}
	}
	return &listenerv3.Filter{Name: xdscontract.FilterTCPProxy, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(t)}}
}

type weighted struct {
	name   string
	weight uint32
}

var (
	originalDstFilter = &listenerv3.ListenerFilter{Name: xdscontract.FilterOriginalDst,
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(&origdstv3.OriginalDst{})}}
	tlsInspectorFilter = &listenerv3.ListenerFilter{Name: xdscontract.FilterTLSInspector,
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(&tlsinspectorv3.TlsInspector{})}}
	httpInspectorFilter = &listenerv3.ListenerFilter{Name: xdscontract.FilterHTTPInspector,
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(&httpinspectorv3.HttpInspector{})}}
)

// sniffedProtocols are what the HTTP inspector names HTTP; Istio's chains also list http/1.0, which
// the proxy's inspector reports as http/1.1.
var sniffedProtocols = []string{"http/1.1", "h2c"}

// sniff makes l a listener of a port of unknown protocol, as Istio's: the HTTP inspector, its HTTP
// chains (the ones it has) taking the sniffed HTTP protocols, and tcp taking the rest.
func sniff(l *listenerv3.Listener, tcp *listenerv3.FilterChain) {
	if !slices.ContainsFunc(l.ListenerFilters, func(f *listenerv3.ListenerFilter) bool { return f.GetName() == xdscontract.FilterHTTPInspector }) {
		l.ListenerFilters = append(l.ListenerFilters, httpInspectorFilter)
	}
	for _, fc := range l.FilterChains {
		if fc.FilterChainMatch == nil {
			fc.FilterChainMatch = &listenerv3.FilterChainMatch{}
		}
		fc.FilterChainMatch.ApplicationProtocols = sniffedProtocols
	}
	l.FilterChains = append(l.FilterChains, tcp)
}

// virtualOutboundListener takes the pod's captured outbound connections on 15001 and hands each to
// the listener of its original destination; what no listener takes goes to the default chain.
func virtualOutboundListener(s *model.Snapshot, port uint32, fallback string) *listenerv3.Listener {
	return &listenerv3.Listener{
		Name:               virtualOutbound,
		Address:            listenerAddress("0.0.0.0", port),
		UseOriginalDst:     wrapperspb.Bool(true),
		DefaultFilterChain: &listenerv3.FilterChain{Name: fallback, Filters: []*listenerv3.Filter{tcpProxy(s, fallback, []weighted{{fallback, 1}})}},
	}
}

// notBound: a listener that only receives connections handed over by virtualOutbound.
func notBound() *wrapperspb.BoolValue { return wrapperspb.Bool(false) }

// isIP: the address is an IP (ServiceEntry addresses may be CIDRs, which get no listener of their own).
func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func u32(v uint32) *wrapperspb.UInt32Value { return wrapperspb.UInt32(v) }
