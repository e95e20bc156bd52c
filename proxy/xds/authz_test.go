package xds

import (
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	rbachttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnetv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/xdscontract"
)

func rbacFilter(t *testing.T, r *rbacv3.RBAC) *hcmv3.HttpFilter {
	return &hcmv3.HttpFilter{Name: xdscontract.FilterHTTPRBAC, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: anyOf(t, &rbachttpv3.RBAC{Rules: r})}}
}

func jwtFilterOf(t *testing.T, j *jwtv3.JwtAuthentication) *hcmv3.HttpFilter {
	return &hcmv3.HttpFilter{Name: xdscontract.FilterJWTAuthn, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: anyOf(t, j)}}
}

func named(t *testing.T, name string) *hcmv3.HttpFilter {
	var cfg = map[string]*hcmv3.HttpFilter_TypedConfig{
		xdscontract.FilterRouter: {TypedConfig: anyOf(t, &routerv3.Router{})},
		xdscontract.FilterCORS:   {TypedConfig: anyOf(t, &corsv3.Cors{})},
	}
	return &hcmv3.HttpFilter{Name: name, ConfigType: cfg[name]}
}

// istioJWT is jwt_authn as meshd sends it for one RequestAuthentication rule.
func istioJWT() *jwtv3.JwtAuthentication {
	return &jwtv3.JwtAuthentication{
		Providers: map[string]*jwtv3.JwtProvider{"iss": {Issuer: "iss", Audiences: []string{"a"},
			JwksSourceSpecifier: &jwtv3.JwtProvider_LocalJwks{LocalJwks: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: `{"keys":[]}`}}},
			FromHeaders:         []*jwtv3.JwtHeader{{Name: "x-jwt", ValuePrefix: "Bearer "}}}},
		Rules: []*jwtv3.RequirementRule{{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
			RequirementType: &jwtv3.RequirementRule_Requires{Requires: &jwtv3.JwtRequirement{RequiresType: &jwtv3.JwtRequirement_RequiresAny{
				RequiresAny: &jwtv3.JwtRequirementOrList{Requirements: []*jwtv3.JwtRequirement{
					{RequiresType: &jwtv3.JwtRequirement_ProviderName{ProviderName: "iss"}},
					{RequiresType: &jwtv3.JwtRequirement_AllowMissing{AllowMissing: &emptypb.Empty{}}},
				}}}}}}},
	}
}

func headerPolicy(name string) *rbacv3.RBAC {
	return &rbacv3.RBAC{Action: rbacv3.RBAC_DENY, Policies: map[string]*rbacv3.Policy{
		"b": {Permissions: []*rbacv3.Permission{{Rule: &rbacv3.Permission_Any{Any: true}}},
			Principals: []*rbacv3.Principal{{Identifier: &rbacv3.Principal_Header{Header: &routev3.HeaderMatcher{Name: name,
				HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
					MatchPattern: &matcherv3.StringMatcher_Suffix{Suffix: "X"}, IgnoreCase: true}}}}}}},
		"a": {Permissions: []*rbacv3.Permission{{Rule: &rbacv3.Permission_DestinationPort{DestinationPort: 80}}},
			//lint:ignore SA1019 Istio sends metadata (not sourced_metadata) for request.auth.*
			Principals: []*rbacv3.Principal{{Identifier: &rbacv3.Principal_Metadata{Metadata: &matcherv3.MetadataMatcher{
				Filter: "istio_authn", Path: []*matcherv3.MetadataMatcher_PathSegment{{Segment: &matcherv3.MetadataMatcher_PathSegment_Key{Key: "request.auth.principal"}}},
				Value: &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "iss/sub"}}}}}}}},
		},
	}}
}

func hcmWith(filters ...*hcmv3.HttpFilter) *hcmv3.HttpConnectionManager {
	return &hcmv3.HttpConnectionManager{StatPrefix: "s", HttpFilters: filters,
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{RouteConfigName: "80"}}}
}

// TestAuthFilters: what the proxy makes of jwt_authn and RBAC, and the forms it refuses.
func TestAuthFilters(t *testing.T) {
	m, err := httpManager(hcmWith(jwtFilterOf(t, istioJWT()), rbacFilter(t, headerPolicy("x-team")), named(t, xdscontract.FilterCORS), named(t, xdscontract.FilterRouter)), true)
	if err != nil {
		t.Fatal(err)
	}
	if m.JWT == nil || len(m.JWT.Providers) != 1 || m.JWT.Providers[0].FromHeaders[0] != (ir.JWTHeader{Name: "X-Jwt", Prefix: "Bearer "}) {
		t.Errorf("jwt: %+v", m.JWT)
	}
	if len(m.RBAC) != 1 || m.RBAC[0].Action != ir.RBACDeny || len(m.RBAC[0].Policies) != 2 {
		t.Fatalf("rbac: %+v", m.RBAC)
	}
	a, b := m.RBAC[0].Policies[0], m.RBAC[0].Policies[1]
	if a.Name != "a" || b.Name != "b" {
		t.Errorf("policies not sorted by name: %s, %s", a.Name, b.Name)
	}
	if h := b.Principals[0].Header; h.Name != "X-Team" || h.Value.Kind != ir.StringSuffix || !h.Value.IgnoreCase {
		t.Errorf("header principal: %+v", h)
	}
	if md := a.Principals[0].Metadata; strings.Join(md.Path, ",") != "request.auth.principal" || md.Value.Value != "iss/sub" || a.Permissions[0].Port != 80 {
		t.Errorf("policy a: %+v", a)
	}

	noMissing := istioJWT()
	reqs := noMissing.Rules[0].GetRequires().GetRequiresAny()
	reqs.Requirements = reqs.Requirements[:1]
	otherMeta := headerPolicy("x")
	//lint:ignore SA1019 Istio sends metadata (not sourced_metadata) for request.auth.*
	otherMeta.Policies["a"].Principals[0].GetMetadata().Filter = "envoy.filters.http.jwt_authn"
	deep := &rbacv3.Permission{Rule: &rbacv3.Permission_Any{Any: true}}
	for range 40 {
		deep = &rbacv3.Permission{Rule: &rbacv3.Permission_NotRule{NotRule: deep}}
	}
	deepPolicy := &rbacv3.RBAC{Policies: map[string]*rbacv3.Policy{"d": {Permissions: []*rbacv3.Permission{deep},
		Principals: []*rbacv3.Principal{{Identifier: &rbacv3.Principal_Any{Any: true}}}}}}
	for _, c := range []struct {
		name string
		h    *hcmv3.HttpConnectionManager
		want string
	}{
		{"rbac after cors", hcmWith(named(t, xdscontract.FilterCORS), rbacFilter(t, headerPolicy("x")), named(t, xdscontract.FilterRouter)), "must precede fault"},
		{"jwt after rbac", hcmWith(rbacFilter(t, headerPolicy("x")), jwtFilterOf(t, istioJWT()), named(t, xdscontract.FilterRouter)), "must be first"},
		{"token required (no allow_missing)", hcmWith(jwtFilterOf(t, noMissing), named(t, xdscontract.FilterRouter)), "allow_missing"},
		{"metadata of another filter", hcmWith(rbacFilter(t, otherMeta), named(t, xdscontract.FilterRouter)), "only istio_authn"},
		{"nested too deep", hcmWith(rbacFilter(t, deepPolicy), named(t, xdscontract.FilterRouter)), "nested deeper"},
	} {
		_, err := httpManager(c.h, true)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

// TestNetworkRBAC: network RBAC filters precede the TCP proxy, and only the TCP proxy.
func TestNetworkRBAC(t *testing.T) {
	rbac := &listenerv3.Filter{Name: xdscontract.FilterNetworkRBAC, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: anyOf(t, &rbacnetv3.RBAC{StatPrefix: "tcp.", Rules: headerPolicy("x")})}}
	tcp := &listenerv3.Filter{Name: xdscontract.FilterTCPProxy, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: anyOf(t, &tcpv3.TcpProxy{StatPrefix: "c", ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: "c"}})}}
	hcm := &listenerv3.Filter{Name: xdscontract.FilterHCM, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: anyOf(t, hcmWith(named(t, xdscontract.FilterRouter)))}}
	fc, err := filterChain(&listenerv3.FilterChain{Name: "c", Filters: []*listenerv3.Filter{rbac, rbac, tcp}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.TCP.RBAC) != 2 {
		t.Errorf("network RBAC filters: %d, want 2", len(fc.TCP.RBAC))
	}
	for _, c := range []struct {
		name    string
		filters []*listenerv3.Filter
	}{
		{"rbac before an HTTP connection manager", []*listenerv3.Filter{rbac, hcm}},
		{"rbac last", []*listenerv3.Filter{tcp, rbac}},
		{"two terminal filters", []*listenerv3.Filter{tcp, tcp}},
	} {
		if _, err := filterChain(&listenerv3.FilterChain{Name: "c", Filters: c.filters}, true); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}
