package translate

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	security "istio.io/api/security/v1beta1"

	"github.com/meshctl/meshctl/controlplane/model"
)

// TestValueMatchers: Istio's value forms as Envoy string matchers.
func TestValueMatchers(t *testing.T) {
	for _, c := range []struct {
		in, want string
		path     bool
	}{
		{"/exact", `exact:"/exact"`, false},
		{"/api/*", `prefix:"/api/"`, false},
		{"*.png", `suffix:".png"`, false},
		{"*", `safe_regex:{regex:".+"}`, false},
		{"/v1/{*}/items", `safe_regex:{regex:"/v1/[^/]+/items"}`, true},
		{"/v1/{**}", `safe_regex:{regex:"/v1/.*"}`, true},
		{"/a.b/{*}", `safe_regex:{regex:"/a\\.b/[^/]+"}`, true},
		{"/a{b}/{*}", `safe_regex:{regex:"/a\\{b\\}/[^/]+"}`, true},
		{"/plain", `exact:"/plain"`, true},
	} {
		m := valueMatch(c.in)
		if c.path {
			m = pathMatch(c.in)
		}
		if got := strings.Join(strings.Fields(prototext.Format(m)), ""); got != strings.ReplaceAll(c.want, " ", "") {
			t.Errorf("%q: %s, want %s", c.in, got, c.want)
		}
	}
}

func TestClaimPath(t *testing.T) {
	for in, want := range map[string]string{
		"request.auth.claims[groups]":       "request.auth.claims,groups",
		"request.auth.claims[realm][roles]": "request.auth.claims,realm,roles",
		"request.auth.claims[a.b]":          "request.auth.claims,a.b",
	} {
		if got := strings.Join(claimPath(in), ","); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// TestRuleOnTCP: HTTP-only fields on a TCP chain spoil an ALLOW rule and are dropped from a DENY
// rule; an unknown condition alike.
func TestRuleOnTCP(t *testing.T) {
	httpOnly := &security.Rule{From: []*security.Rule_From{{Source: &security.Source{RequestPrincipals: []string{"*"}, Namespaces: []string{"ops"}}}}}
	unknown := &security.Rule{When: []*security.Condition{{Key: "experimental.envoy.filters.x", Values: []string{"1"}}}}
	for _, c := range []struct {
		name   string
		r      *security.Rule
		action security.AuthorizationPolicy_Action
		tcp    bool
		ok     bool
		has    string // in the policy's text
		hasNot string
	}{
		{"HTTP: kept", httpOnly, security.AuthorizationPolicy_ALLOW, false, true, "request.auth.principal", ""},
		{"TCP ALLOW: matches nothing", httpOnly, security.AuthorizationPolicy_ALLOW, true, false, "", ""},
		{"TCP DENY: without the HTTP-only field", httpOnly, security.AuthorizationPolicy_DENY, true, true, "/ns/ops/", "request.auth"},
		{"unknown condition, ALLOW", unknown, security.AuthorizationPolicy_ALLOW, false, false, "", ""},
		{"unknown condition, DENY: ignored", unknown, security.AuthorizationPolicy_DENY, false, true, "any:true", ""},
	} {
		p, ok := rulePolicy(c.r, c.action, c.tcp)
		if ok != c.ok {
			t.Errorf("%s: ok %v, want %v", c.name, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		text := strings.Join(strings.Fields(prototext.Format(p)), "")
		if c.has != "" && !strings.Contains(text, c.has) || c.hasNot != "" && strings.Contains(text, c.hasNot) {
			t.Errorf("%s: %s", c.name, text)
		}
	}
}

// TestJWKSFromSnapshot: a jwksUri's key set is the one meshd fetched; not fetched yet, the empty set.
func TestJWKSFromSnapshot(t *testing.T) {
	r := &security.JWTRule{Issuer: "i", JwksUri: "https://i/jwks"}
	s, err := model.FromObjects("cluster.local")
	if err != nil {
		t.Fatal(err)
	}
	if got := jwtProvider(s, r).GetLocalJwks().GetInlineString(); got != EmptyJWKS {
		t.Errorf("not fetched: %s", got)
	}
	s.JWKS = map[string]string{"https://i/jwks": `{"keys":[{"kid":"x"}]}`}
	if got := jwtProvider(s, r).GetLocalJwks().GetInlineString(); got != s.JWKS["https://i/jwks"] {
		t.Errorf("fetched: %s", got)
	}
	r.Jwks = `{"keys":[]}`
	if got := jwtProvider(s, r).GetLocalJwks().GetInlineString(); got != r.Jwks {
		t.Errorf("inline jwks first: %s", got)
	}
}

func TestAuthorizationWarnings(t *testing.T) {
	s, err := model.FromObjects("cluster.local")
	if err != nil {
		t.Fatal(err)
	}
	s.AuthorizationPolicies = []*model.Config[*security.AuthorizationPolicy]{
		{Name: "ext", Namespace: "a", Spec: &security.AuthorizationPolicy{Action: security.AuthorizationPolicy_CUSTOM,
			ActionDetail: &security.AuthorizationPolicy_Provider{Provider: &security.AuthorizationPolicy_ExtensionProvider{Name: "opa"}}}},
		{Name: "ok", Namespace: "a", Spec: &security.AuthorizationPolicy{Rules: []*security.Rule{{When: []*security.Condition{{Key: "request.headers[x]", Values: []string{"1"}}}}}}},
	}
	s.RequestAuthentications = []*model.Config[*security.RequestAuthentication]{{Name: "ra", Namespace: "a", Spec: &security.RequestAuthentication{
		JwtRules: []*security.JWTRule{{Issuer: "i"}, {Issuer: "j", FromCookies: []string{"session"}}}}}}
	w := AuthorizationWarnings(s)
	if len(w) != 2 || !strings.Contains(w[0], "a/ext") || !strings.Contains(w[0], `"opa"`) || !strings.Contains(w[1], "a/ra: jwtRules[1]") {
		t.Errorf("warnings %q", w)
	}
}
