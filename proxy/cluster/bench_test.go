package cluster

import (
	"net/netip"
	"testing"

	"github.com/meshctl/meshctl/proxy/ir"
)

// BenchmarkPick is a load balancer's choice among 20 endpoints, per policy: no allocation, no lock.
func BenchmarkPick(b *testing.B) {
	weights := make([]uint32, 20)
	for i := range weights {
		weights[i] = uint32(1 + i%3)
	}
	for _, lb := range []ir.LBPolicy{ir.LBRoundRobin, ir.LBLeastRequest, ir.LBRandom, ir.LBRingHash} {
		b.Run(lb.String(), func(b *testing.B) {
			c := newTestCluster(b, &ir.Cluster{Name: "c", Type: ir.ClusterStatic, LB: lb, Endpoints: endpoints(weights...)})
			t := &Target{Hash: HashString("user-42"), HasHash: true}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.Pick(t, netip.AddrPort{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
