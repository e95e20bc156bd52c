package route

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/cluster"
	"github.com/meshctl/meshctl/proxy/ir"
)

// forward is a compiled RouteAction.
type forward struct {
	cfg      *ir.Forward
	subst    string // the regex rewrite's substitution in Go's syntax
	targets  []target
	total    uint32
	split    *cluster.Split
	mirrors  []mirrorTarget
	mirrorer *Mirrorer
}

type target struct {
	name    string
	c       *cluster.Cluster // nil: no such cluster (503, NC)
	weight  uint32
	headers ir.Headers
}

type mirrorTarget struct {
	c          *cluster.Cluster
	name       string
	perMillion uint32
}

func compileForward(f *ir.Forward, opts Options) (*forward, error) {
	fw := &forward{cfg: f, mirrorer: opts.Mirror, split: cluster.NewSplit()}
	if len(f.Clusters) == 0 {
		return nil, fmt.Errorf("forward without a cluster")
	}
	for _, wc := range f.Clusters {
		fw.targets = append(fw.targets, target{name: wc.Name, c: opts.Clusters[wc.Name], weight: wc.Weight, headers: wc.Headers})
		fw.total += wc.Weight
	}
	if len(fw.targets) > 1 && fw.total == 0 {
		return nil, fmt.Errorf("weighted clusters whose weights are all 0")
	}
	for _, m := range f.Mirrors {
		fw.mirrors = append(fw.mirrors, mirrorTarget{c: opts.Clusters[m.Cluster], name: m.Cluster, perMillion: m.PerMillion})
	}
	if f.RegexRewrite != nil {
		if f.RegexRewrite.Pattern == nil {
			return nil, fmt.Errorf("regex rewrite without a pattern")
		}
		fw.subst = goSubstitution(f.RegexRewrite.Substitution)
	}
	return fw, nil
}

func (f *forward) pick() *target {
	return cluster.PickWeighted(f.split, f.targets, f.total, func(t *target) uint32 { return t.weight })
}

func (f *forward) serve(w http.ResponseWriter, r *http.Request, info *accesslog.Info, conn *Conn, rt *compiled) {
	t := f.pick()
	info.Cluster = t.name
	if t.c == nil {
		localReply(w, r, info, http.StatusServiceUnavailable, accesslog.NoClusterFound, "cluster_not_found", "")
		return
	}
	upgrade := isUpgrade(r)
	if !rt.headers.Request.Empty() {
		rt.headers.Request.Apply(r.Header)
	}
	if !t.headers.Request.Empty() {
		t.headers.Request.Apply(r.Header)
	}
	f.rewrite(r, info, &rt.match)
	removeHopHeaders(r.Header, upgrade)
	if conn.UseRemoteAddress {
		appendForwardedFor(r.Header, conn.RemoteIP)
	}

	ctx := r.Context()
	if f.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.cfg.Timeout)
		defer cancel()
	}
	var hashTarget cluster.Target
	if len(f.cfg.HashPolicies) > 0 {
		hashTarget.Hash, hashTarget.HasHash = requestHash(f.cfg.HashPolicies, w, r, conn)
	}
	if len(f.mirrors) > 0 {
		f.mirror(r, conn)
	}

	ex := exchange{f: f, c: t.c, r: r, ctx: ctx, conn: conn, info: info, target: hashTarget}
	resp := ex.run()
	if resp == nil {
		ex.fail(w)
		return
	}
	defer ex.finish(resp)
	info.Details = "via_upstream"
	if resp.StatusCode == http.StatusSwitchingProtocols && upgrade {
		handleUpgrade(w, r, resp, info)
		return
	}
	copyResponse(w, resp, info, rt.headers.Response, t.headers.Response)
}

// rewrite applies the route's path and authority rewrites, keeping the original path for the access
// log and the upstream (x-envoy-original-path), as Envoy does.
func (f *forward) rewrite(r *http.Request, info *accesslog.Info, m *ir.RouteMatch) {
	cfg := f.cfg
	if cfg.HasPrefixRewrite || cfg.RegexRewrite != nil {
		orig := r.URL.Path
		var p string
		if cfg.RegexRewrite != nil {
			p = cfg.RegexRewrite.Pattern.ReplaceAllString(orig, f.subst)
		} else {
			p = prefixRewrite(orig, m, cfg.PrefixRewrite)
		}
		if p != orig {
			r.Header.Set("X-Envoy-Original-Path", r.URL.RequestURI())
			info.OriginalPath = r.URL.RequestURI()
			r.URL.Path, r.URL.RawPath = p, ""
		}
	}
	if cfg.HostRewrite != "" {
		r.Host = cfg.HostRewrite
	}
}

// goSubstitution turns Envoy's substitution syntax (\1 for a group) into Go's (${1}), escaping the
// dollars Go would read as groups.
func goSubstitution(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			b.WriteString("${" + s[i+1:i+2] + "}")
			i++
		case c == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// prefixRewrite replaces the part of the path the route's prefix (or exact path) matched.
func prefixRewrite(path string, m *ir.RouteMatch, to string) string {
	n := len(m.Path)
	if m.PathKind != ir.PathPrefix || n > len(path) {
		n = len(path)
	}
	return to + path[n:]
}

// hop-by-hop headers a proxy must not forward (RFC 9110 7.6.1).
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Trailer"}

func isUpgrade(r *http.Request) bool {
	if r.ProtoMajor != 1 {
		return false
	}
	if _, ok := r.Header["Upgrade"]; !ok {
		return false
	}
	for _, v := range r.Header["Connection"] {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

// removeHopHeaders drops hop-by-hop headers, and those the Connection header names; an upgrade keeps
// its Upgrade and Connection: Upgrade. "te: trailers" stays: gRPC needs it.
func removeHopHeaders(h http.Header, upgrade bool) {
	if cs, ok := h["Connection"]; ok {
		for _, v := range cs {
			for _, tok := range strings.Split(v, ",") {
				if tok = strings.TrimSpace(tok); tok != "" && !(upgrade && strings.EqualFold(tok, "upgrade")) {
					h.Del(tok)
				}
			}
		}
	}
	for _, k := range hopHeaders {
		if _, ok := h[k]; ok && !(upgrade && k == "Upgrade") {
			delete(h, k)
		}
	}
	if upgrade {
		h["Connection"] = []string{"Upgrade"}
	}
	if te, ok := h["Te"]; ok && !(len(te) == 1 && strings.EqualFold(te[0], "trailers")) {
		delete(h, "Te")
	}
}

func appendForwardedFor(h http.Header, ip string) {
	if ip == "" {
		return
	}
	if prior := h["X-Forwarded-For"]; len(prior) > 0 {
		h["X-Forwarded-For"] = []string{strings.Join(prior, ", ") + ", " + ip}
	} else {
		h["X-Forwarded-For"] = []string{ip}
	}
	if _, ok := h["X-Forwarded-Proto"]; !ok {
		h["X-Forwarded-Proto"] = []string{"http"}
	}
}

// outgoing is the upstream request for one attempt: the downstream request, its header map shared
// (the proxy owns it), its URL pointing at the endpoint.
func outgoing(ctx context.Context, r *http.Request, addr string) *http.Request {
	o := new(outRequest) // the request and its URL in one allocation
	if ctx == r.Context() {
		o.req = *r // no timeout of its own: the copy keeps the downstream's context
	} else {
		o.req = *r.WithContext(ctx)
	}
	out := &o.req
	o.url = *r.URL
	o.url.Scheme, o.url.Host = "http", addr
	out.URL = &o.url
	out.RequestURI = ""
	out.Close = false
	return out
}

type outRequest struct {
	req http.Request
	url url.URL
}
