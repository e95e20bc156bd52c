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
