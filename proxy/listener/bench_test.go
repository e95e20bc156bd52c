package listener_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/proxytest"
)

// BenchmarkProxyHTTP is the hot path end to end over loopback: a keep-alive client, the proxy
// (listener, route table, cluster, upstream pool) and a backend; allocs/op are the proxy's and the
// two net/http ends'.
func BenchmarkProxyHTTP(b *testing.B) {
	backend := proxytest.NewBackend(b, "b")
	backend.Handle = func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }
	p := proxytest.Start(b, &ir.Config{
		Clusters:  proxytest.Clusters(proxytest.Cluster("b", backend)),
		Listeners: []*ir.Listener{proxytest.HTTPListener("l", proxytest.Routes("r", proxytest.To("b")))},
	}, listener.Options{})
	url := p.URL(b, "l") + "/bench"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// BenchmarkSniffedConnection is a new connection per request to a port of unknown protocol: the
// proxy sniffs the request line before it picks the HTTP chain (Istio's outbound sniffing).
func BenchmarkSniffedConnection(b *testing.B) {
	backend := proxytest.NewBackend(b, "b")
	backend.Handle = func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }
	l := proxytest.HTTPListener("l", proxytest.Routes("r", proxytest.To("b")))
	l.InspectHTTP = true
	l.Chains[0].Match.ApplicationProtocols = []string{ir.ProtocolHTTP1, ir.ProtocolH2C}
	p := proxytest.Start(b, &ir.Config{
		Clusters: proxytest.Clusters(proxytest.Cluster("b", backend)), Listeners: []*ir.Listener{l},
	}, listener.Options{})
	url := p.URL(b, "l") + "/bench"
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
