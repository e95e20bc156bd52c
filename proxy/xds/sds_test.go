package xds_test

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/meshctl/meshctl/proxy/proxytest"
	"github.com/meshctl/meshctl/proxy/tlsconf"
	"github.com/meshctl/meshctl/proxy/xds"
	"github.com/meshctl/meshctl/xdscontract"
)

// certSecret is a certificate as meshd sends it by SDS.
func certSecret(t *testing.T, name string, c *tls.Certificate) *tlsv3.Secret {
	t.Helper()
	key, err := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	inline := func(b []byte) *corev3.DataSource {
		return &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: b}}
	}
	return &tlsv3.Secret{Name: name, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
		CertificateChain: inline(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]})),
		PrivateKey:       inline(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: key}))}}}
}

// gatewayHTTPS is a gateway's HTTPS configuration as meshd sends it: a bound listener whose chain
// terminates TLS with kubernetes://web, routing to cluster web.
func gatewayHTTPS(t *testing.T, listen string, b *proxytest.Backend, sec *tlsv3.Secret) map[resourcev3.Type][]types.Resource {
	l := httpListener(t, "0.0.0.0_443", listen, "https.443")
	l.FilterChains[0].TransportSocket = &corev3.TransportSocket{Name: xdscontract.TransportTLS, ConfigType: &corev3.TransportSocket_TypedConfig{
		TypedConfig: mustAny(t, &tlsv3.DownstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{Name: "kubernetes://web", SdsConfig: ads()}}}})}}
	rc := &routev3.RouteConfiguration{Name: "https.443", VirtualHosts: []*routev3.VirtualHost{{
		Name: "web.example.com:443", Domains: []string{"*"}, Routes: []*routev3.Route{{Match: prefixMatch("/"), Action: forwardTo("web")}}}}}
	res := map[resourcev3.Type][]types.Resource{
		resourcev3.ClusterType:  {edsCluster("web")},
		resourcev3.EndpointType: {cla(t, "web", b.Addr())},
		resourcev3.ListenerType: {l},
		resourcev3.RouteType:    {rc},
	}
	for _, r := range append(res[resourcev3.ListenerType], sec) {
		if err := xdscontract.Check(r); err != nil {
			t.Fatal(err)
		}
	}
	if sec != nil {
		res[resourcev3.SecretType] = []types.Resource{sec}
	}
	return res
}

// servedCertificate is the certificate a TLS handshake with addr gets (nil: no handshake).
func servedCertificate(addr string) *x509.Certificate {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true, ServerName: "web.example.com"})
	if err != nil {
		return nil
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

// TestGatewayCredentialThroughSDS: the proxy subscribes to the secret its HTTPS chain names, serves
// with it once it arrives over ADS, and presents the new certificate when meshd sends a new version.
func TestGatewayCredentialThroughSDS(t *testing.T) {
	ca := proxytest.NewMeshCA(t)
	first, second := ca.Issue(t, "ns/gw/sa/first"), ca.Issue(t, "ns/gw/sa/second")
	b := proxytest.NewBackend(t, "web")
	cp := startControlPlane(t, "127.0.0.1:0")
	cp.set(t, "1", gatewayHTTPS(t, anyPort, b, certSecret(t, "kubernetes://web", first)))
	m, c := proxyWithClient(t, cp)
	listen := boundAddr(t, m, "0.0.0.0_443")
	eventually(t, "the SDS certificate is served", func() bool {
		got := servedCertificate(listen)
		return got != nil && got.Equal(first.Leaf)
	})
	if names := c.Accepted().SDSNames(); len(names) != 1 || names[0] != "kubernetes://web" {
		t.Errorf("SDS subscription %v, want [kubernetes://web]", names)
	}
	// config_dump lists the secret as Envoy's does, its private key redacted.
	dump, err := xds.ConfigDump(c.Accepted(), nil)
	if err != nil {
		t.Fatal(err)
	}
	key := base64.StdEncoding.EncodeToString(certSecret(t, "", first).GetTlsCertificate().GetPrivateKey().GetInlineBytes())
	if !strings.Contains(string(dump), `"kubernetes://web"`) || !strings.Contains(string(dump), "[redacted]") || strings.Contains(string(dump), key) {
		t.Errorf("config_dump: want the secret listed, its private key redacted")
	}
	cp.set(t, "2", gatewayHTTPS(t, anyPort, b, certSecret(t, "kubernetes://web", second)))
	eventually(t, "the rotated certificate is served", func() bool {
		got := servedCertificate(listen)
		return got != nil && got.Equal(second.Leaf)
	})
	if _, nacks := c.Counts(); nacks != 0 {
		t.Errorf("%d responses refused: %v", nacks, cp.nackMessages())
	}
}

// A secret whose certificate does not parse is refused (NACK), and the configuration stays.
func TestBadSecretIsRefused(t *testing.T) {
	ca := proxytest.NewMeshCA(t)
	good := ca.Issue(t, "ns/gw/sa/good")
	b := proxytest.NewBackend(t, "web")
	cp := startControlPlane(t, "127.0.0.1:0")
	cp.set(t, "1", gatewayHTTPS(t, anyPort, b, certSecret(t, "kubernetes://web", good)))
	m, c := proxyWithClient(t, cp)
	listen := boundAddr(t, m, "0.0.0.0_443")
	eventually(t, "served", func() bool { got := servedCertificate(listen); return got != nil && got.Equal(good.Leaf) })
	bad := certSecret(t, "kubernetes://web", good)
	bad.GetTlsCertificate().PrivateKey = &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: []byte("not a key")}}
	cp.set(t, "2", gatewayHTTPS(t, anyPort, b, bad))
	eventually(t, "the bad secret is refused", func() bool { _, n := c.Counts(); return n > 0 })
	if got := servedCertificate(listen); got == nil || !got.Equal(good.Leaf) {
		t.Error("the certificate in service was dropped")
	}
}

// FuzzSecret: no SDS secret makes translation panic; one it accepts holds a certificate or roots.
func FuzzSecret(f *testing.F) {
	f.Add([]byte(`{"name":"kubernetes://web","tlsCertificate":{"certificateChain":{"inlineBytes":"eA=="},"privateKey":{"inlineString":"y"}}}`))
	f.Add([]byte(`{"name":"kubernetes://web-cacert","validationContext":{"trustedCa":{"inlineBytes":"eA=="}}}`))
	f.Add([]byte(`{"name":"x","validationContext":{"trustedCa":{"filename":"/etc/passwd"}}}`))
	f.Fuzz(func(t *testing.T, js []byte) {
		sec := &tlsv3.Secret{}
		if protojson.Unmarshal(js, sec) != nil || xdscontract.Check(sec) != nil {
			return
		}
		st := xds.NewState()
		st.Secrets[sec.GetName()] = sec
		cfg, err := st.Translate()
		if err != nil {
			return
		}
		s := cfg.Secrets[sec.GetName()]
		if s == nil || len(s.CertificatePEM)+len(s.KeyPEM)+len(s.TrustedCAPEM) == 0 {
			t.Fatalf("accepted %s as an empty secret %+v", js, s)
		}
		if c, r, err := tlsconf.ParseSecret(s); err == nil && c == nil && r == nil {
			t.Fatal("parsed to nothing")
		}
	})
}
