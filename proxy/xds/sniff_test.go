package xds

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/meshctl/meshctl/proxy/ir"
	proxylistener "github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/proxytest"
	"github.com/meshctl/meshctl/xdscontract"
)

// sniffedListener is what meshd sends for a port of unknown protocol, as Istio does: the HTTP
// inspector, an HTTP chain for the sniffed HTTP protocols and a TCP chain for the rest.
const sniffedListener = `{
  "name": "sniffed", "address": {"socketAddress": {"address": "127.0.0.1", "portValue": 0}},
  "listenerFilters": [{"name": "envoy.filters.listener.http_inspector",
    "typedConfig": {"@type": "type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector"}}],
  "filterChains": [
    {"name": "http", "filterChainMatch": {"applicationProtocols": ["http/1.1", "h2c"]},
     "filters": [{"name": "envoy.filters.network.http_connection_manager",
       "typedConfig": {"@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
         "statPrefix": "outbound_0.0.0.0_7000",
         "routeConfig": {"name": "7000", "virtualHosts": [{"name": "svc:7000", "domains": ["*"],
           "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "http"}}]}]},
         "httpFilters": [{"name": "envoy.filters.http.router",
           "typedConfig": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}]}}]},
    {"name": "tcp",
     "filters": [{"name": "envoy.filters.network.tcp_proxy",
       "typedConfig": {"@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
         "statPrefix": "tcp", "cluster": "tcp"}}]}]
}`

// TestSniffedPortServesHTTPAndTCP: one port of unknown protocol, configured over xDS, takes HTTP to
// the HTTP chain's routes and anything else to the TCP proxy.
func TestSniffedPortServesHTTPAndTCP(t *testing.T) {
	var l listenerv3.Listener
	if err := protojson.Unmarshal([]byte(sniffedListener), &l); err != nil {
		t.Fatal(err)
	}
	if err := xdscontract.Check(&l); err != nil {
		t.Fatalf("the contract refuses it: %v", err)
	}
	il, err := listener(&l)
	if err != nil {
		t.Fatal(err)
	}
	if !il.InspectHTTP || len(il.Chains) != 2 || strings.Join(il.Chains[0].Match.ApplicationProtocols, ",") != "http/1.1,h2c" {
		t.Fatalf("translated listener: inspect HTTP %v, chains %d", il.InspectHTTP, len(il.Chains))
	}
	b := proxytest.NewBackend(t, "http")
	echo := tcpEcho(t)
	// The HTTP cluster as meshd sends it for a sniffed port: the client's protocol upstream.
	var xc clusterv3.Cluster
	if err := protojson.Unmarshal([]byte(`{"name": "http", "type": "STATIC",
	  "loadAssignment": {"clusterName": "http", "endpoints": [{"lbEndpoints": [{"endpoint": {"address": {"socketAddress": {"address": "127.0.0.1", "portValue": `+
		strings.Split(b.Addr(), ":")[1]+`}}}}]}]},
	  "typedExtensionProtocolOptions": {"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
	    "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
	    "useDownstreamProtocolConfig": {"httpProtocolOptions": {}, "http2ProtocolOptions": {}}}}}`), &xc); err != nil {
		t.Fatal(err)
	}
	if err := xdscontract.Check(&xc); err != nil {
		t.Fatalf("the contract refuses the cluster: %v", err)
	}
	hc, err := cluster(&xc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !hc.DownstreamProtocol || hc.HTTP2 {
		t.Fatalf("use_downstream_protocol_config: %+v", hc)
	}
	p := proxytest.Start(t, &ir.Config{
		Clusters:  proxytest.Clusters(hc, &ir.Cluster{Name: "tcp", Type: ir.ClusterStatic, Endpoints: []ir.Endpoint{{Address: echo}}}),
		Listeners: []*ir.Listener{il},
	}, proxylistener.Options{SniffTimeout: 5 * time.Second}) // every client here speaks first: the timeout only guards a stalled one

	if r := p.Get(t, "sniffed", "svc", "/"); r.Status != 200 || r.Header.Get(proxytest.HeaderBackend) != "http" || r.Header.Get(proxytest.HeaderProto) != "HTTP/1.1" {
		t.Errorf("HTTP/1.1 on the sniffed port: %d from %q over %q", r.Status, r.Header.Get(proxytest.HeaderBackend), r.Header.Get(proxytest.HeaderProto))
	}
	// h2c is sniffed as HTTP and goes upstream as HTTP/2 (gRPC on an unnamed port works).
	protos := new(http.Protocols)
	protos.SetUnencryptedHTTP2(true)
	h2c := &http.Client{Transport: &http.Transport{Protocols: protos}, Timeout: 10 * time.Second}
	resp, err := h2c.Get("http://" + p.Addr(t, "sniffed") + "/h2c")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" || resp.Header.Get(proxytest.HeaderProto) != "HTTP/2.0" {
		t.Errorf("h2c on the sniffed port: downstream %s, upstream %q", resp.Proto, resp.Header.Get(proxytest.HeaderProto))
	}
	c, err := net.Dial("tcp", p.Addr(t, "sniffed"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("\x00binary")); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	got, _ := io.ReadAll(c)
	if string(got) != "tcp:\x00binary" {
		t.Errorf("TCP on the sniffed port: %q", got)
	}
}

// TestApplicationProtocolsNeedAnInspector: chains matching on a protocol nothing sniffs are refused.
func TestApplicationProtocolsNeedAnInspector(t *testing.T) {
	var l listenerv3.Listener
	if err := protojson.Unmarshal([]byte(sniffedListener), &l); err != nil {
		t.Fatal(err)
	}
	l.ListenerFilters = nil
	if _, err := listener(&l); err == nil || !strings.Contains(err.Error(), "filter_chains[0].filter_chain_match.application_protocols") {
		t.Errorf("got %v", err)
	}
}

// tcpEcho answers each connection with "tcp:" and what it read until the half-close.
func tcpEcho(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b, _ := io.ReadAll(c)
				_, _ = c.Write(append([]byte("tcp:"), b...))
			}()
		}
	}()
	return ln.Addr().String()
}
