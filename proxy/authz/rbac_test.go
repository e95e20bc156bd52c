package authz_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"testing"

	"github.com/meshctl/meshctl/proxy/authz"
	"github.com/meshctl/meshctl/proxy/ir"
)

func exact(v string) ir.StringMatch  { return ir.StringMatch{Kind: ir.StringExact, Value: v} }
func prefix(v string) ir.StringMatch { return ir.StringMatch{Kind: ir.StringPrefix, Value: v} }
func suffix(v string) ir.StringMatch { return ir.StringMatch{Kind: ir.StringSuffix, Value: v} }
func regex(v string) ir.StringMatch {
	return ir.StringMatch{Kind: ir.StringRegex, Value: v, Regex: regexp.MustCompile("^(?:" + v + ")$")}
}

func header(name string, m ir.StringMatch) ir.HeaderMatch {
	return ir.HeaderMatch{Name: name, Value: m}
}

var (
	anyPerm      = ir.Permission{Kind: ir.PermAny}
	anyPrincipal = ir.Principal{Kind: ir.PrincipalAny}
)

func policy(name string, perm ir.Permission, pr ir.Principal) ir.RBACPolicy {
	return ir.RBACPolicy{Name: name, Permissions: []ir.Permission{perm}, Principals: []ir.Principal{pr}}
}

// request is GET http://shop.example.com/api/items?x=1 from 10.0.0.5 to port 8000, the peer
// cluster.local/ns/default/sa/curl, with a verified token.
func request() *authz.Attributes {
	r := httptest.NewRequest(http.MethodGet, "http://shop.example.com/api/items?x=1", nil)
	r.Header.Set("X-Team", "blue")
	return &authz.Attributes{
		Peer:   "spiffe://cluster.local/ns/default/sa/curl",
		Source: netip.MustParseAddr("10.0.0.5"), Remote: netip.MustParseAddr("192.0.2.9"),
		DestinationIP: netip.MustParseAddr("10.0.0.9"), DestinationPort: 8000, SNI: "shop.svc.cluster.local", Request: r,
		Authn: &authz.Authn{Principal: "issuer/alice", Audiences: []string{"a", "shop"}, Presenter: "web",
			Claims: map[string]any{"groups": []any{"dev", "admins"}, "role": "owner", "realm": map[string]any{"level": "gold"}, "n": 3.0}},
	}
}

// TestPermissions: each permission kind, as Envoy's RBAC matches it.
func TestPermissions(t *testing.T) {
	tcp := request()
	tcp.Request, tcp.Authn = nil, nil
	for _, c := range []struct {
		name string
		p    ir.Permission
		a    *authz.Attributes
		want bool
	}{
		{"any", anyPerm, request(), true},
		{"method", ir.Permission{Kind: ir.PermHeader, Header: header(":method", exact("GET"))}, request(), true},
		{"other method", ir.Permission{Kind: ir.PermHeader, Header: header(":method", exact("POST"))}, request(), false},
		{"authority ignoring case", ir.Permission{Kind: ir.PermHeader, Header: header(":authority", ir.StringMatch{Kind: ir.StringSuffix, Value: ".EXAMPLE.com", IgnoreCase: true})}, request(), true},
		{"header present", ir.Permission{Kind: ir.PermHeader, Header: ir.HeaderMatch{Name: "X-Team", Present: true}}, request(), true},
		{"header absent", ir.Permission{Kind: ir.PermHeader, Header: ir.HeaderMatch{Name: "X-Other", Present: true}}, request(), false},
		{"path prefix, query ignored", ir.Permission{Kind: ir.PermPath, String: prefix("/api/")}, request(), true},
		{"path exact without the query", ir.Permission{Kind: ir.PermPath, String: exact("/api/items")}, request(), true},
		{"path template regex", ir.Permission{Kind: ir.PermPath, String: regex(`/[^/]+/items`)}, request(), true},
		{"path other", ir.Permission{Kind: ir.PermPath, String: prefix("/admin")}, request(), false},
		{"port", ir.Permission{Kind: ir.PermDestinationPort, Port: 8000}, request(), true},
		{"other port", ir.Permission{Kind: ir.PermDestinationPort, Port: 9000}, request(), false},
		{"destination ip", ir.Permission{Kind: ir.PermDestinationIP, CIDR: netip.MustParsePrefix("10.0.0.0/28")}, request(), true},
		{"other destination ip", ir.Permission{Kind: ir.PermDestinationIP, CIDR: netip.MustParsePrefix("10.0.0.16/28")}, request(), false},
		{"sni", ir.Permission{Kind: ir.PermServerName, String: suffix(".svc.cluster.local")}, request(), true},
		{"and", ir.Permission{Kind: ir.PermAnd, Rules: []ir.Permission{{Kind: ir.PermDestinationPort, Port: 8000}, {Kind: ir.PermPath, String: prefix("/admin")}}}, request(), false},
		{"or", ir.Permission{Kind: ir.PermOr, Rules: []ir.Permission{{Kind: ir.PermDestinationPort, Port: 1}, {Kind: ir.PermPath, String: prefix("/api")}}}, request(), true},
		{"not", ir.Permission{Kind: ir.PermNot, Rules: []ir.Permission{{Kind: ir.PermDestinationPort, Port: 8000}}}, request(), false},
		{"header on TCP never matches", ir.Permission{Kind: ir.PermHeader, Header: ir.HeaderMatch{Name: ":method", Present: true}}, tcp, false},
		{"path on TCP never matches", ir.Permission{Kind: ir.PermPath, String: prefix("")}, tcp, false},
		{"port on TCP", ir.Permission{Kind: ir.PermDestinationPort, Port: 8000}, tcp, true},
	} {
		d := authz.Evaluate([]*ir.RBAC{{Action: ir.RBACDeny, Policies: []ir.RBACPolicy{policy("p", c.p, anyPrincipal)}}}, c.a)
		if d.Denied != c.want {
			t.Errorf("%s: matched %v, want %v", c.name, d.Denied, c.want)
		}
	}
}

// TestPrincipals: each principal kind, the JWT attributes included.
func TestPrincipals(t *testing.T) {
	noPeer := request()
	noPeer.Peer = ""
	noToken := request()
	noToken.Authn = nil
	meta := func(m ir.MetadataMatch) ir.Principal { return ir.Principal{Kind: ir.PrincipalMetadata, Metadata: m} }
	for _, c := range []struct {
		name string
		p    ir.Principal
		a    *authz.Attributes
		want bool
	}{
		{"any", anyPrincipal, request(), true},
		{"identity", ir.Principal{Kind: ir.PrincipalAuthenticated, String: exact("spiffe://cluster.local/ns/default/sa/curl")}, request(), true},
		{"namespace regex", ir.Principal{Kind: ir.PrincipalAuthenticated, String: regex(`.*/ns/default/.*`)}, request(), true},
		{"other namespace", ir.Principal{Kind: ir.PrincipalAuthenticated, String: regex(`.*/ns/ops/.*`)}, request(), false},
		{"no peer identity matches nothing", ir.Principal{Kind: ir.PrincipalAuthenticated, String: prefix("")}, noPeer, false},
		{"direct remote ip", ir.Principal{Kind: ir.PrincipalDirectRemoteIP, CIDR: netip.MustParsePrefix("10.0.0.0/24")}, request(), true},
		{"direct remote ip outside", ir.Principal{Kind: ir.PrincipalDirectRemoteIP, CIDR: netip.MustParsePrefix("10.0.1.0/24")}, request(), false},
		{"remote ip", ir.Principal{Kind: ir.PrincipalRemoteIP, CIDR: netip.MustParsePrefix("192.0.2.9/32")}, request(), true},
		{"remote ip is not the source", ir.Principal{Kind: ir.PrincipalRemoteIP, CIDR: netip.MustParsePrefix("10.0.0.5/32")}, request(), false},
		{"header", ir.Principal{Kind: ir.PrincipalHeader, Header: header("X-Team", exact("blue"))}, request(), true},
		{"request principal", meta(ir.MetadataMatch{Path: []string{"request.auth.principal"}, Value: exact("issuer/alice")}), request(), true},
		{"request principal without token", meta(ir.MetadataMatch{Path: []string{"request.auth.principal"}, Value: regex(".+")}), noToken, false},
		{"audience among several", meta(ir.MetadataMatch{Path: []string{"request.auth.audiences"}, Value: exact("shop")}), request(), true},
		{"presenter", meta(ir.MetadataMatch{Path: []string{"request.auth.presenter"}, Value: exact("web")}), request(), true},
		{"claim list", meta(ir.MetadataMatch{Path: []string{"request.auth.claims", "groups"}, List: true, Value: exact("admins")}), request(), true},
		{"claim list without it", meta(ir.MetadataMatch{Path: []string{"request.auth.claims", "groups"}, List: true, Value: exact("ops")}), request(), false},
		{"string claim as a list", meta(ir.MetadataMatch{Path: []string{"request.auth.claims", "role"}, List: true, Value: exact("owner")}), request(), true},
		{"nested claim", meta(ir.MetadataMatch{Path: []string{"request.auth.claims", "realm", "level"}, List: true, Value: exact("gold")}), request(), true},
		{"missing claim", meta(ir.MetadataMatch{Path: []string{"request.auth.claims", "nope"}, List: true, Value: regex(".*")}), request(), false},
		{"number claim is no string", meta(ir.MetadataMatch{Path: []string{"request.auth.claims", "n"}, List: true, Value: exact("3")}), request(), false},
		{"not", ir.Principal{Kind: ir.PrincipalNot, IDs: []ir.Principal{{Kind: ir.PrincipalHeader, Header: header("X-Team", exact("blue"))}}}, request(), false},
		{"and", ir.Principal{Kind: ir.PrincipalAnd, IDs: []ir.Principal{anyPrincipal, {Kind: ir.PrincipalRemoteIP, CIDR: netip.MustParsePrefix("0.0.0.0/32")}}}, request(), false},
		{"or", ir.Principal{Kind: ir.PrincipalOr, IDs: []ir.Principal{{Kind: ir.PrincipalRemoteIP, CIDR: netip.MustParsePrefix("0.0.0.0/32")}, anyPrincipal}}, request(), true},
	} {
		d := authz.Evaluate([]*ir.RBAC{{Action: ir.RBACDeny, Policies: []ir.RBACPolicy{policy("p", anyPerm, c.p)}}}, c.a)
		if d.Denied != c.want {
			t.Errorf("%s: matched %v, want %v", c.name, d.Denied, c.want)
		}
	}
}

// TestEvaluationOrder: Istio's order as the filters run it: DENY, then ALLOW (none: allow; no
// policy matching: deny), AUDIT never deciding.
func TestEvaluationOrder(t *testing.T) {
	matchAll := policy("all", anyPerm, anyPrincipal)
	matchNone := policy("none", ir.Permission{Kind: ir.PermDestinationPort, Port: 1}, anyPrincipal)
	deny := func(ps ...ir.RBACPolicy) *ir.RBAC { return &ir.RBAC{Action: ir.RBACDeny, Policies: ps} }
	allow := func(ps ...ir.RBACPolicy) *ir.RBAC { return &ir.RBAC{Action: ir.RBACAllow, Policies: ps} }
	audit := func(ps ...ir.RBACPolicy) *ir.RBAC { return &ir.RBAC{Action: ir.RBACLog, Policies: ps} }
	for _, c := range []struct {
		name    string
		filters []*ir.RBAC
		want    authz.Decision
	}{
		{"no policies: allow", nil, authz.Decision{}},
		{"deny matching wins over allow", []*ir.RBAC{deny(matchAll), allow(matchAll)}, authz.Decision{Denied: true, Policy: "all"}},
		{"deny not matching, allow matching", []*ir.RBAC{deny(matchNone), allow(matchAll)}, authz.Decision{Policy: "all"}},
		{"allow without policies denies all", []*ir.RBAC{allow()}, authz.Decision{Denied: true}},
		{"allow not matching denies", []*ir.RBAC{allow(matchNone)}, authz.Decision{Denied: true}},
		{"allow: any policy", []*ir.RBAC{allow(matchNone, matchAll)}, authz.Decision{Policy: "all"}},
		{"only deny, not matching: allow", []*ir.RBAC{deny(matchNone)}, authz.Decision{}},
		{"audit never denies", []*ir.RBAC{audit(matchAll)}, authz.Decision{Audited: true}},
		{"audit not matching", []*ir.RBAC{audit(matchNone)}, authz.Decision{}},
		{"audit after allow", []*ir.RBAC{deny(matchNone), allow(matchAll), audit(matchAll)}, authz.Decision{Policy: "all", Audited: true}},
		{"a policy needs its permission and its principal", []*ir.RBAC{deny(policy("x", anyPerm, ir.Principal{Kind: ir.PrincipalNot, IDs: []ir.Principal{anyPrincipal}}))}, authz.Decision{}},
		{"first deny policy by name", []*ir.RBAC{deny(policy("a", anyPerm, anyPrincipal), policy("b", anyPerm, anyPrincipal))}, authz.Decision{Denied: true, Policy: "a"}},
	} {
		if got := authz.Evaluate(c.filters, request()); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
