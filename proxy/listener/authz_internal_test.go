package listener

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/meshctl/meshctl/proxy/ir"
)

// TestPeerPrincipal: principals and source.namespace read the peer's identity from the connection
// (connState.principal, set by mTLS from the peer certificate); no identity matches nothing.
func TestPeerPrincipal(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer backend.Close()
	rc := &ir.RouteConfig{Name: "r", VirtualHosts: []*ir.VirtualHost{{Name: "all", Domains: []string{"*"}, Routes: []*ir.Route{{
		Name: "all", Match: ir.RouteMatch{PathKind: ir.PathPrefix, Path: "/"},
		Forward: &ir.Forward{Clusters: []ir.WeightedCluster{{Name: "app", Weight: 1}}}}}}}}
	sleep := ir.Principal{Kind: ir.PrincipalAuthenticated, String: ir.StringMatch{Kind: ir.StringExact, Value: "spiffe://cluster.local/ns/default/sa/sleep"}}
	cfg := &ir.Config{
		Clusters: map[string]*ir.Cluster{"app": {Name: "app", Type: ir.ClusterStatic, Endpoints: []ir.Endpoint{{Address: backend.Listener.Addr().String()}}}},
		Listeners: []*ir.Listener{{Name: "l", Address: netip.MustParseAddrPort("127.0.0.1:0"), BindToPort: true,
			Chains: []*ir.FilterChain{{Name: "http", HTTP: &ir.HTTPManager{StatPrefix: "l", Route: rc,
				RBAC: []*ir.RBAC{{Action: ir.RBACAllow, Policies: []ir.RBACPolicy{{Name: "sleep",
					Permissions: []ir.Permission{{Kind: ir.PermAny}}, Principals: []ir.Principal{sleep}}}}}}}}}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := New(ctx, Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer m.Close()
	if err := m.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	ch := m.current.Load().listeners["l"].chains[0]
	for _, c := range []struct {
		principal string
		want      int
	}{
		{"cluster.local/ns/default/sa/sleep", http.StatusOK},
		{"cluster.local/ns/default/sa/curl", http.StatusForbidden},
		{"", http.StatusForbidden},
	} {
		st := &connState{chain: ch, principal: c.principal, remote: netip.MustParseAddrPort("10.0.0.5:40000"), dst: netip.MustParseAddrPort("10.0.0.9:8000")}
		req := httptest.NewRequest(http.MethodGet, "http://app/", nil).WithContext(context.WithValue(context.Background(), stateKey{}, st))
		w := httptest.NewRecorder()
		m.ServeHTTP(w, req)
		if w.Code != c.want {
			t.Errorf("peer %q: %d, want %d", c.principal, w.Code, c.want)
		}
	}
}
