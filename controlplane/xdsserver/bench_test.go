package xdsserver

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/stream/v3"
	"google.golang.org/protobuf/proto"

	"github.com/meshctl/meshctl/controlplane/loadtest"
	"github.com/meshctl/meshctl/controlplane/xdsserver/xdstest"
)

// sharedGen hands every proxy the same resources, built once per version, as a translator with a
// per-scope cache would: the benchmark measures the server, not the translation.
type sharedGen struct {
	clusters int
	mu       sync.Mutex
	version  int
	eps      int
	cached   map[string][]types.Resource
}

func (g *sharedGen) Affects(*Proxy, Change) bool { return true }

func (g *sharedGen) Generate(*Proxy) (map[string][]types.Resource, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cached == nil {
		g.cached = xdstest.Resources(g.clusters, g.version, g.eps)
	}
	return g.cached, nil
}

func (g *sharedGen) bump(eds bool) {
	g.mu.Lock()
	if eds {
		g.eps++
	} else {
		g.version++
	}
	g.cached = nil
	g.mu.Unlock()
}

// benchProxy stands for one proxy's stream: it holds a watch per type, and serializes each
// response as the stream's goroutine would before sending it.
type benchProxy struct {
	node *core.Node
	ch   chan cache.Response
	subs map[string]*stream.Subscription
	reqs map[string]*discovery.DiscoveryRequest
}

// BenchmarkPushFanOut: one routing change (a full push, whose only changed type is RDS) or one
// endpoints change (EDS only) pushed to 1,000 connected proxies of 1,000 clusters each:
// generation (shared; every resource a new object, as after a change), snapshots, responses and
// their serialization. ns/op is one whole push.
func BenchmarkPushFanOut(b *testing.B) {
	for _, eds := range []bool{false, true} {
		name := "full"
		if eds {
			name = "eds"
		}
		for _, n := range []int{100, 1000} {
			b.Run(fmt.Sprintf("%s/proxies=%d/clusters=1000", name, n), func(b *testing.B) { benchFanOut(b, n, 1000, eds) })
		}
	}
}

func benchFanOut(b *testing.B, proxies, clusters int, eds bool) {
	gen := &sharedGen{clusters: clusters}
	s, err := New(Options{Generator: gen})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() { _ = s.Run(ctx); close(runDone) }()
	defer func() { cancel(); <-runDone }()

	names := map[string][]string{resource.ClusterType: nil, resource.ListenerType: nil, resource.RouteType: {"80"}}
	for i := range clusters {
		names[resource.EndpointType] = append(names[resource.EndpointType], xdstest.ClusterName(i))
	}
	typesOfPush := []string{resource.RouteType}
	if eds {
		typesOfPush = []string{resource.EndpointType}
	}
	bps := make([]*benchProxy, proxies)
	for i := range bps {
		node, err := loadtest.SidecarNode(i, fmt.Sprintf("load-%d", i%10), "1.31.1")
		if err != nil {
			b.Fatal(err)
		}
		bp := &benchProxy{node: node, ch: make(chan cache.Response, types.UnknownType), subs: map[string]*stream.Subscription{}, reqs: map[string]*discovery.DiscoveryRequest{}}
		first := &discovery.DiscoveryRequest{Node: node, TypeUrl: resource.ClusterType}
		if _, err := s.attach(int64(i), false, first); err != nil {
			b.Fatal(err)
		}
		for t, n := range names {
			sub := stream.NewSotwSubscription(n, true)
			bp.subs[t] = &sub
			bp.reqs[t] = &discovery.DiscoveryRequest{Node: node, TypeUrl: t, ResourceNames: n}
		}
		bps[i] = bp
	}
	// serve answers each proxy's open watches with `want` responses and re-arms them as ACKs would.
	serve := func(want []string) {
		var wg sync.WaitGroup
		for _, bp := range bps {
			wg.Go(func() {
				for range want {
					resp := <-bp.ch
					out, err := resp.GetDiscoveryResponse()
					if err != nil {
						b.Error(err)
						return
					}
					_ = proto.Size(out)
					t := resp.GetRequest().GetTypeUrl()
					bp.subs[t].SetReturnedResources(resp.GetReturnedResources())
					bp.reqs[t] = &discovery.DiscoveryRequest{Node: bp.node, TypeUrl: t, ResourceNames: names[t], VersionInfo: out.GetVersionInfo(), ResponseNonce: "n"}
				}
				for _, t := range want {
					if _, err := (watcher{s}).CreateWatch(bp.reqs[t], bp.subs[t], bp.ch); err != nil {
						b.Error(err)
					}
				}
			})
		}
		wg.Wait()
	}
	// Connection: every type answered once.
	for _, bp := range bps {
		for t := range names {
			if _, err := (watcher{s}).CreateWatch(bp.reqs[t], bp.subs[t], bp.ch); err != nil {
				b.Fatal(err)
			}
		}
	}
	all := []string{resource.ClusterType, resource.EndpointType, resource.ListenerType, resource.RouteType}
	for _, bp := range bps {
		for range all {
			resp := <-bp.ch
			t := resp.GetRequest().GetTypeUrl()
			bp.subs[t].SetReturnedResources(resp.GetReturnedResources())
			bp.reqs[t] = &discovery.DiscoveryRequest{Node: bp.node, TypeUrl: t, ResourceNames: names[t], VersionInfo: resp.GetResponseVersion()}
		}
		for _, t := range all {
			if _, err := (watcher{s}).CreateWatch(bp.reqs[t], bp.subs[t], bp.ch); err != nil {
				b.Fatal(err)
			}
		}
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap := float64(ms.HeapInuse) / (1 << 20)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		gen.bump(eds)
		s.pushAll(Change{Kinds: []string{"VirtualService"}, EndpointsOnly: eds}, time.Now())
		serve(typesOfPush)
	}
	b.ReportMetric(heap, "heap-MiB-connected")
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/push")
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N*proxies), "µs/proxy")
}
