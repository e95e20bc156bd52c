package xds

import (
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/meshctl/meshctl/xdscontract"
)

const istioMutualUpstream = `{"name":"envoy.transport_sockets.tls","typedConfig":{"@type":"type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
  "commonTlsContext":{"tlsCertificateSdsSecretConfigs":[{"name":"default","sdsConfig":{"ads":{},"resourceApiVersion":"V3"}}],
    "combinedValidationContext":{"defaultValidationContext":{"matchTypedSubjectAltNames":[{"sanType":"URI","matcher":{"exact":"spiffe://cluster.local/ns/default/sa/reviews"}}]},
      "validationContextSdsSecretConfig":{"name":"ROOTCA","sdsConfig":{"ads":{},"resourceApiVersion":"V3"}}},
    "alpnProtocols":["istio-peer-exchange","istio"]},
  "sni":"outbound_.9080_._.reviews.default.svc.cluster.local"}}`

// TestAutoMTLSCluster: transport_socket_matches and the endpoints' tlsMode metadata, as meshd sends
// them for auto mTLS, become the cluster's per-endpoint TLS choice.
func TestAutoMTLSCluster(t *testing.T) {
	c := &clusterv3.Cluster{}
	js := `{"name":"outbound|9080||reviews.default.svc.cluster.local","type":"EDS","edsClusterConfig":{"edsConfig":{"ads":{},"resourceApiVersion":"V3"}},
	  "transportSocketMatches":[{"name":"tlsMode-istio","match":{"tlsMode":"istio"},"transportSocket":` + istioMutualUpstream + `}]}`
	if err := protojson.Unmarshal([]byte(js), c); err != nil {
		t.Fatal(err)
	}
	cla := &endpointv3.ClusterLoadAssignment{}
	if err := protojson.Unmarshal([]byte(`{"clusterName":"outbound|9080||reviews.default.svc.cluster.local","endpoints":[{"lbEndpoints":[
	  {"endpoint":{"address":{"socketAddress":{"address":"10.0.0.1","portValue":9080}}},"metadata":{"filterMetadata":{"envoy.transport_socket_match":{"tlsMode":"istio"}}}},
	  {"endpoint":{"address":{"socketAddress":{"address":"10.0.0.2","portValue":9080}}}}]}]}`), cla); err != nil {
		t.Fatal(err)
	}
	if err := xdscontract.Check(c); err != nil {
		t.Fatal(err)
	}
	if err := xdscontract.Check(cla); err != nil {
		t.Fatal(err)
	}
	got, err := cluster(c, map[string]*endpointv3.ClusterLoadAssignment{c.Name: cla})
	if err != nil {
		t.Fatal(err)
	}
	if got.TLS != nil || len(got.TLSMatches) != 1 || got.Warming != "" {
		t.Fatalf("TLS %+v, matches %+v, warming %q", got.TLS, got.TLSMatches, got.Warming)
	}
	m := got.TLSMatches[0]
	tl := m.TLS
	if m.Match["tlsMode"] != "istio" || tl.CertificateSecret != "default" || tl.ValidationSecret != "ROOTCA" ||
		tl.SNI != "outbound_.9080_._.reviews.default.svc.cluster.local" || strings.Join(tl.ALPN, ",") != "istio-peer-exchange,istio" ||
		len(tl.SubjectAltNames) != 1 || tl.SubjectAltNames[0].Value.Value != "spiffe://cluster.local/ns/default/sa/reviews" {
		t.Errorf("match %+v, TLS %+v", m, tl)
	}
	if len(got.Endpoints) != 2 || got.Endpoints[0].TLSMatch["tlsMode"] != "istio" || got.Endpoints[1].TLSMatch != nil {
		t.Errorf("endpoints %+v", got.Endpoints)
	}
}

// TestInboundTLSChain: a downstream context with the workload certificate terminates TLS; one that
// names a gateway credential the proxy cannot fetch keeps the chain warming; malformed ones are
// refused with the field.
func TestInboundTLSChain(t *testing.T) {
	chain := func(ctx string) *listenerv3.FilterChain {
		fc := &listenerv3.FilterChain{}
		js := `{"name":"0.0.0.0_9080","filterChainMatch":{"destinationPort":9080},
		  "transportSocket":{"name":"envoy.transport_sockets.tls","typedConfig":{"@type":"type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",` + ctx + `}},
		  "filters":[{"name":"envoy.filters.network.tcp_proxy","typedConfig":{"@type":"type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy","statPrefix":"inbound|9080||","cluster":"inbound|9080||"}}]}`
		if err := protojson.Unmarshal([]byte(js), fc); err != nil {
			t.Fatal(err)
		}
		if err := xdscontract.Check(fc); err != nil {
			t.Fatal(err)
		}
		return fc
	}
	got, err := filterChain(chain(`"commonTlsContext":{"tlsCertificateSdsSecretConfigs":[{"name":"default","sdsConfig":{"ads":{}}}],
	  "validationContextSdsSecretConfig":{"name":"ROOTCA","sdsConfig":{"ads":{}}}},"requireClientCertificate":true`), true)
	if err != nil {
		t.Fatal(err)
	}
	if got.TLS == nil || !got.TLS.RequireClientCert || got.TLS.CertificateSecret != "default" || got.TLS.ValidationSecret != "ROOTCA" || got.Warming != "" {
		t.Errorf("TLS %+v, warming %q", got.TLS, got.Warming)
	}
	got, err = filterChain(chain(`"commonTlsContext":{"tlsCertificateSdsSecretConfigs":[{"name":"kubernetes://bookinfo-cred","sdsConfig":{"ads":{}}}]}`), false)
	// A gateway credential is asked of meshd by SDS: the chain names it, and warms in the listener
	// manager until it arrives (tlsconf.Unresolvable), not here.
	if err != nil || got.Warming != "" || got.TLS.CertificateSecret != "kubernetes://bookinfo-cred" {
		t.Errorf("a gateway credential: TLS %+v, warming %q, err %v", got.TLS, got.Warming, err)
	}
	got, err = filterChain(chain(`"commonTlsContext":{"tlsCertificateSdsSecretConfigs":[{"name":"vault://elsewhere","sdsConfig":{"ads":{}}}]}`), false)
	if err != nil || !strings.Contains(got.Warming, "vault://elsewhere") {
		t.Errorf("a secret nobody serves: warming %q, err %v", got.Warming, err)
	}
	// A file the pod does not have: that chain waits, the rest of the configuration is used.
	got, err = filterChain(chain(`"commonTlsContext":{"tlsCertificates":[{"certificateChain":{"filename":"/nonexistent/cert.pem"},"privateKey":{"filename":"/nonexistent/key.pem"}}]}`), false)
	if err != nil || !strings.Contains(got.Warming, "/nonexistent/cert.pem") {
		t.Errorf("a missing file: warming %q, err %v", got.Warming, err)
	}
	for name, ctx := range map[string]string{
		"no certificate":   `"commonTlsContext":{}`,
		"SDS not over ADS": `"commonTlsContext":{"tlsCertificateSdsSecretConfigs":[{"name":"default","sdsConfig":{"path":"/x"}}]}`,
	} {
		fc := &listenerv3.FilterChain{}
		js := `{"name":"c","transportSocket":{"name":"envoy.transport_sockets.tls","typedConfig":{"@type":"type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",` + ctx + `}},
		  "filters":[{"name":"envoy.filters.network.tcp_proxy","typedConfig":{"@type":"type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy","statPrefix":"x","cluster":"x"}}]}`
		if err := protojson.Unmarshal([]byte(js), fc); err != nil {
			t.Fatal(err)
		}
		if _, err := filterChain(fc, true); err == nil || !strings.Contains(err.Error(), "transport_socket") {
			t.Errorf("%s: err %v, want a refusal naming transport_socket", name, err)
		}
	}
}

// FuzzTransportSocket: any transport socket meshd could send is translated or refused, never a panic.
func FuzzTransportSocket(f *testing.F) {
	f.Add([]byte(istioMutualUpstream), true)
	f.Add([]byte(`{"name":"envoy.transport_sockets.tls","typedConfig":{"@type":"type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext","commonTlsContext":{"tlsParams":{"tlsMinimumProtocolVersion":"TLSv1_3"},"tlsCertificates":[{"certificateChain":{"inlineString":"x"},"privateKey":{"inlineString":"y"}}]}}}`), false)
	f.Fuzz(func(t *testing.T, js []byte, upstream bool) {
		ts := &corev3.TransportSocket{}
		if protojson.Unmarshal(js, ts) != nil || xdscontract.Check(ts) != nil {
			return
		}
		out, _, err := transportSocket(ts, upstream)
		if err == nil && out == nil {
			t.Fatal("no error and no settings")
		}
	})
}
