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

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/meshctl/meshctl/controlplane/loadtest"
	"github.com/meshctl/meshctl/controlplane/metrics"
	"github.com/meshctl/meshctl/controlplane/xdsserver/xdstest"
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
	return xdstest.Resources(g.clusters, cv, ev), nil
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
	g := grpc.NewServer(ServerOption())
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

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
