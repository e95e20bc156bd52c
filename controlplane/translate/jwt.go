package translate

import (
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/emptypb"
	security "istio.io/api/security/v1beta1"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/xdscontract"
)

// EmptyJWKS is sent for a jwksUri meshd could not fetch (yet): every token fails verification
// (401), requests without a token pass, as with istiod's placeholder key set.
const EmptyJWKS = `{"keys":[]}`

// requestAuthentications are the RequestAuthentications that select the proxy's workload.
func requestAuthentications(s *model.Snapshot, p *Proxy) []*model.Config[*security.RequestAuthentication] {
	return selectedBy(s, p, s.RequestAuthentications)
}

// jwtFilter is the RequestAuthentications selecting the proxy's workload as Envoy's jwt_authn
// filter (nil: none). Istio's semantics, as its own translation: a request with a token must carry
// one some rule verifies (else 401); a request without one passes, left to AuthorizationPolicy
// (requestPrincipals) to refuse.
func jwtFilter(s *model.Snapshot, p *Proxy) *hcmv3.HttpFilter {
	cfg := &jwtv3.JwtAuthentication{Providers: map[string]*jwtv3.JwtProvider{}}
	var any []*jwtv3.JwtRequirement
	for _, ra := range requestAuthentications(s, p) {
		for _, r := range ra.Spec.GetJwtRules() {
			name := r.GetIssuer()
			for i := 2; cfg.Providers[name] != nil; i++ {
				name = r.GetIssuer() + "-" + strconv.Itoa(i)
			}
			cfg.Providers[name] = jwtProvider(s, r)
			any = append(any, &jwtv3.JwtRequirement{RequiresType: &jwtv3.JwtRequirement_ProviderName{ProviderName: name}})
		}
	}
	if len(any) == 0 {
		return nil
	}
	any = append(any, &jwtv3.JwtRequirement{RequiresType: &jwtv3.JwtRequirement_AllowMissing{AllowMissing: &emptypb.Empty{}}})
	cfg.Rules = []*jwtv3.RequirementRule{{
		Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		RequirementType: &jwtv3.RequirementRule_Requires{Requires: &jwtv3.JwtRequirement{
			RequiresType: &jwtv3.JwtRequirement_RequiresAny{RequiresAny: &jwtv3.JwtRequirementOrList{Requirements: any}}}},
	}}
	return &hcmv3.HttpFilter{Name: xdscontract.FilterJWTAuthn, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(cfg)}}
}

func jwtProvider(s *model.Snapshot, r *security.JWTRule) *jwtv3.JwtProvider {
	keys := r.GetJwks()
	if keys == "" {
		keys = s.JWKS[r.GetJwksUri()]
	}
	if keys == "" {
		keys = EmptyJWKS
	}
	out := &jwtv3.JwtProvider{
		Issuer:               r.GetIssuer(),
		Audiences:            r.GetAudiences(),
		Forward:              r.GetForwardOriginalToken(),
		ForwardPayloadHeader: r.GetOutputPayloadToHeader(),
		FromParams:           r.GetFromParams(),
		JwksSourceSpecifier: &jwtv3.JwtProvider_LocalJwks{LocalJwks: &corev3.DataSource{
			Specifier: &corev3.DataSource_InlineString{InlineString: keys}}},
	}
	for _, h := range r.GetFromHeaders() {
		out.FromHeaders = append(out.FromHeaders, &jwtv3.JwtHeader{Name: h.GetName(), ValuePrefix: h.GetPrefix()})
	}
	return out
}

// authFilters are the inbound HTTP chain's filters before fault, CORS and the router: jwt_authn,
// then RBAC (DENY, ALLOW, AUDIT).
func authFilters(s *model.Snapshot, p *Proxy) []*hcmv3.HttpFilter {
	var out []*hcmv3.HttpFilter
	if f := jwtFilter(s, p); f != nil {
		out = append(out, f)
	}
	return append(out, rbacHTTPFilters(authzRBAC(s, p, false))...)
}
