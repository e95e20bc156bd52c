package translate

import (
	"sort"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	previoushostsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/xdscontract"
)

// routeCtx is where routes are built: for the sidecars of a namespace (gateway "mesh") or for a
// gateway's server, on one port.
type routeCtx struct {
	s     *model.Snapshot
	proxy *Proxy
	// gateways are the names a VirtualService's gateways may use for this listener: "mesh", or
	// "ns/name" of the gateways the proxy runs.
	gateways map[string]bool
	port     uint32
	// dests collects the hosts routes send to (a gateway's clusters are exactly those).
	dests map[string]bool
}

// boundTo: one of a rule's gateways (relative to the rule's namespace) is served here.
func (rc *routeCtx) boundTo(gws []string, ns string) bool {
	if len(gws) == 0 {
		return rc.gateways["mesh"]
	}
	for _, g := range gws {
		if g == "mesh" {
			if rc.gateways["mesh"] {
				return true
			}
			continue
		}
		if !strings.Contains(g, "/") {
			g = ns + "/" + g
		}
		if rc.gateways[g] {
			return true
		}
	}
	return false
}

// vsRoutes are the Envoy routes of a VirtualService's HTTP rules, in order, that apply here.
func (rc *routeCtx) vsRoutes(vs *model.Config[*networking.VirtualService]) []*routev3.Route {
	var out []*routev3.Route
	for i, hr := range vs.Spec.GetHttp() {
		if d := hr.GetDelegate(); d != nil {
			out = append(out, rc.delegate(vs, hr, d)...)
			continue
		}
		out = append(out, rc.httpRoute(vs, hr, i, hr.GetMatch())...)
	}
	return out
}

// httpRoute is one rule: a route per match that applies here, or one catch-all.
func (rc *routeCtx) httpRoute(vs *model.Config[*networking.VirtualService], hr *networking.HTTPRoute, idx int, matches []*networking.HTTPMatchRequest) []*routev3.Route {
	name := hr.GetName()
	if name == "" {
		name = vs.Namespace + "." + vs.Name + "." + strconv.Itoa(idx)
	}
	var out []*routev3.Route
	if len(matches) == 0 {
		if r := rc.route(vs, hr, name, nil); r != nil {
			out = append(out, r)
		}
		return out
	}
	for _, m := range matches {
		if !rc.applies(vs, m) {
			continue
		}
		n := name
		if m.GetName() != "" {
			n = name + "." + m.GetName()
		}
		if r := rc.route(vs, hr, n, m); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// applies: the match's port, gateways, source labels and namespace hold for this proxy and listener.
func (rc *routeCtx) applies(vs *model.Config[*networking.VirtualService], m *networking.HTTPMatchRequest) bool {
	if m.GetPort() != 0 && m.GetPort() != rc.port {
		return false
	}
	if len(m.GetGateways()) > 0 && !rc.boundTo(m.GetGateways(), vs.Namespace) {
		return false
	}
	if len(m.GetSourceLabels()) > 0 && (rc.proxy.IsGateway() && rc.gateways["mesh"] || !matchesLabels(m.GetSourceLabels(), rc.proxy.Labels())) {
		return false
	}
	if ns := m.GetSourceNamespace(); ns != "" && ns != rc.proxy.Namespace() {
		return false
	}
	return true
}

// delegate inlines the rules of a delegate VirtualService under the root rule's matches.
func (rc *routeCtx) delegate(root *model.Config[*networking.VirtualService], hr *networking.HTTPRoute, d *networking.Delegate) []*routev3.Route {
	ns := d.GetNamespace()
	if ns == "" {
		ns = root.Namespace
	}
	var dvs *model.Config[*networking.VirtualService]
	for _, c := range rc.s.VirtualServices {
		if c.Name == d.GetName() && c.Namespace == ns && len(c.Spec.GetHosts()) == 0 && exported(or(c.Spec.GetExportTo(), rc.s.Mesh.GetDefaultVirtualServiceExportTo()), c.Namespace, root.Namespace) {
			dvs = c
			break
		}
	}
	if dvs == nil {
		return nil
	}
	var out []*routev3.Route
	for i, dr := range dvs.Spec.GetHttp() {
		if dr.GetDelegate() != nil {
			continue // one level only, as Istio
		}
		var matches []*networking.HTTPMatchRequest
		switch {
		case len(hr.GetMatch()) == 0:
			matches = dr.GetMatch()
		case len(dr.GetMatch()) == 0:
			matches = hr.GetMatch()
		default:
			for _, rm := range hr.GetMatch() {
				for _, dm := range dr.GetMatch() {
					matches = append(matches, mergeMatch(rm, dm))
				}
			}
		}
		out = append(out, rc.httpRoute(dvs, dr, i, matches)...)
	}
	return out
}

// mergeMatch: the delegate's conditions over the root's (the delegate narrows the root).
func mergeMatch(root, d *networking.HTTPMatchRequest) *networking.HTTPMatchRequest {
	m := &networking.HTTPMatchRequest{Name: d.GetName(), Uri: root.GetUri(), Scheme: root.GetScheme(), Method: root.GetMethod(),
		Authority: root.GetAuthority(), Port: root.GetPort(), Gateways: root.GetGateways(), IgnoreUriCase: root.GetIgnoreUriCase(),
		SourceLabels: root.GetSourceLabels(), SourceNamespace: root.GetSourceNamespace(),
		Headers: map[string]*networking.StringMatch{}, QueryParams: map[string]*networking.StringMatch{}, WithoutHeaders: map[string]*networking.StringMatch{}}
	if d.GetUri() != nil {
		m.Uri = d.GetUri()
	}
	if d.GetMethod() != nil {
		m.Method = d.GetMethod()
	}
	if d.GetScheme() != nil {
		m.Scheme = d.GetScheme()
	}
	if d.GetAuthority() != nil {
		m.Authority = d.GetAuthority()
	}
	for _, src := range []*networking.HTTPMatchRequest{root, d} {
		for k, v := range src.GetHeaders() {
			m.Headers[k] = v
		}
		for k, v := range src.GetQueryParams() {
			m.QueryParams[k] = v
		}
		for k, v := range src.GetWithoutHeaders() {
			m.WithoutHeaders[k] = v
		}
	}
	return m
}

// route is one Envoy route of a rule and one of its matches (nil: match everything).
func (rc *routeCtx) route(vs *model.Config[*networking.VirtualService], hr *networking.HTTPRoute, name string, m *networking.HTTPMatchRequest) *routev3.Route {
	r := &routev3.Route{Name: name, Match: routeMatch(m)}
	switch {
	case hr.GetRedirect() != nil:
		r.Action = &routev3.Route_Redirect{Redirect: redirect(hr.GetRedirect())}
	case hr.GetDirectResponse() != nil:
		dr := hr.GetDirectResponse()
		resp := &routev3.DirectResponseAction{Status: dr.GetStatus()}
		if b := dr.GetBody(); b != nil {
			body := b.GetString_()
			if body == "" {
				body = string(b.GetBytes())
			}
			resp.Body = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: body}}
		}
		r.Action = &routev3.Route_DirectResponse{DirectResponse: resp}
	case len(hr.GetRoute()) > 0:
		r.Action = &routev3.Route_Route{Route: rc.forward(vs, hr, m)}
	default:
		return nil
	}
	if h := hr.GetHeaders(); h != nil {
		r.RequestHeadersToAdd, r.RequestHeadersToRemove = headerOps(h.GetRequest())
		r.ResponseHeadersToAdd, r.ResponseHeadersToRemove = headerOps(h.GetResponse())
	}
	if f := hr.GetFault(); f != nil {
		if fc := faultConfig(f); fc != nil {
			r.TypedPerFilterConfig = map[string]*anyMsg{xdscontract.FilterFault: mustAny(fc)}
		}
	}
	if c := hr.GetCorsPolicy(); c != nil {
		if r.TypedPerFilterConfig == nil {
			r.TypedPerFilterConfig = map[string]*anyMsg{}
		}
		r.TypedPerFilterConfig[xdscontract.FilterCORS] = mustAny(corsPolicy(c))
	}
	return r
}

func routeMatch(m *networking.HTTPMatchRequest) *routev3.RouteMatch {
	out := &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}}
	if m == nil {
		return out
	}
	switch u := m.GetUri().GetMatchType().(type) {
	case *networking.StringMatch_Exact:
		out.PathSpecifier = &routev3.RouteMatch_Path{Path: u.Exact}
	case *networking.StringMatch_Prefix:
		out.PathSpecifier = &routev3.RouteMatch_Prefix{Prefix: u.Prefix}
	case *networking.StringMatch_Regex:
		out.PathSpecifier = &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: u.Regex}}
	}
	if m.GetIgnoreUriCase() {
		out.CaseSensitive = wrapperspb.Bool(false)
	}
	for _, h := range sortedMatches(m.GetHeaders()) {
		out.Headers = append(out.Headers, headerMatch(h.name, h.m, false))
	}
	for _, p := range []struct {
		name string
		m    *networking.StringMatch
	}{{":method", m.GetMethod()}, {":authority", m.GetAuthority()}, {":scheme", m.GetScheme()}} {
		if p.m != nil {
			out.Headers = append(out.Headers, headerMatch(p.name, p.m, false))
		}
	}
	for _, h := range sortedMatches(m.GetWithoutHeaders()) {
		out.Headers = append(out.Headers, headerMatch(h.name, h.m, true))
	}
	for _, q := range sortedMatches(m.GetQueryParams()) {
		out.QueryParameters = append(out.QueryParameters, &routev3.QueryParameterMatcher{Name: q.name,
			QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: stringMatch(q.m)}})
	}
	return out
}

type namedMatch struct {
	name string
	m    *networking.StringMatch
}

func sortedMatches(m map[string]*networking.StringMatch) []namedMatch {
	out := make([]namedMatch, 0, len(m))
	for k, v := range m {
		out = append(out, namedMatch{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func headerMatch(name string, m *networking.StringMatch, invert bool) *routev3.HeaderMatcher {
	return &routev3.HeaderMatcher{Name: name, InvertMatch: invert,
		HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: stringMatch(m)}}
}

func stringMatch(m *networking.StringMatch) *matcherv3.StringMatcher {
	switch v := m.GetMatchType().(type) {
	case *networking.StringMatch_Exact:
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: v.Exact}}
	case *networking.StringMatch_Prefix:
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: v.Prefix}}
	case *networking.StringMatch_Regex:
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: v.Regex}}}
	}
	// An empty match: any value (Istio's "present").
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: ".*"}}}
}

// forward is a rule's route action: weighted destinations, timeout, retries, mirrors, rewrites.
func (rc *routeCtx) forward(vs *model.Config[*networking.VirtualService], hr *networking.HTTPRoute, m *networking.HTTPMatchRequest) *routev3.RouteAction {
	a := &routev3.RouteAction{Timeout: durationpb.New(0)}
	if t := hr.GetTimeout(); t != nil {
		a.Timeout = durationpb.New(t.AsDuration())
	}
	dests := hr.GetRoute()
	if len(dests) == 1 && len(headerList(dests[0].GetHeaders())) == 0 {
		a.ClusterSpecifier = &routev3.RouteAction_Cluster{Cluster: rc.clusterOf(vs, dests[0].GetDestination())}
	} else {
		wc := &routev3.WeightedCluster{}
		for _, d := range dests {
			w := uint32(d.GetWeight())
			if len(dests) == 1 {
				w = 100
			}
			cw := &routev3.WeightedCluster_ClusterWeight{Name: rc.clusterOf(vs, d.GetDestination()), Weight: wrapperspb.UInt32(w)}
			if h := d.GetHeaders(); h != nil {
				cw.RequestHeadersToAdd, cw.RequestHeadersToRemove = headerOps(h.GetRequest())
				cw.ResponseHeadersToAdd, cw.ResponseHeadersToRemove = headerOps(h.GetResponse())
			}
			wc.Clusters = append(wc.Clusters, cw)
		}
		a.ClusterSpecifier = &routev3.RouteAction_WeightedClusters{WeightedClusters: wc}
	}
	a.RetryPolicy = retryPolicy(hr.GetRetries())
	mirrors := hr.GetMirrors()
	// Istio's single mirror (not deprecated) comes before the list.
	if d := hr.GetMirror(); d != nil {
		mirrors = append([]*networking.HTTPMirrorPolicy{{Destination: d, Percentage: hr.GetMirrorPercentage()}}, mirrors...)
	}
	for _, mp := range mirrors {
		pct := 100.0
		if p := mp.GetPercentage(); p != nil {
			pct = p.GetValue()
		}
		a.RequestMirrorPolicies = append(a.RequestMirrorPolicies, &routev3.RouteAction_RequestMirrorPolicy{
			Cluster: rc.clusterOf(vs, mp.GetDestination()), RuntimeFraction: &corev3.RuntimeFractionalPercent{DefaultValue: millionths(pct)}})
	}
	if rw := hr.GetRewrite(); rw != nil {
		if rw.GetUri() != "" {
			a.PrefixRewrite = rw.GetUri()
			if _, exact := m.GetUri().GetMatchType().(*networking.StringMatch_Exact); exact {
				// An exact path is replaced whole.
				a.PrefixRewrite = ""
				a.RegexRewrite = &matcherv3.RegexMatchAndSubstitute{Pattern: &matcherv3.RegexMatcher{Regex: ".*"}, Substitution: rw.GetUri()}
			}
		}
		if rr := rw.GetUriRegexRewrite(); rr != nil {
			a.RegexRewrite = &matcherv3.RegexMatchAndSubstitute{Pattern: &matcherv3.RegexMatcher{Regex: rr.GetMatch()}, Substitution: rr.GetRewrite()}
		}
		if rw.GetAuthority() != "" {
			a.HostRewriteSpecifier = &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: rw.GetAuthority()}
		}
	}
	a.HashPolicy = rc.hashPolicy(vs, dests)
	return a
}

// clusterOf names the cluster of a destination, resolving its host in the rule's namespace and
// its port when the rule leaves it out.
func (rc *routeCtx) clusterOf(vs *model.Config[*networking.VirtualService], d *networking.Destination) string {
	host := fqdn(d.GetHost(), vs.Namespace, rc.s.ClusterDomain)
	rc.dests[host] = true
	return OutboundCluster(rc.destPort(host, d.GetPort().GetNumber()), d.GetSubset(), host)
}

// destPort: the rule's port, else the service's only port, else the listener's.
func (rc *routeCtx) destPort(host string, port uint32) uint32 {
	if port != 0 {
		return port
	}
	if svcs := rc.s.ServicesByHost(host); len(svcs) > 0 {
		ports := svcs[0].Ports
		if len(ports) == 1 {
			return ports[0].Port
		}
		for _, p := range ports {
			if p.Port == rc.port {
				return p.Port
			}
		}
		if rc.proxy.IsGateway() {
			for _, p := range ports {
				if isHTTP(p.Protocol) {
					return p.Port
				}
			}
		}
	}
	return rc.port
}

// hashPolicy is the consistent hash a destination's DestinationRule asks for (the first
// destination's, as Istio).
func (rc *routeCtx) hashPolicy(vs *model.Config[*networking.VirtualService], dests []*networking.HTTPRouteDestination) []*routev3.RouteAction_HashPolicy {
	if len(dests) == 0 {
		return nil
	}
	host := fqdn(dests[0].GetDestination().GetHost(), vs.Namespace, rc.s.ClusterDomain)
	dr := destinationRule(rc.s, rc.proxy.Namespace(), host, "")
	if dr == nil {
		return nil
	}
	policy := dr.Spec.GetTrafficPolicy()
	for _, ss := range dr.Spec.GetSubsets() {
		if ss.GetName() == dests[0].GetDestination().GetSubset() {
			policy = mergePolicy(policy, ss.GetTrafficPolicy())
		}
	}
	ch := policy.GetLoadBalancer().GetConsistentHash()
	if ch == nil {
		return nil
	}
	var hp *routev3.RouteAction_HashPolicy
	switch {
	case ch.GetHttpHeaderName() != "":
		hp = &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_Header_{Header: &routev3.RouteAction_HashPolicy_Header{HeaderName: ch.GetHttpHeaderName()}}}
	case ch.GetHttpCookie() != nil:
		c := ch.GetHttpCookie()
		ck := &routev3.RouteAction_HashPolicy_Cookie{Name: c.GetName(), Path: c.GetPath()}
		if c.GetTtl() != nil {
			ck.Ttl = durationpb.New(c.GetTtl().AsDuration())
		}
		hp = &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_Cookie_{Cookie: ck}}
	case ch.GetUseSourceIp():
		hp = &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_ConnectionProperties_{ConnectionProperties: &routev3.RouteAction_HashPolicy_ConnectionProperties{SourceIp: true}}}
	case ch.GetHttpQueryParameterName() != "":
		hp = &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_QueryParameter_{QueryParameter: &routev3.RouteAction_HashPolicy_QueryParameter{Name: ch.GetHttpQueryParameterName()}}}
	default:
		return nil
	}
	return []*routev3.RouteAction_HashPolicy{hp}
}

// retryOnSupported are the retry conditions the proxy honours (docs/xds.md); Istio's others are
// dropped rather than refused.
var retryOnSupported = map[string]bool{
	"5xx": true, "gateway-error": true, "reset": true, "connect-failure": true, "refused-stream": true,
	"retriable-4xx": true, "retriable-status-codes": true, "cancelled": true, "deadline-exceeded": true,
	"internal": true, "resource-exhausted": true, "unavailable": true,
}

// retryPolicy: Istio's default (2 attempts on connection failures and 503) unless the rule says;
// 0 attempts turns retries off.
func retryPolicy(r *networking.HTTPRetry) *routev3.RetryPolicy {
	if r == nil {
		return &routev3.RetryPolicy{RetryOn: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
			NumRetries: wrapperspb.UInt32(2), RetriableStatusCodes: []uint32{503},
			RetryHostPredicate: previousHosts, HostSelectionRetryMaxAttempts: hostSelectionAttempts}
	}
	if r.GetAttempts() <= 0 {
		return nil
	}
	out := &routev3.RetryPolicy{NumRetries: wrapperspb.UInt32(uint32(r.GetAttempts())),
		RetryHostPredicate: previousHosts, HostSelectionRetryMaxAttempts: hostSelectionAttempts}
	if d := r.GetPerTryTimeout(); d != nil {
		out.PerTryTimeout = durationpb.New(d.AsDuration())
	}
	if b := r.GetBackoff(); b != nil && b.AsDuration() > 0 {
		out.RetryBackOff = &routev3.RetryPolicy_RetryBackOff{BaseInterval: durationpb.New(b.AsDuration())}
	}
	on := r.GetRetryOn()
	if on == "" {
		on = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
		out.RetriableStatusCodes = []uint32{503}
	}
	var conds []string
	codes := false
	for _, c := range strings.Split(on, ",") {
		c = strings.TrimSpace(c)
		if n, err := strconv.Atoi(c); err == nil && n >= 100 && n <= 599 {
			out.RetriableStatusCodes = append(out.RetriableStatusCodes, uint32(n))
			codes = true
			continue
		}
		if retryOnSupported[c] {
			conds = append(conds, c)
		}
	}
	if codes && !strings.Contains(on, "retriable-status-codes") {
		conds = append(conds, "retriable-status-codes")
	}
	out.RetryOn = strings.Join(conds, ",")
	return out
}

// Istio's defaults on every retry policy: a retry prefers an endpoint not tried yet, drawing at
// most five times.
const hostSelectionAttempts = 5

var previousHosts = []*routev3.RetryPolicy_RetryHostPredicate{{Name: xdscontract.RetryPreviousHosts,
	ConfigType: &routev3.RetryPolicy_RetryHostPredicate_TypedConfig{TypedConfig: mustAny(&previoushostsv3.PreviousHostsPredicate{})}}}

func redirect(r *networking.HTTPRedirect) *routev3.RedirectAction {
	out := &routev3.RedirectAction{HostRedirect: r.GetAuthority(), PortRedirect: r.GetPort()}
	if r.GetUri() != "" {
		out.PathRewriteSpecifier = &routev3.RedirectAction_PathRedirect{PathRedirect: r.GetUri()}
	}
	if r.GetScheme() != "" {
		out.SchemeRewriteSpecifier = &routev3.RedirectAction_SchemeRedirect{SchemeRedirect: r.GetScheme()}
	}
	switch r.GetRedirectCode() {
	case 302:
		out.ResponseCode = routev3.RedirectAction_FOUND
	case 303:
		out.ResponseCode = routev3.RedirectAction_SEE_OTHER
	case 307:
		out.ResponseCode = routev3.RedirectAction_TEMPORARY_REDIRECT
	case 308:
		out.ResponseCode = routev3.RedirectAction_PERMANENT_REDIRECT
	default:
		out.ResponseCode = routev3.RedirectAction_MOVED_PERMANENTLY
	}
	return out
}

// headerOps: set overwrites, add appends, remove removes.
func headerOps(h *networking.Headers_HeaderOperations) ([]*corev3.HeaderValueOption, []string) {
	var add []*corev3.HeaderValueOption
	for _, k := range sortedKeys(h.GetSet()) {
		add = append(add, &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: h.GetSet()[k]},
			AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD})
	}
	for _, k := range sortedKeys(h.GetAdd()) {
		add = append(add, &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: h.GetAdd()[k]},
			AppendAction: corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD})
	}
	return add, h.GetRemove()
}

func headerList(h *networking.Headers) []string {
	var out []string
	for _, o := range []*networking.Headers_HeaderOperations{h.GetRequest(), h.GetResponse()} {
		out = append(out, sortedKeys(o.GetSet())...)
		out = append(out, sortedKeys(o.GetAdd())...)
		out = append(out, o.GetRemove()...)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// zeroTimeout is Istio's default route timeout: none.
func zeroTimeout() *durationpb.Duration { return durationpb.New(0) }
