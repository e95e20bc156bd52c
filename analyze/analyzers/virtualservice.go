package analyzers

import (
	"slices"
	"sort"
	"strings"

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

// subsetIndex maps a DestinationRule host (fully qualified) to the DestinationRules that define subsets
// for it, so that a subset is found only where its DestinationRule is exported.
type subsetIndex struct {
	exact    map[string][]*networking.DestinationRule
	owners   map[*networking.DestinationRule]*analyze.Object
	wildcard []*networking.DestinationRule
}

func newSubsetIndex(c *analyze.Context) *subsetIndex {
	si := &subsetIndex{exact: map[string][]*networking.DestinationRule{}, owners: map[*networking.DestinationRule]*analyze.Object{}}
	for _, o := range destinationRules(c) {
		dr := o.Spec.(*networking.DestinationRule)
		if len(dr.Subsets) == 0 {
			continue
		}
		si.owners[dr] = o
		host := analyze.FQDN(dr.Host, o.Namespace)
		if strings.HasPrefix(host, "*") {
			si.wildcard = append(si.wildcard, dr)
			continue
		}
		si.exact[host] = append(si.exact[host], dr)
	}
	return si
}

// lookup reports whether a DestinationRule defines subset for host, and whether one that does is
// exported to namespace ns.
func (si *subsetIndex) lookup(host, subset, ns string) (defined, visible bool) {
	check := func(dr *networking.DestinationRule) {
		if !slices.ContainsFunc(dr.Subsets, func(s *networking.Subset) bool { return s.Name == subset }) {
			return
		}
		defined = true
		o := si.owners[dr]
		visible = visible || analyze.ExportedTo(dr.ExportTo, o.Namespace, ns)
	}
	for _, dr := range si.exact[host] {
		check(dr)
	}
	for _, dr := range si.wildcard {
		if strings.HasSuffix(host, strings.TrimPrefix(analyze.FQDN(dr.Host, si.owners[dr].Namespace), "*")) {
			check(dr)
		}
	}
	return defined, visible
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
			switch {
			case !known && ix.HasServiceInput():
				c.Report("IST0101", o, ref.path+".host", "Referenced host not found: %q", d.Host)
			case known && !ix.HostVisible(fq, o.Namespace):
				c.Report("IST0101", o, ref.path+".host", "Referenced host not found: %q (%s exists but is not exported to namespace %s)", d.Host, fq, o.Namespace)
			}
			if d.Subset != "" {
				switch defined, visible := subsets.lookup(fq, d.Subset, o.Namespace); {
				case !defined:
					c.Report("IST0101", o, ref.path+".subset", "Referenced host+subset in destinationrule not found: %q", d.Host+"+"+d.Subset)
				case !visible:
					c.Report("IST0101", o, ref.path+".subset", "Referenced host+subset in destinationrule not found: %q (its DestinationRule is not exported to namespace %s)", d.Host+"+"+d.Subset, o.Namespace)
				}
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
		Description: "Checks that the gateways a VirtualService binds to exist, are not generated internally, and list its hosts",
		Codes:       []string{"IST0101", "IST0132", "IST0165"},
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
			if strings.Contains(name, internalGatewayMarker) {
				c.Report("IST0165", o, refs[g], "Gateway reference in VirtualService %s/%s is to an implementation-generated internal Gateway: %s/%s.", o.Namespace, o.Name, ns, name)
				continue
			}
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

// internalGatewayMarker is in the names of the Istio Gateways the control plane generates from Gateway
// API Gateways.
const internalGatewayMarker = "istio-autogenerated-k8s-gateway"

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
		// Only VirtualServices that some namespace sees together conflict: exportTo scopes them apart.
		var conflicting []*analyze.Object
		for i, a := range list {
			ea := a.Spec.(*networking.VirtualService).ExportTo
			if slices.ContainsFunc(list, func(b *analyze.Object) bool {
				return b != a && seenTogether(ea, a.Namespace, b.Spec.(*networking.VirtualService).ExportTo, b.Namespace)
			}) {
				conflicting = append(conflicting, list[i])
			}
		}
		if len(conflicting) < 2 {
			continue
		}
		names := make([]string, len(conflicting))
		for i, o := range conflicting {
			names[i] = o.Name + "." + o.Namespace
		}
		for _, o := range conflicting {
			c.Report("IST0109", o, "spec.hosts", "The VirtualServices %s associated with mesh gateway define the same host %s which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.", strings.Join(names, ","), host)
		}
	}
}

// seenTogether reports whether some namespace sees both objects, given their exportTo and namespaces.
func seenTogether(ea []string, nsA string, eb []string, nsB string) bool {
	everywhere := func(list []string) bool { return len(list) == 0 || slices.Contains(list, "*") }
	scope := func(list []string, owner string) []string { // the namespaces named, "." resolved
		var out []string
		for _, e := range list {
			switch e {
			case ".":
				out = append(out, owner)
			case "~", "*":
			default:
				out = append(out, e)
			}
		}
		return out
	}
	switch {
	case everywhere(ea):
		return everywhere(eb) || len(scope(eb, nsB)) > 0
	case everywhere(eb):
		return len(scope(ea, nsA)) > 0
	}
	sb := scope(eb, nsB)
	return slices.ContainsFunc(scope(ea, nsA), func(ns string) bool { return slices.Contains(sb, ns) })
}
