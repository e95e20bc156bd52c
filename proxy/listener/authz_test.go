package listener_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/proxytest"
)

const tokenIssuer = "testing@secure.istio.io"

// signer is an ES256 key with its key set.
type signer struct {
	key  *ecdsa.PrivateKey
	jwks string
}

func newSigner(t *testing.T) signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	return signer{k, string(b)}
}

func (s signer) token(t *testing.T, sub string) string {
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: s.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"iss": tokenIssuer, "sub": sub, "exp": time.Now().Add(time.Hour).Unix()})
	jws, err := sg.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

func pathPrefix(p string) ir.Permission {
	return ir.Permission{Kind: ir.PermPath, String: ir.StringMatch{Kind: ir.StringPrefix, Value: p}}
}

var (
	anyPermission = ir.Permission{Kind: ir.PermAny}
	anyone        = ir.Principal{Kind: ir.PrincipalAny}
	// withToken: Istio's requestPrincipals ["*"].
	withToken = ir.Principal{Kind: ir.PrincipalMetadata, Metadata: ir.MetadataMatch{Path: []string{"request.auth.principal"},
		Value: ir.StringMatch{Kind: ir.StringRegex, Value: ".+", Regex: regexp.MustCompile("^(?:.+)$")}}}
)

// TestAuthorizationOverHTTP: a workload with RequestAuthentication and AuthorizationPolicy, as
// meshd sends them, on a real listener: deny /admin; allow /public to anyone and anything to a
// request with a valid token.
func TestAuthorizationOverHTTP(t *testing.T) {
	s := newSigner(t)
	b := proxytest.NewBackend(t, "app")
	l := proxytest.HTTPListener("l", proxytest.Routes("r", proxytest.To("app")))
	l.Chains[0].HTTP.JWT = &ir.JWTAuthn{Providers: []ir.JWTProvider{{Name: tokenIssuer, Issuer: tokenIssuer, JWKS: s.jwks, Forward: true}}}
	l.Chains[0].HTTP.RBAC = []*ir.RBAC{
		{Action: ir.RBACDeny, Policies: []ir.RBACPolicy{{Name: "ns[default]-policy[deny-admin]-rule[0]", Permissions: []ir.Permission{pathPrefix("/admin")}, Principals: []ir.Principal{anyone}}}},
		{Action: ir.RBACAllow, Policies: []ir.RBACPolicy{
			{Name: "public", Permissions: []ir.Permission{pathPrefix("/public")}, Principals: []ir.Principal{anyone}},
			{Name: "jwt", Permissions: []ir.Permission{anyPermission}, Principals: []ir.Principal{withToken}},
		}},
	}
	p := proxytest.Start(t, &ir.Config{Clusters: proxytest.Clusters(proxytest.Cluster("app", b)), Listeners: []*ir.Listener{l}}, listener.Options{})
	good := "Bearer " + s.token(t, "alice")
	forged := "Bearer " + newSigner(t).token(t, "alice")
	for _, c := range []struct {
		name, path, auth string
		status           int
		body             string
	}{
		{"public, no token", "/public/x", "", 200, "app /public/x "},
		{"private, no token: no ALLOW policy matches", "/private", "", 403, "RBAC: access denied"},
		{"private, valid token (requestPrincipals)", "/private", good, 200, "app /private "},
		{"private, token of another key", "/private", forged, 401, "Jwt verification fails"},
		{"public, bad token: authentication first", "/public/x", "Bearer x.y.z", 401, "Jwt verification fails"},
		{"admin, valid token: DENY first", "/admin/users", good, 403, "RBAC: access denied"},
	} {
		var hdr []string
		if c.auth != "" {
			hdr = []string{"Authorization", c.auth}
		}
		r := p.Get(t, "l", "app", c.path, hdr...)
		if r.Status != c.status || r.Body != c.body {
			t.Errorf("%s: %d %q, want %d %q", c.name, r.Status, r.Body, c.status, c.body)
		}
		if c.status == 401 && !strings.Contains(r.Header.Get("Www-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s: www-authenticate %q", c.name, r.Header.Get("Www-Authenticate"))
		}
	}
	if got := b.Requests.Load(); got != 2 {
		t.Errorf("the backend saw %d requests, want the 2 allowed", got)
	}
	if d, j := p.Stats.RBACDenied.Load(), p.Stats.JWTDenied.Load(); d != 2 || j != 2 {
		t.Errorf("stats: rbac denied %d, jwt denied %d; want 2 and 2", d, j)
	}
	lines := p.WaitLog(t, 6)
	found := false
	for _, line := range lines {
		if strings.Contains(line, "/admin/users") {
			found = true
			if !strings.Contains(line, " 403 RBAC rbac_access_denied_matched_policy[ns[default]-policy[deny-admin]-rule[0]] ") {
				t.Errorf("access log of the denied request: %s", line)
			}
		}
	}
	if !found {
		t.Errorf("no access log line for /admin/users in %q", lines)
	}
}

// TestAuthorizationOverTCP: network RBAC closes a denied connection before any byte goes upstream.
func TestAuthorizationOverTCP(t *testing.T) {
	echo := echoServer(t)
	fromLoopback := ir.Principal{Kind: ir.PrincipalDirectRemoteIP, CIDR: netip.MustParsePrefix("127.0.0.0/8")}
	start := func(rbac []*ir.RBAC) *proxytest.Proxy {
		c := tcpChain("tcp", "echo", ir.ChainMatch{})
		c.TCP.RBAC = rbac
		return proxytest.Start(t, &ir.Config{
			Clusters:  proxytest.Clusters(staticCluster("echo", echo)),
			Listeners: []*ir.Listener{{Name: "l", Address: netip.MustParseAddrPort("127.0.0.1:0"), BindToPort: true, Chains: []*ir.FilterChain{c}}},
		}, listener.Options{})
	}
	policies := []ir.RBACPolicy{{Name: "loopback", Permissions: []ir.Permission{anyPermission}, Principals: []ir.Principal{fromLoopback}}}
	denied := start([]*ir.RBAC{{Action: ir.RBACDeny, Policies: policies}})
	allowed := start([]*ir.RBAC{{Action: ir.RBACAllow, Policies: policies}})
	exchange := func(p *proxytest.Proxy) string {
		c, err := net.Dial("tcp", p.Addr(t, "l"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Write([]byte("hello"))
		_ = c.(*net.TCPConn).CloseWrite()
		b, _ := io.ReadAll(c)
		return string(b)
	}
	if got := exchange(allowed); got != "hellobye" {
		t.Errorf("allowed: %q, want the echo", got)
	}
	if got := exchange(denied); got != "" {
		t.Errorf("denied: %q, want the connection closed", got)
	}
	if n := denied.Stats.RBACDenied.Load(); n != 1 {
		t.Errorf("rbac denied %d, want 1", n)
	}
}

// TestPolicyUpdateReachesOpenConnections: a policy pushed while a client keeps its connection
// open applies to that connection's next request (the chain's policies are looked up per request).
func TestPolicyUpdateReachesOpenConnections(t *testing.T) {
	b := proxytest.NewBackend(t, "app")
	l := proxytest.HTTPListener("l", proxytest.Routes("r", proxytest.To("app")))
	cfg := &ir.Config{Clusters: proxytest.Clusters(proxytest.Cluster("app", b)), Listeners: []*ir.Listener{l}}
	p := proxytest.Start(t, cfg, listener.Options{})
	addr := p.Addr(t, "l")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rd := bufio.NewReader(c)
	get := func() int {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: app\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get(); s != 200 {
		t.Fatalf("before the policy: %d", s)
	}
	denyAll := *l
	chain := *l.Chains[0]
	h := *chain.HTTP
	h.RBAC = []*ir.RBAC{{Action: ir.RBACAllow}}
	chain.HTTP, denyAll.Chains = &h, []*ir.FilterChain{&chain}
	if err := p.Apply(&ir.Config{Clusters: cfg.Clusters, Listeners: []*ir.Listener{&denyAll}}); err != nil {
		t.Fatal(err)
	}
	if s := get(); s != 403 {
		t.Errorf("after an ALLOW policy without rules, on the same connection: %d, want 403", s)
	}
}
