package analyzers

import (
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/analyze"
)

// ruleOrderAnalyzer finds rules that earlier rules make unreachable, and matches that an earlier match
// (of an earlier rule, or of the same rule) already takes: in HTTP, TCP and TLS routes alike.
type ruleOrderAnalyzer struct{}

func (ruleOrderAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "virtualservice.rules",
		Description: "Finds VirtualService HTTP, TCP and TLS rules that earlier rules shadow, and matches that earlier matches take",
		Codes:       []string{"IST0130", "IST0131"},
		Inputs:      []analyze.GroupKind{analyze.KindVirtualService},
	}
}

// ruleSet is the matches of each rule of one kind (http, tcp, tls); covers says whether an earlier match
// takes every request a later one would.
type ruleSet[M any] struct {
	field  string // spec.http
	label  string // "" for HTTP, "tcp " or "tls "
	rules  [][]M
	covers func(earlier, later M) bool
}

func (ruleOrderAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range virtualServices(c) {
		vs := o.Spec.(*networking.VirtualService)
		http := ruleSet[*networking.HTTPMatchRequest]{field: "spec.http", covers: httpCovers}
		for _, r := range vs.Http {
			http.rules = append(http.rules, r.Match)
		}
		checkRules(c, o, http)
		tcp := ruleSet[*networking.L4MatchAttributes]{field: "spec.tcp", label: "tcp ", covers: l4Covers}
		for _, r := range vs.Tcp {
			tcp.rules = append(tcp.rules, r.Match)
		}
		checkRules(c, o, tcp)
		tls := ruleSet[*networking.TLSMatchAttributes]{field: "spec.tls", label: "tls ", covers: tlsCovers}
		for _, r := range vs.Tls {
			tls.rules = append(tls.rules, r.Match)
		}
		checkRules(c, o, tls)
	}
}

func checkRules[M any](c *analyze.Context, o *analyze.Object, set ruleSet[M]) {
	type seenMatch struct {
		m    M
		rule int
	}
	var seen []seenMatch
	catchAll := -1 // the first rule without matches takes every request
	for i, matches := range set.rules {
		p := idx(set.field, i)
		if catchAll >= 0 {
			c.Report("IST0130", o, p, "VirtualService %srule #%d not used (only the last rule can have no matches).", set.label, i)
			continue
		}
		if len(matches) == 0 {
			var everything M // a rule without matches is one match of nothing
			if slices.ContainsFunc(seen, func(s seenMatch) bool { return set.covers(s.m, everything) }) {
				c.Report("IST0130", o, p, "VirtualService %srule #%d not used (only the last rule can have no matches).", set.label, i)
				continue
			}
			catchAll = i
			continue
		}
		taken := 0
		for j, m := range matches {
			k := slices.IndexFunc(seen, func(s seenMatch) bool { return set.covers(s.m, m) })
			if k < 0 {
				seen = append(seen, seenMatch{m, i})
				continue
			}
			taken++
			if len(matches) > 1 {
				c.Report("IST0131", o, idx(p+".match", j), "VirtualService %srule #%d match #%d is not used (duplicate/overlapping match in %srule #%d).", set.label, i, j, set.label, seen[k].rule)
			}
		}
		if taken == len(matches) {
			c.Report("IST0130", o, p, "VirtualService %srule #%d not used (all matches are used by prior rules).", set.label, i)
		}
	}
}

// httpCovers reports whether every request that later matches also matches earlier: each condition of
// earlier is in later, as strict or stricter (a prefix covers longer prefixes and the exact paths under
// it; a match that adds a method to an earlier one is covered by it).
func httpCovers(earlier, later *networking.HTTPMatchRequest) bool {
	if later == nil {
		later = &networking.HTTPMatchRequest{}
	}
	uri := earlier.Uri
	if uri.GetPrefix() == "/" { // every path starts with "/"
		uri = nil
	}
	if uri != nil && earlier.IgnoreUriCase != later.IgnoreUriCase {
		return false
	}
	return stringCovers(uri, later.Uri) && stringCovers(earlier.Scheme, later.Scheme) &&
		stringCovers(earlier.Method, later.Method) && stringCovers(earlier.Authority, later.Authority) &&
		stringMapCovers(earlier.Headers, later.Headers) && stringMapCovers(earlier.QueryParams, later.QueryParams) &&
		withoutHeadersCover(earlier.WithoutHeaders, later.WithoutHeaders) &&
		(earlier.Port == 0 || earlier.Port == later.Port) &&
		analyze.Matches(earlier.SourceLabels, later.SourceLabels) &&
		gatewaysCover(earlier.Gateways, later.Gateways) &&
		(earlier.SourceNamespace == "" || earlier.SourceNamespace == later.SourceNamespace)
}

// stringCovers: nil matches anything; a match with no kind set matches any present value.
func stringCovers(earlier, later *networking.StringMatch) bool {
	switch {
	case earlier == nil:
		return true
	case later == nil:
		return false
	}
	switch e := earlier.MatchType.(type) {
	case nil:
		return true
	case *networking.StringMatch_Exact:
		l, ok := later.MatchType.(*networking.StringMatch_Exact)
		return ok && l.Exact == e.Exact
	case *networking.StringMatch_Prefix:
		switch l := later.MatchType.(type) {
		case *networking.StringMatch_Exact:
			return strings.HasPrefix(l.Exact, e.Prefix)
		case *networking.StringMatch_Prefix:
			return strings.HasPrefix(l.Prefix, e.Prefix)
		}
	case *networking.StringMatch_Regex:
		l, ok := later.MatchType.(*networking.StringMatch_Regex)
		return ok && l.Regex == e.Regex
	}
	return false
}

func stringMapCovers(earlier, later map[string]*networking.StringMatch) bool {
	for k, e := range earlier {
		if l, ok := later[k]; !ok || !stringCovers(e, l) {
			return false
		}
	}
	return true
}

func withoutHeadersCover(earlier, later map[string]*networking.StringMatch) bool {
	for k, e := range earlier {
		if l, ok := later[k]; !ok || !proto.Equal(e, l) {
			return false
		}
	}
	return true
}

// gatewaysCover: an earlier match limited to gateways covers a later one limited to some of them.
func gatewaysCover(earlier, later []string) bool {
	if len(earlier) == 0 {
		return true
	}
	return len(later) > 0 && !slices.ContainsFunc(later, func(g string) bool { return !slices.Contains(earlier, g) })
}

func subsetOf(earlier, later []string) bool {
	if len(earlier) == 0 {
		return true
	}
	return len(later) > 0 && !slices.ContainsFunc(later, func(x string) bool { return !slices.Contains(earlier, x) })
}

func l4Covers(earlier, later *networking.L4MatchAttributes) bool {
	if later == nil {
		later = &networking.L4MatchAttributes{}
	}
	return subsetOf(earlier.DestinationSubnets, later.DestinationSubnets) &&
		(earlier.Port == 0 || earlier.Port == later.Port) &&
		analyze.Matches(earlier.SourceLabels, later.SourceLabels) &&
		gatewaysCover(earlier.Gateways, later.Gateways) &&
		(earlier.SourceNamespace == "" || earlier.SourceNamespace == later.SourceNamespace) &&
		(earlier.SourceSubnet == "" || earlier.SourceSubnet == later.SourceSubnet)
}

// tlsCovers: every SNI host of later falls under one of earlier's (wildcards included).
func tlsCovers(earlier, later *networking.TLSMatchAttributes) bool {
	if later == nil {
		return false // a TLS rule always has matches
	}
	for _, sni := range later.SniHosts {
		if !slices.ContainsFunc(earlier.SniHosts, func(e string) bool { return sniCovers(e, sni) }) {
			return false
		}
	}
	return len(later.SniHosts) > 0 &&
		subsetOf(earlier.DestinationSubnets, later.DestinationSubnets) &&
		(earlier.Port == 0 || earlier.Port == later.Port) &&
		analyze.Matches(earlier.SourceLabels, later.SourceLabels) &&
		gatewaysCover(earlier.Gateways, later.Gateways) &&
		(earlier.SourceNamespace == "" || earlier.SourceNamespace == later.SourceNamespace)
}

func sniCovers(earlier, later string) bool {
	switch {
	case earlier == "*" || strings.EqualFold(earlier, later):
		return true
	case strings.HasPrefix(earlier, "*."):
		return strings.HasSuffix(strings.ToLower(later), strings.ToLower(earlier[1:])) && !strings.HasPrefix(later, "*") ||
			strings.HasPrefix(later, "*.") && strings.HasSuffix(strings.ToLower(later[1:]), strings.ToLower(earlier[1:]))
	}
	return false
}

// ingressSubsetAnalyzer finds gateway routes to a host without a subset while the mesh's VirtualService
// for that host routes to subsets, which a gateway never applies.
type ingressSubsetAnalyzer struct{}

func (ingressSubsetAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "virtualservice.ingress",
		Description: "Finds gateway VirtualServices routing to a host without a subset while the mesh's VirtualService for the host uses subsets",
		Codes:       []string{"IST0140"},
		Inputs:      []analyze.GroupKind{analyze.KindVirtualService},
	}
}

func (ingressSubsetAnalyzer) Analyze(c *analyze.Context) {
	// The VirtualServices that define a host and route it to subsets, by host; and the gateway-bound
	// VirtualServices with their destinations, each computed once.
	withSubsets := map[string][]*analyze.Object{}
	type bound struct {
		o    *analyze.Object
		gws  map[string]bool
		dest []destinationRef
	}
	var gatewayBound []bound
	for _, o := range virtualServices(c) {
		vs := o.Spec.(*networking.VirtualService)
		dest := destinations(vs)
		if slices.ContainsFunc(dest, func(d destinationRef) bool { return d.d != nil && d.d.Subset != "" }) {
			for _, h := range vs.Hosts {
				fq := analyze.FQDN(h, o.Namespace)
				withSubsets[fq] = append(withSubsets[fq], o)
			}
		}
		if gws := gatewaysOf(vs, o.Namespace); len(gws) > 0 {
			gatewayBound = append(gatewayBound, bound{o, gws, dest})
		}
	}
	if len(withSubsets) == 0 {
		return
	}
	for _, b := range gatewayBound {
		reported := map[*analyze.Object]bool{}
		for _, ref := range b.dest {
			if ref.d == nil || ref.d.Subset != "" || ref.d.Host == "" {
				continue
			}
			for _, other := range withSubsets[analyze.FQDN(ref.d.Host, b.o.Namespace)] {
				if other == b.o || reported[other] || boundToAny(other, b.gws) {
					continue
				}
				reported[other] = true
				c.Report("IST0140", b.o, ref.path, "Subset in virtual service %s/%s has no effect on ingress gateway %s/%s requests", other.Namespace, other.Name, b.o.Namespace, b.o.Name)
			}
		}
	}
}

// gatewaysOf returns the gateways (namespace/name) other than mesh that a VirtualService binds to.
func gatewaysOf(vs *networking.VirtualService, ns string) map[string]bool {
	out := map[string]bool{}
	for _, g := range vs.Gateways {
		if g != "mesh" {
			gns, name := gatewayRef(g, ns)
			out[gns+"/"+name] = true
		}
	}
	return out
}

func boundToAny(o *analyze.Object, gws map[string]bool) bool {
	own := gatewaysOf(o.Spec.(*networking.VirtualService), o.Namespace)
	for g := range maps.Keys(own) {
		if gws[g] {
			return true
		}
	}
	return false
}
