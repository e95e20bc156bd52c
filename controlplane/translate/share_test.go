package translate_test

import (
	"fmt"
	"net/netip"
	"testing"
	"unsafe"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	securityapi "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

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

// A security policy that selects one workload keeps its inbound side apart: sidecars share inbound
// configuration only when the same PeerAuthentication modes and the same AuthorizationPolicies and
// RequestAuthentications apply to them.
func TestSecurityPoliciesSplitSharing(t *testing.T) {
	sel := &typev1beta1.WorkloadSelector{MatchLabels: map[string]string{"app": "svc-2"}}
	policies := map[string]runtime.Object{
		"AuthorizationPolicy": &securityv1.AuthorizationPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny", Namespace: "ns-0"},
			Spec: securityapi.AuthorizationPolicy{Selector: sel, Action: securityapi.AuthorizationPolicy_DENY,
				Rules: []*securityapi.Rule{{To: []*securityapi.Rule_To{{Operation: &securityapi.Operation{Paths: []string{"/admin"}}}}}}}},
		"RequestAuthentication": &securityv1.RequestAuthentication{ObjectMeta: metav1.ObjectMeta{Name: "jwt", Namespace: "ns-0"},
			Spec: securityapi.RequestAuthentication{Selector: sel, JwtRules: []*securityapi.JWTRule{{Issuer: "https://issuer.example", Jwks: `{"keys":[]}`}}}},
		"PeerAuthentication": &securityv1.PeerAuthentication{ObjectMeta: metav1.ObjectMeta{Name: "strict", Namespace: "ns-0"},
			Spec: securityapi.PeerAuthentication{Selector: sel, Mtls: &securityapi.PeerAuthentication_MutualTLS{Mode: securityapi.PeerAuthentication_MutualTLS_STRICT}}},
	}
	proxy := func(i int, app string) *translate.Proxy {
		return &translate.Proxy{ID: meshapi.NewNodeID(meshapi.Sidecar, netip.AddrFrom4([4]byte{10, 200, 0, byte(i)}), fmt.Sprintf("p-%d", i), "ns-0", "cluster.local"),
			Meta: meshapi.NodeMetadata{Namespace: "ns-0", Labels: map[string]string{"app": app}}}
	}
	for kind, pol := range policies {
		t.Run(kind, func(t *testing.T) {
			s, err := model.FromObjects(model.DefaultClusterDomain, append(loadObjects(20, 2, 2), pol)...)
			if err != nil {
				t.Fatal(err)
			}
			// svc-0's and svc-2's workloads serve equal ports: only the policy tells them apart.
			plain, err := translate.Generate(s, proxy(1, "svc-0"))
			if err != nil {
				t.Fatal(err)
			}
			selected, err := translate.Generate(s, proxy(2, "svc-2"))
			if err != nil {
				t.Fatal(err)
			}
			if unsafe.SliceData(plain[resource.ListenerType]) == unsafe.SliceData(selected[resource.ListenerType]) {
				t.Errorf("the workload a %s selects shares its listeners with one it does not select", kind)
			}
		})
	}
}

// Scopes of different namespaces (no Sidecar: each sees every Service) build equal clusters,
// listeners and virtual hosts for the Services they see alike; they hold one object for each, so
// that ten namespaces do not keep ten copies of the mesh. What differs (a namespace's own
// Services are reachable by their short names) stays apart.
func TestScopesShareEqualResources(t *testing.T) {
	s, err := model.FromObjects(model.DefaultClusterDomain, loadObjects(40, 4, 2)...)
	if err != nil {
		t.Fatal(err)
	}
	a, err := translate.Generate(s, loadProxy(0)) // ns-0
	if err != nil {
		t.Fatal(err)
	}
	b, err := translate.Generate(s, loadProxy(1)) // ns-1
	if err != nil {
		t.Fatal(err)
	}
	byName := func(l []types.Resource) map[string]proto.Message {
		m := map[string]proto.Message{}
		for _, r := range l {
			m[cache.GetResourceName(r)] = r.(proto.Message)
		}
		return m
	}
	for _, typ := range []string{resource.ClusterType, resource.ListenerType} {
		shared := 0
		bm := byName(b[typ])
		for name, ra := range byName(a[typ]) {
			rb, ok := bm[name]
			if !ok || !proto.Equal(ra, rb) {
				continue
			}
			if ra != rb {
				t.Errorf("%s %s: equal in ns-0 and ns-1 but two objects", typ, name)
			}
			shared++
		}
		if shared == 0 {
			t.Errorf("%s: nothing equal between the namespaces' scopes", typ)
		}
	}
	ra := byName(a[resource.RouteType])["80"].(*routev3.RouteConfiguration)
	rb := byName(b[resource.RouteType])["80"].(*routev3.RouteConfiguration)
	if ra == nil || rb == nil {
		t.Fatal("no route 80")
	}
	if proto.Equal(ra, rb) {
		t.Fatal("route 80 equal in both namespaces: short names should differ")
	}
	vhosts := map[string]*routev3.VirtualHost{}
	for _, vh := range rb.GetVirtualHosts() {
		vhosts[vh.GetName()] = vh
	}
	var shared, apart int
	for _, vh := range ra.GetVirtualHosts() {
		other := vhosts[vh.GetName()]
		switch {
		case other == nil:
		case proto.Equal(vh, other):
			if vh != other {
				t.Errorf("virtual host %s: equal in ns-0 and ns-1 but two objects", vh.GetName())
			}
			shared++
		default:
			if vh == other {
				t.Errorf("virtual host %s: differs but one object", vh.GetName())
			}
			apart++
		}
	}
	// 40 Services, 10 in each namespace: ns-0's and ns-1's own differ (short names), the other 20
	// (and the passthrough's) are alike.
	if shared < 20 || apart != 20 {
		t.Errorf("virtual hosts shared %d, apart %d; want at least 20 and 20", shared, apart)
	}
}
