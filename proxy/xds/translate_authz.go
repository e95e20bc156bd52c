package xds

import (
	"cmp"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/meshctl/meshctl/proxy/ir"
)

// authnFilter is the one metadata namespace RBAC may read: the verified JWT's attributes.
const authnFilter = "istio_authn"

func rbacRules(r *rbacv3.RBAC) (*ir.RBAC, error) {
	out := &ir.RBAC{}
	switch r.GetAction() {
	case rbacv3.RBAC_ALLOW:
		out.Action = ir.RBACAllow
	case rbacv3.RBAC_DENY:
		out.Action = ir.RBACDeny
	case rbacv3.RBAC_LOG:
		out.Action = ir.RBACLog
	default:
		return nil, fmt.Errorf("action %v: want ALLOW, DENY or LOG", r.GetAction())
	}
	for name, p := range r.GetPolicies() {
		pol := ir.RBACPolicy{Name: name}
		if len(p.GetPermissions()) == 0 || len(p.GetPrincipals()) == 0 {
			return nil, fmt.Errorf("policies[%s]: permissions and principals: required", name)
		}
		for i, pe := range p.GetPermissions() {
			v, err := permission(pe, 0)
			if err != nil {
				return nil, fmt.Errorf("policies[%s].permissions[%d]: %w", name, i, err)
			}
			pol.Permissions = append(pol.Permissions, v)
		}
		for i, pr := range p.GetPrincipals() {
			v, err := principal(pr, 0)
			if err != nil {
				return nil, fmt.Errorf("policies[%s].principals[%d]: %w", name, i, err)
			}
			pol.Principals = append(pol.Principals, v)
		}
		out.Policies = append(out.Policies, pol)
	}
	slices.SortFunc(out.Policies, func(a, b ir.RBACPolicy) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// maxDepth bounds the nesting of and/or/not rules: a configuration is data, not a stack to blow.
const maxDepth = 32

func permission(p *rbacv3.Permission, depth int) (ir.Permission, error) {
	if depth > maxDepth {
		return ir.Permission{}, fmt.Errorf("nested deeper than %d", maxDepth)
	}
	set := func(kind ir.PermissionKind, rules []*rbacv3.Permission, field string) (ir.Permission, error) {
		out := ir.Permission{Kind: kind}
		if len(rules) == 0 {
			return out, fmt.Errorf("%s: no rules", field)
		}
		for i, r := range rules {
			v, err := permission(r, depth+1)
			if err != nil {
				return out, fmt.Errorf("%s[%d].%w", field, i, err)
			}
			out.Rules = append(out.Rules, v)
		}
		return out, nil
	}
	switch r := p.GetRule().(type) {
	case *rbacv3.Permission_Any:
		if !r.Any {
			return ir.Permission{}, fmt.Errorf("any: must be true")
		}
		return ir.Permission{Kind: ir.PermAny}, nil
	case *rbacv3.Permission_AndRules:
		return set(ir.PermAnd, r.AndRules.GetRules(), "and_rules.rules")
	case *rbacv3.Permission_OrRules:
		return set(ir.PermOr, r.OrRules.GetRules(), "or_rules.rules")
	case *rbacv3.Permission_NotRule:
		return set(ir.PermNot, []*rbacv3.Permission{r.NotRule}, "not_rule")
	case *rbacv3.Permission_Header:
		h, err := rbacHeader(r.Header)
		return ir.Permission{Kind: ir.PermHeader, Header: h}, err
	case *rbacv3.Permission_UrlPath:
		m, err := stringMatch(r.UrlPath.GetPath())
		if err != nil {
			return ir.Permission{}, fmt.Errorf("url_path.path: %w", err)
		}
		return ir.Permission{Kind: ir.PermPath, String: m}, nil
	case *rbacv3.Permission_DestinationPort:
		if r.DestinationPort > 65535 {
			return ir.Permission{}, fmt.Errorf("destination_port %d", r.DestinationPort)
		}
		return ir.Permission{Kind: ir.PermDestinationPort, Port: uint16(r.DestinationPort)}, nil
	case *rbacv3.Permission_DestinationIp:
		c, err := cidrRange(r.DestinationIp)
		return ir.Permission{Kind: ir.PermDestinationIP, CIDR: c}, wrapErr("destination_ip", err)
	case *rbacv3.Permission_RequestedServerName:
		m, err := stringMatch(r.RequestedServerName)
		if err != nil {
			return ir.Permission{}, fmt.Errorf("requested_server_name: %w", err)
		}
		return ir.Permission{Kind: ir.PermServerName, String: m}, nil
	}
	return ir.Permission{}, fmt.Errorf("a rule the contract allows: required")
}

func principal(p *rbacv3.Principal, depth int) (ir.Principal, error) {
	if depth > maxDepth {
		return ir.Principal{}, fmt.Errorf("nested deeper than %d", maxDepth)
	}
	set := func(kind ir.PrincipalKind, ids []*rbacv3.Principal, field string) (ir.Principal, error) {
		out := ir.Principal{Kind: kind}
		if len(ids) == 0 {
			return out, fmt.Errorf("%s: no ids", field)
		}
		for i, id := range ids {
			v, err := principal(id, depth+1)
			if err != nil {
				return out, fmt.Errorf("%s[%d].%w", field, i, err)
			}
			out.IDs = append(out.IDs, v)
		}
		return out, nil
	}
	switch id := p.GetIdentifier().(type) {
	case *rbacv3.Principal_Any:
		if !id.Any {
			return ir.Principal{}, fmt.Errorf("any: must be true")
		}
		return ir.Principal{Kind: ir.PrincipalAny}, nil
	case *rbacv3.Principal_AndIds:
		return set(ir.PrincipalAnd, id.AndIds.GetIds(), "and_ids.ids")
	case *rbacv3.Principal_OrIds:
		return set(ir.PrincipalOr, id.OrIds.GetIds(), "or_ids.ids")
	case *rbacv3.Principal_NotId:
		return set(ir.PrincipalNot, []*rbacv3.Principal{id.NotId}, "not_id")
	case *rbacv3.Principal_Authenticated_:
		out := ir.Principal{Kind: ir.PrincipalAuthenticated}
		if id.Authenticated.GetPrincipalName() == nil {
			// Envoy: any authenticated peer.
			out.String = ir.StringMatch{Kind: ir.StringPrefix}
			return out, nil
		}
		m, err := stringMatch(id.Authenticated.GetPrincipalName())
		if err != nil {
			return out, fmt.Errorf("authenticated.principal_name: %w", err)
		}
		out.String = m
		return out, nil
	case *rbacv3.Principal_DirectRemoteIp:
		c, err := cidrRange(id.DirectRemoteIp)
		return ir.Principal{Kind: ir.PrincipalDirectRemoteIP, CIDR: c}, wrapErr("direct_remote_ip", err)
	case *rbacv3.Principal_RemoteIp:
		c, err := cidrRange(id.RemoteIp)
		return ir.Principal{Kind: ir.PrincipalRemoteIP, CIDR: c}, wrapErr("remote_ip", err)
	case *rbacv3.Principal_Header:
		h, err := rbacHeader(id.Header)
		return ir.Principal{Kind: ir.PrincipalHeader, Header: h}, err
	case *rbacv3.Principal_Metadata:
		//lint:ignore SA1019 Istio sends metadata (not sourced_metadata) for request.auth.*
		m, err := metadataMatch(id.Metadata)
		return ir.Principal{Kind: ir.PrincipalMetadata, Metadata: m}, wrapErr("metadata", err)
	}
	return ir.Principal{}, fmt.Errorf("an identifier the contract allows: required")
}

func wrapErr(field string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", field, err)
}

func cidrRange(c *corev3.CidrRange) (netip.Prefix, error) {
	ip, err := netip.ParseAddr(c.GetAddressPrefix())
	if err != nil {
		return netip.Prefix{}, err
	}
	bits := ip.BitLen()
	if c.GetPrefixLen() != nil {
		bits = int(c.GetPrefixLen().GetValue())
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return netip.Prefix{}, err
	}
	return p, nil
}

// rbacHeader is a header matcher with the name as the matcher reads it (canonical form).
func rbacHeader(h *routev3.HeaderMatcher) (ir.HeaderMatch, error) {
	out, err := headerMatch(h)
	if err != nil {
		return out, fmt.Errorf("header: %w", err)
	}
	if !strings.HasPrefix(out.Name, ":") && out.Name != "host" {
		out.Name = http.CanonicalHeaderKey(out.Name)
	}
	return out, nil
}

func metadataMatch(m *matcherv3.MetadataMatcher) (ir.MetadataMatch, error) {
	var out ir.MetadataMatch
	if m.GetFilter() != authnFilter {
		return out, fmt.Errorf("filter %q: only %s (the verified JWT's attributes)", m.GetFilter(), authnFilter)
	}
	for i, seg := range m.GetPath() {
		if seg.GetKey() == "" {
			return out, fmt.Errorf("path[%d].key: required", i)
		}
		out.Path = append(out.Path, seg.GetKey())
	}
	if len(out.Path) == 0 {
		return out, fmt.Errorf("path: required")
	}
	v := m.GetValue()
	if l := v.GetListMatch(); l != nil {
		out.List = true
		v = l.GetOneOf()
	}
	if v.GetStringMatch() == nil {
		return out, fmt.Errorf("value: string_match or list_match.one_of.string_match: required")
	}
	sm, err := stringMatch(v.GetStringMatch())
	if err != nil {
		return out, fmt.Errorf("value: %w", err)
	}
	out.Value = sm
	return out, nil
}

// jwtAuthn accepts the one form of jwt_authn the contract allows: one rule, prefix "/", requiring
// any of the providers or none at all (allow_missing).
func jwtAuthn(j *jwtv3.JwtAuthentication) (*ir.JWTAuthn, error) {
	rules := j.GetRules()
	if len(rules) != 1 || rules[0].GetMatch().GetPrefix() != "/" || len(rules[0].GetMatch().GetHeaders()) > 0 {
		return nil, fmt.Errorf("rules: exactly one, matching prefix /")
	}
	reqs := rules[0].GetRequires().GetRequiresAny().GetRequirements()
	out := &ir.JWTAuthn{}
	missing := false
	used := map[string]bool{}
	for i, r := range reqs {
		switch {
		case r.GetAllowMissing() != nil:
			missing = true
		case r.GetProviderName() != "":
			if j.GetProviders()[r.GetProviderName()] == nil {
				return nil, fmt.Errorf("rules[0].requires.requires_any.requirements[%d].provider_name %q: no such provider", i, r.GetProviderName())
			}
			used[r.GetProviderName()] = true
		default:
			return nil, fmt.Errorf("rules[0].requires.requires_any.requirements[%d]: provider_name or allow_missing", i)
		}
	}
	if !missing || len(used) == 0 {
		return nil, fmt.Errorf("rules[0].requires.requires_any: provider names and allow_missing: required")
	}
	for name, p := range j.GetProviders() {
		if !used[name] {
			continue
		}
		if p.GetIssuer() == "" {
			return nil, fmt.Errorf("providers[%s].issuer: required", name)
		}
		keys := p.GetLocalJwks().GetInlineString()
		if keys == "" {
			return nil, fmt.Errorf("providers[%s].local_jwks.inline_string: required", name)
		}
		jp := ir.JWTProvider{Name: name, Issuer: p.GetIssuer(), Audiences: p.GetAudiences(), JWKS: keys,
			FromParams: p.GetFromParams(), Forward: p.GetForward(), PayloadHeader: p.GetForwardPayloadHeader()}
		for i, h := range p.GetFromHeaders() {
			if h.GetName() == "" {
				return nil, fmt.Errorf("providers[%s].from_headers[%d].name: required", name, i)
			}
			jp.FromHeaders = append(jp.FromHeaders, ir.JWTHeader{Name: http.CanonicalHeaderKey(h.GetName()), Prefix: h.GetValuePrefix()})
		}
		out.Providers = append(out.Providers, jp)
	}
	slices.SortFunc(out.Providers, func(a, b ir.JWTProvider) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}
