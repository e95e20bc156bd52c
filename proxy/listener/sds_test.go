package listener_test

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/proxytest"
)

// sdsSecret is a certificate as meshd sends it by SDS: PEM chain and key.
func sdsSecret(t *testing.T, c *tls.Certificate) *ir.Secret {
	t.Helper()
	key, err := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	return &ir.Secret{CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}),
		KeyPEM: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: key})}
}

// httpsGet is a GET over TLS to addr (the client certificate when given): the response, with the
// server's certificate in resp.TLS.
func httpsGet(t *testing.T, addr string, client *tls.Certificate) (*http.Response, error) {
	cfg := &tls.Config{InsecureSkipVerify: true, ServerName: "web.example.com"}
	if client != nil {
		cfg.Certificates = []tls.Certificate{*client}
	}
	tr := &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + addr + "/")
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

// TestGatewayCredentialBySDS: a gateway's HTTPS chain naming kubernetes://web warms until the
// secret arrives, then serves with it over real TLS; a new version of the secret is presented from
// the next handshake, on the same listening socket. MUTUAL verifies clients against the roots of
// kubernetes://web-cacert.
func TestGatewayCredentialBySDS(t *testing.T) {
	ca := proxytest.NewMeshCA(t)
	first, second := ca.Issue(t, "ns/gw/sa/first"), ca.Issue(t, "ns/gw/sa/second")
	b := proxytest.NewBackend(t, "web")
	chain := httpChain("https", ir.ChainMatch{}, proxytest.Routes("https.443", proxytest.To("web")))
	chain.TLS = &ir.TLS{CertificateSecret: "kubernetes://web"}
	cfg := func(secrets map[string]*ir.Secret, mutual bool) *ir.Config {
		c := *chain
		if mutual {
			tc := *chain.TLS
			tc.ValidationSecret, tc.RequireClientCert = "kubernetes://web-cacert", true
			c.TLS = &tc
		}
		return &ir.Config{Clusters: proxytest.Clusters(proxytest.Cluster("web", b)), Secrets: secrets,
			Listeners: []*ir.Listener{{Name: "gw", Address: netip.MustParseAddrPort("127.0.0.1:0"), BindToPort: true, Chains: []*ir.FilterChain{&c}}}}
	}
	p := proxytest.Start(t, cfg(nil, false), listener.Options{})
	addr := p.Addr(t, "gw")
	if _, err := httpsGet(t, addr, nil); err == nil {
		t.Fatal("served before the secret arrived: the chain must warm")
	}

	if err := p.Apply(cfg(map[string]*ir.Secret{"kubernetes://web": sdsSecret(t, first)}, false)); err != nil {
		t.Fatal(err)
	}
	resp, err := httpsGet(t, addr, nil)
	if err != nil {
		t.Fatalf("with the secret: %v", err)
	}
	if resp.StatusCode != 200 || !resp.TLS.PeerCertificates[0].Equal(first.Leaf) {
		t.Fatalf("status %d, certificate %v: want 200 with the SDS certificate", resp.StatusCode, resp.TLS.PeerCertificates[0].URIs)
	}

	if err := p.Apply(cfg(map[string]*ir.Secret{"kubernetes://web": sdsSecret(t, second)}, false)); err != nil {
		t.Fatal(err)
	}
	if got := p.Addr(t, "gw"); got != addr {
		t.Fatalf("the listener moved from %s to %s: rotation must keep it", addr, got)
	}
	resp, err = httpsGet(t, addr, nil)
	if err != nil || !resp.TLS.PeerCertificates[0].Equal(second.Leaf) {
		t.Fatalf("after rotation: err %v; want the new certificate", err)
	}

	// A secret that does not parse is refused, and the one in service stays.
	bad := map[string]*ir.Secret{"kubernetes://web": {CertificatePEM: []byte("not PEM"), KeyPEM: []byte("x")}}
	if err := p.Apply(cfg(bad, false)); err == nil {
		t.Error("a secret that does not parse was accepted")
	}
	if resp, err = httpsGet(t, addr, nil); err != nil || !resp.TLS.PeerCertificates[0].Equal(second.Leaf) {
		t.Errorf("after a refused secret: err %v; want the certificate in service", err)
	}

	// MUTUAL: client certificates verified against kubernetes://web-cacert.
	withCA := map[string]*ir.Secret{"kubernetes://web": sdsSecret(t, second), "kubernetes://web-cacert": {TrustedCAPEM: ca.PEM()}}
	if err := p.Apply(cfg(withCA, true)); err != nil {
		t.Fatal(err)
	}
	if resp, err := httpsGet(t, addr, first); err != nil || resp.StatusCode != 200 {
		t.Errorf("MUTUAL with a client certificate of the SDS roots: %v", err)
	}
	other := proxytest.NewMeshCA(t).Issue(t, "ns/x/sa/stranger")
	if _, err := httpsGet(t, addr, other); err == nil {
		t.Error("MUTUAL accepted a client certificate of other roots")
	}
}

// TestClusterWarmsUntilItsSecret: a cluster verifying its upstream with roots named by SDS has no
// endpoints until they arrive, then serves, its configuration unchanged (the secret alone arrived).
func TestClusterWarmsUntilItsSecret(t *testing.T) {
	b := proxytest.NewBackend(t, "app")
	c := proxytest.Cluster("app", b)
	c.TLS = &ir.TLS{ValidationSecret: "kubernetes://app-cacert"}
	cfg := func(secrets map[string]*ir.Secret) *ir.Config {
		return &ir.Config{Clusters: proxytest.Clusters(c), Secrets: secrets,
			Listeners: []*ir.Listener{proxytest.HTTPListener("out", proxytest.Routes("r", proxytest.To("app")))}}
	}
	p := proxytest.Start(t, cfg(nil), listener.Options{})
	if w := p.Clusters()["app"].Warming(); w == "" {
		t.Fatal("the cluster serves before its roots arrived")
	}
	if err := p.Apply(cfg(map[string]*ir.Secret{"kubernetes://app-cacert": {TrustedCAPEM: proxytest.NewMeshCA(t).PEM()}})); err != nil {
		t.Fatal(err)
	}
	if w := p.Clusters()["app"].Warming(); w != "" {
		t.Errorf("still warming once its roots arrived: %s", w)
	}
}
