package route

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/meshctl/meshctl/proxy/ir"
)

// BenchmarkRouteLookup is the routing decision alone: the virtual host of the authority among 200,
// then the first matching of 10 routes with header conditions. It must not allocate.
func BenchmarkRouteLookup(b *testing.B) {
	rc := &ir.RouteConfig{Name: "80"}
	for i := 0; i < 200; i++ {
		vh := &ir.VirtualHost{Name: fmt.Sprint(i), Domains: []string{fmt.Sprintf("svc%d", i), fmt.Sprintf("svc%d.default.svc.cluster.local", i)}}
		for j := 0; j < 9; j++ {
			vh.Routes = append(vh.Routes, &ir.Route{Name: fmt.Sprint(j), Forward: &ir.Forward{Clusters: []ir.WeightedCluster{{Name: "c", Weight: 1}}},
				Match: ir.RouteMatch{PathKind: ir.PathPrefix, Path: "/", Headers: []ir.HeaderMatch{{Name: "end-user", Value: ir.StringMatch{Kind: ir.StringExact, Value: fmt.Sprint("user", j)}}}}})
		}
		vh.Routes = append(vh.Routes, &ir.Route{Name: "default", Match: ir.RouteMatch{PathKind: ir.PathPrefix, Path: "/"},
			Forward: &ir.Forward{Clusters: []ir.WeightedCluster{{Name: "c", Weight: 1}}}})
		rc.VirtualHosts = append(rc.VirtualHosts, vh)
	}
	t, err := Compile(rc, Options{})
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://svc150.default.svc.cluster.local:80/reviews/1", nil)
	req.Header.Set("End-User", "jason")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vh := t.hosts.find(req.Host)
		var got *compiled
		for _, rt := range vh.routes {
			if matches(&rt.match, req, normalizePath(req.URL.Path)) {
				got = rt
				break
			}
		}
		if got == nil || got.name != "default" {
			b.Fatal("wrong route")
		}
	}
}
