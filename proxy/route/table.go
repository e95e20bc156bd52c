package route

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/cluster"
	"github.com/meshctl/meshctl/proxy/ir"
)

// Table is a compiled route configuration: an http.Handler.
type Table struct {
	name  string
	hosts hosts
}

type vhost struct {
	name       string
	routes     []*compiled
	requireTLS bool
}

// compiled is one route with everything it refers to resolved.
type compiled struct {
	name     string
	match    ir.RouteMatch
	forward  *forward
	redirect *ir.Redirect
	direct   *ir.DirectResponse
	headers  ir.Headers
	fault    *ir.Fault
	cors     *cors
}

// Options are what compiled routes need from the proxy.
type Options struct {
	// Clusters by name, as the cluster manager runs them.
	Clusters map[string]*cluster.Cluster
	// Mirror sends mirrored requests; nil drops them.
	Mirror *Mirrorer
	Log    *slog.Logger
}

// Compile turns a route configuration into a Table. A route naming a cluster that does not exist
// compiles (its requests get 503 with flag NC, as Envoy answers them) so that one missing cluster
// does not take the table down.
func Compile(rc *ir.RouteConfig, opts Options) (*Table, error) {
	t := &Table{name: rc.Name, hosts: hosts{exact: map[string]*vhost{}}}
	for _, v := range rc.VirtualHosts {
		vh := &vhost{name: v.Name, requireTLS: v.RequireTLS}
		for _, r := range v.Routes {
			c, err := compileRoute(r, opts)
			if err != nil {
				return nil, fmt.Errorf("route config %s: virtual host %s: route %q: %w", rc.Name, v.Name, r.Name, err)
			}
			vh.routes = append(vh.routes, c)
		}
		for _, d := range v.Domains {
			d = strings.ToLower(d)
			switch {
			case d == "*":
				t.hosts.any = vh
			case strings.HasPrefix(d, "*"):
				t.hosts.suffixes = append(t.hosts.suffixes, wildcard{d[1:], vh})
			case strings.HasSuffix(d, "*"):
				t.hosts.prefixes = append(t.hosts.prefixes, wildcard{d[:len(d)-1], vh})
			default:
				if _, dup := t.hosts.exact[d]; dup {
					return nil, fmt.Errorf("route config %s: domain %q is in two virtual hosts", rc.Name, d)
				}
				t.hosts.exact[d] = vh
			}
		}
	}
	longestFirst := func(a, b wildcard) int { return len(b.part) - len(a.part) }
	slices.SortStableFunc(t.hosts.suffixes, longestFirst)
	slices.SortStableFunc(t.hosts.prefixes, longestFirst)
	return t, nil
}

func compileRoute(r *ir.Route, opts Options) (*compiled, error) {
	c := &compiled{name: r.Name, match: r.Match, redirect: r.Redirect, direct: r.Direct, headers: r.Headers, fault: r.Fault}
	// Header names in their canonical form once, not per request (matching reads the map directly).
	c.match.Headers = make([]ir.HeaderMatch, len(r.Match.Headers))
	for i, h := range r.Match.Headers {
		if !strings.HasPrefix(h.Name, ":") && h.Name != "host" {
			h.Name = http.CanonicalHeaderKey(h.Name)
		}
		c.match.Headers[i] = h
	}
	n := 0
	for _, set := range []bool{r.Forward != nil, r.Redirect != nil, r.Direct != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("needs exactly one of forward, redirect, direct response (has %d)", n)
	}
	if r.Match.PathKind == ir.PathRegex && r.Match.PathRegex == nil {
		return nil, fmt.Errorf("regex path match without a regex")
	}
	if r.CORS != nil {
		c.cors = &cors{r.CORS}
	}
	if r.Forward != nil {
		f, err := compileForward(r.Forward, opts)
		if err != nil {
			return nil, err
		}
		c.forward = f
	}
	return c, nil
}

// Name is the route configuration's name.
func (t *Table) Name() string { return t.name }

// ServeHTTP routes a request without a connection or an access log: for tests and embedding.
func (t *Table) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := accesslog.New()
	defer accesslog.Release(info)
	t.Serve(w, r, info, &Conn{})
}

// Serve routes one request that came on conn, recording what happens in info.
func (t *Table) Serve(w http.ResponseWriter, r *http.Request, info *accesslog.Info, conn *Conn) {
	vh := t.hosts.find(r.Host)
	if vh == nil {
		localReply(w, r, info, http.StatusNotFound, accesslog.NoRouteFound, "route_not_found", "")
		return
	}
	if vh.requireTLS && r.TLS == nil {
		u := *r.URL
		u.Scheme, u.Host = "https", r.Host
		redirectTo(w, r, info, u.String(), http.StatusMovedPermanently)
		return
	}
	if p := normalizePath(r.URL.Path); p != r.URL.Path {
		r.URL.Path, r.URL.RawPath = p, ""
	}
	for _, rt := range vh.routes {
		if matches(&rt.match, r, r.URL.Path) {
			info.RouteName = rt.name
			rt.serve(w, r, info, conn)
			return
		}
	}
	localReply(w, r, info, http.StatusNotFound, accesslog.NoRouteFound, "route_not_found", "")
}

func (rt *compiled) serve(w http.ResponseWriter, r *http.Request, info *accesslog.Info, conn *Conn) {
	if rt.cors != nil && rt.cors.handle(w, r, info) {
		return
	}
	if rt.fault != nil && faulted(rt.fault, w, r, info) {
		return
	}
	switch {
	case rt.direct != nil:
		rt.headers.Response.Apply(w.Header())
		info.Details = "direct_response"
		writeLocal(w, info, rt.direct.Status, rt.direct.Body)
	case rt.redirect != nil:
		rt.headers.Response.Apply(w.Header())
		redirectTo(w, r, info, redirectURL(rt.redirect, r), rt.redirect.Code)
	default:
		rt.forward.serve(w, r, info, conn, rt)
	}
}

// chance is true for the given share of calls, in millionths.
func chance(perMillion uint32) bool {
	return perMillion >= 1_000_000 || (perMillion > 0 && rand.Uint32N(1_000_000) < perMillion)
}
