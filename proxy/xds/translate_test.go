package xds

import (
	"fmt"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultcommonv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	previoushostsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/xdscontract"
)

func anyOf(t *testing.T, m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestRouteTranslation: what each route field becomes in the proxy's configuration.
func TestRouteTranslation(t *testing.T) {
	r := &routev3.Route{
		Name:  "r",
		Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/api"}, CaseSensitive: wrapperspb.Bool(false)},
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{
			ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: "c"},
			Timeout:          durationpb.New(3 * time.Second),
			RetryPolicy: &routev3.RetryPolicy{RetryOn: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
				NumRetries: wrapperspb.UInt32(2), PerTryTimeout: durationpb.New(time.Second), RetriableStatusCodes: []uint32{503}},
			RequestMirrorPolicies: []*routev3.RouteAction_RequestMirrorPolicy{{Cluster: "m",
				RuntimeFraction: &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: 250000, Denominator: typev3.FractionalPercent_MILLION}}}},
			PrefixRewrite:        "/v2",
			HostRewriteSpecifier: &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: "internal"},
			HashPolicy:           []*routev3.RouteAction_HashPolicy{{PolicySpecifier: &routev3.RouteAction_HashPolicy_Cookie_{Cookie: &routev3.RouteAction_HashPolicy_Cookie{Name: "user", Ttl: durationpb.New(time.Hour)}}}},
		}},
		RequestHeadersToAdd: []*corev3.HeaderValueOption{
			{Header: &corev3.HeaderValue{Key: "x-a", Value: "1"}, AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD},
			{Header: &corev3.HeaderValue{Key: "x-b", Value: "2"}},
		},
		TypedPerFilterConfig: map[string]*anypb.Any{"envoy.filters.http.fault": anyOf(t, &faultv3.HTTPFault{
			Delay: &faultcommonv3.FaultDelay{FaultDelaySecifier: &faultcommonv3.FaultDelay_FixedDelay{FixedDelay: durationpb.New(7 * time.Second)},
				Percentage: &typev3.FractionalPercent{Numerator: 10, Denominator: typev3.FractionalPercent_HUNDRED}},
			Abort: &faultv3.FaultAbort{ErrorType: &faultv3.FaultAbort_HttpStatus{HttpStatus: 500}},
		})},
	}
	if err := xdscontract.Check(r); err != nil {
		t.Fatal(err)
	}
	got, err := route(r)
	if err != nil {
		t.Fatal(err)
	}
	f := got.Forward
	checks := []struct {
		what      string
		got, want any
	}{
		{"case-insensitive prefix", got.Match.CaseInsensitive, true},
		{"timeout", f.Timeout, 3 * time.Second},
		{"retries", f.Retry.NumRetries, 2},
		{"per-try timeout", f.Retry.PerTryTimeout, time.Second},
		{"retry on", f.Retry.On, ir.RetryConnectFailure | ir.RetryRefusedStream | ir.RetryGRPCUnavailable | ir.RetryGRPCCancelled | ir.RetryStatusCodes},
		{"retriable codes", f.Retry.StatusCodes[0], 503},
		{"mirror share", f.Mirrors[0].PerMillion, uint32(250000)},
		{"prefix rewrite", f.PrefixRewrite, "/v2"},
		{"host rewrite", f.HostRewrite, "internal"},
		{"cookie hash", f.HashPolicies[0], ir.HashPolicy{Kind: ir.HashCookie, Name: "user", TTL: time.Hour}},
		{"overwrite header", got.Headers.Request.Set[0], ir.Header{Name: "x-a", Value: "1"}},
		{"append header", got.Headers.Request.Append[0], ir.Header{Name: "x-b", Value: "2"}},
		{"delay", got.Fault.Delay, 7 * time.Second},
		{"delay share", got.Fault.DelayPerMillion, uint32(100000)},
		{"abort", got.Fault.AbortStatus, 500},
		{"abort share (missing: all)", got.Fault.AbortPerMillion, uint32(1_000_000)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestClusterTranslation(t *testing.T) {
	c := &clusterv3.Cluster{
		Name: "outbound|9080||reviews.default.svc.cluster.local", ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		LbPolicy:        clusterv3.Cluster_LEAST_REQUEST,
		CircuitBreakers: &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{{MaxConnections: wrapperspb.UInt32(1), MaxPendingRequests: wrapperspb.UInt32(1)}}},
		OutlierDetection: &clusterv3.OutlierDetection{Consecutive_5Xx: wrapperspb.UInt32(1), Interval: durationpb.New(time.Second),
			BaseEjectionTime: durationpb.New(3 * time.Minute), MaxEjectionPercent: wrapperspb.UInt32(100)},
		CommonLbConfig: &clusterv3.Cluster_CommonLbConfig{HealthyPanicThreshold: &typev3.Percent{Value: 0}},
		TypedExtensionProtocolOptions: map[string]*anypb.Any{xdscontract.HTTPProtocolOptionsKey: anyOf(t, &httpv3.HttpProtocolOptions{
			UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
				ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}}}},
			CommonHttpProtocolOptions: &corev3.HttpProtocolOptions{MaxRequestsPerConnection: wrapperspb.UInt32(1)},
		})},
	}
	if err := xdscontract.Check(c); err != nil {
		t.Fatal(err)
	}
	got, err := cluster(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &ir.Cluster{Name: c.Name, Type: ir.ClusterEDS, LB: ir.LBLeastRequest, HTTP2: true, MaxRequestsPerConnection: 1,
		Limits:  ir.Limits{MaxConnections: 1, MaxPendingRequests: 1},
		Outlier: &ir.OutlierDetection{Consecutive5xx: 1, Interval: time.Second, BaseEjectionTime: 3 * time.Minute, MaxEjectionPercent: 100}}
	if g, w := protojsonish(got), protojsonish(want); g != w {
		t.Errorf("got  %s\nwant %s", g, w)
	}
}

func protojsonish(c *ir.Cluster) string {
	flat := *c
	flat.Outlier = nil
	return fmt.Sprintf("%+v %+v", flat, *c.Outlier)
}

// TestRefusals: what the proxy refuses, and that the reason names the field.
func TestRefusals(t *testing.T) {
	cases := []struct {
		name, json, want string
		msg              proto.Message
	}{
		{"an unlisted cluster field", `{"name":"c","type":"STATIC","respectDnsTtl":true}`, "respect_dns_ttl: field not supported", &clusterv3.Cluster{}},
		{"an unlisted nested field", `{"name":"c","type":"EDS","outlierDetection":{"successRateMinimumHosts":3}}`, "outlier_detection.success_rate_minimum_hosts: field not supported", &clusterv3.Cluster{}},
		{"an unknown typed config", `{"name":"c","type":"EDS","typedExtensionProtocolOptions":{"x":{"@type":"type.googleapis.com/google.protobuf.StringValue","value":"v"}}}`, "", &clusterv3.Cluster{}},
		{"a route field outside the contract", `{"name":"r","virtualHosts":[{"name":"v","domains":["*"],"routes":[{"match":{"prefix":"/"},"route":{"cluster":"c","idleTimeout":"1s"}}]}]}`, "virtual_hosts[0].routes[0].route.idle_timeout: field not supported", &routev3.RouteConfiguration{}},
		{"a match on cookies", `{"name":"r","virtualHosts":[{"name":"v","domains":["*"],"routes":[{"match":{"prefix":"/","grpc":{}},"route":{"cluster":"c"}}]}]}`, "match.grpc: field not supported", &routev3.RouteConfiguration{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := protojson.Unmarshal([]byte(c.json), c.msg); err != nil {
				t.Fatal(err)
			}
			err := xdscontract.Check(c.msg)
			if err == nil {
				t.Fatal("accepted")
			}
			if c.want != "" && !strings.Contains(err.Error(), c.want) {
				t.Errorf("reason %q, want it to contain %q", err, c.want)
			}
		})
	}
	// Translation refuses values the contract does not allow.
	bad := &routev3.RetryPolicy{RetryOn: "5xx,on-a-whim"}
	if _, err := retryPolicy(bad); err == nil || !strings.Contains(err.Error(), `condition "on-a-whim"`) {
		t.Errorf("unknown retry_on: %v", err)
	}
	if _, err := cluster(&clusterv3.Cluster{Name: "c", ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_LOGICAL_DNS}}, nil); err == nil {
		t.Error("LOGICAL_DNS accepted")
	}
}

// TestEndpointPriorities: locality groups keep their failover priority; absurd levels are refused.
func TestEndpointPriorities(t *testing.T) {
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: "c", Endpoints: []*endpointv3.LocalityLbEndpoints{
		{Locality: &corev3.Locality{Region: "eu", Zone: "eu-1"}, LbEndpoints: []*endpointv3.LbEndpoint{lbEndpoint("10.0.0.1")}},
		{Locality: &corev3.Locality{Region: "eu", Zone: "eu-2"}, Priority: 1, LbEndpoints: []*endpointv3.LbEndpoint{lbEndpoint("10.0.0.2")}},
	}}
	if err := xdscontract.Check(cla); err != nil {
		t.Fatal(err)
	}
	eps, err := endpoints(cla, false)
	if err != nil {
		t.Fatal(err)
	}
	if eps[0].Priority != 0 || eps[1].Priority != 1 || eps[1].Locality != "eu/eu-2/" {
		t.Errorf("got %+v", eps)
	}
	cla.Endpoints[1].Priority = 1000
	if _, err := endpoints(cla, false); err == nil || !strings.Contains(err.Error(), "endpoints[1].priority") {
		t.Errorf("priority 1000: %v", err)
	}
}

func lbEndpoint(ip string) *endpointv3.LbEndpoint {
	return &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
		Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: ip, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 80}}}}}}}
}

// TestRetryExtrasAndGRPCAbort: Istio's retry predicate, host selection attempts and back-off, and
// a gRPC abort, as the proxy reads them; what it refuses.
func TestRetryExtrasAndGRPCAbort(t *testing.T) {
	rp := &routev3.RetryPolicy{RetryOn: "5xx", HostSelectionRetryMaxAttempts: 5,
		RetryHostPredicate: []*routev3.RetryPolicy_RetryHostPredicate{{Name: "envoy.retry_host_predicates.previous_hosts",
			ConfigType: &routev3.RetryPolicy_RetryHostPredicate_TypedConfig{TypedConfig: anyOf(t, &previoushostsv3.PreviousHostsPredicate{})}}},
		RetryBackOff: &routev3.RetryPolicy_RetryBackOff{BaseInterval: durationpb.New(100 * time.Millisecond)}}
	if err := xdscontract.Check(rp); err != nil {
		t.Fatal(err)
	}
	got, err := retryPolicy(rp)
	if err != nil {
		t.Fatal(err)
	}
	if !got.AvoidPreviousHosts || got.HostSelectionAttempts != 5 || got.BackoffBase != 100*time.Millisecond || got.BackoffMax != 0 {
		t.Errorf("got %+v", got)
	}
	if got, _ := retryPolicy(&routev3.RetryPolicy{RetryOn: "5xx"}); got.AvoidPreviousHosts {
		t.Error("no predicate: previous hosts avoided")
	}
	abort := &faultv3.HTTPFault{Abort: &faultv3.FaultAbort{ErrorType: &faultv3.FaultAbort_GrpcStatus{GrpcStatus: 14}}}
	if err := xdscontract.Check(abort); err != nil {
		t.Fatal(err)
	}
	if f, err := fault(abort); err != nil || f.AbortGRPCStatus != 14 || f.AbortStatus != 0 || f.AbortPerMillion != 1_000_000 {
		t.Errorf("gRPC abort: %+v %v", f, err)
	}

	refused := []struct {
		what string
		err  error
		want string
	}{
		{"another predicate", func() error {
			_, err := retryPolicy(&routev3.RetryPolicy{RetryHostPredicate: []*routev3.RetryPolicy_RetryHostPredicate{{Name: "envoy.retry_host_predicates.omit_canary_hosts"}}})
			return err
		}(), "retry_host_predicate[0]"},
		{"back-off without a base", func() error {
			_, err := retryPolicy(&routev3.RetryPolicy{RetryBackOff: &routev3.RetryPolicy_RetryBackOff{MaxInterval: durationpb.New(time.Second)}})
			return err
		}(), "retry_back_off.base_interval"},
		{"grpc status 99", func() error {
			_, err := fault(&faultv3.HTTPFault{Abort: &faultv3.FaultAbort{ErrorType: &faultv3.FaultAbort_GrpcStatus{GrpcStatus: 99}}})
			return err
		}(), "abort.grpc_status 99"},
	}
	for _, r := range refused {
		if r.err == nil || !strings.Contains(r.err.Error(), r.want) {
			t.Errorf("%s: %v, want an error naming %s", r.what, r.err, r.want)
		}
	}
}
