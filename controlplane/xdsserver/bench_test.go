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
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"

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

// benchProxy stands for one proxy's stream: the server's stream state, driven without gRPC; each
// response is serialized as gRPC would before sending it, by the server's codec.
type benchProxy struct {
	node *core.Node
	ss   *sotwStream
	got  []*discovery.DiscoveryResponse // since the last ACKs
}

// ack answers every response received, as a proxy does.
func (bp *benchProxy) ack(names map[string][]string) error {
	got := bp.got
	bp.got = nil
	for _, r := range got {
		t := r.GetTypeUrl()
		if err := bp.ss.request(&discovery.DiscoveryRequest{TypeUrl: t, ResourceNames: names[t], VersionInfo: r.GetVersionInfo(), ResponseNonce: r.GetNonce()}); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkPushFanOut: one routing change (a full push, whose only changed type is RDS) or one
// endpoints change (EDS only) pushed to 1,000 connected proxies of 1,000 clusters each:
// generation (shared; every resource a new object, as after a change), snapshots, responses and
// their serialization. ns/op is one whole push.
// benchCodec is the server's codec (ServerOption's).
var benchCodec = codec{proto: encoding.GetCodecV2(grpcproto.Name)}

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
	all := []string{resource.ClusterType, resource.EndpointType, resource.ListenerType, resource.RouteType}
	for i := range bps {
		node, err := loadtest.SidecarNode(i, fmt.Sprintf("load-%d", i%10), "1.31.1")
		if err != nil {
			b.Fatal(err)
		}
		bp := &benchProxy{node: node}
		bp.ss = s.newSotwStream(func(r *response) error {
			data, err := benchCodec.Marshal(r)
			if err != nil {
				return err
			}
			data.Free()
			bp.got = append(bp.got, r.DiscoveryResponse)
			return nil
		})
		// Connection: every type asked for and answered at once, then ACKed.
		for _, t := range all {
			req := &discovery.DiscoveryRequest{TypeUrl: t, ResourceNames: names[t]}
			if t == resource.ClusterType {
				req.Node = node
			}
			if err := bp.ss.request(req); err != nil {
				b.Fatal(err)
			}
		}
		if len(bp.got) != len(all) {
			b.Fatalf("proxy %d: %d responses at connection, want %d", i, len(bp.got), len(all))
		}
		if err := bp.ack(names); err != nil {
			b.Fatal(err)
		}
		bps[i] = bp
	}
	// serve has each proxy's stream send what the push changed (`want` responses) and ACK it.
	serve := func(want []string) {
		var wg sync.WaitGroup
		for _, bp := range bps {
			wg.Go(func() {
				for len(bp.got) < len(want) {
					<-bp.ss.wake
					if err := bp.ss.answer(); err != nil {
						b.Error(err)
						return
					}
				}
				if err := bp.ack(names); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
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
