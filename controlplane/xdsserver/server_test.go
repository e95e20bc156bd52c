package xdsserver

import (
	"bytes"
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/meshctl/meshctl/controlplane/loadtest"
	"github.com/meshctl/meshctl/controlplane/xdsserver/xdstest"
)

var allTypes = []string{resource.ClusterType, resource.EndpointType, resource.ListenerType, resource.RouteType}

func sameResources(t *testing.T, a, b *loadtest.Client) {
	t.Helper()
	for _, typ := range allTypes {
		ra, rb := a.Resources(typ), b.Resources(typ)
		if len(ra) == 0 {
			t.Errorf("%s: no resources", typ)
		}
		if !maps.EqualFunc(ra, rb, bytes.Equal) {
			t.Errorf("%s: SotW has %v, delta has %v", typ, sortedKeys(ra), sortedKeys(rb))
		}
	}
}

// A state-of-the-world and a delta client converge on the same resources, at connection and after a change.
func TestSotwAndDeltaConverge(t *testing.T) {
	gen := newFakeGen(20)
	ts := startServer(t, gen, nil)
	sotw := connect(t, ts.addr, 1, "a", false, nil)
	delta := connect(t, ts.addr, 2, "a", true, nil)
	ctx := waitCtx(t)
	for _, c := range []*loadtest.Client{sotw, delta} {
		if err := c.Wait(ctx, synced); err != nil {
			t.Fatal(err)
		}
	}
	sameResources(t, sotw, delta)

	gen.bumpConfig()
	gen.bumpEndpoints()
	ts.srv.Notify(Change{Kinds: []string{"VirtualService"}, Namespaces: []string{"a"}})
	for _, c := range []*loadtest.Client{sotw, delta} {
		if err := c.Wait(ctx, hasDomainVersion(1)); err != nil {
			t.Fatal(err)
		}
		if err := c.Wait(ctx, func(c *loadtest.Client) bool {
			return bytes.Contains(c.Resources(resource.EndpointType)[xdstest.ClusterName(3)], []byte("10.1.3.0"))
		}); err != nil {
			t.Fatal(err)
		}
	}
	sameResources(t, sotw, delta)
}

// A proxy that rejects every CDS response is counted and logged, and the others keep converging.
func TestNackDoesNotStallOthers(t *testing.T) {
	gen := newFakeGen(5)
	ts := startServer(t, gen, nil)
	rejectCDS := func(typ string) string {
		if typ == resource.ClusterType {
			return "cluster outbound|80||svc-0: unsupported field"
		}
		return ""
	}
	bad := connect(t, ts.addr, 1, "a", false, rejectCDS)
	badDelta := connect(t, ts.addr, 2, "a", true, rejectCDS)
	good := connect(t, ts.addr, 3, "a", false, nil)
	// Rejects routes, which every push below changes: a NACK does not keep it from the next version.
	badRoutes := connect(t, ts.addr, 4, "a", false, func(typ string) string {
		if typ == resource.RouteType {
			return "route 80: unsupported field"
		}
		return ""
	})
	ctx := waitCtx(t)
	if err := good.Wait(ctx, synced); err != nil {
		t.Fatal(err)
	}
	// The proxy rejecting routes has its first ones (and rejects them) before the first push.
	if err := badRoutes.Wait(ctx, func(c *loadtest.Client) bool { return c.Responses(resource.RouteType) >= 1 }); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 3; v++ {
		gen.bumpConfig()
		ts.srv.Notify(Change{Kinds: []string{"VirtualService"}})
		if err := good.Wait(ctx, hasDomainVersion(v)); err != nil {
			t.Fatal(err)
		}
		// Each version reaches the proxy that rejected the one before (one push at a time, so
		// that none merges into the next).
		if err := badRoutes.Wait(ctx, func(c *loadtest.Client) bool { return c.Responses(resource.RouteType) >= v+1 }); err != nil {
			t.Fatal(err)
		}
	}
	// Both bad proxies get (and reject) CDS once: the clusters did not change, and a NACK is not
	// answered with the version it rejects (as Istio; go-control-plane's server resent it at once,
	// thousands of times a second).
	if err := bad.Wait(ctx, func(c *loadtest.Client) bool { return c.Responses(resource.ClusterType) >= 1 }); err != nil {
		t.Fatal(err)
	}
	if err := badDelta.Wait(ctx, func(c *loadtest.Client) bool { return c.Responses(resource.ClusterType) >= 1 }); err != nil {
		t.Fatal(err)
	}
	// The NACK of the latest response reaches the server after the client counted it: wait for the account.
	var nacked map[string]uint64
	waitFor(t, func() bool {
		nacked = map[string]uint64{}
		for _, st := range ts.srv.Syncz() {
			nacked[podOf(st.ProxyID)] = st.Types["cds"].Nacked
		}
		return nacked["load-1"] >= 1 && nacked["load-2"] >= 1
	})
	if n := bad.Responses(resource.ClusterType); n != 1 {
		t.Errorf("the proxy rejecting CDS was sent %d CDS responses, want 1", n)
	}
	if n := badRoutes.Responses(resource.RouteType); n != 4 {
		t.Errorf("the proxy rejecting RDS was sent %d RDS responses, want 4 (connection, three pushes)", n)
	}
	if nacked["load-3"] != 0 {
		t.Errorf("the good proxy has %d NACKs", nacked["load-3"])
	}
	if got := value(t, ts.srv.opts.Metrics.Rejects.WithLabelValues("cds")); got < 2 {
		t.Errorf("pilot_total_xds_rejects{type=cds} = %g, want at least 2", got)
	}
	for _, st := range ts.srv.Syncz() {
		if podOf(st.ProxyID) == "load-1" && !strings.Contains(st.Types["cds"].LastNack, "unsupported field") {
			t.Errorf("syncz lastNack = %q", st.Types["cds"].LastNack)
		}
	}
}

func podOf(nodeID string) string {
	parts := strings.Split(nodeID, "~")
	return strings.Split(parts[2], ".")[0]
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A proxy that never reads its stream does not hold back the pushes to the others.
func TestStuckProxyDoesNotBlockOthers(t *testing.T) {
	// 2,000 clusters: one CDS response is far beyond gRPC's 64 KiB flow-control window, so the
	// stuck proxy's stream blocks in Send.
	gen := newFakeGen(2000)
	ts := startServer(t, gen, nil)
	node, err := loadtest.SidecarNode(1, "a", "1.31.1")
	if err != nil {
		t.Fatal(err)
	}
	conn := dial(t, ts.addr)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stuck, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range allTypes {
		req := &discovery.DiscoveryRequest{TypeUrl: typ}
		if typ == resource.ClusterType {
			req.Node = node
		}
		if err := stuck.Send(req); err != nil {
			t.Fatal(err)
		}
	}
	good := connect(t, ts.addr, 2, "a", false, nil)
	wctx := waitCtx(t)
	if err := good.Wait(wctx, synced); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 3; v++ {
		gen.bumpConfig()
		ts.srv.Notify(Change{Kinds: []string{"VirtualService"}})
		if err := good.Wait(wctx, hasDomainVersion(v)); err != nil {
			t.Fatal(err)
		}
	}
	// A worker may still be on the stuck proxy's last push when the good one has its answer.
	waitFor(t, func() bool { return gen.generationsOf("load-1") >= 4 })
	if gen.generationsOf("load-1") != 4 {
		t.Errorf("stuck proxy: %d generations, want 4 (its snapshot still follows the changes)", gen.generationsOf("load-1"))
	}
}

// A burst of changes becomes one push: one generation per proxy.
func TestDebounceMergesBurst(t *testing.T) {
	gen := newFakeGen(3)
	// A long quiet time, so that the burst below, however slow the machine, is one burst.
	ts := startServer(t, gen, func(o *Options) { o.DebounceAfter = 500 * time.Millisecond; o.DebounceMax = 10 * time.Second })
	c := connect(t, ts.addr, 1, "a", false, nil)
	ctx := waitCtx(t)
	if err := c.Wait(ctx, synced); err != nil {
		t.Fatal(err)
	}
	gen.bumpConfig()
	for range 100 {
		ts.srv.Notify(Change{Kinds: []string{"VirtualService"}, Namespaces: []string{"a"}})
	}
	if err := c.Wait(ctx, hasDomainVersion(1)); err != nil {
		t.Fatal(err)
	}
	if got := gen.generationsOf("load-1"); got != 2 {
		t.Errorf("generations = %d, want 2 (connection, one merged push)", got)
	}
	if got := ts.srv.PushStatus().Pushes; got != 1 {
		t.Errorf("pushes = %d, want 1", got)
	}
}

// An endpoints-only change sends EDS only; a change a proxy cannot see is not generated for it.
func TestScopedPushes(t *testing.T) {
	gen := newFakeGen(5)
	gen.affects = func(p *Proxy, c Change) bool {
		return len(c.Namespaces) == 0 || strings.Contains(strings.Join(c.Namespaces, ","), p.ID.Namespace())
	}
	ts := startServer(t, gen, nil)
	a := connect(t, ts.addr, 1, "a", false, nil)
	b := connect(t, ts.addr, 2, "b", false, nil)
	ctx := waitCtx(t)
	for _, c := range []*loadtest.Client{a, b} {
		if err := c.Wait(ctx, synced); err != nil {
			t.Fatal(err)
		}
	}
	before := map[string]int{}
	for _, typ := range allTypes {
		before[typ] = a.Responses(typ)
	}
	gen.bumpEndpoints()
	ts.srv.Notify(Change{Kinds: []string{"EndpointSlice"}, EndpointsOnly: true})
	if err := a.Wait(ctx, func(c *loadtest.Client) bool {
		return c.Responses(resource.EndpointType) > before[resource.EndpointType]
	}); err != nil {
		t.Fatal(err)
	}
	// A routing change after it: its responses arrive after the EDS-only push's, so counting
	// now tells what the EDS-only push carried.
	gen.bumpConfig()
	ts.srv.Notify(Change{Kinds: []string{"VirtualService"}, Namespaces: []string{"a"}})
	if err := a.Wait(ctx, hasDomainVersion(1)); err != nil {
		t.Fatal(err)
	}
	// RDS for the routing change (the only type whose content it changes), and EDS for the
	// endpoints. The types of one push arrive in any order: wait for all before counting.
	want := maps.Clone(before)
	want[resource.RouteType]++
	want[resource.EndpointType]++
	if err := a.Wait(ctx, func(c *loadtest.Client) bool {
		for _, typ := range allTypes {
			if c.Responses(typ) < want[typ] {
				return false
			}
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	for _, typ := range allTypes {
		if got := a.Responses(typ); got != want[typ] {
			t.Errorf("%s: %d responses, want %d", typ, got, want[typ])
		}
	}
	// Proxy b cannot see namespace a: asked, not generated.
	// Both of b's pushes asked; the endpoints push may be between asking and generating.
	waitFor(t, func() bool { return gen.affectsCallsOf("load-2") >= 2 && gen.generationsOf("load-2") >= 2 })
	if got := gen.generationsOf("load-2"); got != 2 {
		t.Errorf("proxy in b: %d generations, want 2 (connection, endpoints)", got)
	}
}

// The series are exported under Istio's names.
func TestMetricsIstioNames(t *testing.T) {
	gen := newFakeGen(2)
	ts := startServer(t, gen, nil)
	c := connect(t, ts.addr, 1, "a", false, nil)
	bad := connect(t, ts.addr, 2, "a", false, func(typ string) string {
		if typ == resource.ListenerType {
			return "no"
		}
		return ""
	})
	ctx := waitCtx(t)
	if err := c.Wait(ctx, synced); err != nil {
		t.Fatal(err)
	}
	gen.bumpConfig()
	ts.srv.Notify(Change{Kinds: []string{"VirtualService"}})
	if err := c.Wait(ctx, hasDomainVersion(1)); err != nil {
		t.Fatal(err)
	}
	if err := bad.Wait(ctx, func(c *loadtest.Client) bool { return c.Responses(resource.ListenerType) >= 1 }); err != nil {
		t.Fatal(err)
	}
	ts.srv.opts.Metrics.RegEvent("Services", "add")
	waitFor(t, func() bool { return value(t, ts.srv.opts.Metrics.Rejects.WithLabelValues("lds")) >= 1 })
	waitFor(t, func() bool { return histCount(t, ts, "pilot_proxy_convergence_time") >= 1 })
	families, err := ts.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range families {
		got[f.GetName()] = true
	}
	for _, name := range []string{"pilot_xds", "pilot_xds_pushes", "pilot_proxy_convergence_time", "pilot_xds_push_time",
		"pilot_total_xds_rejects", "pilot_k8s_reg_events", "pilot_info"} {
		if !got[name] {
			t.Errorf("%s not exported", name)
		}
	}
	if v := value(t, ts.srv.opts.Metrics.XDS.WithLabelValues("1.31.1")); v != 2 {
		t.Errorf("pilot_xds = %g, want 2", v)
	}
}

func histCount(t *testing.T, ts *testServer, name string) uint64 {
	families, err := ts.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			var n uint64
			for _, m := range f.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
			return n
		}
	}
	return 0
}

// A stream whose node is not an Istio node id is refused with the reason; the server keeps serving.
func TestBadNodeRefused(t *testing.T) {
	ts := startServer(t, newFakeGen(1), nil)
	conn := dial(t, ts.addr)
	ctx := waitCtx(t)
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&discovery.DiscoveryRequest{TypeUrl: resource.ClusterType, Node: &core.Node{Id: "not-istio"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err == nil || !strings.Contains(err.Error(), "want 4 fields") {
		t.Fatalf("Recv: %v, want the node id error", err)
	}
	c := connect(t, ts.addr, 1, "a", true, nil)
	if err := c.Wait(ctx, synced); err != nil {
		t.Fatal(err)
	}
}

// Cancelling the server's context ends every stream and goroutine.
func TestShutdownLeavesNoGoroutine(t *testing.T) {
	base := goleak.IgnoreCurrent()
	ts := startServer(t, newFakeGen(3), nil)
	node, err := loadtest.SidecarNode(1, "a", "1.31.1")
	if err != nil {
		t.Fatal(err)
	}
	c := &loadtest.Client{Node: node}
	conn := dial(t, ts.addr)
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background(), conn) }()
	if err := c.Wait(waitCtx(t), synced); err != nil {
		t.Fatal(err)
	}
	ts.stop()
	if err := <-done; err == nil {
		t.Error("the client's stream did not end with the server")
	}
	conn.Close()
	if err := goleak.Find(base, goleak.IgnoreTopFunction("time.Sleep")); err != nil {
		t.Error(err)
	}
}

func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.GetCounter().GetValue() + d.GetGauge().GetValue()
}

// A proxy that goes away is forgotten (syncz, pilot_xds); the same node id connecting again gets
// its configuration anew.
func TestDisconnectAndReconnect(t *testing.T) {
	ts := startServer(t, newFakeGen(3), nil)
	node, err := loadtest.SidecarNode(1, "a", "1.31.1")
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		c := &loadtest.Client{Node: node}
		conn := dial(t, ts.addr)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = c.Run(ctx, conn); close(done) }()
		if err := c.Wait(waitCtx(t), synced); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if n := len(ts.srv.Syncz()); n != 1 {
			t.Errorf("round %d: syncz lists %d proxies", round, n)
		}
		cancel()
		<-done
		conn.Close()
		waitFor(t, func() bool { return len(ts.srv.Syncz()) == 0 })
		if v := value(t, ts.srv.opts.Metrics.XDS.WithLabelValues("1.31.1")); v != 0 {
			t.Errorf("round %d: pilot_xds = %g after the disconnection", round, v)
		}
	}
}
