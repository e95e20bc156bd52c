package translate

import (
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/xdscontract"
)

// defaultConnectTimeout is the mesh's connectTimeout default.
const defaultConnectTimeout = 10 * time.Second

var adsSource = &corev3.ConfigSource{
	ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	ResourceApiVersion:    corev3.ApiVersion_V3,
}

// outboundCluster is the cluster of one service port and subset, shaped by the DestinationRule's
// traffic policy (the subset's over the rule's, a port's over both).
func outboundCluster(s *model.Snapshot, svc *model.Service, port model.Port, subset string, policy *networking.TrafficPolicy) *clusterv3.Cluster {
	c := &clusterv3.Cluster{
		Name:           OutboundCluster(port.Port, subset, svc.Hostname),
		ConnectTimeout: durationpb.New(connectTimeout(s)),
		LbPolicy:       clusterv3.Cluster_LEAST_REQUEST,
	}
	switch svc.Resolution {
	case model.ResolveEDS:
		c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS}
		c.EdsClusterConfig = &clusterv3.Cluster_EdsClusterConfig{EdsConfig: adsSource}
	case model.ResolveDNS:
		c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS}
		//lint:ignore SA1019 docs/xds.md: the proxy reads dns_refresh_rate, not the DNS cluster extension
		c.DnsRefreshRate = durationpb.New(5 * time.Second)
		c.LoadAssignment = dnsAssignment(s, c.Name, svc, port)
	case model.ResolvePassthrough:
		c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_ORIGINAL_DST}
		c.LbPolicy = clusterv3.Cluster_CLUSTER_PROVIDED
	}
	upstreamProtocol(c, port.Protocol)
	applyPolicy(s, c, policy, port.Port, svc, subset)
	return c
}

// upstreamProtocol is the HTTP the cluster speaks to the endpoints of a port: HTTP/2 for http2 and
// grpc; for a port of unknown protocol, as Istio, the client's own (h2c and gRPC stay HTTP/2);
// HTTP/1.1 otherwise. DestinationRule h2UpgradePolicy UPGRADE may replace it later.
func upstreamProtocol(c *clusterv3.Cluster, p meshapi.Protocol) {
	switch {
	case isHTTP2(p):
		setHTTPOptions(c, func(o *httpv3.HttpProtocolOptions) { o.UpstreamProtocolOptions = http2Options() })
	case isSniffed(p):
		setHTTPOptions(c, func(o *httpv3.HttpProtocolOptions) {
			o.UpstreamProtocolOptions = &httpv3.HttpProtocolOptions_UseDownstreamProtocolConfig{UseDownstreamProtocolConfig: &httpv3.HttpProtocolOptions_UseDownstreamHttpConfig{
				HttpProtocolOptions: &corev3.Http1ProtocolOptions{}, Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}}}
		})
	}
}

func connectTimeout(s *model.Snapshot) time.Duration {
	if d := s.Mesh.GetConnectTimeout(); d != nil {
		return d.AsDuration()
	}
	return defaultConnectTimeout
}

func http2Options() *httpv3.HttpProtocolOptions_ExplicitHttpConfig_ {
	return &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
		ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}}}}
}

// setHTTPOptions edits the cluster's HttpProtocolOptions, creating them.
func setHTTPOptions(c *clusterv3.Cluster, edit func(*httpv3.HttpProtocolOptions)) {
	o := &httpv3.HttpProtocolOptions{}
	if a := c.TypedExtensionProtocolOptions[xdscontract.HTTPProtocolOptionsKey]; a != nil {
		_ = a.UnmarshalTo(o)
	}
	edit(o)
	a, err := anypb.New(o)
	if err != nil {
		panic(err) // a registered message always marshals
	}
	if c.TypedExtensionProtocolOptions == nil {
		c.TypedExtensionProtocolOptions = map[string]*anypb.Any{}
	}
	c.TypedExtensionProtocolOptions[xdscontract.HTTPProtocolOptionsKey] = a
}

// mergePolicy is a subset's traffic policy over the rule's: each top-level setting the subset has
// replaces the rule's, as Istio merges them.
func mergePolicy(base, over *networking.TrafficPolicy) *networking.TrafficPolicy {
	if over == nil {
		return base
	}
	if base == nil {
		return over
	}
	out := &networking.TrafficPolicy{
		LoadBalancer: base.LoadBalancer, ConnectionPool: base.ConnectionPool, OutlierDetection: base.OutlierDetection,
		Tls: base.Tls, PortLevelSettings: base.PortLevelSettings,
	}
	if over.LoadBalancer != nil {
		out.LoadBalancer = over.LoadBalancer
	}
	if over.ConnectionPool != nil {
		out.ConnectionPool = over.ConnectionPool
	}
	if over.OutlierDetection != nil {
		out.OutlierDetection = over.OutlierDetection
	}
	if over.Tls != nil {
		out.Tls = over.Tls
	}
	if over.PortLevelSettings != nil {
		out.PortLevelSettings = over.PortLevelSettings
	}
	return out
}

// applyPolicy sets what a DestinationRule's traffic policy asks for, the port's settings first.
func applyPolicy(s *model.Snapshot, c *clusterv3.Cluster, p *networking.TrafficPolicy, port uint32, svc *model.Service, subset string) {
	if p == nil {
		applyTLS(s, c, nil, svc, port, subset)
		return
	}
	lb, pool, od, tls := p.GetLoadBalancer(), p.GetConnectionPool(), p.GetOutlierDetection(), p.GetTls()
	for _, pl := range p.GetPortLevelSettings() {
		if pl.GetPort().GetNumber() != port {
			continue
		}
		if pl.LoadBalancer != nil {
			lb = pl.LoadBalancer
		}
		if pl.ConnectionPool != nil {
			pool = pl.ConnectionPool
		}
		if pl.OutlierDetection != nil {
			od = pl.OutlierDetection
		}
		if pl.Tls != nil {
			tls = pl.Tls
		}
	}
	applyLB(c, lb)
	applyPool(c, pool)
	applyOutlier(c, od)
	applyTLS(s, c, tls, svc, port, subset)
}

func applyLB(c *clusterv3.Cluster, lb *networking.LoadBalancerSettings) {
	if lb == nil || c.LbPolicy == clusterv3.Cluster_CLUSTER_PROVIDED {
		return
	}
	switch lb.GetSimple() {
	case networking.LoadBalancerSettings_ROUND_ROBIN:
		c.LbPolicy = clusterv3.Cluster_ROUND_ROBIN
	case networking.LoadBalancerSettings_RANDOM:
		c.LbPolicy = clusterv3.Cluster_RANDOM
	case networking.LoadBalancerSettings_LEAST_REQUEST, networking.LoadBalancerSettings_UNSPECIFIED:
		c.LbPolicy = clusterv3.Cluster_LEAST_REQUEST
	}
	if ch := lb.GetConsistentHash(); ch != nil {
		c.LbPolicy = clusterv3.Cluster_RING_HASH
		size := ch.GetRingHash().GetMinimumRingSize()
		if size == 0 {
			//lint:ignore SA1019 Istio's deprecated spelling of the same setting
			size = ch.GetMinimumRingSize()
		}
		if ch.GetMaglev() != nil {
			c.LbPolicy = clusterv3.Cluster_MAGLEV
		} else if size > 0 {
			c.LbConfig = &clusterv3.Cluster_RingHashLbConfig_{RingHashLbConfig: &clusterv3.Cluster_RingHashLbConfig{MinimumRingSize: wrapperspb.UInt64(size)}}
		}
	}
}

func applyPool(c *clusterv3.Cluster, pool *networking.ConnectionPoolSettings) {
	if pool == nil {
		return
	}
	th := &clusterv3.CircuitBreakers_Thresholds{}
	set := false
	if tcp := pool.GetTcp(); tcp != nil {
		if tcp.GetMaxConnections() > 0 {
			th.MaxConnections, set = wrapperspb.UInt32(uint32(tcp.GetMaxConnections())), true
		}
		if d := tcp.GetConnectTimeout(); d != nil {
			c.ConnectTimeout = durationpb.New(d.AsDuration())
		}
		if ka := tcp.GetTcpKeepalive(); ka != nil {
			k := &corev3.TcpKeepalive{}
			if ka.GetProbes() > 0 {
				k.KeepaliveProbes = wrapperspb.UInt32(ka.GetProbes())
			}
			if t := ka.GetTime(); t != nil {
				k.KeepaliveTime = wrapperspb.UInt32(uint32(t.AsDuration().Seconds()))
			}
			if t := ka.GetInterval(); t != nil {
				k.KeepaliveInterval = wrapperspb.UInt32(uint32(t.AsDuration().Seconds()))
			}
			c.UpstreamConnectionOptions = &clusterv3.UpstreamConnectionOptions{TcpKeepalive: k}
		}
	}
	if h := pool.GetHttp(); h != nil {
		if v := h.GetHttp1MaxPendingRequests(); v > 0 {
			th.MaxPendingRequests, set = wrapperspb.UInt32(uint32(v)), true
		}
		if v := h.GetHttp2MaxRequests(); v > 0 {
			th.MaxRequests, set = wrapperspb.UInt32(uint32(v)), true
		}
		if v := h.GetMaxRetries(); v > 0 {
			th.MaxRetries, set = wrapperspb.UInt32(uint32(v)), true
		}
		idle, perConn := h.GetIdleTimeout(), h.GetMaxRequestsPerConnection()
		if idle != nil || perConn > 0 {
			setHTTPOptions(c, func(o *httpv3.HttpProtocolOptions) {
				o.CommonHttpProtocolOptions = &corev3.HttpProtocolOptions{}
				if idle != nil {
					o.CommonHttpProtocolOptions.IdleTimeout = durationpb.New(idle.AsDuration())
				}
				if perConn > 0 {
					o.CommonHttpProtocolOptions.MaxRequestsPerConnection = wrapperspb.UInt32(uint32(perConn))
				}
			})
		}
		if h.GetH2UpgradePolicy() == networking.ConnectionPoolSettings_HTTPSettings_UPGRADE {
			setHTTPOptions(c, func(o *httpv3.HttpProtocolOptions) { o.UpstreamProtocolOptions = http2Options() })
		}
	}
	if set {
		c.CircuitBreakers = &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{th}}
	}
}

// applyOutlier: Istio turns on only the detectors a rule names (enforcing 100), the others off (0).
func applyOutlier(c *clusterv3.Cluster, od *networking.OutlierDetection) {
	if od == nil {
		return
	}
	out := &clusterv3.OutlierDetection{EnforcingConsecutive_5Xx: wrapperspb.UInt32(0), EnforcingConsecutiveGatewayFailure: wrapperspb.UInt32(0)}
	if v := od.GetConsecutive_5XxErrors(); v != nil && v.GetValue() > 0 {
		out.Consecutive_5Xx, out.EnforcingConsecutive_5Xx = wrapperspb.UInt32(v.GetValue()), wrapperspb.UInt32(100)
	}
	if v := od.GetConsecutiveGatewayErrors(); v != nil && v.GetValue() > 0 {
		out.ConsecutiveGatewayFailure, out.EnforcingConsecutiveGatewayFailure = wrapperspb.UInt32(v.GetValue()), wrapperspb.UInt32(100)
	}
	if od.GetSplitExternalLocalOriginErrors() {
		out.SplitExternalLocalOriginErrors = true
		if v := od.GetConsecutiveLocalOriginFailures(); v != nil && v.GetValue() > 0 {
			out.ConsecutiveLocalOriginFailure, out.EnforcingConsecutiveLocalOriginFailure = wrapperspb.UInt32(v.GetValue()), wrapperspb.UInt32(100)
		}
	}
	if d := od.GetInterval(); d != nil {
		out.Interval = durationpb.New(d.AsDuration())
	}
	if d := od.GetBaseEjectionTime(); d != nil {
		out.BaseEjectionTime = durationpb.New(d.AsDuration())
	}
	if v := od.GetMaxEjectionPercent(); v > 0 {
		out.MaxEjectionPercent = wrapperspb.UInt32(uint32(v))
	}
	c.OutlierDetection = out
	c.CommonLbConfig = &clusterv3.Cluster_CommonLbConfig{HealthyPanicThreshold: &typev3.Percent{Value: float64(od.GetMinHealthPercent())}}
}

// applyTLS originates TLS as the rule asks; without a tls setting, auto mTLS decides per endpoint.
func applyTLS(s *model.Snapshot, c *clusterv3.Cluster, t *networking.ClientTLSSettings, svc *model.Service, port uint32, subset string) {
	if t == nil {
		autoMTLS(s, c, svc, port, subset)
		return
	}
	if t.GetMode() == networking.ClientTLSSettings_DISABLE {
		return
	}
	if t.GetMode() == networking.ClientTLSSettings_ISTIO_MUTUAL {
		sni := t.GetSni()
		if sni == "" {
			sni = istioSNI(port, subset, svc.Hostname)
		}
		c.TransportSocket = istioMutualUpstream(sni, t.GetSubjectAltNames())
		return
	}
	// SIMPLE, MUTUAL: the files the rule names in the proxy's container, or a credential by SDS
	// (kubernetes://NAME, which the proxy keeps warming: docs/xds.md).
	ctx := &tlsv3.UpstreamTlsContext{Sni: t.GetSni(), CommonTlsContext: &tlsv3.CommonTlsContext{}}
	var validation *tlsv3.CertificateValidationContext
	if t.GetCredentialName() != "" {
		name := "kubernetes://" + t.GetCredentialName()
		if t.GetMode() == networking.ClientTLSSettings_MUTUAL {
			ctx.CommonTlsContext.TlsCertificateSdsSecretConfigs = []*tlsv3.SdsSecretConfig{sdsSecret(name)}
		}
		ctx.CommonTlsContext.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContextSdsSecretConfig{
			ValidationContextSdsSecretConfig: sdsSecret(name + "-cacert")}
	} else {
		if t.GetMode() == networking.ClientTLSSettings_MUTUAL && t.GetClientCertificate() != "" {
			ctx.CommonTlsContext.TlsCertificates = []*tlsv3.TlsCertificate{{
				CertificateChain: fileSource(t.GetClientCertificate()), PrivateKey: fileSource(t.GetPrivateKey())}}
		}
		if t.GetCaCertificates() != "" {
			validation = &tlsv3.CertificateValidationContext{TrustedCa: fileSource(t.GetCaCertificates())}
		}
	}
	if sans := t.GetSubjectAltNames(); len(sans) > 0 {
		if validation == nil {
			validation = &tlsv3.CertificateValidationContext{}
		}
		validation.MatchTypedSubjectAltNames = sanMatchers(sans, tlsv3.SubjectAltNameMatcher_DNS, tlsv3.SubjectAltNameMatcher_URI)
	}
	if validation != nil {
		if sds := ctx.CommonTlsContext.GetValidationContextSdsSecretConfig(); sds != nil {
			ctx.CommonTlsContext.ValidationContextType = &tlsv3.CommonTlsContext_CombinedValidationContext{CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
				DefaultValidationContext: validation, ValidationContextSdsSecretConfig: sds}}
		} else {
			ctx.CommonTlsContext.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: validation}
		}
	}
	if ctx.Sni == "" && svc.FromServiceEntry {
		ctx.Sni = svc.Hostname
	}
	c.TransportSocket = tlsSocket(ctx)
}

func fileSource(path string) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: path}}
}

// dnsAssignment: the endpoints a STRICT_DNS cluster resolves, the ServiceEntry's or its host.
func dnsAssignment(s *model.Snapshot, name string, svc *model.Service, port model.Port) *endpointv3.ClusterLoadAssignment {
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: name}
	eps := s.Endpoints(svc)
	if len(eps) == 0 {
		eps = []*model.Endpoint{{Address: svc.Hostname, Ready: true}}
	}
	cla.Endpoints = localityGroups(eps, func(e *model.Endpoint) (uint32, bool) { return endpointPort(port, e) })
	return cla
}

// endpointPort is the port an endpoint serves a service port on; false: it does not serve it.
func endpointPort(port model.Port, e *model.Endpoint) (uint32, bool) {
	if p, ok := e.Ports[port.Name]; ok {
		return p, true
	}
	if e.ExactPorts {
		return 0, false
	}
	if port.TargetPort != 0 {
		return port.TargetPort, true
	}
	return port.Port, true
}

// inboundCluster delivers to the workload on its own address, from 127.0.0.6 (Istio's).
func inboundCluster(s *model.Snapshot, name string) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_ORIGINAL_DST},
		LbPolicy:             clusterv3.Cluster_CLUSTER_PROVIDED,
		ConnectTimeout:       durationpb.New(connectTimeout(s)),
		UpstreamBindConfig: &corev3.BindConfig{SourceAddress: &corev3.SocketAddress{
			Address: meshapi.InboundPassthroughSource4.String(), PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 0}}},
	}
}

// passthrough is the cluster to wherever the client connected (ALLOW_ANY).
func passthrough(s *model.Snapshot) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 passthroughCluster,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_ORIGINAL_DST},
		LbPolicy:             clusterv3.Cluster_CLUSTER_PROVIDED,
		ConnectTimeout:       durationpb.New(connectTimeout(s)),
	}
}

// blackHole has no endpoints: connections to it fail (REGISTRY_ONLY).
func blackHole(s *model.Snapshot) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 blackHoleCluster,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout:       durationpb.New(connectTimeout(s)),
	}
}
