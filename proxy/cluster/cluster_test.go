package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/ir"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newTestCluster(t testing.TB, cfg *ir.Cluster) *Cluster {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return NewManager(ctx, quiet).Update(map[string]*ir.Cluster{cfg.Name: cfg})[cfg.Name]
}

func endpoints(weights ...uint32) []ir.Endpoint {
	var eps []ir.Endpoint
	for i, w := range weights {
		eps = append(eps, ir.Endpoint{Address: fmt.Sprintf("10.0.0.%d:80", i+1), Weight: w})
	}
	return eps
}

func counts(t *testing.T, c *Cluster, n int, target func(i int) *Target) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i := 0; i < n; i++ {
		h, err := c.Pick(target(i), netip.AddrPort{})
		if err != nil {
			t.Fatal(err)
		}
		got[h.Addr]++
	}
	return got
}

func none(int) *Target { return &Target{} }

func TestRoundRobin(t *testing.T) {
	c := newTestCluster(t, &ir.Cluster{Name: "rr", Type: ir.ClusterStatic, Endpoints: endpoints(1, 1, 1)})
	for addr, n := range counts(t, c, 300, none) {
		if n != 100 {
			t.Errorf("%s picked %d times of 300, want 100", addr, n)
		}
	}
	w := newTestCluster(t, &ir.Cluster{Name: "wrr", Type: ir.ClusterStatic, Endpoints: endpoints(1, 3)})
	got := counts(t, w, 400, none)
	if got["10.0.0.1:80"] != 100 || got["10.0.0.2:80"] != 300 {
		t.Errorf("weights 1:3 over 400 picks: %v", got)
	}
}

func TestRandomFollowsWeights(t *testing.T) {
	c := newTestCluster(t, &ir.Cluster{Name: "r", Type: ir.ClusterStatic, LB: ir.LBRandom, Endpoints: endpoints(1, 3)})
	got := counts(t, c, 40000, none)
	if share := float64(got["10.0.0.2:80"]) / 40000; math.Abs(share-0.75) > 0.02 {
		t.Errorf("weight 3 of 4 got %.3f of the picks", share)
	}
}

func TestLeastRequestAvoidsTheBusyHost(t *testing.T) {
	c := newTestCluster(t, &ir.Cluster{Name: "lr", Type: ir.ClusterStatic, LB: ir.LBLeastRequest, Endpoints: endpoints(1, 1)})
	busy := c.Hosts()[0]
	for i := 0; i < 5; i++ {
		c.Begin(busy)
	}
	got := counts(t, c, 4000, none)
	// Power of two choices: the busy host wins only when both draws are it (1 in 4).
	if share := float64(got[busy.Addr]) / 4000; share > 0.30 {
		t.Errorf("the busy host got %.3f of the picks", share)
	}
}

func TestRingHashIsConsistent(t *testing.T) {
	cfg := &ir.Cluster{Name: "ring", Type: ir.ClusterStatic, LB: ir.LBRingHash, Endpoints: endpoints(1, 1, 1, 1)}
	c := newTestCluster(t, cfg)
	key := func(i int) *Target { return &Target{Hash: HashString(fmt.Sprintf("user-%d", i)), HasHash: true} }
	before := map[int]string{}
	spread := map[string]int{}
	for i := 0; i < 2000; i++ {
		h, _ := c.Pick(key(i), netip.AddrPort{})
		again, _ := c.Pick(key(i), netip.AddrPort{})
		if h != again {
			t.Fatalf("key %d went to %s, then %s", i, h.Addr, again.Addr)
		}
		before[i] = h.Addr
		spread[h.Addr]++
	}
	for addr, n := range spread {
		if n < 250 || n > 750 {
			t.Errorf("%s owns %d of 2000 keys", addr, n)
		}
	}
	// Removing one endpoint moves its keys and, as the ring is rebuilt to its size, only a few others.
	c.setEndpoints(cfg.Endpoints[:3])
	stayed, kept := 0, 0
	for i := 0; i < 2000; i++ {
		h, _ := c.Pick(key(i), netip.AddrPort{})
		if before[i] != "10.0.0.4:80" {
			kept++
			if h.Addr == before[i] {
				stayed++
			}
		}
	}
	if share := float64(stayed) / float64(kept); share < 0.8 {
		t.Errorf("only %.2f of the keys whose endpoint stayed kept it", share)
	}
}

func TestEndpointUpdatesKeepHosts(t *testing.T) {
	c := newTestCluster(t, &ir.Cluster{Name: "eds", Type: ir.ClusterEDS, Endpoints: endpoints(1, 1)})
	h := c.Hosts()[0]
	c.Begin(h)
	c.setEndpoints(endpoints(1, 1, 1))
	if c.Hosts()[0] != h || h.Active() != 1 {
		t.Errorf("the host of an endpoint that stayed was replaced")
	}
	c.setEndpoints(nil)
	if _, err := c.Pick(&Target{}, netip.AddrPort{}); err != ErrNoHealthyUpstream {
		t.Errorf("no endpoints: %v, want ErrNoHealthyUpstream", err)
	}
}

func TestOutlierEjectionAndReturn(t *testing.T) {
	now := time.Unix(1000, 0)
	timeNow = func() time.Time { return now }
	t.Cleanup(func() { timeNow = time.Now })
	c := newTestCluster(t, &ir.Cluster{Name: "od", Type: ir.ClusterStatic, Endpoints: endpoints(1, 1, 1, 1),
		Outlier: &ir.OutlierDetection{Consecutive5xx: 3, BaseEjectionTime: 30 * time.Second, MaxEjectionPercent: 50, Interval: time.Hour}})
	hosts := c.Hosts()
	bad := hosts[0]
	fail := func(h *Host, n int) {
		for i := 0; i < n; i++ {
			c.Begin(h)
			c.End(h, 503, false)
		}
	}
	fail(bad, 2)
	c.Begin(bad)
	c.End(bad, 200, false) // a success resets the count
	fail(bad, 2)
	if bad.Ejected() {
		t.Fatal("ejected before 3 consecutive failures")
	}
	fail(bad, 1)
	if !bad.Ejected() || c.HealthyCount() != 3 {
		t.Fatalf("not ejected after 3 consecutive 5xx (healthy %d)", c.HealthyCount())
	}
	for addr := range counts(t, c, 300, none) {
		if addr == bad.Addr {
			t.Fatal("an ejected host was picked")
		}
	}
	// max_ejection_percent 50 of 4: a second host may go, a third may not.
	fail(hosts[1], 3)
	fail(hosts[2], 3)
	if !hosts[1].Ejected() || hosts[2].Ejected() {
		t.Errorf("ejections beyond max_ejection_percent: %v %v", hosts[1].Ejected(), hosts[2].Ejected())
	}
	now = now.Add(29 * time.Second)
	c.sweep()
	if !bad.Ejected() {
		t.Error("returned before its ejection time")
	}
	now = now.Add(2 * time.Second)
	c.sweep()
	if bad.Ejected() || c.HealthyCount() != 4 {
		t.Errorf("not returned after the ejection time (healthy %d)", c.HealthyCount())
	}
	fail(bad, 3) // the second ejection lasts twice as long
	now = now.Add(59 * time.Second)
	c.sweep()
	if !bad.Ejected() {
		t.Error("the second ejection was not longer")
	}
}

func TestAllEjectedIsNoHealthyUpstreamUnlessPanic(t *testing.T) {
	od := &ir.OutlierDetection{Consecutive5xx: 1, MaxEjectionPercent: 100, Interval: time.Hour}
	c := newTestCluster(t, &ir.Cluster{Name: "strict", Type: ir.ClusterStatic, Endpoints: endpoints(1), Outlier: od})
	c.Begin(c.Hosts()[0])
	c.End(c.Hosts()[0], 500, false)
	if _, err := c.Pick(&Target{}, netip.AddrPort{}); err != ErrNoHealthyUpstream {
		t.Errorf("the only host ejected, no panic threshold: %v, want ErrNoHealthyUpstream", err)
	}
	p := newTestCluster(t, &ir.Cluster{Name: "panic", Type: ir.ClusterStatic, Endpoints: endpoints(1), Outlier: od, PanicThreshold: 50})
	p.Begin(p.Hosts()[0])
	p.End(p.Hosts()[0], 500, false)
	if _, err := p.Pick(&Target{}, netip.AddrPort{}); err != nil {
		t.Errorf("below the panic threshold all hosts are used: %v", err)
	}
}

func TestLimits(t *testing.T) {
	c := newTestCluster(t, &ir.Cluster{Name: "cb", Type: ir.ClusterStatic, Endpoints: endpoints(1),
		Limits: ir.Limits{MaxConnections: 1, MaxPendingRequests: 1, MaxRetries: 1}})
	ctx := context.Background()
	if err := c.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	pending := make(chan error)
	go func() { pending <- c.Acquire(ctx) }()
	for c.limits.pending.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	if err := c.Acquire(ctx); err != ErrOverflow {
		t.Errorf("third request with 1 connection and 1 pending: %v, want overflow", err)
	}
	c.Release()
	if err := <-pending; err != nil {
		t.Errorf("the pending request: %v", err)
	}
	c.Release()
	if !c.AcquireRetry() || c.AcquireRetry() {
		t.Error("max_retries 1 admits one retry at a time")
	}
}
