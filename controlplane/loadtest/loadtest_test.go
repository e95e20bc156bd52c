package loadtest_test

import (
	"context"
	"net"
	"strings"
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

type gen struct {
	mu      sync.Mutex
	version int
}

func (g *gen) Generate(*xdsserver.Proxy) (map[string][]types.Resource, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return xdstest.Resources(20, g.version, 0), nil
}
func (g *gen) Affects(*xdsserver.Proxy, xdsserver.Change) bool { return true }

// A fleet against an in-process server: every proxy gets its first configuration, and a change
// converges on all of them.
func TestRunAgainstServer(t *testing.T) {
	for _, delta := range []bool{false, true} {
		t.Run(map[bool]string{false: "sotw", true: "delta"}[delta], func(t *testing.T) {
			g := &gen{}
			srv, err := xdsserver.New(xdsserver.Options{Generator: g, DebounceAfter: 10 * time.Millisecond, DebounceMax: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			gs := grpc.NewServer()
			srv.Register(gs)
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { _ = gs.Serve(lis) })
			wg.Go(func() { _ = srv.Run(ctx) })
			defer func() { cancel(); gs.Stop(); wg.Wait() }()

			rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
			defer rcancel()
			rep, err := loadtest.Run(rctx, loadtest.RunOptions{
				Options: loadtest.Options{Proxies: 5, Namespaces: 2, Rate: loadtest.MaxRate, Delta: delta, IstioVersion: "1.31.1",
					Dial: func(context.Context) (*grpc.ClientConn, error) {
						return grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
					}},
				Settle: 200 * time.Millisecond,
				Triggers: []loadtest.Trigger{{Name: "routing", Do: func(context.Context) error {
					g.mu.Lock()
					g.version++
					g.mu.Unlock()
					srv.Notify(xdsserver.Change{Kinds: []string{"VirtualService"}})
					return nil
				}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep.FirstSyncBytes.Count != 5 || rep.FirstSyncBytes.Min <= 0 {
				t.Errorf("first sync: %+v", rep.FirstSyncBytes)
			}
			if len(rep.Triggers) != 1 || rep.Triggers[0].Unconverged != 0 || rep.Triggers[0].Seconds.Count != 5 {
				t.Errorf("convergence: %+v", rep.Triggers)
			}
			if len(rep.StreamErrors) != 0 {
				t.Errorf("stream errors: %v", rep.StreamErrors)
			}
		})
	}
}

func TestOptionsRefused(t *testing.T) {
	dial := func(context.Context) (*grpc.ClientConn, error) { return nil, nil }
	for name, o := range map[string]loadtest.Options{
		"no proxies": {Rate: 1, Dial: dial},
		"too fast":   {Proxies: 1, Rate: 21, Dial: dial},
		"no dial":    {Proxies: 1, Rate: 1},
	} {
		if _, err := loadtest.Start(context.Background(), o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSidecarNodeIsIstios(t *testing.T) {
	n, err := loadtest.SidecarNode(300, "load-3", "1.31.1")
	if err != nil {
		t.Fatal(err)
	}
	if n.GetId() != "sidecar~10.200.1.44~load-300.load-3~load-3.svc.cluster.local" {
		t.Errorf("id %s", n.GetId())
	}
	md := n.GetMetadata().AsMap()
	if md["NAMESPACE"] != "load-3" || md["ISTIO_VERSION"] != "1.31.1" || !strings.Contains(md["INSTANCE_IPS"].(string), "10.200.1.44") {
		t.Errorf("metadata %v", md)
	}
}
