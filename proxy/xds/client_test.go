package xds_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/proxytest"
	"github.com/meshctl/meshctl/proxy/xds"
)

const nodeID = "sidecar~10.244.0.7~client-5f9d.default~default.svc.cluster.local"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// controlPlane is go-control-plane's server and snapshot cache, as meshd runs them.
type controlPlane struct {
	addr  string
	cache cachev3.SnapshotCache
	srv   *grpc.Server
	mu    sync.Mutex
	nacks []string
}

func startControlPlane(t *testing.T, addr string) *controlPlane {
	cp := &controlPlane{addr: addr, cache: cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil)}
	cp.start(t)
	return cp
}

func (cp *controlPlane) start(t *testing.T) {
	t.Helper()
	cb := serverv3.CallbackFuncs{StreamRequestFunc: func(_ int64, r *discoveryv3.DiscoveryRequest) error {
		if r.GetErrorDetail() != nil {
			cp.mu.Lock()
			cp.nacks = append(cp.nacks, r.GetErrorDetail().GetMessage())
			cp.mu.Unlock()
		}
		return nil
	}}
	server := serverv3.NewServer(context.Background(), cp.cache, cb)
	cp.srv = grpc.NewServer()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(cp.srv, server)
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ { // the port of a stopped server may linger a moment
		if ln, err = net.Listen("tcp", cp.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	cp.addr = ln.Addr().String()
	go func() { _ = cp.srv.Serve(ln) }()
	t.Cleanup(cp.srv.Stop)
}

func (cp *controlPlane) set(t *testing.T, version string, res map[resourcev3.Type][]types.Resource) {
	t.Helper()
	snap, err := cachev3.NewSnapshot(version, res)
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.cache.SetSnapshot(context.Background(), nodeID, snap); err != nil {
		t.Fatal(err)
	}
}

func (cp *controlPlane) nackMessages() []string {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return append([]string(nil), cp.nacks...)
}

// proxyWithClient runs a proxy configured by an xDS client of cp.
func proxyWithClient(t *testing.T, cp *controlPlane) (*listener.Manager, *xds.Client) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m := listener.New(ctx, listener.Options{Log: quiet, AccessLog: accesslog.NewLogger(io.Discard)})
	t.Cleanup(m.Close)
	c := &xds.Client{Addr: cp.addr, Node: &corev3.Node{Id: nodeID}, Log: quiet, Apply: m.Apply}
	go func() { _ = c.Run(ctx) }()
	return m, c
}

// anyPort is the address the tests' listeners are configured with: the proxy binds a port of the
// kernel's choosing, which boundAddr reads back. (A port picked free beforehand could be taken by
// another process before the configuration reaches the proxy.)
const anyPort = "127.0.0.1:0"

// boundAddr waits until the proxy has bound the named listener and returns its address.
func boundAddr(t *testing.T, m *listener.Manager, name string) string {
	t.Helper()
	var addr string
	eventually(t, "listener "+name+" bound", func() bool {
		a, ok := m.Addrs()[name]
		if ok {
			addr = a.String()
		}
		return ok
	})
	return addr
}

// eventually polls cond (the configuration arrives asynchronously); the bound only guards a hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("never: %s", what)
}

func get(t *testing.T, url, host string, headers ...string) (string, int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Host = host
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := proxytest.Client.Do(req)
	if err != nil {
		return "error: " + err.Error(), 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Header.Get(proxytest.HeaderBackend), resp.StatusCode
}

// seeds is the seeds' configuration as meshd sends it: nginx v1/v2 behind one service (header
// test: true → v2, prefix /test.html → v2, otherwise 30/70) and bookinfo's reviews (jason → v2).
func seeds(t *testing.T, listen string, v1, v2 *proxytest.Backend) map[resourcev3.Type][]types.Resource {
	rc := &routev3.RouteConfiguration{Name: "80", VirtualHosts: []*routev3.VirtualHost{{
		Name: "nginx.default.svc.cluster.local:80", Domains: []string{"nginx", "nginx.default.svc.cluster.local"},
		Routes: []*routev3.Route{
			{Name: "test-header", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}, Headers: []*routev3.HeaderMatcher{exactHeader("test", "true")}}, Action: forwardTo("v2")},
			{Name: "test-page", Match: prefixMatch("/test.html"), Action: forwardTo("v2")},
			{Name: "split", Match: prefixMatch("/"), Action: weighted(map[string]uint32{"v1": 30, "v2": 70})},
		},
	}, {
		Name: "reviews.default.svc.cluster.local:80", Domains: []string{"reviews"},
		Routes: []*routev3.Route{
			{Name: "jason", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}, Headers: []*routev3.HeaderMatcher{exactHeader("end-user", "jason")}}, Action: forwardTo("v2")},
			{Name: "default", Match: prefixMatch("/"), Action: forwardTo("v1")},
		},
	}}}
	return map[resourcev3.Type][]types.Resource{
		resourcev3.ClusterType:  {edsCluster("v1"), edsCluster("v2")},
		resourcev3.EndpointType: {cla(t, "v1", v1.Addr()), cla(t, "v2", v2.Addr())},
		resourcev3.ListenerType: {httpListener(t, "0.0.0.0_80", listen, "80")},
		resourcev3.RouteType:    {rc},
	}
}

func TestSeedsThroughXDS(t *testing.T) {
	v1, v2 := proxytest.NewBackend(t, "v1"), proxytest.NewBackend(t, "v2")
	cp := startControlPlane(t, "127.0.0.1:0")
	cp.set(t, "1", seeds(t, anyPort, v1, v2))
	m, c := proxyWithClient(t, cp)
	listen := boundAddr(t, m, "0.0.0.0_80")
	url := "http://" + listen + "/"
	eventually(t, "the configuration is served", func() bool { b, _ := get(t, url, "reviews"); return b == "v1" })
	if !m.Applied() {
		t.Error("not ready after the first configuration")
	}
	for i := 0; i < 10; i++ {
		if b, _ := get(t, url, "nginx", "test", "true"); b != "v2" {
			t.Fatalf("header test: true → %s, want v2 every time", b)
		}
		if b, _ := get(t, "http://"+listen+"/test.html", "nginx"); b != "v2" {
			t.Fatalf("/test.html → %s, want v2", b)
		}
		if b, _ := get(t, url, "reviews", "end-user", "jason"); b != "v2" {
			t.Fatalf("jason → %s, want v2", b)
		}
		if b, _ := get(t, url, "reviews", "end-user", "mary"); b != "v1" {
			t.Fatalf("mary → %s, want v1", b)
		}
	}
	n := map[string]int{}
	for i := 0; i < 2000; i++ {
		b, _ := get(t, url, "nginx")
		n[b]++
	}
	if share := float64(n["v2"]) / 2000; share < 0.64 || share > 0.76 {
		t.Errorf("30/70 split: v2 got %.3f (%v)", share, n)
	}
	if acks, nacks := c.Counts(); acks < 4 || nacks != 0 {
		t.Errorf("acks %d nacks %d: every type acknowledged once at least, none refused", acks, nacks)
	}
}

func TestRefusedConfigurationKeepsTheLastGood(t *testing.T) {
	v1, v2 := proxytest.NewBackend(t, "v1"), proxytest.NewBackend(t, "v2")
	cp := startControlPlane(t, "127.0.0.1:0")
	good := seeds(t, anyPort, v1, v2)
	cp.set(t, "1", good)
	m, c := proxyWithClient(t, cp)
	listen := boundAddr(t, m, "0.0.0.0_80")
	url := "http://" + listen + "/"
	eventually(t, "the configuration is served", func() bool { b, _ := get(t, url, "reviews"); return b == "v1" })

	// A route with a field the contract does not list: refused with the field's path.
	bad := seeds(t, anyPort, v1, v2)
	rc := bad[resourcev3.RouteType][0].(*routev3.RouteConfiguration)
	rc.VirtualHosts[1].Routes[1].Action = forwardTo("v2")
	rc.VirtualHosts[1].Routes[1].GetRoute().IdleTimeout = durationpb.New(time.Second)
	cp.set(t, "2", bad)
	eventually(t, "the response is refused", func() bool { return len(cp.nackMessages()) > 0 })
	msg := cp.nackMessages()[0]
	if !strings.Contains(msg, "idle_timeout: field not supported") || !strings.Contains(msg, "route configuration 80") {
		t.Errorf("NACK reason %q does not name the field", msg)
	}
	if b, _ := get(t, url, "reviews"); b != "v1" {
		t.Errorf("after a refused update reviews go to %s, want the last good v1", b)
	}
	if _, nacks := c.Counts(); nacks == 0 {
		t.Error("the client counted no refusal")
	}
}

func TestReconnectKeepsServing(t *testing.T) {
	v1, v2 := proxytest.NewBackend(t, "v1"), proxytest.NewBackend(t, "v2")
	cp := startControlPlane(t, "127.0.0.1:0")
	cp.set(t, "1", seeds(t, anyPort, v1, v2))
	m, _ := proxyWithClient(t, cp)
	url := "http://" + boundAddr(t, m, "0.0.0.0_80") + "/"
	eventually(t, "the configuration is served", func() bool { b, _ := get(t, url, "reviews"); return b == "v1" })

	cp.srv.Stop() // meshd goes away
	for i := 0; i < 20; i++ {
		if b, _ := get(t, url, "reviews"); b != "v1" {
			t.Fatalf("without meshd: %s, want the last configuration's v1", b)
		}
	}
	// meshd comes back on its address with a new configuration: reviews all to v2.
	next := seeds(t, anyPort, v1, v2)
	next[resourcev3.RouteType][0].(*routev3.RouteConfiguration).VirtualHosts[1].Routes[1].Action = forwardTo("v2")
	cp2 := &controlPlane{addr: cp.addr, cache: cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil)}
	cp2.set(t, "2", next)
	cp2.start(t)
	eventually(t, "the proxy reconnects and applies the new configuration", func() bool { b, _ := get(t, url, "reviews"); return b == "v2" })
}
