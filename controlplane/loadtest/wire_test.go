package loadtest

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// The wire scan agrees with decoding.
func TestWireScan(t *testing.T) {
	eds := func(c *clusterv3.Cluster) *clusterv3.Cluster {
		c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS}
		return c
	}
	tests := []struct {
		msg     proto.Message
		name    string
		service string
	}{
		{eds(&clusterv3.Cluster{Name: "outbound|80||a.ns.svc.cluster.local"}), "outbound|80||a.ns.svc.cluster.local", "outbound|80||a.ns.svc.cluster.local"},
		{eds(&clusterv3.Cluster{Name: "c", EdsClusterConfig: &clusterv3.Cluster_EdsClusterConfig{ServiceName: "svc"}}), "c", "svc"},
		{&clusterv3.Cluster{Name: "static", ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}}, "static", ""},
		{&clusterv3.Cluster{Name: "passthrough", ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_ORIGINAL_DST}}, "passthrough", ""},
		{&endpointv3.ClusterLoadAssignment{ClusterName: "outbound|80||b"}, "outbound|80||b", ""},
	}
	for _, tc := range tests {
		a, err := anypb.New(tc.msg)
		if err != nil {
			t.Fatal(err)
		}
		if got := anyName(a); got != tc.name {
			t.Errorf("name %q, want %q", got, tc.name)
		}
		if _, ok := tc.msg.(*clusterv3.Cluster); ok {
			if got := edsServiceName(a.GetValue()); got != tc.service {
				t.Errorf("%s: EDS name %q, want %q", tc.name, got, tc.service)
			}
		}
	}
}
