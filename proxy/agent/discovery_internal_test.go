package agent

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/meshctl/meshctl/proxy/identity"
	"github.com/meshctl/meshctl/proxy/proxytest"
	"github.com/meshctl/meshctl/proxy/xds"
)

// TestDiscoveryTransport: TLS to 15012 with an identity, plaintext only where the address names
// 15010; without an identity the plaintext port of the same host.
func TestDiscoveryTransport(t *testing.T) {
	root := filepath.Join(t.TempDir(), "root-cert.pem")
	ca := proxytest.NewMeshCA(t)
	if err := os.WriteFile(root, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	id := identity.New(identity.Options{RootCertFile: root})
	for _, c := range []struct {
		name, addr string
		id         *identity.Agent
		wantAddr   string
		wantTLS    bool
	}{
		{"TLS port with an identity", "istiod.istio-system.svc:15012", id, "istiod.istio-system.svc:15012", true},
		{"plaintext port named", "istiod.istio-system.svc:15010", id, "istiod.istio-system.svc:15010", false},
		{"no identity", "istiod.istio-system.svc:15012", nil, "istiod.istio-system.svc:15010", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := &xds.Client{Addr: c.addr}
			if err := discoveryTransport(cl, &Options{DiscoveryAddress: c.addr}, c.id); err != nil {
				t.Fatal(err)
			}
			if cl.Addr != c.wantAddr || (cl.DialOptions != nil) != c.wantTLS {
				t.Errorf("address %s, TLS %v; want %s, %v", cl.Addr, cl.DialOptions != nil, c.wantAddr, c.wantTLS)
			}
		})
	}
}
