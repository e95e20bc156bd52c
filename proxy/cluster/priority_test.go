package cluster

import (
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/ir"
)

// TestPriorityFailover: requests stay in priority 0 (the proxy's locality) while it is healthy, and
// move to the next level as its endpoints are ejected, in Envoy's proportions.
func TestPriorityFailover(t *testing.T) {
	eps := []ir.Endpoint{
		{Address: "10.0.0.1:80", Priority: 0}, {Address: "10.0.0.2:80", Priority: 0},
		{Address: "10.0.1.1:80", Priority: 1}, {Address: "10.0.1.2:80", Priority: 1},
	}
	c := newTestCluster(t, &ir.Cluster{Name: "p", Type: ir.ClusterStatic, LB: ir.LBRoundRobin, Endpoints: eps,
		Outlier: &ir.OutlierDetection{Consecutive5xx: 1, Interval: time.Hour, BaseEjectionTime: time.Hour, MaxEjectionPercent: 100}})
	local := func(got map[string]int) int { return got["10.0.0.1:80"] + got["10.0.0.2:80"] }

	if got := counts(t, c, 1000, none); local(got) != 1000 {
		t.Fatalf("all healthy: %v, want every request in priority 0", got)
	}
	// One of two local endpoints ejected: level 0 is 140×1/2 = 70% healthy and keeps 70% of the
	// load; the rest spills to level 1.
	c.eject(c.Hosts()[0])
	got := counts(t, c, 10000, none)
	if n := local(got); n < 6700 || n > 7300 {
		t.Errorf("one local endpoint ejected: %d of 10000 stayed local, want about 7000 (%v)", n, got)
	}
	if got["10.0.0.1:80"] != 0 {
		t.Errorf("the ejected endpoint was picked %d times", got["10.0.0.1:80"])
	}
	// Both local endpoints ejected: everything fails over.
	c.eject(c.Hosts()[1])
	if got := counts(t, c, 1000, none); local(got) != 0 {
		t.Errorf("locality down: %v, want every request in priority 1", got)
	}
}

// TestPriorityLevels: the load split of Envoy's documentation examples.
func TestPriorityLevels(t *testing.T) {
	c := &Cluster{cfg: &ir.Cluster{}}
	hosts := func(healthy0, total0, healthy1, total1 int) []*Host {
		var out []*Host
		for p, n := range [][2]int{{healthy0, total0}, {healthy1, total1}} {
			for i := 0; i < n[1]; i++ {
				h := newHost("h", 1, "")
				h.Priority = uint32(p)
				if i >= n[0] {
					h.ejected.Store(1)
				}
				out = append(out, h)
			}
		}
		return out
	}
	cases := []struct {
		name           string
		h0, t0, h1, t1 int
		want0, want1   int
	}{
		{"all healthy", 10, 10, 10, 10, 100, 0},
		{"level 0 at 72%", 72, 100, 10, 10, 100, 0}, // 72×1.4 ≥ 100
		{"level 0 at 50%", 5, 10, 10, 10, 70, 30},
		{"level 0 at 20%, level 1 at 20%", 2, 10, 2, 10, 50, 50}, // 28+28 scaled to 100
		{"level 0 down", 0, 10, 10, 10, 0, 100},
	}
	for _, tc := range cases {
		l := c.priorityLevels(hosts(tc.h0, tc.t0, tc.h1, tc.t1))
		if l[0].load != tc.want0 || l[1].load != tc.want1 {
			t.Errorf("%s: loads %d/%d, want %d/%d", tc.name, l[0].load, l[1].load, tc.want0, tc.want1)
		}
	}
}
