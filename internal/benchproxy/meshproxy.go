package benchproxy

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	origdstv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/original_dst/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshctl/meshctl/meshapi"
)

// The cluster names Istio would give the server's service and port.
const (
	outboundCluster = "outbound|8080||server.bench.svc.cluster.local"
	inboundCluster  = "inbound|8080||"
)

func mustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(err)
	}
	return a
}

func address(ip string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{Address: ip, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}}}}
}

func port(p meshapi.Port) uint32 { return uint32(p) }

func serverPort() uint32 { n, _ := strconv.Atoi(ServerPort); return uint32(n) }

func httpChain(name string, match *listenerv3.FilterChainMatch, cluster string) *listenerv3.FilterChain {
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix: name,
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{Name: name,
			VirtualHosts: []*routev3.VirtualHost{{Name: "all", Domains: []string{"*"}, Routes: []*routev3.Route{{
				Name:  "default",
				Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{
					ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster}, Timeout: durationpb.New(0)}},
			}}}}}},
		HttpFilters: []*hcmv3.HttpFilter{{Name: "envoy.filters.http.router", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&routerv3.Router{})}}},
	}
	return &listenerv3.FilterChain{Name: name, FilterChainMatch: match, Filters: []*listenerv3.Filter{{
		Name: "envoy.filters.network.http_connection_manager", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(hcm)}}}}
}

func tcpChain(name, cluster string) *listenerv3.FilterChain {
	return &listenerv3.FilterChain{Name: name, Filters: []*listenerv3.Filter{{Name: "envoy.filters.network.tcp_proxy",
		ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(&tcpv3.TcpProxy{StatPrefix: name,
			ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: cluster}})}}}}
}

func originalDst(name string, bind string) *clusterv3.Cluster {
	c := &clusterv3.Cluster{Name: name, ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_ORIGINAL_DST},
		LbPolicy: clusterv3.Cluster_CLUSTER_PROVIDED, ConnectTimeout: durationpb.New(durationSecond)}
	if bind != "" {
		c.UpstreamBindConfig = &corev3.BindConfig{SourceAddress: address(bind, 0).GetSocketAddress()}
	}
	return c
}

// ClientBootstrap is the client sidecar's configuration, as meshd would send it for a client of the
// server's service: captured outbound connections to port 8080 go to the service's cluster, others
// pass through.
func ClientBootstrap() *bootstrapv3.Bootstrap {
	return &bootstrapv3.Bootstrap{StaticResources: &bootstrapv3.Bootstrap_StaticResources{
		Clusters: []*clusterv3.Cluster{
			{Name: outboundCluster, ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}, ConnectTimeout: durationpb.New(durationSecond),
				LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: outboundCluster, Endpoints: []*endpointv3.LocalityLbEndpoints{{
					LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: address(ServerIP, serverPort())}}}}}}}},
			originalDst("PassthroughCluster", ""),
		},
		Listeners: []*listenerv3.Listener{
			{Name: "virtualOutbound", Address: address("0.0.0.0", port(meshapi.ProxyOutboundPort)), UseOriginalDst: wrapperspb.Bool(true),
				FilterChains: []*listenerv3.FilterChain{tcpChain("PassthroughCluster", "PassthroughCluster")}},
			{Name: "0.0.0.0_" + ServerPort, Address: address("0.0.0.0", serverPort()), BindToPort: wrapperspb.Bool(false),
				FilterChains: []*listenerv3.FilterChain{httpChain(ServerPort, nil, outboundCluster)}},
		},
	}}
}

// ServerBootstrap is the server sidecar's: captured inbound connections to 8080 are HTTP for the
// application, delivered from 127.0.0.6 so capture lets them through.
func ServerBootstrap() *bootstrapv3.Bootstrap {
	bind := meshapi.InboundPassthroughSource4.String()
	return &bootstrapv3.Bootstrap{StaticResources: &bootstrapv3.Bootstrap_StaticResources{
		Clusters: []*clusterv3.Cluster{originalDst(inboundCluster, bind), originalDst("InboundPassthroughCluster", bind)},
		Listeners: []*listenerv3.Listener{{
			Name: "virtualInbound", Address: address("0.0.0.0", port(meshapi.ProxyInboundPort)),
			ListenerFilters: []*listenerv3.ListenerFilter{{Name: "envoy.filters.listener.original_dst",
				ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(&origdstv3.OriginalDst{})}}},
			FilterChains:       []*listenerv3.FilterChain{httpChain("inbound|"+ServerPort, &listenerv3.FilterChainMatch{DestinationPort: wrapperspb.UInt32(serverPort())}, inboundCluster)},
			DefaultFilterChain: tcpChain("InboundPassthroughCluster", "InboundPassthroughCluster"),
		}},
	}}
}

// ExplicitBootstraps are the pair without capture, laid out as the peers are: the client-side proxy
// listens on the client's loopback and forwards to the server-side proxy's port, which forwards to
// the application on the server's loopback. Beside the captured pair, it shows what capture costs.
func ExplicitBootstraps() (client, server *bootstrapv3.Bootstrap) {
	static := func(name, ip string, p uint32) *clusterv3.Cluster {
		return &clusterv3.Cluster{Name: name, ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}, ConnectTimeout: durationpb.New(durationSecond),
			LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{
				LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: address(ip, p)}}}}}}}}
	}
	peer := func(s string) uint32 { n, _ := strconv.Atoi(s); return uint32(n) }
	client = &bootstrapv3.Bootstrap{StaticResources: &bootstrapv3.Bootstrap_StaticResources{
		Clusters:  []*clusterv3.Cluster{static(outboundCluster, ServerIP, peer(PeerPort2))},
		Listeners: []*listenerv3.Listener{{Name: "client", Address: address("127.0.0.1", peer(PeerPort)), FilterChains: []*listenerv3.FilterChain{httpChain("client", nil, outboundCluster)}}},
	}}
	server = &bootstrapv3.Bootstrap{StaticResources: &bootstrapv3.Bootstrap_StaticResources{
		Clusters:  []*clusterv3.Cluster{static(inboundCluster, "127.0.0.1", serverPort())},
		Listeners: []*listenerv3.Listener{{Name: "server", Address: address(ServerIP, peer(PeerPort2)), FilterChains: []*listenerv3.FilterChain{httpChain("server", nil, inboundCluster)}}},
	}}
	return client, server
}

// MeshProxyPair is a mesh-proxy sidecar in each namespace, with mesh-init's capture rules, as an
// injected pod has them. bin holds mesh-proxy and mesh-init; accessLog asks for Istio's access log on
// the proxies' standard output.
type MeshProxyPair struct {
	Client, Server *Proc
}

// StartMeshProxyPair writes the capture rules and starts the two proxies (as the proxy's user).
func (tp *Topology) StartMeshProxyPair(bin, dir string, accessLog bool) (*MeshProxyPair, error) {
	return tp.startMeshProxyPair(bin, dir, accessLog, true)
}

func (tp *Topology) startMeshProxyPair(bin, dir string, accessLog, capture bool) (*MeshProxyPair, error) {
	initArgs := []string{"-p", "15001", "-z", "15006", "-u", strconv.Itoa(meshapi.ProxyUID), "-m", "REDIRECT", "-i", "*", "-x", "",
		"-b", "*", "-d", meshapi.ProxyOwnInboundPorts(meshapi.ProxyStatusPort.String())}
	pair := &MeshProxyPair{}
	for _, side := range []struct {
		ns   string
		b    *bootstrapv3.Bootstrap
		proc **Proc
	}{{"client", ClientBootstrap(), &pair.Client}, {"server", ServerBootstrap(), &pair.Server}} {
		ns := tp.Client
		if side.ns == "server" {
			ns = tp.Server
		}
		if !capture {
			c, s := ExplicitBootstraps()
			side.b = map[string]*bootstrapv3.Bootstrap{"client": c, "server": s}[side.ns]
		} else if _, err := tp.Run(ns, filepath.Join(bin, "mesh-init"), initArgs...); err != nil {
			return nil, fmt.Errorf("mesh-init in the %s namespace: %w", side.ns, err)
		}
		path := filepath.Join(dir, side.ns+"-bootstrap.json")
		b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(side.b)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return nil, err
		}
		args := []string{"proxy", "sidecar", "--config-path", path, "--proxyLogLevel", "warning"}
		if accessLog {
			args = append(args, "--accessLogFile", "/dev/stdout")
		}
		env := []string{"POD_NAME=" + side.ns + "-0", "POD_NAMESPACE=bench", "INSTANCE_IP=" + map[string]string{"client": ClientIP, "server": ServerIP}[side.ns], "GOMAXPROCS=1"}
		p, err := tp.Start(ns, meshapi.ProxyUID, env, filepath.Join(bin, "mesh-proxy"), args...)
		if err != nil {
			return nil, err
		}
		*side.proc = p
		if err := tp.WaitListening(ns, "127.0.0.1:"+meshapi.ProxyHealthPort.String(), p); err != nil {
			return nil, fmt.Errorf("mesh-proxy in the %s namespace: %w", side.ns, err)
		}
	}
	return pair, nil
}

// StopMeshProxyPair stops the proxies and removes the capture rules.
func (tp *Topology) StopMeshProxyPair(bin string, pair *MeshProxyPair) {
	tp.Stop(pair.Client)
	tp.Stop(pair.Server)
	_, _ = tp.Run(tp.Client, filepath.Join(bin, "mesh-init"), "--cleanup")
	_, _ = tp.Run(tp.Server, filepath.Join(bin, "mesh-init"), "--cleanup")
}

const durationSecond = time.Second
