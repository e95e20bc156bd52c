package xds

import (
	"fmt"
	"net/netip"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	filelogv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	rbachttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnetv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"

	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/xdscontract"
)

func listener(l *listenerv3.Listener) (*ir.Listener, error) {
	out := &ir.Listener{Name: l.GetName(), BindToPort: true, UseOriginalDst: l.GetUseOriginalDst().GetValue()}
	if out.Name == "" {
		return nil, fmt.Errorf("name: required")
	}
	if b := l.GetBindToPort(); b != nil {
		out.BindToPort = b.GetValue()
	}
	sa := l.GetAddress().GetSocketAddress()
	ip, err := netip.ParseAddr(sa.GetAddress())
	if err != nil {
		return nil, fmt.Errorf("address.socket_address.address %q: want an IP address", sa.GetAddress())
	}
	if sa.GetPortValue() > 65535 {
		return nil, fmt.Errorf("address.socket_address.port_value %d", sa.GetPortValue())
	}
	out.Address = netip.AddrPortFrom(ip, uint16(sa.GetPortValue()))
	for i, f := range l.GetListenerFilters() {
		switch f.GetName() {
		case xdscontract.FilterOriginalDst:
			out.OriginalDst = true
		case xdscontract.FilterTLSInspector:
			out.InspectTLS = true
		case xdscontract.FilterHTTPInspector:
			out.InspectHTTP = true
		default:
			return nil, fmt.Errorf("listener_filters[%d]: filter %q is not in the contract", i, f.GetName())
		}
	}
	// The inbound listener's chains report as the destination (metrics).
	inbound := out.OriginalDst && !out.UseOriginalDst && out.Address.Port() == uint16(meshapi.ProxyInboundPort)
	for i, fc := range l.GetFilterChains() {
		c, err := filterChain(fc, inbound)
		if err != nil {
			return nil, fmt.Errorf("filter_chains[%d]: %w", i, err)
		}
		out.Chains = append(out.Chains, c)
	}
	for i, c := range out.Chains {
		// Without an inspector nothing names the protocol: the chain could never match.
		if len(c.Match.ApplicationProtocols) > 0 && !out.InspectHTTP && !out.InspectTLS {
			return nil, fmt.Errorf("filter_chains[%d].filter_chain_match.application_protocols: needs the %s or %s listener filter", i, xdscontract.FilterHTTPInspector, xdscontract.FilterTLSInspector)
		}
	}
	if fc := l.GetDefaultFilterChain(); fc != nil {
		c, err := filterChain(fc, inbound)
		if err != nil {
			return nil, fmt.Errorf("default_filter_chain: %w", err)
		}
		out.DefaultChain = c
	}
	return out, nil
}

func filterChain(fc *listenerv3.FilterChain, inbound bool) (*ir.FilterChain, error) {
	out := &ir.FilterChain{Name: fc.GetName()}
	if m := fc.GetFilterChainMatch(); m != nil {
		if p := m.GetDestinationPort(); p != nil {
			if p.GetValue() > 65535 {
				return nil, fmt.Errorf("filter_chain_match.destination_port %d", p.GetValue())
			}
			out.Match.DestinationPort = uint16(p.GetValue())
		}
		for i, r := range m.GetPrefixRanges() {
			ip, err := netip.ParseAddr(r.GetAddressPrefix())
			if err != nil {
				return nil, fmt.Errorf("filter_chain_match.prefix_ranges[%d]: %w", i, err)
			}
			bits := int(r.GetPrefixLen().GetValue())
			if r.GetPrefixLen() == nil {
				bits = ip.BitLen()
			}
			p, err := ip.Prefix(bits)
			if err != nil {
				return nil, fmt.Errorf("filter_chain_match.prefix_ranges[%d]: %w", i, err)
			}
			out.Match.PrefixRanges = append(out.Match.PrefixRanges, p)
		}
		out.Match.ServerNames = m.GetServerNames()
		switch t := m.GetTransportProtocol(); t {
		case "", ir.TransportTLS, ir.TransportRaw:
			out.Match.TransportProtocol = t
		default:
			return nil, fmt.Errorf("filter_chain_match.transport_protocol %q: want tls or raw_buffer", t)
		}
		for i, p := range m.GetApplicationProtocols() {
			// Sniffed names (http_inspector) or, after tls_inspector, any ALPN value.
			if p == "" {
				return nil, fmt.Errorf("filter_chain_match.application_protocols[%d]: empty", i)
			}
			out.Match.ApplicationProtocols = append(out.Match.ApplicationProtocols, p)
		}
	}
	if ts := fc.GetTransportSocket(); ts != nil {
		t, warming, err := transportSocket(ts, false)
		if err != nil {
			return nil, fmt.Errorf("transport_socket: %w", err)
		}
		out.TLS, out.Warming = t, warming
	}
	filters := fc.GetFilters()
	if len(filters) == 0 {
		return nil, fmt.Errorf("filters: required")
	}
	var rbac []*ir.RBAC
	for i, f := range filters[:len(filters)-1] {
		if f.GetName() != xdscontract.FilterNetworkRBAC {
			return nil, fmt.Errorf("filters[%d]: %q: only %s may precede the last filter", i, f.GetName(), xdscontract.FilterNetworkRBAC)
		}
		var cfg rbacnetv3.RBAC
		if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
			return nil, fmt.Errorf("filters[%d].typed_config: want network RBAC: %w", i, err)
		}
		r, err := rbacRules(cfg.GetRules())
		if err != nil {
			return nil, fmt.Errorf("filters[%d](RBAC).rules.%w", i, err)
		}
		rbac = append(rbac, r)
	}
	last := len(filters) - 1
	f := filters[last]
	switch f.GetName() {
	case xdscontract.FilterHCM:
		var hcm hcmv3.HttpConnectionManager
		if err := f.GetTypedConfig().UnmarshalTo(&hcm); err != nil {
			return nil, fmt.Errorf("filters[%d].typed_config: want HttpConnectionManager: %w", last, err)
		}
		if len(rbac) > 0 {
			return nil, fmt.Errorf("filters: network RBAC before an HTTP connection manager: send HTTP RBAC in its http_filters")
		}
		m, err := httpManager(&hcm, inbound)
		if err != nil {
			return nil, fmt.Errorf("filters[%d](HttpConnectionManager): %w", last, err)
		}
		out.HTTP = m
	case xdscontract.FilterTCPProxy:
		var tp tcpv3.TcpProxy
		if err := f.GetTypedConfig().UnmarshalTo(&tp); err != nil {
			return nil, fmt.Errorf("filters[%d].typed_config: want TcpProxy: %w", last, err)
		}
		out.TCP = &ir.TCPProxy{StatPrefix: tp.GetStatPrefix(), Inbound: inbound, RBAC: rbac}
		logs, err := accessLogs(tp.GetAccessLog())
		if err != nil {
			return nil, fmt.Errorf("filters[%d](TcpProxy).%w", last, err)
		}
		out.TCP.AccessLogs = logs
		if c := tp.GetCluster(); c != "" {
			out.TCP.Clusters = []ir.WeightedCluster{{Name: c, Weight: 1}}
		}
		for _, wc := range tp.GetWeightedClusters().GetClusters() {
			out.TCP.Clusters = append(out.TCP.Clusters, ir.WeightedCluster{Name: wc.GetName(), Weight: wc.GetWeight()})
		}
		if len(out.TCP.Clusters) == 0 {
			return nil, fmt.Errorf("filters[%d](TcpProxy): cluster or weighted_clusters: required", last)
		}
	default:
		return nil, fmt.Errorf("filters[%d]: filter %q is not in the contract", last, f.GetName())
	}
	return out, nil
}

func httpManager(h *hcmv3.HttpConnectionManager, inbound bool) (*ir.HTTPManager, error) {
	out := &ir.HTTPManager{StatPrefix: h.GetStatPrefix(), UseRemoteAddress: h.GetUseRemoteAddress().GetValue(), Inbound: inbound}
	var err error
	if out.AccessLogs, err = accessLogs(h.GetAccessLog()); err != nil {
		return nil, err
	}
	switch {
	case h.GetRds() != nil:
		if src := h.GetRds().GetConfigSource(); src != nil && src.GetAds() == nil {
			return nil, fmt.Errorf("rds.config_source: only ADS is supported")
		}
		out.RouteName = h.GetRds().GetRouteConfigName()
		if out.RouteName == "" {
			return nil, fmt.Errorf("rds.route_config_name: required")
		}
	case h.GetRouteConfig() != nil:
		rc, err := routeConfig(h.GetRouteConfig())
		if err != nil {
			return nil, fmt.Errorf("route_config: %w", err)
		}
		out.Route = rc
	default:
		return nil, fmt.Errorf("rds or route_config: required")
	}
	// Fault and CORS act per route (typed_per_filter_config); what matters is that the router is
	// last, that authentication and authorization come first (jwt_authn, then RBAC), and nothing
	// else is asked for.
	filters := h.GetHttpFilters()
	if len(filters) == 0 || filters[len(filters)-1].GetName() != xdscontract.FilterRouter {
		return nil, fmt.Errorf("http_filters: the last filter must be %s", xdscontract.FilterRouter)
	}
	stage := 0 // 0: jwt_authn may come, 1: RBAC may come, 2: the per-route filters
	for i, f := range filters {
		switch f.GetName() {
		case xdscontract.FilterJWTAuthn:
			if stage > 0 {
				return nil, fmt.Errorf("http_filters[%d]: %s must be first and only once", i, f.GetName())
			}
			var cfg jwtv3.JwtAuthentication
			if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
				return nil, fmt.Errorf("http_filters[%d].typed_config: want JwtAuthentication: %w", i, err)
			}
			j, err := jwtAuthn(&cfg)
			if err != nil {
				return nil, fmt.Errorf("http_filters[%d](JwtAuthentication).%w", i, err)
			}
			out.JWT, stage = j, 1
		case xdscontract.FilterHTTPRBAC:
			if stage > 1 {
				return nil, fmt.Errorf("http_filters[%d]: %s must precede fault, CORS and the router", i, f.GetName())
			}
			var cfg rbachttpv3.RBAC
			if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
				return nil, fmt.Errorf("http_filters[%d].typed_config: want RBAC: %w", i, err)
			}
			r, err := rbacRules(cfg.GetRules())
			if err != nil {
				return nil, fmt.Errorf("http_filters[%d](RBAC).rules.%w", i, err)
			}
			out.RBAC, stage = append(out.RBAC, r), 1
		case xdscontract.FilterFault, xdscontract.FilterCORS, xdscontract.FilterRouter:
			stage = 2
		default:
			return nil, fmt.Errorf("http_filters[%d]: filter %q is not in the contract", i, f.GetName())
		}
	}
	return out, nil
}

// rdsName is the route configuration a chain's HTTP connection manager subscribes to, if any.
func rdsName(fc *listenerv3.FilterChain) string {
	for _, f := range fc.GetFilters() {
		if f.GetName() != xdscontract.FilterHCM {
			continue
		}
		var hcm hcmv3.HttpConnectionManager
		if err := f.GetTypedConfig().UnmarshalTo(&hcm); err == nil {
			return hcm.GetRds().GetRouteConfigName()
		}
	}
	return ""
}

// accessLogs are the files of a filter's access logs: file loggers in Istio's default text format,
// the one format the proxy writes.
func accessLogs(logs []*accesslogv3.AccessLog) ([]string, error) {
	var out []string
	for i, l := range logs {
		if l.GetName() != xdscontract.AccessLoggerFile {
			return nil, fmt.Errorf("access_log[%d]: logger %q is not in the contract", i, l.GetName())
		}
		var f filelogv3.FileAccessLog
		if err := l.GetTypedConfig().UnmarshalTo(&f); err != nil {
			return nil, fmt.Errorf("access_log[%d].typed_config: want FileAccessLog: %w", i, err)
		}
		if f.GetPath() == "" {
			return nil, fmt.Errorf("access_log[%d](FileAccessLog).path: required", i)
		}
		if f.GetLogFormat().GetTextFormatSource().GetInlineString() != meshapi.AccessLogFormat {
			return nil, fmt.Errorf("access_log[%d](FileAccessLog).log_format: only Istio's default text format (inline_string) is supported", i)
		}
		out = append(out, f.GetPath())
	}
	return out, nil
}
