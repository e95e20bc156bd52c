package translate_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/controlplane/translate"
	"github.com/meshctl/meshctl/proxy/authz"
	"github.com/meshctl/meshctl/proxy/ir"
	proxyxds "github.com/meshctl/meshctl/proxy/xds"
	"github.com/meshctl/meshctl/xdscontract"
)

// The sleep workload of testdata/cluster.yaml serves HTTP on 8000; this adds a TCP port, 5432.
const sleepTCP = `
apiVersion: v1
kind: Service
metadata: {name: sleep-db, namespace: default}
spec:
  clusterIP: 10.96.0.31
  selector: {app: sleep}
  ports: [{name: tcp-db, port: 5432}]
`

// inboundRBAC is what the sleep proxy enforces, as the proxy reads meshd's translation: the
// inbound HTTP chain's RBAC filters and the TCP chain's.
func inboundRBAC(t *testing.T, policies string) (httpRBAC, tcpRBAC []*ir.RBAC) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "policies.yaml")
	if err := os.WriteFile(f, []byte(sleepTCP+"\n---\n"+policies), 0o600); err != nil {
		t.Fatal(err)
	}
	snap := load(t, []string{"testdata/cluster.yaml", f})
	res := mustGenerate(t, snap, sleepProxy)
	st := proxyxds.NewState()
	for _, r := range res[resourcev3.ListenerType] {
		l := r.(*listenerv3.Listener)
		if l.GetName() == "virtualInbound" {
			st.Listeners[l.GetName()] = l
		}
	}
	cfg, err := st.Translate()
	if err != nil {
		t.Fatalf("the proxy refuses the translation: %v", err)
	}
	for _, l := range cfg.Listeners {
		for _, c := range l.Chains {
			switch {
			case c.Match.DestinationPort == 8000 && c.HTTP != nil:
				httpRBAC = c.HTTP.RBAC
			case c.Match.DestinationPort == 5432 && c.TCP != nil:
				tcpRBAC = c.TCP.RBAC
			}
		}
	}
	return httpRBAC, tcpRBAC
}

type req struct {
	method, path, host string
	peer               string // identity without spiffe://
	source             string
	port               uint16
	authn              *authz.Authn
}

func (r req) attributes(tcp bool) *authz.Attributes {
	a := &authz.Attributes{Source: netip.MustParseAddr("10.244.0.7"), DestinationIP: netip.MustParseAddr("10.244.0.20"),
		DestinationPort: 8000, Authn: r.authn}
	if r.source != "" {
		a.Source = netip.MustParseAddr(r.source)
	}
	a.Remote = a.Source
	if r.peer != "" {
		a.Peer = "spiffe://" + r.peer
	}
	if tcp {
		a.DestinationPort, a.Authn = 5432, nil
		return a
	}
	if r.port != 0 {
		a.DestinationPort = r.port
	}
	method, path, host := r.method, r.path, r.host
	if method == "" {
		method = http.MethodGet
	}
	if path == "" {
		path = "/"
	}
	if host == "" {
		host = "sleep.default.svc.cluster.local"
	}
	a.Request = httptest.NewRequest(method, "http://"+host+path, nil)
	return a
}

var (
	alice = &authz.Authn{Principal: "testing@secure.istio.io/alice", Audiences: []string{"sleep"},
		Claims: map[string]any{"iss": "testing@secure.istio.io", "sub": "alice", "groups": []any{"dev", "admins"}}}
	bob = &authz.Authn{Principal: "testing@secure.istio.io/bob", Claims: map[string]any{"groups": "dev"}}
)

// TestAuthorizationSemantics: AuthorizationPolicies as Istio documents them, translated by meshd
// and evaluated by the proxy, on the workload's HTTP chain and its TCP chain.
func TestAuthorizationSemantics(t *testing.T) {
	policy := func(action, sel, rules string) string {
		out := "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p-" + action + ", namespace: default}\nspec:\n  action: " + action + "\n"
		if sel != "" {
			out += "  selector: {matchLabels: " + sel + "}\n"
		}
		if rules != "" {
			out += "  rules: " + rules + "\n"
		}
		return out
	}
	type check struct {
		r             req
		http, tcpWant bool
	}
	for _, c := range []struct {
		name     string
		policies string
		checks   []check
	}{
		{"no policy: allow", "", []check{{req{}, true, true}}},
		{"ALLOW without rules: deny all", policy("ALLOW", "", ""), []check{{req{}, false, false}}},
		{"rules [{}]: allow all", policy("ALLOW", "", "[{}]"), []check{{req{}, true, true}}},
		{"another workload's policy does not apply", policy("ALLOW", "{app: nginx}", ""), []check{{req{}, true, true}}},
		{"another namespace's policy does not apply", "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: payments}\nspec: {}\n", []check{{req{}, true, true}}},
		{"root namespace: mesh-wide", "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: istio-system}\nspec: {}\n", []check{{req{}, false, false}}},
		{"DENY wins over ALLOW", policy("ALLOW", "", "[{}]") + "---\n" + policy("DENY", "{app: sleep}", "[{}]"), []check{{req{}, false, false}}},
		{"principals", policy("ALLOW", "", "[{from: [{source: {principals: [cluster.local/ns/default/sa/curl]}}]}]"), []check{
			{req{peer: "cluster.local/ns/default/sa/curl"}, true, true},
			{req{peer: "cluster.local/ns/default/sa/other"}, false, false},
			{req{}, false, false}}},
		{"namespaces and notPrincipals", policy("ALLOW", "", "[{from: [{source: {namespaces: [ops], notPrincipals: [cluster.local/ns/ops/sa/bad]}}]}]"), []check{
			{req{peer: "cluster.local/ns/ops/sa/good"}, true, true},
			{req{peer: "cluster.local/ns/ops/sa/bad"}, false, false},
			{req{peer: "cluster.local/ns/opsx/sa/good"}, false, false}}},
		{"ipBlocks", policy("DENY", "", "[{from: [{source: {ipBlocks: [10.244.0.0/24]}}]}]"), []check{
			{req{source: "10.244.0.9"}, false, false},
			{req{source: "10.244.1.9"}, true, true}}},
		{"ALLOW with HTTP-only fields matches nothing on TCP", policy("ALLOW", "", "[{to: [{operation: {methods: [GET]}}]}]"), []check{
			{req{method: "GET"}, true, false},
			{req{method: "POST"}, false, false}}},
		{"DENY with HTTP-only fields denies all of TCP", policy("DENY", "", "[{to: [{operation: {methods: [POST]}}]}]"), []check{
			{req{method: "GET"}, true, false},
			{req{method: "POST"}, false, false}}},
		{"ports apply to both", policy("ALLOW", "", `[{to: [{operation: {ports: ["5432"]}}]}]`), []check{{req{}, false, true}}},
		{"paths: exact, prefix, suffix, templates", policy("ALLOW", "", `[{to: [{operation: {paths: [/exact, /api/*, "*.png", "/v1/{*}/items/{**}"]}}]}]`), []check{
			{req{path: "/exact"}, true, false}, {req{path: "/exact/no"}, false, false},
			{req{path: "/api/x?q=1"}, true, false}, {req{path: "/img/a.png"}, true, false},
			{req{path: "/v1/shelf/items/a/b"}, true, false}, {req{path: "/v1/a/b/items/c"}, false, false}}},
		{"notPaths and hosts ignoring case", policy("ALLOW", "", `[{to: [{operation: {hosts: ["*.example.com"], notPaths: [/private*]}}]}]`), []check{
			{req{host: "Shop.Example.COM", path: "/a"}, true, false},
			{req{host: "shop.example.com", path: "/private/x"}, false, false},
			{req{host: "shop.other.com", path: "/a"}, false, false}}},
		{"requestPrincipals: a token is required", policy("ALLOW", "", `[{from: [{source: {requestPrincipals: ["*"]}}]}]`), []check{
			{req{authn: alice}, true, false}, {req{}, false, false}}},
		{"request.auth.claims and principal", policy("ALLOW", "", `[{when: [{key: "request.auth.claims[groups]", values: [admins]}, {key: request.auth.principal, values: ["testing@secure.istio.io/*"]}]}]`), []check{
			{req{authn: alice}, true, false}, {req{authn: bob}, false, false}, {req{}, false, false}}},
		{"source.namespace and destination.port", policy("DENY", "", `[{when: [{key: source.namespace, values: [ops]}, {key: destination.port, values: ["8000"]}]}]`), []check{
			{req{peer: "cluster.local/ns/ops/sa/x"}, false, true},
			{req{peer: "cluster.local/ns/default/sa/x"}, true, true}}},
		{"destination.ip", policy("ALLOW", "", `[{when: [{key: destination.ip, values: [10.244.0.0/24]}]}]`), []check{{req{}, true, true}}},
		{"destination.ip elsewhere", policy("ALLOW", "", `[{when: [{key: destination.ip, values: [10.9.0.0/24]}]}]`), []check{{req{}, false, false}}},
		{"CUSTOM fails closed on its rules", policy("CUSTOM", "", `[{to: [{operation: {paths: [/opa/*]}}]}]`), []check{
			{req{path: "/opa/x"}, false, false}, {req{path: "/other"}, true, false}}},
		{"AUDIT never denies", policy("AUDIT", "", "[{}]"), []check{{req{}, true, true}}},
	} {
		httpRBAC, tcpRBAC := inboundRBAC(t, c.policies)
		for i, ch := range c.checks {
			if got := !authz.Evaluate(httpRBAC, ch.r.attributes(false)).Denied; got != ch.http {
				t.Errorf("%s: check %d (%+v): HTTP allowed %v, want %v", c.name, i, ch.r, got, ch.http)
			}
			if got := !authz.Evaluate(tcpRBAC, ch.r.attributes(true)).Denied; got != ch.tcpWant {
				t.Errorf("%s: check %d (%+v): TCP allowed %v, want %v", c.name, i, ch.r, got, ch.tcpWant)
			}
		}
	}
}

// FuzzAuthorizationPolicy: whatever AuthorizationPolicies and RequestAuthentications select the
// sleep workload, its inbound listener keeps the contract and the proxy accepts it (a regex that
// does not compile, a port out of range would be NACKed: the workload would keep stale policies).
func FuzzAuthorizationPolicy(f *testing.F) {
	b, err := os.ReadFile("testdata/authz.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec:\n  rules: [{to: [{operation: {paths: [\"/a(b{*}/{**}\"], ports: [\"99999\"]}}], from: [{source: {namespaces: [\"a.b*\"], ipBlocks: [\"::1/200\"]}}]}]\n")
	base, err := os.ReadFile("testdata/cluster.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, policies string) {
		objs, err := model.DecodeYAML(strings.NewReader(string(base) + "\n---\n" + policies))
		if err != nil {
			return
		}
		s, err := model.FromObjects(model.DefaultClusterDomain, objs...)
		if err != nil {
			return
		}
		res, err := translate.Generate(s, sleepProxy)
		if err != nil {
			t.Fatal(err)
		}
		st := proxyxds.NewState()
		for _, r := range res[resourcev3.ListenerType] {
			l := r.(*listenerv3.Listener)
			if l.GetName() != "virtualInbound" {
				continue
			}
			if err := xdscontract.Check(l); err != nil {
				t.Fatal(err)
			}
			st.Listeners[l.GetName()] = l
		}
		if _, err := st.Translate(); err != nil {
			t.Fatalf("the proxy refuses: %v", err)
		}
	})
}
