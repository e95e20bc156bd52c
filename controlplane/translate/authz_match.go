package translate

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The matchers of AuthorizationPolicy values, and the and/or/not combinators, in Envoy's RBAC terms.

// claimPath is request.auth.claims[a][b] as the metadata path [request.auth.claims a b] (nested claims).
func claimPath(key string) []string {
	path := []string{"request.auth.claims"}
	rest := strings.TrimPrefix(key, "request.auth.claims")
	for strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			break
		}
		path = append(path, rest[1:end])
		rest = rest[end+1:]
	}
	return path
}

// AuthnFilter is the dynamic metadata namespace of the verified request credentials: Istio's
// authentication filter's, whose keys (request.auth.principal, ...) RBAC's metadata matchers read.
const AuthnFilter = "istio_authn"

func authnMetadata(v, key string) *rbacv3.Principal {
	//lint:ignore SA1019 Istio sends metadata (not sourced_metadata) for request.auth.*
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_Metadata{Metadata: &matcherv3.MetadataMatcher{
		Filter: AuthnFilter, Path: []*matcherv3.MetadataMatcher_PathSegment{pathKey(key)},
		Value: &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_StringMatch{StringMatch: valueMatch(v)}}}}}
}

// claimMetadata matches a claim that is a string or a list holding the value.
func claimMetadata(path []string, v string) *rbacv3.Principal {
	segs := make([]*matcherv3.MetadataMatcher_PathSegment, len(path))
	for i, k := range path {
		segs[i] = pathKey(k)
	}
	//lint:ignore SA1019 Istio sends metadata (not sourced_metadata) for request.auth.*
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_Metadata{Metadata: &matcherv3.MetadataMatcher{
		Filter: AuthnFilter, Path: segs,
		Value: &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_ListMatch{ListMatch: &matcherv3.ListMatcher{
			MatchPattern: &matcherv3.ListMatcher_OneOf{OneOf: &matcherv3.ValueMatcher{
				MatchPattern: &matcherv3.ValueMatcher_StringMatch{StringMatch: valueMatch(v)}}}}}}}}}
}

func pathKey(k string) *matcherv3.MetadataMatcher_PathSegment {
	return &matcherv3.MetadataMatcher_PathSegment{Segment: &matcherv3.MetadataMatcher_PathSegment_Key{Key: k}}
}

// peerPrincipal matches the peer's certificate identity: Istio's principals have no spiffe://.
func peerPrincipal(v string) *rbacv3.Principal {
	m := valueMatch(v)
	switch p := m.MatchPattern.(type) {
	case *matcherv3.StringMatcher_Exact:
		p.Exact = spiffe + p.Exact
	case *matcherv3.StringMatcher_Prefix:
		p.Prefix = spiffe + p.Prefix
	}
	return authenticated(m)
}

const spiffe = "spiffe://"

// peerNamespace matches the namespace part of the peer's identity (.../ns/NS/sa/...).
func peerNamespace(v string) *rbacv3.Principal {
	var re string
	switch {
	case v == "*":
		re = `.*/ns/[^/]+/.*`
	case strings.HasPrefix(v, "*"):
		re = `.*/ns/[^/]*` + regexp.QuoteMeta(v[1:]) + `/.*`
	case strings.HasSuffix(v, "*"):
		re = `.*/ns/` + regexp.QuoteMeta(v[:len(v)-1]) + `[^/]*/.*`
	default:
		re = `.*/ns/` + regexp.QuoteMeta(v) + `/.*`
	}
	return authenticated(&matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: re}}})
}

func authenticated(m *matcherv3.StringMatcher) *rbacv3.Principal {
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_Authenticated_{Authenticated: &rbacv3.Principal_Authenticated{PrincipalName: m}}}
}

// valueMatch is Istio's string value: exact, "prefix*", "*suffix", or "*" (any non-empty value).
func valueMatch(v string) *matcherv3.StringMatcher {
	switch {
	case v == "*":
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: ".+"}}}
	case strings.HasPrefix(v, "*"):
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Suffix{Suffix: v[1:]}}
	case strings.HasSuffix(v, "*"):
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: v[:len(v)-1]}}
	}
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: v}}
}

// pathMatch is valueMatch for paths, with Istio's path templates: {*} one segment, {**} the rest
// (any number of segments), sent as a regex.
func pathMatch(v string) *matcherv3.StringMatcher {
	if !strings.Contains(v, "{*}") && !strings.Contains(v, "{**}") {
		return valueMatch(v)
	}
	var b strings.Builder
	for i := 0; i < len(v); {
		switch {
		case strings.HasPrefix(v[i:], "{**}"):
			b.WriteString(`.*`)
			i += 4
		case strings.HasPrefix(v[i:], "{*}"):
			b.WriteString(`[^/]+`)
			i += 3
		default:
			j := strings.Index(v[i:], "{*")
			if j < 0 {
				j = len(v) - i
			} else if j == 0 {
				j = 1
			}
			b.WriteString(regexp.QuoteMeta(v[i : i+j]))
			i += j
		}
	}
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: b.String()}}}
}

func headerMatcher(name, v string) *routev3.HeaderMatcher {
	if v == "*" {
		return &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: true}}
	}
	return &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: valueMatch(v)}}
}

// destinationPort is a port; a value that is no port matches nothing (the rule stays as strict).
func destinationPort(v string) *rbacv3.Permission {
	n, err := strconv.ParseUint(v, 10, 16)
	if err != nil || n == 0 {
		return notRule(&rbacv3.Permission{Rule: &rbacv3.Permission_Any{Any: true}})
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_DestinationPort{DestinationPort: uint32(n)}}
}

// cidr is an address or CIDR; an unreadable one (which validation refuses at admission) becomes
// 0.0.0.0/32, never a peer.
func cidr(v string) *corev3.CidrRange {
	if p, err := netip.ParsePrefix(v); err == nil {
		return &corev3.CidrRange{AddressPrefix: p.Addr().String(), PrefixLen: wrapperspb.UInt32(uint32(p.Bits()))}
	}
	if a, err := netip.ParseAddr(v); err == nil {
		return &corev3.CidrRange{AddressPrefix: a.String(), PrefixLen: wrapperspb.UInt32(uint32(a.BitLen()))}
	}
	return &corev3.CidrRange{AddressPrefix: "0.0.0.0", PrefixLen: wrapperspb.UInt32(32)}
}

func mapList[T any](vs []string, f func(string) T) []T {
	out := make([]T, len(vs))
	for i, v := range vs {
		out[i] = f(v)
	}
	return out
}

// The combinators: a single element stands for itself, none for "any".
func andIDs(ids []*rbacv3.Principal) *rbacv3.Principal {
	switch len(ids) {
	case 0:
		return &rbacv3.Principal{Identifier: &rbacv3.Principal_Any{Any: true}}
	case 1:
		return ids[0]
	}
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_AndIds{AndIds: &rbacv3.Principal_Set{Ids: ids}}}
}

func orIDs(ids []*rbacv3.Principal) *rbacv3.Principal {
	if len(ids) == 1 {
		return ids[0]
	}
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_OrIds{OrIds: &rbacv3.Principal_Set{Ids: ids}}}
}

func notID(id *rbacv3.Principal) *rbacv3.Principal {
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_NotId{NotId: id}}
}

func andRules(rs []*rbacv3.Permission) *rbacv3.Permission {
	switch len(rs) {
	case 0:
		return &rbacv3.Permission{Rule: &rbacv3.Permission_Any{Any: true}}
	case 1:
		return rs[0]
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_AndRules{AndRules: &rbacv3.Permission_Set{Rules: rs}}}
}

func orRules(rs []*rbacv3.Permission) *rbacv3.Permission {
	if len(rs) == 1 {
		return rs[0]
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_OrRules{OrRules: &rbacv3.Permission_Set{Rules: rs}}}
}

func notRule(r *rbacv3.Permission) *rbacv3.Permission {
	return &rbacv3.Permission{Rule: &rbacv3.Permission_NotRule{NotRule: r}}
}
