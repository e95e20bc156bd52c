package analyzers

import (
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/analyze"
)

// destinationRef is a destination of a VirtualService with its field path.
type destinationRef struct {
	path string
	d    *networking.Destination
}

func destinations(vs *networking.VirtualService) []destinationRef {
	var out []destinationRef
	for i, r := range vs.Http {
		for j, d := range r.Route {
			out = append(out, destinationRef{idx(idx("spec.http", i)+".route", j) + ".destination", d.Destination})
		}
		if r.Mirror != nil {
			out = append(out, destinationRef{idx("spec.http", i) + ".mirror", r.Mirror})
		}
		for j, m := range r.Mirrors {
			out = append(out, destinationRef{idx(idx("spec.http", i)+".mirrors", j) + ".destination", m.Destination})
		}
	}
	for i, r := range vs.Tcp {
		for j, d := range r.Route {
			out = append(out, destinationRef{idx(idx("spec.tcp", i)+".route", j) + ".destination", d.Destination})
		}
	}
	for i, r := range vs.Tls {
		for j, d := range r.Route {
			out = append(out, destinationRef{idx(idx("spec.tls", i)+".route", j) + ".destination", d.Destination})
		}
	}
	return out
}

func virtualServices(c *analyze.Context) []*analyze.Object {
	var out []*analyze.Object
	for _, o := range c.Store.List(analyze.KindVirtualService) {
		if _, ok := o.Spec.(*networking.VirtualService); ok {
			out = append(out, o)
		}
	}
	return out
}

// subsetIndex maps a DestinationRule host (fully qualified) to its subsets.
type subsetIndex struct {
	exact    map[string]map[string]bool
	wildcard []struct {
		suffix  string
		subsets map[string]bool
	}
}

func newSubsetIndex(c *analyze.Context) *subsetIndex {
	si := &subsetIndex{exact: map[string]map[string]bool{}}
	for _, o := range c.Store.List(analyze.KindDestinationRule) {
		dr, ok := o.Spec.(*networking.DestinationRule)
		if !ok {
			continue
		}
		set := map[string]bool{}
		for _, s := range dr.Subsets {
			set[s.Name] = true
		}
		host := analyze.FQDN(dr.Host, o.Namespace)
		if strings.HasPrefix(host, "*") {
			si.wildcard = append(si.wildcard, struct {
				suffix  string
				subsets map[string]bool
			}{strings.TrimPrefix(host, "*"), set})
			continue
		}
		if si.exact[host] == nil {
			si.exact[host] = set
		} else {
			for k := range set {
				si.exact[host][k] = true
			}
		}
	}
	return si
}

func (si *subsetIndex) has(host, subset string) bool {
	if si.exact[host][subset] {
		return true
	}
	for _, w := range si.wildcard {
		if strings.HasSuffix(host, w.suffix) && w.subsets[subset] {
			return true
		}
	}
	return false
}

// destinationAnalyzer checks that each route destination's host, subset and port exist.
type destinationAnalyzer struct{}

func (destinationAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "virtualservice.destinations",
		Description: "Checks that VirtualService destinations name existing hosts and DestinationRule subsets, with a port when the Service has several",
		Codes:       []string{"IST0101", "IST0112"},
		Inputs:      []analyze.GroupKind{analyze.KindVirtualService, analyze.KindDestinationRule, analyze.KindService, analyze.KindServiceEntry},
	}
}

func (destinationAnalyzer) Analyze(c *analyze.Context) {
	ix := c.Index()
	subsets := newSubsetIndex(c)
	for _, o := range virtualServices(c) {
		for _, ref := range destinations(o.Spec.(*networking.VirtualService)) {
			d := ref.d
			if d == nil || d.Host == "" {
				continue
			}
			fq, known := ix.Resolve(d.Host, o.Namespace)
			if !known && ix.HasServiceInput() {
				c.Report("IST0101", o, ref.path+".host", "Referenced host not found: %q", d.Host)
			}
			if d.Subset != "" && !subsets.has(fq, d.Subset) {
				c.Report("IST0101", o, ref.path+".subset", "Referenced host+subset in destinationrule not found: %q", d.Host+"+"+d.Subset)
			}
			if svc := ix.Service(fq); svc != nil && len(svc.Ports) > 1 && d.Port == nil {
				ports := make([]int64, 0, len(svc.Ports))
				for _, p := range svc.Ports {
					ports = append(ports, p.Port)
				}
				c.Report("IST0112", o, ref.path, "This VirtualService routes to a service %q that exposes multiple ports %v. Specifying a port in the destination is required to disambiguate.", d.Host, ports)
			}
		}
	}
}

// gatewayRef resolves "name" or "namespace/name" as seen from namespace ns.
func gatewayRef(ref, ns string) (string, string) {
	if gns, name, ok := strings.Cut(ref, "/"); ok {
		return gns, name
	}
	return ns, ref
}

// vsGatewayAnalyzer checks the gateways a VirtualService binds to: that they exist and serve its hosts.
type vsGatewayAnalyzer struct{}

func (vsGatewayAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "virtualservice.gateways",
		Description: "Checks that the gateways a VirtualService binds to exist and list its hosts",
		Codes:       []string{"IST0101", "IST0132"},
		Inputs:      []analyze.GroupKind{analyze.KindVirtualService, analyze.KindGateway},
	}
}

func (vsGatewayAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range virtualServices(c) {
		vs := o.Spec.(*networking.VirtualService)
		refs := map[string]string{} // gateway reference → field
		for i, g := range vs.Gateways {
			refs[g] = idx("spec.gateways", i)
		}
		for i, r := range vs.Http {
			for j, m := range r.Match {
				for k, g := range m.Gateways {
					if _, seen := refs[g]; !seen {
						refs[g] = idx(idx(idx("spec.http", i)+".match", j)+".gateways", k)
					}
				}
			}
		}
		for _, g := range sortedKeys(refs) {
			if g == "mesh" {
				continue
			}
			ns, name := gatewayRef(g, o.Namespace)
			gw := c.Store.Get(analyze.KindGateway, ns, name)
			if gw == nil {
				if c.Store.Complete(analyze.KindGateway, ns) {
					c.Report("IST0101", o, refs[g], "Referenced gateway not found: %q", g)
				}
				continue
			}
			spec, ok := gw.Spec.(*networking.Gateway)
			if !ok || len(vs.Hosts) == 0 {
				continue
			}
			var missing []string
			for _, h := range vs.Hosts {
				if !gatewayServesHost(spec, gw.Namespace, o.Namespace, h) {
					missing = append(missing, h)
				}
			}
			if len(missing) > 0 {
				c.Report("IST0132", o, "spec.hosts", "one or more host %v defined in VirtualService %s/%s not found in Gateway %s/%s.", missing, o.Namespace, o.Name, gw.Namespace, gw.Name)
			}
		}
	}
}

// gatewayServesHost reports whether a server of the gateway accepts host for VirtualServices of vsNS.
func gatewayServesHost(gw *networking.Gateway, gwNS, vsNS, host string) bool {
	for _, s := range gw.Servers {
		for _, sh := range s.Hosts {
			ns, h, found := strings.Cut(sh, "/")
			if !found {
				h, ns = ns, "*"
			}
			if ns != "*" && !(ns == "." && vsNS == gwNS) && ns != vsNS {
				continue
			}
			if hostsIntersect(h, host) {
				return true
			}
		}
	}
	return false
}

// hostsIntersect reports whether two hosts, either possibly a wildcard, can name the same host.
func hostsIntersect(a, b string) bool {
	if a == "*" || b == "*" || strings.EqualFold(a, b) {
		return true
	}
	match := func(w, h string) bool {
		return strings.HasPrefix(w, "*.") && strings.HasSuffix(strings.ToLower(h), strings.ToLower(w[1:]))
	}
	return match(a, b) || match(b, a)
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// delegateAnalyzer checks that delegated VirtualServices exist.
type delegateAnalyzer struct{}

func (delegateAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "virtualservice.delegates",
		Description: "Checks that the VirtualServices a route delegates to exist and are delegates (have no hosts)",
		Codes:       []string{"IST0101"},
		Inputs:      []analyze.GroupKind{analyze.KindVirtualService},
	}
}

func (delegateAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range virtualServices(c) {
		for i, r := range o.Spec.(*networking.VirtualService).Http {
			d := r.Delegate
			if d == nil || d.Name == "" {
				continue
			}
			ns := d.Namespace
			if ns == "" {
				ns = o.Namespace
			}
			target := c.Store.Get(analyze.KindVirtualService, ns, d.Name)
			switch {
			case target == nil && c.Store.Complete(analyze.KindVirtualService, ns):
				c.Report("IST0101", o, idx("spec.http", i)+".delegate", "Referenced delegate not found: %q", ns+"/"+d.Name)
			case target != nil:
				if t, ok := target.Spec.(*networking.VirtualService); ok && len(t.Hosts) > 0 {
					c.Report("IST0101", o, idx("spec.http", i)+".delegate", "Referenced delegate %q is not a delegate VirtualService: it has hosts", ns+"/"+d.Name)
				}
			}
		}
	}
}

// meshHostConflictAnalyzer finds hosts defined by several VirtualServices bound to the mesh gateway.
type meshHostConflictAnalyzer struct{}

func (meshHostConflictAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "virtualservice.conflicts",
		Description: "Finds hosts that several VirtualServices bound to the mesh gateway define",
		Codes:       []string{"IST0109"},
		Inputs:      []analyze.GroupKind{analyze.KindVirtualService},
	}
}

func (meshHostConflictAnalyzer) Analyze(c *analyze.Context) {
	byHost := map[string][]*analyze.Object{}
	for _, o := range virtualServices(c) {
		vs := o.Spec.(*networking.VirtualService)
		if len(vs.Gateways) > 0 && !slices.Contains(vs.Gateways, "mesh") {
			continue
		}
		seen := map[string]bool{}
		for _, h := range vs.Hosts {
			fq := analyze.FQDN(h, o.Namespace)
			if !seen[fq] {
				seen[fq] = true
				byHost[fq] = append(byHost[fq], o)
			}
		}
	}
	for _, host := range sortedKeys(byHost) {
		list := byHost[host]
		if len(list) < 2 {
			continue
		}
		names := make([]string, len(list))
		for i, o := range list {
			names[i] = o.Name + "." + o.Namespace
		}
		for _, o := range list {
			c.Report("IST0109", o, "spec.hosts", "The VirtualServices %s associated with mesh gateway define the same host %s which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.", strings.Join(names, ","), host)
		}
	}
}

// ruleOrderAnalyzer finds HTTP rules that earlier rules make unreachable, and duplicate matches.
type ruleOrderAnalyzer struct{}

func (ruleOrderAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "virtualservice.rules",
		Description: "Finds VirtualService HTTP rules that earlier rules shadow, and matches that repeat earlier ones",
		Codes:       []string{"IST0130", "IST0131"},
		Inputs:      []analyze.GroupKind{analyze.KindVirtualService},
	}
}

func (ruleOrderAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range virtualServices(c) {
		routes := o.Spec.(*networking.VirtualService).Http
		type seenMatch struct {
			m    *networking.HTTPMatchRequest
			rule int
		}
		var seen []seenMatch
		for i, r := range routes {
			p := idx("spec.http", i)
			if i > 0 && catchAll(routes[i-1]) {
				c.Report("IST0130", o, p, "VirtualService rule #%d not used (only the last rule can have no matches).", i)
				continue
			}
			dups := 0
			for j, m := range r.Match {
				key := withoutName(m)
				k := slices.IndexFunc(seen, func(s seenMatch) bool { return proto.Equal(s.m, key) })
				if k >= 0 {
					dups++
					if len(r.Match) > 1 {
						c.Report("IST0131", o, idx(p+".match", j), "VirtualService rule #%d match #%d is not used (duplicate/overlapping match in rule #%d).", i, j, seen[k].rule)
					}
					continue
				}
				seen = append(seen, seenMatch{key, i})
			}
			if len(r.Match) > 0 && dups == len(r.Match) {
				c.Report("IST0130", o, p, "VirtualService rule #%d not used (all matches are used by prior rules).", i)
			}
		}
	}
}

// catchAll reports whether a rule matches every request: no match, or a match of only "prefix: /".
func catchAll(r *networking.HTTPRoute) bool {
	if len(r.Match) == 0 {
		return true
	}
	for _, m := range r.Match {
		bare := withoutName(m)
		if proto.Equal(bare, &networking.HTTPMatchRequest{}) {
			return true
		}
		if u := bare.Uri; u != nil && u.GetPrefix() == "/" {
			bare.Uri = nil
			if proto.Equal(bare, &networking.HTTPMatchRequest{}) {
				return true
			}
		}
	}
	return false
}

func withoutName(m *networking.HTTPMatchRequest) *networking.HTTPMatchRequest {
	cp := proto.Clone(m).(*networking.HTTPMatchRequest)
	cp.Name = ""
	return cp
}
