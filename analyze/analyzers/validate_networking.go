package analyzers

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/util/validation"
)

func (v *validator) virtualService() {
	vs := v.o.Spec.(*networking.VirtualService)
	if len(vs.Hosts) == 0 && len(vs.Gateways) > 0 {
		v.errorf("spec.hosts", "a VirtualService without hosts is a delegate, and a delegate must not bind to gateways")
	}
	for i, h := range vs.Hosts {
		v.host(idx("spec.hosts", i), h, true)
		if h == "*" && (len(vs.Gateways) == 0 || contains(vs.Gateways, "mesh")) {
			v.errorf(idx("spec.hosts", i), "the wildcard host \"*\" is not allowed for the mesh gateway")
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
				v.errorf(idx("spec.gateways", i), "gateway %q: invalid namespace %q", g, ns)
			}
		}
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			v.errorf(idx("spec.gateways", i), "gateway %q: invalid name %q", g, name)
		}
	}
	v.exportTo("spec.exportTo", vs.ExportTo)
	if len(vs.Http) == 0 && len(vs.Tcp) == 0 && len(vs.Tls) == 0 {
		v.errorf("spec", "a VirtualService needs at least one http, tcp or tls route")
	}
	for i, r := range vs.Http {
		v.httpRoute(idx("spec.http", i), r)
	}
	for i, r := range vs.Tls {
		p := idx("spec.tls", i)
		if len(r.Match) == 0 {
			v.errorf(p+".match", "a TLS route needs at least one match")
		}
		for j, m := range r.Match {
			if len(m.SniHosts) == 0 {
				v.errorf(idx(p+".match", j)+".sniHosts", "a TLS match needs sniHosts")
			}
			for k, sni := range m.SniHosts {
				v.host(idx(idx(p+".match", j)+".sniHosts", k), sni, false)
				if !sniCovered(sni, vs.Hosts) {
					v.errorf(idx(idx(p+".match", j)+".sniHosts", k), "SNI host %q is not among the VirtualService's hosts", sni)
				}
			}
			if m.Port != 0 {
				v.port(idx(p+".match", j)+".port", m.Port)
			}
		}
		v.routeDestinations(p+".route", r.Route)
	}
	for i, r := range vs.Tcp {
		p := idx("spec.tcp", i)
		for j, m := range r.Match {
			if m.Port != 0 {
				v.port(idx(p+".match", j)+".port", m.Port)
			}
			for k, sn := range m.DestinationSubnets {
				v.address(idx(idx(p+".match", j)+".destinationSubnets", k), sn)
			}
		}
		v.routeDestinations(p+".route", r.Route)
	}
}

func sniCovered(sni string, hosts []string) bool {
	for _, h := range hosts {
		if h == "*" || h == sni || strings.HasPrefix(h, "*.") && strings.HasSuffix(sni, h[1:]) {
			return true
		}
	}
	return len(hosts) == 0
}

func (v *validator) routeDestinations(p string, route []*networking.RouteDestination) {
	if len(route) == 0 {
		v.errorf(p, "a route needs at least one destination")
	}
	total := int32(0)
	for i, d := range route {
		v.destination(idx(p, i)+".destination", d.Destination)
		if d.Weight < 0 {
			v.errorf(idx(p, i)+".weight", "weight %d must not be negative", d.Weight)
		}
		total += d.Weight
	}
	v.totalWeight(p, len(route), total)
}

func (v *validator) totalWeight(p string, n int, total int32) {
	if n > 1 && total != 100 && total > 0 {
		v.warnf(p, "total weight %d is not 100; weights are taken as proportions", total)
	}
	if n > 1 && total == 0 {
		v.warnf(p, "no destination has a weight; traffic goes to the first destination only")
	}
}

func (v *validator) destination(p string, d *networking.Destination) {
	if d == nil {
		v.errorf(p, "destination is required")
		return
	}
	if d.Host == "" {
		v.errorf(p+".host", "destination host is required")
	} else {
		v.host(p+".host", d.Host, true)
		if strings.Contains(d.Host, "*") {
			v.errorf(p+".host", "a destination host cannot be a wildcard")
		}
	}
	if d.Subset != "" {
		if errs := validation.IsDNS1123Label(d.Subset); len(errs) > 0 {
			v.errorf(p+".subset", "subset %q is not a valid name: %s", d.Subset, errs[0])
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
		v.errorf(p, "an HTTP route needs one of route, redirect, directResponse or delegate")
	case kinds > 1:
		v.errorf(p, "route, redirect, directResponse and delegate exclude each other")
	}
	if r.Delegate != nil && r.Delegate.Name == "" {
		v.errorf(p+".delegate.name", "delegate name is required")
	}
	for i, m := range r.Match {
		mp := idx(p+".match", i)
		for name, sm := range map[string]*networking.StringMatch{"uri": m.Uri, "scheme": m.Scheme, "method": m.Method, "authority": m.Authority} {
			v.stringMatch(mp+"."+name, sm)
		}
		for _, field := range []struct {
			name string
			m    map[string]*networking.StringMatch
		}{{"headers", m.Headers}, {"queryParams", m.QueryParams}, {"withoutHeaders", m.WithoutHeaders}} {
			for k, sm := range field.m {
				fp := mp + "." + field.name + `["` + k + `"]`
				if k == "" {
					v.errorf(fp, "header name must not be empty")
				}
				if field.name != "queryParams" && k != strings.ToLower(k) {
					v.warnf(fp, "header %q: header names are matched in lower case; %q never matches", k, k)
				}
				v.stringMatch(fp, sm)
			}
		}
		if m.Port != 0 {
			v.port(mp+".port", m.Port)
		}
		v.labels(mp+".sourceLabels", m.SourceLabels)
	}
	total := int32(0)
	for i, d := range r.Route {
		dp := idx(p+".route", i)
		v.destination(dp+".destination", d.Destination)
		if d.Weight < 0 {
			v.errorf(dp+".weight", "weight %d must not be negative", d.Weight)
		}
		total += d.Weight
	}
	v.totalWeight(p+".route", len(r.Route), total)
	v.duration(p+".timeout", r.Timeout)
	if r.Retries != nil {
		if r.Retries.Attempts < 0 {
			v.errorf(p+".retries.attempts", "attempts %d must not be negative", r.Retries.Attempts)
		}
		v.duration(p+".retries.perTryTimeout", r.Retries.PerTryTimeout)
		if r.Timeout != nil && r.Retries.PerTryTimeout != nil && r.Retries.PerTryTimeout.AsDuration() > r.Timeout.AsDuration() {
			v.warnf(p+".retries.perTryTimeout", "perTryTimeout %s is longer than the route's timeout %s", r.Retries.PerTryTimeout.AsDuration(), r.Timeout.AsDuration())
		}
	}
	if f := r.Fault; f != nil {
		if f.Delay == nil && f.Abort == nil {
			v.errorf(p+".fault", "a fault needs delay or abort")
		}
		if d := f.Delay; d != nil {
			if d.Percentage != nil {
				v.percent(p+".fault.delay.percentage.value", d.Percentage.Value)
			}
			if d.GetFixedDelay() == nil && d.GetExponentialDelay() == nil {
				v.errorf(p+".fault.delay", "a delay needs fixedDelay")
			}
			v.duration(p+".fault.delay.fixedDelay", d.GetFixedDelay())
		}
		if a := f.Abort; a != nil {
			if a.Percentage != nil {
				v.percent(p+".fault.abort.percentage.value", a.Percentage.Value)
			}
			if _, ok := a.ErrorType.(*networking.HTTPFaultInjection_Abort_HttpStatus); ok {
				if s := a.GetHttpStatus(); s < 200 || s > 599 {
					v.errorf(p+".fault.abort.httpStatus", "HTTP status %d is out of range 200-599", s)
				}
			}
		}
	}
	if r.MirrorPercentage != nil {
		v.percent(p+".mirrorPercentage.value", r.MirrorPercentage.Value)
	}
	if r.Mirror != nil {
		v.destination(p+".mirror", r.Mirror)
		if len(r.Mirrors) > 0 {
			v.errorf(p+".mirrors", "mirror and mirrors exclude each other")
		}
	}
	//lint:ignore SA1019 finding the deprecated field is the point
	if r.MirrorPercent != nil {
		v.warnf(p+".mirrorPercent", "mirrorPercent is deprecated: use mirrorPercentage")
	}
	if rw := r.Rewrite; rw != nil {
		if rw.Uri != "" && rw.UriRegexRewrite != nil {
			v.errorf(p+".rewrite", "uri and uriRegexRewrite exclude each other")
		}
		if rr := rw.UriRegexRewrite; rr != nil {
			v.regex(p+".rewrite.uriRegexRewrite.match", rr.Match)
		}
	}
	if rd := r.Redirect; rd != nil {
		if rs := rd.RedirectCode; rs != 0 && (rs < 300 || rs > 399) {
			v.errorf(p+".redirect.redirectCode", "redirect code %d is not a 3xx status", rs)
		}
	}
	if dr := r.DirectResponse; dr != nil && (dr.Status < 200 || dr.Status > 599) {
		v.errorf(p+".directResponse.status", "HTTP status %d is out of range 200-599", dr.Status)
	}
	if cp := r.CorsPolicy; cp != nil {
		for i, o := range cp.AllowOrigins {
			v.stringMatch(idx(p+".corsPolicy.allowOrigins", i), o)
		}
		//lint:ignore SA1019 finding the deprecated field is the point
		if len(cp.AllowOrigin) > 0 {
			v.warnf(p+".corsPolicy.allowOrigin", "allowOrigin is deprecated: use allowOrigins")
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
		v.errorf(p, "a string match needs one of exact, prefix or regex")
	}
}

func (v *validator) destinationRule() {
	dr := v.o.Spec.(*networking.DestinationRule)
	if dr.Host == "" {
		v.errorf("spec.host", "host is required")
	} else {
		v.host("spec.host", dr.Host, true)
	}
	v.exportTo("spec.exportTo", dr.ExportTo)
	if dr.WorkloadSelector != nil {
		v.labels("spec.workloadSelector.matchLabels", dr.WorkloadSelector.MatchLabels)
	}
	v.trafficPolicy("spec.trafficPolicy", dr.TrafficPolicy, true)
	seen := map[string]bool{}
	for i, s := range dr.Subsets {
		p := idx("spec.subsets", i)
		switch {
		case s.Name == "":
			v.errorf(p+".name", "subset name is required")
		case seen[s.Name]:
			v.errorf(p+".name", "duplicate subset name %q", s.Name)
		default:
			if errs := validation.IsDNS1123Label(s.Name); len(errs) > 0 {
				v.errorf(p+".name", "subset name %q is not valid: %s", s.Name, errs[0])
			}
		}
		seen[s.Name] = true
		v.labels(p+".labels", s.Labels)
		v.trafficPolicy(p+".trafficPolicy", s.TrafficPolicy, true)
	}
}

func (v *validator) trafficPolicy(p string, tp *networking.TrafficPolicy, portLevel bool) {
	if tp == nil {
		return
	}
	v.connectionPool(p+".connectionPool", tp.ConnectionPool)
	v.outlierDetection(p+".outlierDetection", tp.OutlierDetection)
	v.clientTLS(p+".tls", tp.Tls)
	if lb := tp.LoadBalancer; lb != nil {
		if ch := lb.GetConsistentHash(); ch != nil && ch.GetHttpCookie() != nil && ch.GetHttpCookie().Name == "" {
			v.errorf(p+".loadBalancer.consistentHash.httpCookie.name", "cookie name is required")
		}
	}
	ports := map[uint32]bool{}
	for i, pl := range tp.PortLevelSettings {
		pp := idx(p+".portLevelSettings", i)
		if pl.Port == nil {
			v.errorf(pp+".port", "port is required")
			continue
		}
		v.port(pp+".port.number", pl.Port.Number)
		if ports[pl.Port.Number] {
			v.errorf(pp+".port.number", "duplicate port %d in portLevelSettings", pl.Port.Number)
		}
		ports[pl.Port.Number] = true
		v.connectionPool(pp+".connectionPool", pl.ConnectionPool)
		v.outlierDetection(pp+".outlierDetection", pl.OutlierDetection)
		v.clientTLS(pp+".tls", pl.Tls)
	}
}

func (v *validator) connectionPool(p string, cp *networking.ConnectionPoolSettings) {
	if cp == nil {
		return
	}
	if t := cp.Tcp; t != nil {
		if t.MaxConnections < 0 {
			v.errorf(p+".tcp.maxConnections", "must not be negative")
		}
		v.duration(p+".tcp.connectTimeout", t.ConnectTimeout)
		v.duration(p+".tcp.maxConnectionDuration", t.MaxConnectionDuration)
		v.duration(p+".tcp.idleTimeout", t.IdleTimeout)
	}
	if h := cp.Http; h != nil {
		for name, n := range map[string]int32{"http1MaxPendingRequests": h.Http1MaxPendingRequests, "http2MaxRequests": h.Http2MaxRequests,
			"maxRequestsPerConnection": h.MaxRequestsPerConnection, "maxRetries": h.MaxRetries, "maxConcurrentStreams": h.MaxConcurrentStreams} {
			if n < 0 {
				v.errorf(p+".http."+name, "must not be negative")
			}
		}
		v.duration(p+".http.idleTimeout", h.IdleTimeout)
	}
}

func (v *validator) outlierDetection(p string, od *networking.OutlierDetection) {
	if od == nil {
		return
	}
	v.duration(p+".interval", od.Interval)
	v.duration(p+".baseEjectionTime", od.BaseEjectionTime)
	if od.MaxEjectionPercent < 0 || od.MaxEjectionPercent > 100 {
		v.errorf(p+".maxEjectionPercent", "%d is out of range 0-100", od.MaxEjectionPercent)
	}
	if od.MinHealthPercent < 0 || od.MinHealthPercent > 100 {
		v.errorf(p+".minHealthPercent", "%d is out of range 0-100", od.MinHealthPercent)
	}
	//lint:ignore SA1019 finding the deprecated field is the point
	if od.ConsecutiveErrors != 0 {
		v.warnf(p+".consecutiveErrors", "consecutiveErrors is deprecated: use consecutive5xxErrors or consecutiveGatewayErrors")
	}
}

func (v *validator) clientTLS(p string, t *networking.ClientTLSSettings) {
	if t == nil {
		return
	}
	if t.Mode == networking.ClientTLSSettings_MUTUAL && t.CredentialName == "" && (t.ClientCertificate == "" || t.PrivateKey == "") {
		v.errorf(p, "mode MUTUAL needs credentialName, or clientCertificate and privateKey")
	}
	if t.CredentialName != "" && (t.ClientCertificate != "" || t.PrivateKey != "" || t.CaCertificates != "") {
		v.errorf(p+".credentialName", "credentialName excludes clientCertificate, privateKey and caCertificates")
	}
}

var gatewayProtocols = map[string]bool{"HTTP": true, "HTTPS": true, "GRPC": true, "GRPC-WEB": true, "HTTP2": true, "MONGO": true, "TCP": true, "TLS": true, "MYSQL": true, "REDIS": true}

func (v *validator) gateway() {
	gw := v.o.Spec.(*networking.Gateway)
	v.labels("spec.selector", gw.Selector)
	if len(gw.Servers) == 0 {
		v.errorf("spec.servers", "a Gateway needs at least one server")
	}
	names := map[string]bool{}
	for i, s := range gw.Servers {
		p := idx("spec.servers", i)
		if s.Port == nil {
			v.errorf(p+".port", "port is required")
		} else {
			v.port(p+".port.number", s.Port.Number)
			proto := strings.ToUpper(s.Port.Protocol)
			if !gatewayProtocols[proto] {
				v.errorf(p+".port.protocol", "unknown protocol %q", s.Port.Protocol)
			}
			if s.Port.Name != "" {
				if names[s.Port.Name] {
					v.errorf(p+".port.name", "port names must be unique within a Gateway: %q is used twice", s.Port.Name)
				}
				names[s.Port.Name] = true
			}
			if proto == "HTTPS" && s.Tls == nil {
				v.errorf(p+".tls", "an HTTPS server needs tls settings")
			}
			if s.Tls != nil && s.Tls.HttpsRedirect && proto != "HTTP" {
				v.warnf(p+".tls.httpsRedirect", "httpsRedirect has effect only on HTTP servers")
			}
		}
		if len(s.Hosts) == 0 {
			v.errorf(p+".hosts", "a server needs at least one host")
		}
		for j, h := range s.Hosts {
			ns, host, found := strings.Cut(h, "/")
			if !found {
				host, ns = ns, ""
			}
			if found && ns != "*" && ns != "." && ns != "~" {
				if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
					v.errorf(idx(p+".hosts", j), "host %q: invalid namespace %q", h, ns)
				}
			}
			if err := checkHost(host, true); err != nil {
				v.errorf(idx(p+".hosts", j), "%v", err)
			}
		}
		if t := s.Tls; t != nil && (t.Mode == networking.ServerTLSSettings_SIMPLE || t.Mode == networking.ServerTLSSettings_MUTUAL) && !t.HttpsRedirect {
			if t.CredentialName == "" && len(t.CredentialNames) == 0 && len(t.TlsCertificates) == 0 && (t.ServerCertificate == "" || t.PrivateKey == "") {
				v.errorf(p+".tls", "TLS mode %s needs credentialName, or serverCertificate and privateKey", t.Mode)
			}
		}
	}
}

func (v *validator) serviceEntry() {
	se := v.o.Spec.(*networking.ServiceEntry)
	if len(se.Hosts) == 0 {
		v.errorf("spec.hosts", "a ServiceEntry needs at least one host")
	}
	for i, h := range se.Hosts {
		v.host(idx("spec.hosts", i), h, false)
		if h == "*" {
			v.errorf(idx("spec.hosts", i), "the host \"*\" is not allowed in a ServiceEntry")
		}
		if se.Resolution == networking.ServiceEntry_DNS && strings.HasPrefix(h, "*") && len(se.Endpoints) == 0 {
			v.errorf(idx("spec.hosts", i), "a wildcard host cannot be resolved with DNS without endpoints")
		}
	}
	for i, a := range se.Addresses {
		v.address(idx("spec.addresses", i), a)
	}
	v.exportTo("spec.exportTo", se.ExportTo)
	numbers, names := map[uint32]bool{}, map[string]bool{}
	for i, pt := range se.Ports {
		p := idx("spec.ports", i)
		v.port(p+".number", pt.Number)
		if pt.Name == "" {
			v.errorf(p+".name", "port name is required")
		} else if names[pt.Name] {
			v.errorf(p+".name", "duplicate port name %q", pt.Name)
		}
		if numbers[pt.Number] {
			v.errorf(p+".number", "duplicate port %d", pt.Number)
		}
		names[pt.Name], numbers[pt.Number] = true, true
		if pt.TargetPort != 0 {
			v.port(p+".targetPort", pt.TargetPort)
		}
	}
	if se.WorkloadSelector != nil && len(se.Endpoints) > 0 {
		v.errorf("spec.workloadSelector", "workloadSelector and endpoints exclude each other")
	}
	for i, ep := range se.Endpoints {
		p := idx("spec.endpoints", i)
		if ep.Address == "" && ep.Network == "" {
			v.errorf(p+".address", "endpoint address is required")
		}
		if se.Resolution == networking.ServiceEntry_STATIC && ep.Address != "" && !strings.HasPrefix(ep.Address, "unix://") {
			v.address(p+".address", ep.Address)
		}
		for name, port := range ep.Ports {
			if port == 0 || port > 65535 {
				v.errorf(p+`.ports["`+name+`"]`, "port number %d is out of range 1-65535", port)
			}
		}
	}
	if se.Resolution == networking.ServiceEntry_STATIC && len(se.Endpoints) == 0 && se.WorkloadSelector == nil {
		v.warnf("spec.resolution", "STATIC resolution without endpoints or workloadSelector has no endpoints")
	}
}

func (v *validator) sidecar() {
	sc := v.o.Spec.(*networking.Sidecar)
	if sc.WorkloadSelector != nil {
		v.labels("spec.workloadSelector.labels", sc.WorkloadSelector.Labels)
	}
	for i, e := range sc.Egress {
		p := idx("spec.egress", i)
		if len(e.Hosts) == 0 {
			v.errorf(p+".hosts", "an egress listener needs at least one host")
		}
		for j, h := range e.Hosts {
			ns, host, found := strings.Cut(h, "/")
			if !found {
				v.errorf(idx(p+".hosts", j), "host %q must have the form namespace/host", h)
				continue
			}
			if ns != "*" && ns != "." && ns != "~" {
				if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
					v.errorf(idx(p+".hosts", j), "host %q: invalid namespace %q", h, ns)
				}
			}
			if err := checkHost(host, false); err != nil {
				v.errorf(idx(p+".hosts", j), "%v", err)
			}
		}
		if e.Port != nil {
			v.port(p+".port.number", e.Port.Number)
		}
	}
	for i, in := range sc.Ingress {
		p := idx("spec.ingress", i)
		if in.Port == nil {
			v.errorf(p+".port", "an ingress listener needs a port")
		} else {
			v.port(p+".port.number", in.Port.Number)
		}
		if d := in.DefaultEndpoint; d != "" && !strings.HasPrefix(d, "unix://") && !strings.HasPrefix(d, "127.0.0.1:") && !strings.HasPrefix(d, "0.0.0.0:") && !strings.HasPrefix(d, "[::1]:") && !strings.HasPrefix(d, "[::]:") {
			v.errorf(p+".defaultEndpoint", "defaultEndpoint %q must be 127.0.0.1:PORT, 0.0.0.0:PORT, [::1]:PORT, [::]:PORT or unix:///path", d)
		}
	}
}

func (v *validator) workloadEntry() {
	we := v.o.Spec.(*networking.WorkloadEntry)
	if we.Address == "" && we.Network == "" {
		v.errorf("spec.address", "address is required")
	}
	v.labels("spec.labels", we.Labels)
	for name, port := range we.Ports {
		if port == 0 || port > 65535 {
			v.errorf(`spec.ports["`+name+`"]`, "port number %d is out of range 1-65535", port)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
