package xds

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/xdscontract"
)

// cluster translates a Cluster; eds holds the endpoints received for EDS clusters.
func cluster(c *clusterv3.Cluster, eds map[string]*endpointv3.ClusterLoadAssignment) (*ir.Cluster, error) {
	out := &ir.Cluster{Name: c.GetName(), ConnectTimeout: dur(c.GetConnectTimeout()), PanicThreshold: 50}
	if out.Name == "" {
		return nil, fmt.Errorf("name: required")
	}
	switch c.GetType() {
	case clusterv3.Cluster_EDS:
		out.Type = ir.ClusterEDS
		if src := c.GetEdsClusterConfig().GetEdsConfig(); src != nil && src.GetAds() == nil {
			return nil, fmt.Errorf("eds_cluster_config.eds_config: only ADS is supported")
		}
		if cla := eds[out.Name]; cla != nil {
			eps, err := endpoints(cla, false)
			if err != nil {
				return nil, fmt.Errorf("endpoints: %w", err)
			}
			out.Endpoints = eps
		}
	case clusterv3.Cluster_STATIC, clusterv3.Cluster_STRICT_DNS:
		out.Type = ir.ClusterStatic
		dns := c.GetType() == clusterv3.Cluster_STRICT_DNS
		if dns {
			//lint:ignore SA1019 docs/xds.md has meshd send dns_refresh_rate, not the DNS cluster extension
			out.Type, out.DNSRefresh = ir.ClusterStrictDNS, dur(c.GetDnsRefreshRate())
		}
		if cla := c.GetLoadAssignment(); cla != nil {
			eps, err := endpoints(cla, dns)
			if err != nil {
				return nil, fmt.Errorf("load_assignment: %w", err)
			}
			out.Endpoints = eps
		}
	case clusterv3.Cluster_ORIGINAL_DST:
		out.Type = ir.ClusterOriginalDst
	default:
		return nil, fmt.Errorf("type %s: want EDS, STATIC, STRICT_DNS or ORIGINAL_DST", c.GetType())
	}
	switch c.GetLbPolicy() {
	case clusterv3.Cluster_ROUND_ROBIN:
		out.LB = ir.LBRoundRobin
	case clusterv3.Cluster_LEAST_REQUEST:
		out.LB = ir.LBLeastRequest
	case clusterv3.Cluster_RANDOM:
		out.LB = ir.LBRandom
	case clusterv3.Cluster_RING_HASH, clusterv3.Cluster_MAGLEV:
		out.LB = ir.LBRingHash
		out.RingSize = int(c.GetRingHashLbConfig().GetMinimumRingSize().GetValue())
	case clusterv3.Cluster_CLUSTER_PROVIDED:
		if out.Type != ir.ClusterOriginalDst {
			return nil, fmt.Errorf("lb_policy CLUSTER_PROVIDED: only with type ORIGINAL_DST")
		}
	default:
		return nil, fmt.Errorf("lb_policy %s: not supported", c.GetLbPolicy())
	}
	if th := c.GetCircuitBreakers().GetThresholds(); len(th) > 0 {
		if len(th) > 1 {
			return nil, fmt.Errorf("circuit_breakers.thresholds: one entry (the default priority), got %d", len(th))
		}
		t := th[0]
		out.Limits = ir.Limits{
			MaxConnections:     u32(t.GetMaxConnections()),
			MaxPendingRequests: u32(t.GetMaxPendingRequests()),
			MaxRequests:        u32(t.GetMaxRequests()),
			MaxRetries:         u32(t.GetMaxRetries()),
		}
	}
	for key, a := range c.GetTypedExtensionProtocolOptions() {
		if key != xdscontract.HTTPProtocolOptionsKey {
			return nil, fmt.Errorf("typed_extension_protocol_options[%s]: not supported", key)
		}
		var o httpv3.HttpProtocolOptions
		if err := a.UnmarshalTo(&o); err != nil {
			return nil, fmt.Errorf("typed_extension_protocol_options[%s]: %w", key, err)
		}
		if e := o.GetExplicitHttpConfig(); e != nil {
			out.HTTP2 = e.GetHttp2ProtocolOptions() != nil
		}
		out.DownstreamProtocol = o.GetUseDownstreamProtocolConfig() != nil
		if co := o.GetCommonHttpProtocolOptions(); co != nil {
			out.IdleTimeout = dur(co.GetIdleTimeout())
			out.MaxRequestsPerConnection = u32(co.GetMaxRequestsPerConnection())
		}
	}
	if ka := c.GetUpstreamConnectionOptions().GetTcpKeepalive(); ka != nil {
		out.Keepalive = &ir.TCPKeepalive{Probes: u32(ka.GetKeepaliveProbes()),
			Time: time.Duration(ka.GetKeepaliveTime().GetValue()) * time.Second, Interval: time.Duration(ka.GetKeepaliveInterval().GetValue()) * time.Second}
	}
	if od := c.GetOutlierDetection(); od != nil {
		out.Outlier = outlier(od)
	}
	if p := c.GetCommonLbConfig().GetHealthyPanicThreshold(); p != nil {
		out.PanicThreshold = p.GetValue()
	}
	if ts := c.GetTransportSocket(); ts != nil {
		t, warming, err := transportSocket(ts, true)
		if err != nil {
			return nil, fmt.Errorf("transport_socket: %w", err)
		}
		out.TLS, out.Warming = t, warming
	}
	for i, m := range c.GetTransportSocketMatches() {
		tm := ir.TLSMatch{Name: m.GetName(), Match: map[string]string{}}
		for k, v := range m.GetMatch().GetFields() {
			s, ok := v.GetKind().(*structpb.Value_StringValue)
			if !ok {
				return nil, fmt.Errorf("transport_socket_matches[%d].match.%s: want a string", i, k)
			}
			tm.Match[k] = s.StringValue
		}
		if ts := m.GetTransportSocket(); ts != nil {
			t, warming, err := transportSocket(ts, true)
			if err != nil {
				return nil, fmt.Errorf("transport_socket_matches[%d].transport_socket: %w", i, err)
			}
			tm.TLS, out.Warming = t, firstNonEmpty(out.Warming, warming)
		}
		out.TLSMatches = append(out.TLSMatches, tm)
	}
	if out.Warming != "" {
		out.Endpoints = nil
	}
	if b := c.GetUpstreamBindConfig(); b != nil {
		ip, err := netip.ParseAddr(b.GetSourceAddress().GetAddress())
		if err != nil {
			return nil, fmt.Errorf("upstream_bind_config.source_address: %w", err)
		}
		out.BindAddress = ip
	}
	return out, nil
}

// outlier translates outlier detection with Envoy's defaults; an enforcing percentage of 0 turns a
// detector off (meshd sends 0 or 100).
func outlier(od *clusterv3.OutlierDetection) *ir.OutlierDetection {
	out := &ir.OutlierDetection{
		Consecutive5xx:     int(orU32(od.GetConsecutive_5Xx(), 5)),
		Interval:           durOr(od.GetInterval(), 10*time.Second),
		BaseEjectionTime:   durOr(od.GetBaseEjectionTime(), 30*time.Second),
		MaxEjectionPercent: int(orU32(od.GetMaxEjectionPercent(), 10)),
	}
	if orU32(od.GetEnforcingConsecutive_5Xx(), 100) == 0 {
		out.Consecutive5xx = 0
	}
	if orU32(od.GetEnforcingConsecutiveGatewayFailure(), 0) > 0 {
		out.ConsecutiveGatewayFailure = int(orU32(od.GetConsecutiveGatewayFailure(), 5))
	}
	if od.GetSplitExternalLocalOriginErrors() {
		out.SplitLocalOrigin = true
		if orU32(od.GetEnforcingConsecutiveLocalOriginFailure(), 100) > 0 {
			out.ConsecutiveLocalOrigin = int(orU32(od.GetConsecutiveLocalOriginFailure(), 5))
		}
	}
	return out
}

// maxPriority bounds failover levels (Istio uses at most a handful).
const maxPriority = 127

// endpoints translates a ClusterLoadAssignment; hostnames are allowed only for STRICT_DNS.
func endpoints(cla *endpointv3.ClusterLoadAssignment, hostnames bool) ([]ir.Endpoint, error) {
	var out []ir.Endpoint
	for i, loc := range cla.GetEndpoints() {
		l := loc.GetLocality()
		locality := l.GetRegion() + "/" + l.GetZone() + "/" + l.GetSubZone()
		lw := loc.GetLoadBalancingWeight().GetValue()
		if loc.GetPriority() > maxPriority {
			return nil, fmt.Errorf("endpoints[%d].priority %d: at most %d", i, loc.GetPriority(), maxPriority)
		}
		for j, e := range loc.GetLbEndpoints() {
			addr, err := socketAddress(e.GetEndpoint().GetAddress(), hostnames)
			if err != nil {
				return nil, fmt.Errorf("endpoints[%d].lb_endpoints[%d].endpoint.address: %w", i, j, err)
			}
			w := uint32(1)
			if lbw := e.GetLoadBalancingWeight(); lbw != nil {
				w = lbw.GetValue()
			}
			ep := ir.Endpoint{Address: addr, Weight: w, Locality: locality, LocalityWeight: lw, Priority: loc.GetPriority()}
			for k, v := range e.GetMetadata().GetFilterMetadata() {
				if k != xdscontract.TransportSocketMatch {
					return nil, fmt.Errorf("endpoints[%d].lb_endpoints[%d].metadata.filter_metadata[%s]: only %s", i, j, k, xdscontract.TransportSocketMatch)
				}
				ep.TLSMatch = map[string]string{}
				for mk, mv := range v.GetFields() {
					s, ok := mv.GetKind().(*structpb.Value_StringValue)
					if !ok {
						return nil, fmt.Errorf("endpoints[%d].lb_endpoints[%d].metadata.filter_metadata[%s].%s: want a string", i, j, k, mk)
					}
					ep.TLSMatch[mk] = s.StringValue
				}
			}
			out = append(out, ep)
		}
	}
	return out, nil
}

func socketAddress(a *corev3.Address, hostnames bool) (string, error) {
	sa := a.GetSocketAddress()
	if sa == nil {
		return "", fmt.Errorf("socket_address: required")
	}
	host := sa.GetAddress()
	if _, err := netip.ParseAddr(host); err != nil && !hostnames {
		return "", fmt.Errorf("address %q: want an IP address", host)
	}
	if sa.GetPortValue() == 0 || sa.GetPortValue() > 65535 {
		return "", fmt.Errorf("port_value %d: want 1-65535", sa.GetPortValue())
	}
	return net.JoinHostPort(host, strconv.Itoa(int(sa.GetPortValue()))), nil
}

func dur(d *durationpb.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.AsDuration()
}

func durOr(d *durationpb.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return d.AsDuration()
}

func u32(v *wrapperspb.UInt32Value) int { return int(v.GetValue()) }

func orU32(v *wrapperspb.UInt32Value, def uint32) uint32 {
	if v == nil {
		return def
	}
	return v.GetValue()
}
