package xds

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	previoushostsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/xdscontract"
)

func routeConfig(rc *routev3.RouteConfiguration) (*ir.RouteConfig, error) {
	out := &ir.RouteConfig{Name: rc.GetName()}
	for i, vh := range rc.GetVirtualHosts() {
		v := &ir.VirtualHost{Name: vh.GetName(), Domains: vh.GetDomains()}
		switch vh.GetRequireTls() {
		case routev3.VirtualHost_NONE:
		case routev3.VirtualHost_ALL:
			v.RequireTLS = true
		default:
			return nil, fmt.Errorf("virtual_hosts[%d].require_tls %s: want NONE or ALL", i, vh.GetRequireTls())
		}
		if len(v.Domains) == 0 {
			return nil, fmt.Errorf("virtual_hosts[%d].domains: required", i)
		}
		for j, r := range vh.GetRoutes() {
			ir, err := route(r)
			if err != nil {
				return nil, fmt.Errorf("virtual_hosts[%d](%s).routes[%d](%s): %w", i, vh.GetName(), j, r.GetName(), err)
			}
			v.Routes = append(v.Routes, ir)
		}
		out.VirtualHosts = append(out.VirtualHosts, v)
	}
	return out, nil
}

func route(r *routev3.Route) (*ir.Route, error) {
	out := &ir.Route{Name: r.GetName()}
	m, err := routeMatch(r.GetMatch())
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	out.Match = m
	switch {
	case r.GetRoute() != nil:
		f, err := routeAction(r.GetRoute())
		if err != nil {
			return nil, fmt.Errorf("route: %w", err)
		}
		out.Forward = f
	case r.GetRedirect() != nil:
		rd, err := redirect(r.GetRedirect())
		if err != nil {
			return nil, fmt.Errorf("redirect: %w", err)
		}
		out.Redirect = rd
	case r.GetDirectResponse() != nil:
		d := r.GetDirectResponse()
		body, err := dataSource(d.GetBody())
		if err != nil {
			return nil, fmt.Errorf("direct_response.body: %w", err)
		}
		if d.GetStatus() < 100 || d.GetStatus() > 599 {
			return nil, fmt.Errorf("direct_response.status %d", d.GetStatus())
		}
		out.Direct = &ir.DirectResponse{Status: int(d.GetStatus()), Body: body}
	default:
		return nil, fmt.Errorf("one of route, redirect, direct_response: required")
	}
	if out.Headers.Request, err = mutation(r.GetRequestHeadersToAdd(), r.GetRequestHeadersToRemove()); err != nil {
		return nil, fmt.Errorf("request_headers_to_add: %w", err)
	}
	if out.Headers.Response, err = mutation(r.GetResponseHeadersToAdd(), r.GetResponseHeadersToRemove()); err != nil {
		return nil, fmt.Errorf("response_headers_to_add: %w", err)
	}
	for key, a := range r.GetTypedPerFilterConfig() {
		switch key {
		case xdscontract.FilterFault:
			var f faultv3.HTTPFault
			if err := a.UnmarshalTo(&f); err != nil {
				return nil, fmt.Errorf("typed_per_filter_config[%s]: want HTTPFault: %w", key, err)
			}
			ft, err := fault(&f)
			if err != nil {
				return nil, fmt.Errorf("typed_per_filter_config[%s]: %w", key, err)
			}
			out.Fault = ft
		case xdscontract.FilterCORS:
			var c corsv3.CorsPolicy
			if err := a.UnmarshalTo(&c); err != nil {
				return nil, fmt.Errorf("typed_per_filter_config[%s]: want CorsPolicy: %w", key, err)
			}
			cors, err := corsPolicy(&c)
			if err != nil {
				return nil, fmt.Errorf("typed_per_filter_config[%s]: %w", key, err)
			}
			out.CORS = cors
		default:
			return nil, fmt.Errorf("typed_per_filter_config[%s]: filter not in the contract", key)
		}
	}
	return out, nil
}

func routeMatch(m *routev3.RouteMatch) (ir.RouteMatch, error) {
	out := ir.RouteMatch{CaseInsensitive: m.GetCaseSensitive() != nil && !m.GetCaseSensitive().GetValue()}
	switch p := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		out.PathKind, out.Path = ir.PathPrefix, p.Prefix
	case *routev3.RouteMatch_Path:
		out.PathKind, out.Path = ir.PathExact, p.Path
	case *routev3.RouteMatch_SafeRegex:
		re, err := wholeRegex(p.SafeRegex.GetRegex())
		if err != nil {
			return out, fmt.Errorf("safe_regex: %w", err)
		}
		out.PathKind, out.PathRegex = ir.PathRegex, re
	default:
		return out, fmt.Errorf("one of prefix, path, safe_regex: required")
	}
	for i, h := range m.GetHeaders() {
		hm, err := headerMatch(h)
		if err != nil {
			return out, fmt.Errorf("headers[%d]: %w", i, err)
		}
		out.Headers = append(out.Headers, hm)
	}
	for i, q := range m.GetQueryParameters() {
		qm := ir.QueryMatch{Name: q.GetName()}
		switch {
		case q.GetStringMatch() != nil:
			sm, err := stringMatch(q.GetStringMatch())
			if err != nil {
				return out, fmt.Errorf("query_parameters[%d].string_match: %w", i, err)
			}
			qm.Value = sm
		case q.GetPresentMatch():
			qm.Present = true
		default:
			return out, fmt.Errorf("query_parameters[%d]: string_match or present_match: required", i)
		}
		out.Query = append(out.Query, qm)
	}
	return out, nil
}

func headerMatch(h *routev3.HeaderMatcher) (ir.HeaderMatch, error) {
	hm := ir.HeaderMatch{Name: h.GetName(), Invert: h.GetInvertMatch()}
	switch {
	case h.GetStringMatch() != nil:
		sm, err := stringMatch(h.GetStringMatch())
		if err != nil {
			return hm, fmt.Errorf("string_match: %w", err)
		}
		hm.Value = sm
	case h.GetPresentMatch():
		hm.Present = true
	default:
		return hm, fmt.Errorf("string_match or present_match: required")
	}
	return hm, nil
}

func stringMatch(s *matcherv3.StringMatcher) (ir.StringMatch, error) {
	ic := s.GetIgnoreCase()
	switch p := s.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		return ir.StringMatch{Kind: ir.StringExact, Value: p.Exact, IgnoreCase: ic}, nil
	case *matcherv3.StringMatcher_Prefix:
		return ir.StringMatch{Kind: ir.StringPrefix, Value: p.Prefix, IgnoreCase: ic}, nil
	case *matcherv3.StringMatcher_Suffix:
		return ir.StringMatch{Kind: ir.StringSuffix, Value: p.Suffix, IgnoreCase: ic}, nil
	case *matcherv3.StringMatcher_SafeRegex:
		if ic {
			return ir.StringMatch{}, fmt.Errorf("ignore_case: not with safe_regex (Envoy ignores it there)")
		}
		re, err := wholeRegex(p.SafeRegex.GetRegex())
		if err != nil {
			return ir.StringMatch{}, fmt.Errorf("safe_regex: %w", err)
		}
		return ir.StringMatch{Kind: ir.StringRegex, Value: p.SafeRegex.GetRegex(), Regex: re}, nil
	}
	return ir.StringMatch{}, fmt.Errorf("one of exact, prefix, suffix, safe_regex: required")
}

// wholeRegex compiles an RE2 regex that must match the whole value, as Envoy's safe_regex does.
func wholeRegex(expr string) (*regexp.Regexp, error) {
	return regexp.Compile("^(?:" + expr + ")$")
}

func routeAction(a *routev3.RouteAction) (*ir.Forward, error) {
	out := &ir.Forward{Timeout: dur(a.GetTimeout()), HostRewrite: a.GetHostRewriteLiteral()}
	if a.GetTimeout() == nil {
		out.Timeout = 15 * time.Second // Envoy's default; meshd always sets it
	}
	switch {
	case a.GetCluster() != "":
		out.Clusters = []ir.WeightedCluster{{Name: a.GetCluster(), Weight: 1}}
	case a.GetWeightedClusters() != nil:
		for i, wc := range a.GetWeightedClusters().GetClusters() {
			h := ir.Headers{}
			var err error
			if h.Request, err = mutation(wc.GetRequestHeadersToAdd(), wc.GetRequestHeadersToRemove()); err != nil {
				return nil, fmt.Errorf("weighted_clusters.clusters[%d].request_headers_to_add: %w", i, err)
			}
			if h.Response, err = mutation(wc.GetResponseHeadersToAdd(), wc.GetResponseHeadersToRemove()); err != nil {
				return nil, fmt.Errorf("weighted_clusters.clusters[%d].response_headers_to_add: %w", i, err)
			}
			out.Clusters = append(out.Clusters, ir.WeightedCluster{Name: wc.GetName(), Weight: wc.GetWeight().GetValue(), Headers: h})
		}
	default:
		return nil, fmt.Errorf("cluster or weighted_clusters: required")
	}
	if rp := a.GetRetryPolicy(); rp != nil {
		p, err := retryPolicy(rp)
		if err != nil {
			return nil, fmt.Errorf("retry_policy: %w", err)
		}
		out.Retry = p
	}
	for i, m := range a.GetRequestMirrorPolicies() {
		share := uint32(1_000_000)
		if f := m.GetRuntimeFraction(); f != nil {
			var err error
			if share, err = perMillion(f.GetDefaultValue()); err != nil {
				return nil, fmt.Errorf("request_mirror_policies[%d].runtime_fraction: %w", i, err)
			}
		}
		out.Mirrors = append(out.Mirrors, ir.Mirror{Cluster: m.GetCluster(), PerMillion: share})
	}
	if a.GetPrefixRewrite() != "" {
		out.PrefixRewrite, out.HasPrefixRewrite = a.GetPrefixRewrite(), true
	}
	if rr := a.GetRegexRewrite(); rr != nil {
		re, err := regexp.Compile(rr.GetPattern().GetRegex())
		if err != nil {
			return nil, fmt.Errorf("regex_rewrite.pattern: %w", err)
		}
		out.RegexRewrite = &ir.RegexRewrite{Pattern: re, Substitution: rr.GetSubstitution()}
	}
	for i, hp := range a.GetHashPolicy() {
		var p ir.HashPolicy
		switch {
		case hp.GetHeader() != nil:
			p = ir.HashPolicy{Kind: ir.HashHeader, Name: hp.GetHeader().GetHeaderName()}
		case hp.GetCookie() != nil:
			c := hp.GetCookie()
			p = ir.HashPolicy{Kind: ir.HashCookie, Name: c.GetName(), TTL: dur(c.GetTtl()), Path: c.GetPath()}
		case hp.GetConnectionProperties() != nil:
			if !hp.GetConnectionProperties().GetSourceIp() {
				continue
			}
			p = ir.HashPolicy{Kind: ir.HashSourceIP}
		case hp.GetQueryParameter() != nil:
			p = ir.HashPolicy{Kind: ir.HashQuery, Name: hp.GetQueryParameter().GetName()}
		default:
			return nil, fmt.Errorf("hash_policy[%d]: header, cookie, connection_properties or query_parameter: required", i)
		}
		out.HashPolicies = append(out.HashPolicies, p)
	}
	return out, nil
}

func retryPolicy(rp *routev3.RetryPolicy) (*ir.RetryPolicy, error) {
	out := &ir.RetryPolicy{NumRetries: 1, PerTryTimeout: dur(rp.GetPerTryTimeout())}
	if n := rp.GetNumRetries(); n != nil {
		out.NumRetries = int(n.GetValue())
	}
	for _, cond := range strings.Split(rp.GetRetryOn(), ",") {
		cond = strings.TrimSpace(cond)
		if cond == "" {
			continue
		}
		bit, ok := ir.RetryOnNames[cond]
		if !ok {
			return nil, fmt.Errorf("retry_on %q: condition %q is not supported", rp.GetRetryOn(), cond)
		}
		out.On |= bit
	}
	for _, c := range rp.GetRetriableStatusCodes() {
		out.StatusCodes = append(out.StatusCodes, int(c))
	}
	for i, p := range rp.GetRetryHostPredicate() {
		if p.GetName() != xdscontract.RetryPreviousHosts {
			return nil, fmt.Errorf("retry_host_predicate[%d]: predicate %q is not in the contract", i, p.GetName())
		}
		if tc := p.GetTypedConfig(); tc != nil && !tc.MessageIs(&previoushostsv3.PreviousHostsPredicate{}) {
			return nil, fmt.Errorf("retry_host_predicate[%d].typed_config: want PreviousHostsPredicate, got %s", i, tc.GetTypeUrl())
		}
		out.AvoidPreviousHosts = true
	}
	if n := rp.GetHostSelectionRetryMaxAttempts(); n < 0 || n > maxHostSelectionAttempts {
		return nil, fmt.Errorf("host_selection_retry_max_attempts %d: want 0-%d", n, maxHostSelectionAttempts)
	} else {
		out.HostSelectionAttempts = int(n)
	}
	if b := rp.GetRetryBackOff(); b != nil {
		out.BackoffBase, out.BackoffMax = dur(b.GetBaseInterval()), dur(b.GetMaxInterval())
		if out.BackoffBase <= 0 {
			return nil, fmt.Errorf("retry_back_off.base_interval: required, above 0")
		}
		if out.BackoffMax != 0 && out.BackoffMax < out.BackoffBase {
			return nil, fmt.Errorf("retry_back_off.max_interval %s: below base_interval %s", out.BackoffMax, out.BackoffBase)
		}
	}
	return out, nil
}

// xdscontract.RetryPreviousHosts is the one retry host predicate the contract allows.

// maxHostSelectionAttempts bounds the redraws of one pick.
const maxHostSelectionAttempts = 100

func redirect(r *routev3.RedirectAction) (*ir.Redirect, error) {
	out := &ir.Redirect{Scheme: r.GetSchemeRedirect(), Host: r.GetHostRedirect(), Path: r.GetPathRedirect()}
	if p := r.GetPortRedirect(); p > 65535 {
		return nil, fmt.Errorf("port_redirect %d", p)
	} else {
		out.Port = uint16(p)
	}
	codes := map[routev3.RedirectAction_RedirectResponseCode]int{
		routev3.RedirectAction_MOVED_PERMANENTLY: 301, routev3.RedirectAction_FOUND: 302,
		routev3.RedirectAction_SEE_OTHER: 303, routev3.RedirectAction_TEMPORARY_REDIRECT: 307,
		routev3.RedirectAction_PERMANENT_REDIRECT: 308,
	}
	code, ok := codes[r.GetResponseCode()]
	if !ok {
		return nil, fmt.Errorf("response_code %s", r.GetResponseCode())
	}
	out.Code = code
	return out, nil
}

func fault(f *faultv3.HTTPFault) (*ir.Fault, error) {
	out := &ir.Fault{}
	var err error
	if d := f.GetDelay(); d != nil {
		out.Delay = dur(d.GetFixedDelay())
		if out.DelayPerMillion, err = percentOrAll(d.GetPercentage()); err != nil {
			return nil, fmt.Errorf("delay.percentage: %w", err)
		}
	}
	if a := f.GetAbort(); a != nil {
		switch a.GetErrorType().(type) {
		case *faultv3.FaultAbort_HttpStatus:
			out.AbortStatus = int(a.GetHttpStatus())
			if out.AbortStatus < 200 || out.AbortStatus > 599 {
				return nil, fmt.Errorf("abort.http_status %d: want 200-599", out.AbortStatus)
			}
		case *faultv3.FaultAbort_GrpcStatus:
			// gRPC requests get this grpc-status (HTTP 200, trailers only); others a 503.
			out.AbortGRPCStatus = int(a.GetGrpcStatus())
			if out.AbortGRPCStatus < 1 || out.AbortGRPCStatus > 16 {
				return nil, fmt.Errorf("abort.grpc_status %d: want 1-16", out.AbortGRPCStatus)
			}
		default:
			return nil, fmt.Errorf("abort: http_status or grpc_status required")
		}
		if out.AbortPerMillion, err = percentOrAll(a.GetPercentage()); err != nil {
			return nil, fmt.Errorf("abort.percentage: %w", err)
		}
	}
	return out, nil
}

// percentOrAll is a fault's share: all requests when the percentage is missing.
func percentOrAll(p *typev3.FractionalPercent) (uint32, error) {
	if p == nil {
		return 1_000_000, nil
	}
	return perMillion(p)
}

func perMillion(p *typev3.FractionalPercent) (uint32, error) {
	scale := map[typev3.FractionalPercent_DenominatorType]uint64{
		typev3.FractionalPercent_HUNDRED: 10_000, typev3.FractionalPercent_TEN_THOUSAND: 100, typev3.FractionalPercent_MILLION: 1,
	}
	s, ok := scale[p.GetDenominator()]
	if !ok {
		return 0, fmt.Errorf("denominator %s", p.GetDenominator())
	}
	return uint32(min(uint64(p.GetNumerator())*s, 1_000_000)), nil
}

func corsPolicy(c *corsv3.CorsPolicy) (*ir.CORS, error) {
	out := &ir.CORS{AllowMethods: c.GetAllowMethods(), AllowHeaders: c.GetAllowHeaders(), ExposeHeaders: c.GetExposeHeaders(),
		MaxAge: c.GetMaxAge(), AllowCredentials: c.GetAllowCredentials().GetValue()}
	for i, o := range c.GetAllowOriginStringMatch() {
		sm, err := stringMatch(o)
		if err != nil {
			return nil, fmt.Errorf("allow_origin_string_match[%d]: %w", i, err)
		}
		out.AllowOrigins = append(out.AllowOrigins, sm)
	}
	if v := out.MaxAge; v != "" {
		if _, err := strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("max_age %q: want seconds", v)
		}
	}
	return out, nil
}

func mutation(add []*corev3.HeaderValueOption, remove []string) (ir.HeaderMutation, error) {
	m := ir.HeaderMutation{Remove: remove}
	for i, o := range add {
		h := ir.Header{Name: o.GetHeader().GetKey(), Value: o.GetHeader().GetValue()}
		if h.Name == "" {
			return m, fmt.Errorf("[%d].header.key: required", i)
		}
		switch o.GetAppendAction() {
		case corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD:
			m.Append = append(m.Append, h)
		case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD:
			m.Set = append(m.Set, h)
		default:
			return m, fmt.Errorf("[%d].append_action %s: want APPEND_IF_EXISTS_OR_ADD or OVERWRITE_IF_EXISTS_OR_ADD", i, o.GetAppendAction())
		}
	}
	return m, nil
}

func dataSource(d *corev3.DataSource) (string, error) {
	switch s := d.GetSpecifier().(type) {
	case nil:
		return "", nil
	case *corev3.DataSource_InlineString:
		return s.InlineString, nil
	case *corev3.DataSource_InlineBytes:
		return string(s.InlineBytes), nil
	case *corev3.DataSource_Filename:
		b, err := os.ReadFile(s.Filename)
		return string(b), err
	}
	return "", fmt.Errorf("filename, inline_string or inline_bytes: required")
}
