package translate_test

import (
	"fmt"
	"net/netip"
	"testing"
	"unsafe"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/controlplane/translate"
	"github.com/meshctl/meshctl/meshapi"
)

// Sidecars of one scope that serve the same ports are handed the very same slices of every type
// (what lets the xDS server keep one copy for all of them); a sidecar of another scope, or serving
// other ports, is not.
func TestSameScopeSharesResources(t *testing.T) {
	s, err := model.FromObjects(model.DefaultClusterDomain, loadObjects(20, 2, 2)...)
	if err != nil {
		t.Fatal(err)
	}
	proxy := func(i int, ns string, labels map[string]string) *translate.Proxy {
		return &translate.Proxy{ID: meshapi.NewNodeID(meshapi.Sidecar, netip.AddrFrom4([4]byte{10, 200, 0, byte(i)}), fmt.Sprintf("p-%d", i), ns, "cluster.local"),
			Meta: meshapi.NodeMetadata{Namespace: ns, Labels: labels}}
	}
	all := []string{resource.ClusterType, resource.EndpointType, resource.ListenerType, resource.RouteType}
	// The ns-0 pair serves svc-0's port; p-3 serves svc-2's, the same port and protocol.
	base, err := translate.Generate(s, proxy(1, "ns-0", map[string]string{"app": "svc-0"}))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		proxy *translate.Proxy
		same  map[string]bool // by type: the very same slice as base's
	}{
		{"same scope, same ports", proxy(2, "ns-0", map[string]string{"app": "svc-0"}),
			map[string]bool{resource.ClusterType: true, resource.EndpointType: true, resource.ListenerType: true, resource.RouteType: true}},
		{"same scope, equal ports of another service", proxy(3, "ns-0", map[string]string{"app": "svc-2"}),
			map[string]bool{resource.ClusterType: true, resource.EndpointType: true, resource.ListenerType: true, resource.RouteType: true}},
		{"same scope, no port served", proxy(4, "ns-0", map[string]string{"app": "none"}),
			map[string]bool{resource.EndpointType: true, resource.RouteType: true}},
		{"another namespace", proxy(5, "ns-1", map[string]string{"app": "svc-1"}), map[string]bool{}},
	}
	for _, tc := range cases {
		res, err := translate.Generate(s, tc.proxy)
		if err != nil {
			t.Fatal(err)
		}
		for _, typ := range all {
			if len(res[typ]) == 0 {
				t.Fatalf("%s: no %s", tc.name, typ)
			}
			same := unsafe.SliceData(res[typ]) == unsafe.SliceData(base[typ]) && len(res[typ]) == len(base[typ])
			if same != tc.same[typ] {
				t.Errorf("%s: %s shared with the first proxy's: %v, want %v", tc.name, typ, same, tc.same[typ])
			}
		}
	}
}
