package xdsserver

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meshctl/meshctl/controlplane/loadtest"
	"github.com/meshctl/meshctl/controlplane/metrics"
)

// fakeGen is a synthetic generator: `clusters` EDS clusters with their endpoints, one listener
// whose HTTP connection manager names route "80", and that route. configVersion changes the route's
// domains (a routing change); endpointsVersion changes the endpoints' addresses.
type fakeGen struct {
	clusters int

	mu               sync.Mutex
	configVersion    int
	endpointsVersion int
	generations      map[string]int // by pod name
	affectsCalls     map[string]int
	affects          func(p *Proxy, c Change) bool
}

func newFakeGen(clusters int) *fakeGen {
	return &fakeGen{clusters: clusters, generations: map[string]int{}, affectsCalls: map[string]int{}}
}

func (g *fakeGen) bumpConfig()    { g.mu.Lock(); g.configVersion++; g.mu.Unlock() }
func (g *fakeGen) bumpEndpoints() { g.mu.Lock(); g.endpointsVersion++; g.mu.Unlock() }

func (g *fakeGen) generationsOf(pod string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.generations[pod]
}

func (g *fakeGen) affectsCallsOf(pod string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.affectsCalls[pod]
}

func (g *fakeGen) Affects(p *Proxy, c Change) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.affectsCalls[p.ID.PodName()]++
	if g.affects == nil {
		return true
	}
	return g.affects(p, c)
}

func (g *fakeGen) Generate(p *Proxy) (map[string][]types.Resource, error) {
	g.mu.Lock()
	g.generations[p.ID.PodName()]++
	cv, ev := g.configVersion, g.endpointsVersion
	g.mu.Unlock()
	return syntheticResources(g.clusters, cv, ev), nil
}

func clusterName(i int) string { return fmt.Sprintf("outbound|80||svc-%d.ns-%d.svc.cluster.local", i, i%10) }

func syntheticResources(n, configVersion, endpointsVersion int) map[string][]types.Resource {
	out := map[string][]types.Resource{}
	for i := range n {
		name := clusterName(i)
		out[resource.ClusterType] = append(out[resource.ClusterType], &clusterv3.Cluster{
			Name:                 name,
			ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
			EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{ServiceName: name, EdsConfig: &core.ConfigSource{ConfigSourceSpecifier: &core.ConfigSource_Ads{Ads: &core.AggregatedConfigSource{}}}},
		})
		var eps []*endpointv3.LbEndpoint
		for j := range 10 {
			eps = append(eps, &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{
					Address: fmt.Sprintf("10.%d.%d.%d", endpointsVersion%250, i%250, j), PortSpecifier: &core.SocketAddress_PortValue{PortValue: 8080},
				}}},
			}}})
		}
		out[resource.EndpointType] = append(out[resource.EndpointType], &endpointv3.ClusterLoadAssignment{
			ClusterName: name,
			Endpoints:   []*endpointv3.LocalityLbEndpoints{{LbEndpoints: eps}},
		})
	}
	var vhosts []*routev3.VirtualHost
	for i := range n {
		vhosts = append(vhosts, &routev3.VirtualHost{
			Name:    fmt.Sprintf("svc-%d:80", i),
			Domains: []string{fmt.Sprintf("svc-%d.ns-%d.svc.cluster.local:v%d", i, i%10, configVersion)},
			Routes: []*routev3.Route{{
				Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: clusterName(i)}}},
			}},
		})
	}
	out[resource.RouteType] = []types.Resource{&routev3.RouteConfiguration{Name: "80", VirtualHosts: vhosts}}
	manager, err := anypb.New(&hcm.HttpConnectionManager{
		StatPrefix:     "outbound_0.0.0.0_80",
		RouteSpecifier: &hcm.HttpConnectionManager_Rds{Rds: &hcm.Rds{RouteConfigName: "80", ConfigSource: &core.ConfigSource{ConfigSourceSpecifier: &core.ConfigSource_Ads{Ads: &core.AggregatedConfigSource{}}}}},
	})
	if err != nil {
		panic(err)
	}
	out[resource.ListenerType] = []types.Resource{&listenerv3.Listener{
		Name:         "0.0.0.0_80",
		Address:      &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{Address: "0.0.0.0", PortSpecifier: &core.SocketAddress_PortValue{PortValue: 80}}}},
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{Name: "envoy.filters.network.http_connection_manager", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: manager}}}}},
	}}
	return out
}

type testServer struct {
	srv  *Server
	addr string
	reg  *prometheus.Registry
	stop func()
}

// startServer runs a server with gen on a loopback port until the test ends.
func startServer(t testing.TB, gen Generator, mutate func(*Options)) *testServer {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, "test")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Generator: gen, Metrics: m, DebounceAfter: 20 * time.Millisecond, DebounceMax: time.Second}
	if mutate != nil {
		mutate(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	srv.Register(g)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = g.Serve(lis) })
	wg.Go(func() { _ = srv.Run(ctx) })
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			g.Stop()
			wg.Wait()
		})
	}
	t.Cleanup(stop)
	return &testServer{srv: srv, addr: lis.Addr().String(), reg: reg, stop: stop}
}

func dial(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// connect runs a simulated proxy of pod `pod` in namespace ns until the test ends.
func connect(t testing.TB, addr string, i int, ns string, delta bool, reject func(string) string) *loadtest.Client {
	t.Helper()
	node, err := loadtest.SidecarNode(i, ns, "1.31.1")
	if err != nil {
		t.Fatal(err)
	}
	c := &loadtest.Client{Node: node, Delta: delta, Reject: reject}
	conn := dial(t, addr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.Run(ctx, conn); err != nil {
			t.Errorf("proxy %s: %v", node.GetId(), err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return c
}

func waitCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// hasDomainVersion: the client's routes carry configuration version v.
func hasDomainVersion(v int) func(*loadtest.Client) bool {
	want := fmt.Sprintf(":v%d", v)
	return func(c *loadtest.Client) bool {
		r := c.Resources(resource.RouteType)["80"]
		return r != nil && strings.Contains(string(r), want)
	}
}

// synced: the client has CDS, EDS, LDS and RDS.
func synced(c *loadtest.Client) bool { return !c.Stats().SyncedAt.IsZero() }

func podOf(c *loadtest.Client) string {
	id := c.Node.GetId()
	parts := strings.Split(id, "~")
	return strings.TrimSuffix(parts[2], "."+strings.Split(parts[3], ".")[0])
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
