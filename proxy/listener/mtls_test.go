package listener_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/proxytest"
)

const xfcc = "X-Forwarded-Client-Cert"

// inboundMTLS is a workload's inbound side as meshd sends it for a port: STRICT, one chain that
// terminates mutual TLS; PERMISSIVE, the TLS chain for Istio's ALPN and a plaintext chain.
func inboundMTLS(t *testing.T, ca *proxytest.MeshCA, permissive bool) (*proxytest.Proxy, *proxytest.Backend) {
	b := proxytest.NewBackend(t, "app")
	rc := proxytest.Routes("inbound|8080||", proxytest.To("app"))
	tlsChain := httpChain("mtls", ir.ChainMatch{}, rc)
	tlsChain.HTTP.Inbound = true
	tlsChain.TLS = proxytest.IstioMutual(true)
	l := &ir.Listener{Name: "in", Address: netip.MustParseAddrPort("127.0.0.1:0"), BindToPort: true,
		Chains: []*ir.FilterChain{tlsChain}}
	if permissive {
		tlsChain.Match = ir.ChainMatch{TransportProtocol: ir.TransportTLS, ApplicationProtocols: []string{"istio-peer-exchange", "istio"}}
		plain := httpChain("plain", ir.ChainMatch{}, rc)
		plain.HTTP.Inbound = true
		l.InspectTLS = true
		l.Chains = append(l.Chains, plain)
	}
	p := proxytest.Start(t, &ir.Config{Clusters: proxytest.Clusters(proxytest.Cluster("app", b)), Listeners: []*ir.Listener{l}},
		listener.Options{Secrets: ca.Identity(t, "ns/default/sa/productpage")})
	return p, b
}

// mtlsGet sends a GET over TLS with the client certificate (nil: none), offering Istio's ALPN.
func mtlsGet(t *testing.T, addr string, cert *tls.Certificate, headers ...string) (*http.Response, error) {
	cfg := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"istio-peer-exchange", "istio"}}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	tr := &http.Transport{DialTLSContext: nil, TLSClientConfig: cfg, DisableKeepAlives: true}
	tr.DialContext = func(_ context.Context, _, _ string) (net.Conn, error) {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return nil, err
		}
		tc := tls.Client(c, cfg)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			c.Close()
			return nil, err
		}
		return tc, nil
	}
	req, _ := http.NewRequest(http.MethodGet, "http://app/", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func plainGet(t *testing.T, addr string, headers ...string) (*http.Response, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}).Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func TestStrictMutualTLS(t *testing.T) {
	ca := proxytest.NewMeshCA(t)
	p, b := inboundMTLS(t, ca, false)
	addr := p.Addr(t, "in")

	sleep := ca.Issue(t, "ns/default/sa/sleep")
	resp, err := mtlsGet(t, addr, sleep, xfcc, "By=forged")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("a mesh client: %v %v", resp, err)
	}
	got := resp.Header.Get(proxytest.HeaderEcho + xfcc)
	if !strings.HasPrefix(got, "By=spiffe://cluster.local/ns/default/sa/productpage;Hash=") || !strings.HasSuffix(got, `;Subject="";URI=spiffe://cluster.local/ns/default/sa/sleep`) {
		t.Errorf("x-forwarded-client-cert %q", got)
	}

	if _, err := plainGet(t, addr); err == nil {
		t.Error("a plaintext client got through STRICT")
	}
	if _, err := mtlsGet(t, addr, nil); err == nil {
		t.Error("a TLS client without a certificate got through STRICT")
	}
	other := proxytest.NewMeshCA(t).Issue(t, "ns/default/sa/sleep")
	if _, err := mtlsGet(t, addr, other); err == nil {
		t.Error("a certificate of another CA got through")
	}
	if n := b.Requests.Load(); n != 1 {
		t.Errorf("backend requests %d, want 1", n)
	}
	if n := p.Stats.SSLHandshakeFail.Load(); n < 2 {
		t.Errorf("handshake failures counted %d, want at least 2", n)
	}
}

func TestPermissiveServesBoth(t *testing.T) {
	ca := proxytest.NewMeshCA(t)
	p, _ := inboundMTLS(t, ca, true)
	addr := p.Addr(t, "in")
	resp, err := plainGet(t, addr, xfcc, "By=forged;URI=spiffe://cluster.local/ns/kube-system/sa/admin")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("plaintext on PERMISSIVE: %v %v", resp, err)
	}
	if got := resp.Header.Get(proxytest.HeaderEcho + xfcc); got != "" {
		t.Errorf("a plaintext client's x-forwarded-client-cert passed on: %q", got)
	}
	resp, err = mtlsGet(t, addr, ca.Issue(t, "ns/other/sa/client"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("mTLS on PERMISSIVE: %v %v", resp, err)
	}
	if got := resp.Header.Get(proxytest.HeaderEcho + xfcc); !strings.HasSuffix(got, "URI=spiffe://cluster.local/ns/other/sa/client") {
		t.Errorf("x-forwarded-client-cert %q", got)
	}
	if _, err := mtlsGet(t, addr, proxytest.NewMeshCA(t).Issue(t, "ns/other/sa/client")); err == nil {
		t.Error("a certificate of another CA got through PERMISSIVE's TLS chain")
	}
}

// TestClusterOriginatesMutualTLS: auto mTLS end to end between two proxies: the client's cluster
// speaks ISTIO_MUTUAL to the endpoint labelled tlsMode istio and plaintext to the other.
func TestClusterOriginatesMutualTLS(t *testing.T) {
	ca := proxytest.NewMeshCA(t)
	server, _ := inboundMTLS(t, ca, false)
	plainApp := proxytest.NewBackend(t, "plain")
	auto := []ir.TLSMatch{{Name: "tlsMode-istio", Match: map[string]string{"tlsMode": "istio"}, TLS: proxytest.IstioMutual(false)}}
	sidecar := &ir.Cluster{Name: "with-sidecar", Type: ir.ClusterStatic, TLSMatches: auto,
		Endpoints: []ir.Endpoint{{Address: server.Addr(t, "in"), TLSMatch: map[string]string{"tlsMode": "istio"}}}}
	h2 := &ir.Cluster{Name: "h2", Type: ir.ClusterStatic, TLSMatches: auto, HTTP2: true,
		Endpoints: []ir.Endpoint{{Address: server.Addr(t, "in"), TLSMatch: map[string]string{"tlsMode": "istio"}}}}
	legacy := &ir.Cluster{Name: "without", Type: ir.ClusterStatic, TLSMatches: auto, Endpoints: []ir.Endpoint{{Address: plainApp.Addr()}}}
	wrongSAN := proxytest.IstioMutual(false)
	wrongSAN.SubjectAltNames = []ir.SANMatch{{Type: ir.SANURI, Value: ir.StringMatch{Kind: ir.StringExact, Value: "spiffe://cluster.local/ns/default/sa/reviews"}}}
	pinned := &ir.Cluster{Name: "pinned", Type: ir.ClusterStatic, TLS: wrongSAN, Endpoints: []ir.Endpoint{{Address: server.Addr(t, "in")}}}
	rc := &ir.RouteConfig{Name: "out", VirtualHosts: []*ir.VirtualHost{
		{Name: "a", Domains: []string{"a"}, Routes: []*ir.Route{proxytest.To("with-sidecar")}},
		{Name: "b", Domains: []string{"b"}, Routes: []*ir.Route{proxytest.To("without")}},
		{Name: "c", Domains: []string{"c"}, Routes: []*ir.Route{proxytest.To("pinned")}},
		{Name: "d", Domains: []string{"d"}, Routes: []*ir.Route{proxytest.To("h2")}},
	}}
	client := proxytest.Start(t, &ir.Config{Clusters: proxytest.Clusters(sidecar, legacy, pinned, h2), Listeners: []*ir.Listener{proxytest.HTTPListener("out", rc)}},
		listener.Options{Secrets: ca.Identity(t, "ns/default/sa/sleep")})

	r := client.Get(t, "out", "a", "/")
	if r.Status != 200 || !strings.HasSuffix(r.Header.Get(proxytest.HeaderEcho+xfcc), "URI=spiffe://cluster.local/ns/default/sa/sleep") {
		t.Errorf("to the sidecar: %d, x-forwarded-client-cert %q", r.Status, r.Header.Get(proxytest.HeaderEcho+xfcc))
	}
	if r := client.Get(t, "out", "d", "/"); r.Status != 200 || r.Header.Get(proxytest.HeaderEcho+xfcc) == "" {
		t.Errorf("HTTP/2 inside mutual TLS: %d, x-forwarded-client-cert %q", r.Status, r.Header.Get(proxytest.HeaderEcho+xfcc))
	}
	if r := client.Get(t, "out", "b", "/"); r.Status != 200 || r.Header.Get(proxytest.HeaderBackend) != "plain" {
		t.Errorf("to the workload without a sidecar (plaintext): %d %q", r.Status, r.Header.Get(proxytest.HeaderBackend))
	}
	if r := client.Get(t, "out", "c", "/"); r.Status != 503 {
		t.Errorf("a server outside the SANs: %d, want 503", r.Status)
	}
}

// TestNoIdentityKeepsMutualTLSWarming: a proxy without an agent cannot resolve default/ROOTCA: the
// chain is left out (the default chain takes its connections) and the cluster has no endpoints.
func TestNoIdentityKeepsMutualTLSWarming(t *testing.T) {
	b := proxytest.NewBackend(t, "app")
	c := proxytest.Cluster("app", b)
	c.TLS = proxytest.IstioMutual(false)
	p := proxytest.Start(t, &ir.Config{Clusters: proxytest.Clusters(c), Listeners: []*ir.Listener{proxytest.HTTPListener("out", proxytest.Routes("r", proxytest.To("app")))}}, listener.Options{})
	if r := p.Get(t, "out", "x", "/"); r.Status != 503 {
		t.Errorf("status %d, want 503 (no healthy upstream)", r.Status)
	}
	if w := p.Clusters()["app"].Warming(); !strings.Contains(w, "no identity") {
		t.Errorf("warming %q", w)
	}
	// Auto mTLS without an identity: the endpoints with a sidecar are left out, the plaintext ones serve.
	plain := proxytest.NewBackend(t, "plain")
	auto := &ir.Cluster{Name: "auto", Type: ir.ClusterStatic,
		TLSMatches: []ir.TLSMatch{{Name: "tlsMode-istio", Match: map[string]string{"tlsMode": "istio"}, TLS: proxytest.IstioMutual(false)}},
		Endpoints:  []ir.Endpoint{{Address: b.Addr(), TLSMatch: map[string]string{"tlsMode": "istio"}}, {Address: plain.Addr()}}}
	p = proxytest.Start(t, &ir.Config{Clusters: proxytest.Clusters(auto), Listeners: []*ir.Listener{proxytest.HTTPListener("out", proxytest.Routes("r", proxytest.To("auto")))}}, listener.Options{})
	for range 4 {
		if r := p.Get(t, "out", "x", "/"); r.Status != 200 || r.Header.Get(proxytest.HeaderBackend) != "plain" {
			t.Fatalf("auto mTLS without identity: %d from %q, want 200 from the plaintext endpoint", r.Status, r.Header.Get(proxytest.HeaderBackend))
		}
	}
}
