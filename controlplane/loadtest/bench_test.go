package loadtest_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/meshctl/meshctl/controlplane/loadtest"
	"github.com/meshctl/meshctl/controlplane/xdsserver"
	"github.com/meshctl/meshctl/controlplane/xdsserver/xdstest"
)

// sharedGen hands every proxy the same resources, built once per version.
type sharedGen struct {
	clusters int
	mu       sync.Mutex
	version  int
	eps      int
	cached   map[string][]types.Resource
}

func (g *sharedGen) Generate(*xdsserver.Proxy) (map[string][]types.Resource, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cached == nil {
		g.cached = xdstest.Resources(g.clusters, g.version, g.eps)
	}
	return g.cached, nil
}
func (g *sharedGen) Affects(*xdsserver.Proxy, xdsserver.Change) bool { return true }

// BenchmarkConvergence: proxies over real gRPC on loopback, 1,000 clusters of 10 endpoints each;
// one op is a routing change (or an endpoints change) until every proxy has it. Reports the
// convergence p50/p99/max and the bytes each proxy received at first sync.
func BenchmarkConvergence(b *testing.B) {
	for _, n := range []int{100, 1000} {
		for _, eds := range []bool{false, true} {
			b.Run(fmt.Sprintf("proxies=%d/eds=%v", n, eds), func(b *testing.B) { benchConvergence(b, n, 1000, eds) })
		}
	}
}

func benchConvergence(b *testing.B, proxies, clusters int, eds bool) {
	g := &sharedGen{clusters: clusters}
	srv, err := xdsserver.New(xdsserver.Options{Generator: g})
	if err != nil {
		b.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	gs := grpc.NewServer(grpc.MaxConcurrentStreams(100000), xdsserver.ServerOption())
	srv.Register(gs)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = gs.Serve(lis) })
	wg.Go(func() { _ = srv.Run(ctx) })
	defer func() { cancel(); gs.Stop(); wg.Wait() }()

	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer rcancel()
	f, err := loadtest.Start(rctx, loadtest.Options{Proxies: proxies, Namespaces: 10, Rate: loadtest.MaxRate, IstioVersion: "1.31.1",
		Dial: func(context.Context) (*grpc.ClientConn, error) {
			return grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
		}})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	first := f.FirstSyncBytes()
	var p50, p99, max float64
	b.ResetTimer()
	for b.Loop() {
		c, err := f.Measure(rctx, time.Second, func(context.Context) error {
			g.mu.Lock()
			if eds {
				g.eps++
			} else {
				g.version++
			}
			g.cached = nil
			g.mu.Unlock()
			srv.Notify(xdsserver.Change{Kinds: []string{"VirtualService"}, EndpointsOnly: eds})
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if c.Unconverged > 0 {
			b.Fatalf("%d proxies did not converge", c.Unconverged)
		}
		p50, p99, max = c.Seconds.P50, c.Seconds.P99, c.Seconds.Max
	}
	b.StopTimer()
	b.ReportMetric(p50, "p50-s")
	b.ReportMetric(p99, "p99-s")
	b.ReportMetric(max, "max-s")
	b.ReportMetric(first.P50, "first-sync-B/proxy")
}
