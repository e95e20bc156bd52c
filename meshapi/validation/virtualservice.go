package validation

import (
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/util/validation"
)

func (v *validator) virtualService(p string, vs *networking.VirtualService) {
	if len(vs.Hosts) == 0 && len(vs.Gateways) > 0 {
		v.errorf(RuleExclusive, p+".hosts", "a VirtualService without hosts is a delegate, and a delegate must not bind to gateways")
	}
	for i, h := range vs.Hosts {
		v.host(idx(p+".hosts", i), h, true)
		if h == "*" && (len(vs.Gateways) == 0 || slices.Contains(vs.Gateways, "mesh")) {
			v.errorf(RuleHost, idx(p+".hosts", i), "the wildcard host \"*\" is not allowed for the mesh gateway")
		}
	}
	for i, g := range vs.Gateways {
		if g == "mesh" {
			continue
		}
		ns, name, found := strings.Cut(g, "/")
		if !found {
			name, ns = ns, ""
		}
		if ns != "" {
			if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
				v.errorf(RuleName, idx(p+".gateways", i), "gateway %q: invalid namespace %q", g, ns)
			}
		}
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			v.errorf(RuleName, idx(p+".gateways", i), "gateway %q: invalid name %q", g, name)
		}
	}
	v.exportTo(p, vs.ExportTo)
	if len(vs.Http) == 0 && len(vs.Tcp) == 0 && len(vs.Tls) == 0 {
		v.errorf(RuleRequired, p, "a VirtualService needs at least one http, tcp or tls route")
	}
	for i, r := range vs.Http {
		v.httpRoute(idx(p+".http", i), r)
	}
	for i, r := range vs.Tls {
		v.tlsRoute(idx(p+".tls", i), r, vs.Hosts)
	}
	for i, r := range vs.Tcp {
		rp := idx(p+".tcp", i)
		for j, m := range r.Match {
			mp := idx(rp+".match", j)
			if m.Port != 0 {
				v.port(mp+".port", m.Port)
			}
			for k, sn := range m.DestinationSubnets {
				v.address(idx(mp+".destinationSubnets", k), sn)
			}
		}
		v.routeDestinations(rp+".route", r.Route)
	}
}

func (v *validator) tlsRoute(p string, r *networking.TLSRoute, hosts []string) {
	if len(r.Match) == 0 {
		v.errorf(RuleRequired, p+".match", "a TLS route needs at least one match")
	}
	for j, m := range r.Match {
		mp := idx(p+".match", j)
		if len(m.SniHosts) == 0 {
			v.errorf(RuleRequired, mp+".sniHosts", "a TLS match needs sniHosts")
		}
		for k, sni := range m.SniHosts {
			v.host(idx(mp+".sniHosts", k), sni, false)
			if !sniCovered(sni, hosts) {
				v.errorf(RuleHost, idx(mp+".sniHosts", k), "SNI host %q is not among the VirtualService's hosts", sni)
			}
		}
		if m.Port != 0 {
			v.port(mp+".port", m.Port)
		}
	}
	v.routeDestinations(p+".route", r.Route)
}

func sniCovered(sni string, hosts []string) bool {
	for _, h := range hosts {
		if h == "*" || h == sni || strings.HasPrefix(h, "*.") && strings.HasSuffix(sni, h[1:]) {
			return true
		}
	}
	return len(hosts) == 0
}

// routeDestinations checks the destinations of a TCP or TLS route, which needs at least one.
func (v *validator) routeDestinations(p string, route []*networking.RouteDestination) {
	if len(route) == 0 {
		v.errorf(RuleRequired, p, "a route needs at least one destination")
	}
	weightedDestinations(v, p, route)
}

// weightedDestination is a destination of a TCP, TLS (*RouteDestination) or HTTP route.
type weightedDestination interface {
	GetDestination() *networking.Destination
	GetWeight() int32
}

func weightedDestinations[D weightedDestination](v *validator, p string, route []D) {
	total := int32(0)
	for i, d := range route {
		v.destination(idx(p, i)+".destination", d.GetDestination())
		if w := d.GetWeight(); w < 0 {
			v.errorf(RuleWeight, idx(p, i)+".weight", "weight %d must not be negative", w)
		}
		total += d.GetWeight()
	}
	if n := len(route); n > 1 && total != 100 && total > 0 {
		v.warnf(RuleWeight, p, "total weight %d is not 100; weights are taken as proportions", total)
	} else if n > 1 && total == 0 {
		v.warnf(RuleWeight, p, "no destination has a weight; traffic goes to the first destination only")
	}
}

func (v *validator) destination(p string, d *networking.Destination) {
	if d == nil {
		v.errorf(RuleRequired, p, "destination is required")
		return
	}
	if d.Host == "" {
		v.errorf(RuleRequired, p+".host", "destination host is required")
	} else {
		v.host(p+".host", d.Host, true)
		if strings.Contains(d.Host, "*") {
			v.errorf(RuleHost, p+".host", "a destination host cannot be a wildcard")
		}
	}
	if d.Subset != "" {
		if errs := validation.IsDNS1123Label(d.Subset); len(errs) > 0 {
			v.errorf(RuleName, p+".subset", "subset %q is not a valid name: %s", d.Subset, errs[0])
		}
	}
	if d.Port != nil {
		v.port(p+".port.number", d.Port.Number)
	}
}

func (v *validator) httpRoute(p string, r *networking.HTTPRoute) {
	kinds := 0
	for _, set := range []bool{len(r.Route) > 0, r.Redirect != nil, r.DirectResponse != nil, r.Delegate != nil} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds == 0:
		v.errorf(RuleRequired, p, "an HTTP route needs one of route, redirect, directResponse or delegate")
	case kinds > 1:
		v.errorf(RuleExclusive, p, "route, redirect, directResponse and delegate exclude each other")
	}
	if r.Delegate != nil && r.Delegate.Name == "" {
		v.errorf(RuleRequired, p+".delegate.name", "delegate name is required")
	}
	for i, m := range r.Match {
		v.httpMatch(idx(p+".match", i), m)
	}
	weightedDestinations(v, p+".route", r.Route) // an HTTP route may have none: it redirects, responds or delegates
	v.duration(p+".timeout", r.Timeout)
	if r.Retries != nil {
		if r.Retries.Attempts < 0 {
			v.errorf(RuleRange, p+".retries.attempts", "attempts %d must not be negative", r.Retries.Attempts)
		}
		v.duration(p+".retries.perTryTimeout", r.Retries.PerTryTimeout)
		if r.Timeout != nil && r.Retries.PerTryTimeout != nil && r.Retries.PerTryTimeout.AsDuration() > r.Timeout.AsDuration() {
			v.warnf(RuleDuration, p+".retries.perTryTimeout", "perTryTimeout %s is longer than the route's timeout %s", r.Retries.PerTryTimeout.AsDuration(), r.Timeout.AsDuration())
		}
	}
	if r.Fault != nil {
		v.fault(p+".fault", r.Fault)
	}
	if r.MirrorPercentage != nil {
		v.percent(p+".mirrorPercentage.value", r.MirrorPercentage.Value)
	}
	if r.Mirror != nil {
		v.destination(p+".mirror", r.Mirror)
		if len(r.Mirrors) > 0 {
			v.errorf(RuleExclusive, p+".mirrors", "mirror and mirrors exclude each other")
		}
	}
	if rw := r.Rewrite; rw != nil {
		if rw.Uri != "" && rw.UriRegexRewrite != nil {
			v.errorf(RuleExclusive, p+".rewrite", "uri and uriRegexRewrite exclude each other")
		}
		if rr := rw.UriRegexRewrite; rr != nil {
			v.regex(p+".rewrite.uriRegexRewrite.match", rr.Match)
		}
	}
	if rd := r.Redirect; rd != nil {
		if rs := rd.RedirectCode; rs != 0 && (rs < 300 || rs > 399) {
			v.errorf(RuleRange, p+".redirect.redirectCode", "redirect code %d is not a 3xx status", rs)
		}
	}
	if dr := r.DirectResponse; dr != nil && (dr.Status < 200 || dr.Status > 599) {
		v.errorf(RuleRange, p+".directResponse.status", "HTTP status %d is out of range 200-599", dr.Status)
	}
	if cp := r.CorsPolicy; cp != nil {
		for i, o := range cp.AllowOrigins {
			v.stringMatch(idx(p+".corsPolicy.allowOrigins", i), o)
		}
	}
}

func (v *validator) httpMatch(mp string, m *networking.HTTPMatchRequest) {
	for name, sm := range map[string]*networking.StringMatch{"uri": m.Uri, "scheme": m.Scheme, "method": m.Method, "authority": m.Authority} {
		v.stringMatch(mp+"."+name, sm)
	}
	for _, field := range []struct {
		name string
		m    map[string]*networking.StringMatch
	}{{"headers", m.Headers}, {"queryParams", m.QueryParams}, {"withoutHeaders", m.WithoutHeaders}} {
		for k, sm := range field.m {
			fp := key(mp+"."+field.name, k)
			if k == "" {
				v.errorf(RuleName, fp, "header name must not be empty")
			}
			if field.name != "queryParams" && k != strings.ToLower(k) {
				v.warnf(RuleName, fp, "header %q: header names are matched in lower case; %q never matches", k, k)
			}
			v.stringMatch(fp, sm)
		}
	}
	if m.Port != 0 {
		v.port(mp+".port", m.Port)
	}
	v.labels(mp, ".sourceLabels", m.SourceLabels)
}

func (v *validator) fault(p string, f *networking.HTTPFaultInjection) {
	if f.Delay == nil && f.Abort == nil {
		v.errorf(RuleRequired, p, "a fault needs delay or abort")
	}
	if d := f.Delay; d != nil {
		if d.Percentage != nil {
			v.percent(p+".delay.percentage.value", d.Percentage.Value)
		}
		if d.GetFixedDelay() == nil && d.GetExponentialDelay() == nil {
			v.errorf(RuleRequired, p+".delay", "a delay needs fixedDelay")
		}
		v.duration(p+".delay.fixedDelay", d.GetFixedDelay())
	}
	if a := f.Abort; a != nil {
		if a.Percentage != nil {
			v.percent(p+".abort.percentage.value", a.Percentage.Value)
		}
		if _, ok := a.ErrorType.(*networking.HTTPFaultInjection_Abort_HttpStatus); ok {
			if s := a.GetHttpStatus(); s < 200 || s > 599 {
				v.errorf(RuleRange, p+".abort.httpStatus", "HTTP status %d is out of range 200-599", s)
			}
		}
	}
}

func (v *validator) stringMatch(p string, sm *networking.StringMatch) {
	if sm == nil {
		return
	}
	switch m := sm.MatchType.(type) {
	case *networking.StringMatch_Regex:
		v.regex(p+".regex", m.Regex)
	case nil:
		v.errorf(RuleRequired, p, "a string match needs one of exact, prefix or regex")
	}
}
