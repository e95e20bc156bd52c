package route_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/proxytest"
)

func TestVirtualHostByAuthority(t *testing.T) {
	b := map[string]*proxytest.Backend{}
	var clusters []*ir.Cluster
	for _, n := range []string{"exact", "wild", "longer", "prefix", "any"} {
		b[n] = proxytest.NewBackend(t, n)
		clusters = append(clusters, proxytest.Cluster(n, b[n]))
	}
	vh := func(name string, domains ...string) *ir.VirtualHost {
		return &ir.VirtualHost{Name: name, Domains: domains, Routes: []*ir.Route{route(name, prefix("/"), forward(name))}}
	}
	p := serve(t, []*ir.VirtualHost{
		vh("exact", "reviews.default.svc.cluster.local", "reviews", "10.0.0.1"),
		vh("wild", "*.example.com"),
		vh("longer", "*.api.example.com"),
		vh("prefix", "catalog.*"),
		vh("any", "*"),
	}, clusters...)
	cases := []struct{ host, want string }{
		{"reviews.default.svc.cluster.local", "exact"},
		{"reviews:9080", "exact"}, // the port is stripped
		{"REVIEWS", "exact"},      // domains are case-insensitive
		{"10.0.0.1:80", "exact"},
		{"www.example.com", "wild"},
		{"v1.api.example.com", "longer"}, // the longest wildcard wins
		{"example.com", "any"},           // "*.example.com" needs a label before it
		{"catalog.shop", "prefix"},
		{"other", "any"},
	}
	for _, c := range cases {
		if got := p.Get(t, "l", c.host, "/").Header.Get(proxytest.HeaderBackend); got != c.want {
			t.Errorf("Host %s: virtual host %q, want %q", c.host, got, c.want)
		}
	}
}

func TestNoVirtualHostOrRouteIs404NR(t *testing.T) {
	b := proxytest.NewBackend(t, "b")
	p := serve(t, []*ir.VirtualHost{{Name: "only", Domains: []string{"only"},
		Routes: []*ir.Route{route("api", prefix("/api"), forward("b"))}}}, proxytest.Cluster("b", b))
	for i, req := range [][2]string{{"other", "/api"}, {"only", "/web"}} {
		if r := p.Get(t, "l", req[0], req[1]); r.Status != http.StatusNotFound {
			t.Errorf("%v: status %d, want 404", req, r.Status)
		}
		if f := flagsOf(t, lastLine(t, p, i+1)); f != accesslog.NoRouteFound {
			t.Errorf("%v: flags %v, want NR", req, f)
		}
	}
	if n := b.Requests.Load(); n != 0 {
		t.Errorf("the backend got %d requests", n)
	}
}

func TestRouteMatches(t *testing.T) {
	names := []string{"exact", "prefix-ci", "regex", "header", "header-regex", "header-present", "header-invert", "query", "method", "fallback"}
	var clusters []*ir.Cluster
	for _, n := range names {
		clusters = append(clusters, proxytest.Cluster(n, proxytest.NewBackend(t, n)))
	}
	routes := []*ir.Route{
		route("exact", ir.RouteMatch{PathKind: ir.PathExact, Path: "/test.html"}, forward("exact")),
		route("prefix-ci", ir.RouteMatch{PathKind: ir.PathPrefix, Path: "/CaSe", CaseInsensitive: true}, forward("prefix-ci")),
		route("regex", ir.RouteMatch{PathKind: ir.PathRegex, PathRegex: regexp.MustCompile(`^/items/[0-9]+$`)}, forward("regex")),
		route("header", ir.RouteMatch{PathKind: ir.PathPrefix, Path: "/", Headers: []ir.HeaderMatch{{Name: "end-user", Value: exact("jason")}}}, forward("header")),
		route("header-regex", ir.RouteMatch{PathKind: ir.PathPrefix, Path: "/", Headers: []ir.HeaderMatch{{Name: "test", Value: regex("tru.")}}}, forward("header-regex")),
		route("header-present", ir.RouteMatch{PathKind: ir.PathPrefix, Path: "/", Headers: []ir.HeaderMatch{{Name: "x-canary", Present: true}}}, forward("header-present")),
		route("header-invert", ir.RouteMatch{PathKind: ir.PathPrefix, Path: "/inv", Headers: []ir.HeaderMatch{{Name: "x-env", Value: exact("prod"), Invert: true}}}, forward("header-invert")),
		route("query", ir.RouteMatch{PathKind: ir.PathPrefix, Path: "/", Query: []ir.QueryMatch{{Name: "v", Value: exact("2 x")}}}, forward("query")),
		route("method", ir.RouteMatch{PathKind: ir.PathPrefix, Path: "/", Headers: []ir.HeaderMatch{{Name: ":method", Value: exact("DELETE")}}}, forward("method")),
		route("fallback", prefix("/"), forward("fallback")),
	}
	p := serveRoutes(t, routes, clusters...)
	cases := []struct {
		method, path string
		headers      []string
		want         string
	}{
		{"GET", "/test.html", nil, "exact"},
		{"GET", "/test.html/more", nil, "fallback"}, // exact is exact
		{"GET", "/case/x", nil, "prefix-ci"},
		{"GET", "/items/42", nil, "regex"},
		{"GET", "/items/42x", nil, "fallback"}, // the regex matches the whole path
		{"GET", "/", []string{"end-user", "jason"}, "header"},
		{"GET", "/", []string{"end-user", "json"}, "fallback"},
		{"GET", "/", []string{"test", "true"}, "header-regex"},
		{"GET", "/", []string{"x-canary", ""}, "header-present"},
		{"GET", "/inv", []string{"x-env", "dev"}, "header-invert"},
		{"GET", "/inv", nil, "header-invert"}, // a missing header satisfies an inverted match
		{"GET", "/inv", []string{"x-env", "prod"}, "fallback"},
		{"GET", "/?a=1&v=2+x", nil, "query"},
		{"GET", "/?v=3", nil, "fallback"},
		{"DELETE", "/", nil, "method"},
		{"GET", "/x/../test.html", nil, "exact"}, // the path is normalized before matching
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, "http://x"+c.path, nil)
		for i := 0; i+1 < len(c.headers); i += 2 {
			req.Header.Set(c.headers[i], c.headers[i+1])
		}
		if got := p.Do(t, "l", req).Header.Get(proxytest.HeaderBackend); got != c.want {
			t.Errorf("%s %s %v: route %q, want %q", c.method, c.path, c.headers, got, c.want)
		}
	}
}

// TestWeightedClusters: the seeds' nginx case, 30/70 by weight; 100 requests land within 2 of
// the weights (the end-to-end test allows 8).
func TestWeightedClusters(t *testing.T) {
	v1, v2 := proxytest.NewBackend(t, "v1"), proxytest.NewBackend(t, "v2")
	f := &ir.Forward{Clusters: []ir.WeightedCluster{{Name: "v1", Weight: 30}, {Name: "v2", Weight: 70}}}
	p := serveRoutes(t, []*ir.Route{route("split", prefix("/"), f)}, proxytest.Cluster("v1", v1), proxytest.Cluster("v2", v2))
	const n = 100
	for i := 0; i < n; i++ {
		p.Get(t, "l", "nginx", "/")
	}
	if got := v2.Requests.Load(); got < 68 || got > 72 {
		t.Errorf("v2 got %d of %d requests, want 70±2", got, n)
	}
	if v1.Requests.Load()+v2.Requests.Load() != n {
		t.Errorf("requests lost: %d + %d", v1.Requests.Load(), v2.Requests.Load())
	}
}
