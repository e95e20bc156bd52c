package route_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/proxytest"
)

// serve runs a proxy with one listener "l" whose route table has the virtual hosts.
func serve(t *testing.T, vhosts []*ir.VirtualHost, clusters ...*ir.Cluster) *proxytest.Proxy {
	t.Helper()
	rc := &ir.RouteConfig{Name: "r", VirtualHosts: vhosts}
	return proxytest.Start(t, &ir.Config{
		Clusters:  proxytest.Clusters(clusters...),
		Listeners: []*ir.Listener{proxytest.HTTPListener("l", rc)},
	}, listener.Options{})
}

// serveRoutes: one virtual host for every domain.
func serveRoutes(t *testing.T, routes []*ir.Route, clusters ...*ir.Cluster) *proxytest.Proxy {
	t.Helper()
	return serve(t, []*ir.VirtualHost{{Name: "all", Domains: []string{"*"}, Routes: routes}}, clusters...)
}

func prefix(p string) ir.RouteMatch { return ir.RouteMatch{PathKind: ir.PathPrefix, Path: p} }

func forward(clusters ...string) *ir.Forward {
	f := &ir.Forward{}
	for _, c := range clusters {
		f.Clusters = append(f.Clusters, ir.WeightedCluster{Name: c, Weight: 1})
	}
	return f
}

func route(name string, m ir.RouteMatch, f *ir.Forward) *ir.Route {
	return &ir.Route{Name: name, Match: m, Forward: f}
}

func exact(v string) ir.StringMatch { return ir.StringMatch{Kind: ir.StringExact, Value: v} }

func regex(v string) ir.StringMatch {
	return ir.StringMatch{Kind: ir.StringRegex, Value: v, Regex: regexp.MustCompile("^(?:" + v + ")$")}
}

// flagsOf reads %RESPONSE_FLAGS% (the 6th field) of an access log line.
func flagsOf(t *testing.T, line string) accesslog.Flags {
	t.Helper()
	fields := strings.Fields(line)
	if len(fields) < 7 {
		t.Fatalf("short access log line %q", line)
	}
	return accesslog.ParseFlags(fields[5])
}

// lastLine waits for the nth access log line and returns it.
func lastLine(t *testing.T, p *proxytest.Proxy, n int) string {
	t.Helper()
	lines := p.WaitLog(t, n)
	return lines[n-1]
}
