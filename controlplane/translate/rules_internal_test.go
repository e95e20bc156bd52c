package translate

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	meshconfig "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/meshapi"
)

func TestHostMatches(t *testing.T) {
	for _, c := range []struct {
		pattern, host string
		want          bool
	}{
		{"*", "a.b.svc.cluster.local", true},
		{"a.b.svc.cluster.local", "a.b.svc.cluster.local", true},
		{"a.b.svc.cluster.local", "c.b.svc.cluster.local", false},
		{"*.example.com", "api.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "*.api.example.com", true},
		{"*.api.example.com", "*.example.com", false},
		{"api.example.com", "*.example.com", false},
	} {
		if got := hostMatches(c.pattern, c.host); got != c.want {
			t.Errorf("hostMatches(%q, %q) = %v, want %v", c.pattern, c.host, got, c.want)
		}
	}
}

func TestExported(t *testing.T) {
	for _, c := range []struct {
		exportTo []string
		ns, to   string
		want     bool
	}{
		{nil, "a", "b", true},
		{[]string{"*"}, "a", "b", true},
		{[]string{"."}, "a", "a", true},
		{[]string{"."}, "a", "b", false},
		{[]string{"~"}, "a", "a", false},
		{[]string{"b", "c"}, "a", "c", true},
		{[]string{"b", "c"}, "a", "d", false},
	} {
		if got := exported(c.exportTo, c.ns, c.to); got != c.want {
			t.Errorf("exported(%v, %q, %q) = %v, want %v", c.exportTo, c.ns, c.to, got, c.want)
		}
	}
}

func TestFQDN(t *testing.T) {
	for in, want := range map[string]string{
		"reviews": "reviews.shop.svc.cluster.local", "reviews.other": "reviews.other",
		"reviews.other.svc.cluster.local": "reviews.other.svc.cluster.local", "*": "*", "*.example.com": "*.example.com",
	} {
		if got := fqdn(in, "shop", "cluster.local"); got != want {
			t.Errorf("fqdn(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRetryPolicy(t *testing.T) {
	for _, c := range []struct {
		name   string
		in     *networking.HTTPRetry
		on     string
		n      uint32
		codes  []uint32
		absent bool
	}{
		{"default", nil, "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes", 2, []uint32{503}, false},
		{"off", &networking.HTTPRetry{Attempts: 0}, "", 0, nil, true},
		{"codes", &networking.HTTPRetry{Attempts: 3, RetryOn: "gateway-error,502,504"}, "gateway-error,retriable-status-codes", 3, []uint32{502, 504}, false},
		{"unknown dropped", &networking.HTTPRetry{Attempts: 1, RetryOn: "5xx,reset-before-request,envoy-ratelimited"}, "5xx", 1, nil, false},
		{"attempts only", &networking.HTTPRetry{Attempts: 5, PerTryTimeout: durationpb.New(1e9)}, "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes", 5, []uint32{503}, false},
		{"backoff", &networking.HTTPRetry{Attempts: 1, RetryOn: "5xx", Backoff: durationpb.New(2e8)}, "5xx", 1, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := retryPolicy(c.in)
			if c.absent {
				if got != nil {
					t.Fatalf("want no retry policy, got %v", got)
				}
				return
			}
			if got.GetRetryOn() != c.on || got.GetNumRetries().GetValue() != c.n || !slices.Equal(got.GetRetriableStatusCodes(), c.codes) {
				t.Errorf("got %q %d %v, want %q %d %v", got.GetRetryOn(), got.GetNumRetries().GetValue(), got.GetRetriableStatusCodes(), c.on, c.n, c.codes)
			}
			// Istio's defaults on every policy: previous_hosts, five host selection attempts.
			if p := got.GetRetryHostPredicate(); len(p) != 1 || p[0].GetName() != "envoy.retry_host_predicates.previous_hosts" || got.GetHostSelectionRetryMaxAttempts() != 5 {
				t.Errorf("host predicate %v, %d attempts", p, got.GetHostSelectionRetryMaxAttempts())
			}
		})
	}
}

func TestDomains(t *testing.T) {
	svc := &model.Service{Hostname: "web.shop.svc.cluster.local", Name: "web", Namespace: "shop", Addresses: []string{"10.0.0.1"}}
	same := strings.Join(domains(svc, "shop", 80), " ")
	if want := "web.shop.svc.cluster.local web.shop.svc.cluster.local:80 web web:80 web.shop web.shop:80 web.shop.svc web.shop.svc:80 10.0.0.1 10.0.0.1:80"; same != want {
		t.Errorf("same namespace: %s\nwant %s", same, want)
	}
	if other := domains(svc, "elsewhere", 80); slices.Contains(other, "web") {
		t.Errorf("another namespace cannot use the short name: %v", other)
	}
	se := &model.Service{Hostname: "api.example.com", FromServiceEntry: true, Addresses: []string{"240.0.0.1/32"}}
	if got := strings.Join(domains(se, "shop", 443), " "); got != "api.example.com api.example.com:443" {
		t.Errorf("ServiceEntry with a CIDR: %s", got)
	}
}

func TestEndpointPort(t *testing.T) {
	port := model.Port{Name: "http", Port: 80, TargetPort: 8080}
	for _, c := range []struct {
		name string
		e    *model.Endpoint
		want uint32
		ok   bool
	}{
		{"slice names it", &model.Endpoint{Ports: map[string]uint32{"http": 9090}, ExactPorts: true}, 9090, true},
		{"slice lacks it", &model.Endpoint{Ports: map[string]uint32{"grpc": 9090}, ExactPorts: true}, 0, false},
		{"workload entry maps it", &model.Endpoint{Ports: map[string]uint32{"http": 7070}}, 7070, true},
		{"workload entry: target port", &model.Endpoint{}, 8080, true},
	} {
		got, ok := endpointPort(port, c.e)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: got %d %v, want %d %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func sidecarProxy(ns string, labels map[string]string) *Proxy {
	return &Proxy{ID: meshapi.NewNodeID(meshapi.Sidecar, netip.MustParseAddr("10.0.0.9"), "p", ns, "cluster.local"),
		Meta: meshapi.NodeMetadata{Namespace: ns, Labels: labels}}
}

func TestScopeAndAffects(t *testing.T) {
	sc := &model.Config[*networking.Sidecar]{Name: "default", Namespace: "a", Spec: &networking.Sidecar{
		Egress: []*networking.IstioEgressListener{{Hosts: []string{"./*", "shared/*"}}}}}
	s, err := model.FromObjects("cluster.local")
	if err != nil {
		t.Fatal(err)
	}
	s.Sidecars = append(s.Sidecars, sc)
	p := sidecarProxy("a", nil)
	scope := scopeOf(s, p)
	if !scope.allows("a", "x.a.svc.cluster.local") || !scope.allows("shared", "y.shared.svc.cluster.local") || scope.allows("b", "z.b.svc.cluster.local") {
		t.Errorf("scope %+v", scope.hosts)
	}
	for _, c := range []struct {
		name string
		c    model.Change
		want bool
	}{
		{"own namespace", model.Change{Kinds: []string{model.KindVirtualService}, Namespaces: []string{"a"}}, true},
		{"egress namespace", model.Change{Kinds: []string{model.KindEndpointSlice}, Namespaces: []string{"shared"}, EndpointsOnly: true}, true},
		{"unseen namespace", model.Change{Kinds: []string{model.KindService}, Namespaces: []string{"b"}}, false},
		{"gateway", model.Change{Kinds: []string{model.KindGateway}, Namespaces: []string{"a"}}, false},
		{"mesh config", model.Change{Kinds: []string{model.KindMeshConfig}}, true},
		{"first sync", model.Change{Kinds: []string{model.KindService, model.KindVirtualService, model.KindSidecar}}, true},
		{"sidecar of the root", model.Change{Kinds: []string{model.KindSidecar}, Namespaces: []string{"istio-system"}}, true},
		{"sidecar elsewhere", model.Change{Kinds: []string{model.KindSidecar}, Namespaces: []string{"b"}}, false},
		{"mesh-wide PeerAuthentication", model.Change{Kinds: []string{model.KindPeerAuthentication}, Namespaces: []string{"istio-system"}}, true},
		{"own namespace's PeerAuthentication", model.Change{Kinds: []string{model.KindPeerAuthentication}, Namespaces: []string{"a"}}, true},
		{"a seen namespace's PeerAuthentication (auto mTLS)", model.Change{Kinds: []string{model.KindPeerAuthentication}, Namespaces: []string{"shared"}}, true},
		{"an unseen namespace's PeerAuthentication", model.Change{Kinds: []string{model.KindPeerAuthentication}, Namespaces: []string{"b"}}, false},
		{"authorization policy of its namespace", model.Change{Kinds: []string{model.KindAuthorizationPolicy}, Namespaces: []string{"a"}}, true},
		{"authorization policy of the root", model.Change{Kinds: []string{model.KindAuthorizationPolicy}, Namespaces: []string{"istio-system"}}, true},
		{"authorization policy of an egress namespace", model.Change{Kinds: []string{model.KindAuthorizationPolicy}, Namespaces: []string{"shared"}}, false},
		{"request authentication elsewhere", model.Change{Kinds: []string{model.KindRequestAuthentication}, Namespaces: []string{"b"}}, false},
		{"a key set fetched", model.Change{Kinds: []string{model.KindRequestAuthentication}}, true},
	} {
		if got := Affects(s, p, c.c); got != c.want {
			t.Errorf("%s: Affects = %v, want %v", c.name, got, c.want)
		}
	}
	if !Affects(s, sidecarProxy("b", nil), model.Change{Kinds: []string{model.KindService}, Namespaces: []string{"a"}}) {
		t.Error("a proxy without a Sidecar sees every namespace")
	}
}

// TestGatewayBinding: a VirtualService bound only to a Gateway leaves the sidecars' routes alone;
// with "mesh" added it applies to them too.
func TestGatewayBinding(t *testing.T) {
	const base = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: a}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: a}
spec:
  hosts: [web]
  gateways: [GATEWAYS]
  http: [{route: [{destination: {host: web, subset: v9}}]}]
`
	for gws, want := range map[string]string{"gw": "outbound|80||web.a.svc.cluster.local", "gw, mesh": "outbound|80|v9|web.a.svc.cluster.local"} {
		objs, err := model.DecodeYAML(strings.NewReader(strings.Replace(base, "GATEWAYS", gws, 1)))
		if err != nil {
			t.Fatal(err)
		}
		s, err := model.FromObjects("cluster.local", objs...)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Generate(s, sidecarProxy("a", nil))
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, r := range res["type.googleapis.com/envoy.config.route.v3.RouteConfiguration"] {
			got = r.(*routev3.RouteConfiguration).GetVirtualHosts()[0].GetRoutes()[0].GetRoute().GetCluster()
		}
		if got != want {
			t.Errorf("gateways [%s]: the sidecar routes to %q, want %q", gws, got, want)
		}
	}
}

// TestFailoverPriorities: Istio's default failover levels seen from a proxy in eu/eu-1/a, renumbered
// without gaps.
func TestFailoverPriorities(t *testing.T) {
	group := func(region, zone, sub string) *endpointv3.LocalityLbEndpoints {
		return &endpointv3.LocalityLbEndpoints{Locality: &corev3.Locality{Region: region, Zone: zone, SubZone: sub}}
	}
	cases := []struct {
		name   string
		groups []*endpointv3.LocalityLbEndpoints
		want   []uint32
	}{
		{"every level", []*endpointv3.LocalityLbEndpoints{group("eu", "eu-1", "a"), group("eu", "eu-1", "b"), group("eu", "eu-2", ""), group("us", "us-1", "")}, []uint32{0, 1, 2, 3}},
		{"gaps closed", []*endpointv3.LocalityLbEndpoints{group("us", "us-1", ""), group("eu", "eu-2", "")}, []uint32{1, 0}},
		{"nothing local", []*endpointv3.LocalityLbEndpoints{group("us", "us-1", "")}, []uint32{0}},
		{"unknown locality is elsewhere", []*endpointv3.LocalityLbEndpoints{{}, group("eu", "eu-1", "a")}, []uint32{1, 0}},
	}
	for _, c := range cases {
		cla := &endpointv3.ClusterLoadAssignment{ClusterName: "c", Endpoints: c.groups}
		got := withPriorities(cla, model.Locality{Region: "eu", Zone: "eu-1", SubZone: "a"})
		for i, g := range got.Endpoints {
			if g.Priority != c.want[i] {
				t.Errorf("%s: group %d priority %d, want %d", c.name, i, g.Priority, c.want[i])
			}
		}
		if cla.Endpoints[0].Priority != 0 && c.name == "gaps closed" {
			t.Errorf("%s: the shared assignment was modified", c.name)
		}
	}
}

// TestFailoverOn: outlier detection turns locality failover on, localityLbSetting.enabled false off.
func TestFailoverOn(t *testing.T) {
	s := &model.Snapshot{Mesh: &meshconfig.MeshConfig{}}
	withOD := &clusterv3.Cluster{OutlierDetection: &clusterv3.OutlierDetection{}}
	off := &networking.TrafficPolicy{LoadBalancer: &networking.LoadBalancerSettings{LocalityLbSetting: &networking.LocalityLoadBalancerSetting{Enabled: wrapperspb.Bool(false)}}}
	if !failoverOn(s, withOD, nil, 80) {
		t.Error("outlier detection: off")
	}
	if failoverOn(s, &clusterv3.Cluster{}, nil, 80) {
		t.Error("no outlier detection: on")
	}
	if failoverOn(s, withOD, off, 80) {
		t.Error("localityLbSetting.enabled false: on")
	}
	s.Mesh.LocalityLbSetting = &networking.LocalityLoadBalancerSetting{Enabled: wrapperspb.Bool(false)}
	if failoverOn(s, withOD, nil, 80) {
		t.Error("mesh localityLbSetting.enabled false: on")
	}
}

// TestRetryBackoff: retries.backoff is the back-off's base interval; absent, none is sent.
func TestRetryBackoff(t *testing.T) {
	if got := retryPolicy(&networking.HTTPRetry{Attempts: 1, Backoff: durationpb.New(2e8)}).GetRetryBackOff(); got.GetBaseInterval().AsDuration() != 2e8 || got.GetMaxInterval() != nil {
		t.Errorf("backoff 200ms: %v", got)
	}
	if got := retryPolicy(&networking.HTTPRetry{Attempts: 1}).GetRetryBackOff(); got != nil {
		t.Errorf("no backoff: %v", got)
	}
}

// TestFaultAborts: an HTTP status or a gRPC status by name; an unknown name or an HTTP/2 error
// (which Envoy cannot inject) leaves no abort.
func TestFaultAborts(t *testing.T) {
	abort := func(a *networking.HTTPFaultInjection_Abort) *networking.HTTPFaultInjection {
		return &networking.HTTPFaultInjection{Abort: a}
	}
	if f := faultConfig(abort(&networking.HTTPFaultInjection_Abort{ErrorType: &networking.HTTPFaultInjection_Abort_HttpStatus{HttpStatus: 500}})); f.GetAbort().GetHttpStatus() != 500 {
		t.Errorf("http 500: %v", f)
	}
	if f := faultConfig(abort(&networking.HTTPFaultInjection_Abort{ErrorType: &networking.HTTPFaultInjection_Abort_GrpcStatus{GrpcStatus: "UNAVAILABLE"}})); f.GetAbort().GetGrpcStatus() != 14 {
		t.Errorf("grpc UNAVAILABLE: %v", f)
	}
	if f := faultConfig(abort(&networking.HTTPFaultInjection_Abort{ErrorType: &networking.HTTPFaultInjection_Abort_GrpcStatus{GrpcStatus: "NOPE"}})); f != nil {
		t.Errorf("grpc NOPE: %v", f)
	}
	if f := faultConfig(abort(&networking.HTTPFaultInjection_Abort{ErrorType: &networking.HTTPFaultInjection_Abort_Http2Error{Http2Error: "REFUSED_STREAM"}})); f != nil {
		t.Errorf("http2Error: %v", f)
	}
}
