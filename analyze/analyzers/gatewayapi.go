package analyzers

import (
	"fmt"
	"slices"

	"github.com/meshctl/meshctl/analyze"
)

// gatewayAPIAnalyzer checks the references of Kubernetes Gateway API resources, as the Gateway API
// defines them: routes to their parent Gateways (and the listeners that must admit them) or Services, and
// to their backends; Gateways to their class and certificates; across namespaces only where a
// ReferenceGrant allows it.
type gatewayAPIAnalyzer struct{}

func (gatewayAPIAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "gatewayapi.references",
		Description: "Checks Gateway API routes' parentRefs and backendRefs and Gateways' class and certificateRefs: the targets exist, and cross-namespace references are allowed",
		Codes:       []string{"IST0101", "MSH1103"},
		Inputs: append([]analyze.GroupKind{analyze.KindK8sGateway, analyze.KindGatewayClass, analyze.KindReferenceGrant, analyze.KindService,
			analyze.KindServiceEntry, analyze.KindSecret, analyze.KindNamespace}, analyze.RouteKinds...),
	}
}

// objRef is a Gateway API reference: group, kind, namespace and name, with the defaults filled in.
type objRef struct {
	group, kind, namespace, name string
	port                         int64
	section                      string
}

func refAt(m map[string]any, defaultGroup, defaultKind, defaultNS string) objRef {
	r := objRef{group: defaultGroup, kind: defaultKind, namespace: defaultNS}
	if g, ok := m["group"].(string); ok {
		r.group = g
	}
	if k, ok := m["kind"].(string); ok && k != "" {
		r.kind = k
	}
	if ns, ok := m["namespace"].(string); ok && ns != "" {
		r.namespace = ns
	}
	r.name, _ = m["name"].(string)
	r.port, _ = m["port"].(int64)
	r.section, _ = m["sectionName"].(string)
	return r
}

func (gatewayAPIAnalyzer) Analyze(c *analyze.Context) {
	grants := newGrantIndex(c)
	for _, gk := range analyze.RouteKinds {
		for _, o := range c.Store.List(gk) {
			checkParentRefs(c, o)
			checkBackendRefs(c, o, grants)
		}
	}
	for _, o := range c.Store.List(analyze.KindK8sGateway) {
		checkGateway(c, o, grants)
	}
}

func checkParentRefs(c *analyze.Context, route *analyze.Object) {
	refs, _ := route.Get("spec.parentRefs").([]any)
	for i, r := range refs {
		ref := refAt(mapOf(r), analyze.GatewayAPIGroup, "Gateway", route.Namespace)
		field := idx("spec.parentRefs", i)
		switch {
		case ref.group == analyze.GatewayAPIGroup && ref.kind == "Gateway":
			gw := c.Store.Get(analyze.KindK8sGateway, ref.namespace, ref.name)
			if gw == nil {
				if c.Store.Complete(analyze.KindK8sGateway, ref.namespace) {
					c.Report("IST0101", route, field, "Referenced parent Gateway not found: %q", ref.namespace+"/"+ref.name)
				}
				continue
			}
			checkListeners(c, route, gw, ref, field)
		case ref.group == "" && ref.kind == "Service": // a mesh route (GAMMA)
			if c.Store.Get(analyze.KindService, ref.namespace, ref.name) == nil && c.Index().HasServiceInput() {
				c.Report("IST0101", route, field, "Referenced parent Service not found: %q", ref.namespace+"/"+ref.name)
			}
		}
	}
}

// checkListeners checks that the listener a route names exists and that some listener admits the route:
// its namespace (allowedRoutes.namespaces) and its kind (allowedRoutes.kinds, or the listener protocol's).
func checkListeners(c *analyze.Context, route, gw *analyze.Object, ref objRef, field string) {
	listeners, _ := gw.Get("spec.listeners").([]any)
	var candidates []map[string]any
	for _, l := range listeners {
		lm := mapOf(l)
		if ref.section == "" || lm["name"] == ref.section {
			candidates = append(candidates, lm)
		}
	}
	if len(candidates) == 0 {
		if ref.section != "" {
			c.Report("IST0101", route, field+".sectionName", "Referenced listener not found: %q in Gateway %s/%s", ref.section, gw.Namespace, gw.Name)
		}
		return
	}
	var reasons []string
	for _, l := range candidates {
		reason := listenerRefuses(c, l, gw.Namespace, route)
		if reason == "" {
			return
		}
		reasons = append(reasons, reason)
	}
	c.Report("MSH1103", route, field, "Gateway %s/%s does not accept this route: %s", gw.Namespace, gw.Name, reasons[0])
}

// listenerRefuses says why a listener does not admit a route, or "".
func listenerRefuses(c *analyze.Context, l map[string]any, gwNS string, route *analyze.Object) string {
	name, _ := l["name"].(string)
	allowed := mapOf(l["allowedRoutes"])
	from, _ := mapOf(allowed["namespaces"])["from"].(string)
	switch from {
	case "All":
	case "Selector":
		sel := stringMapOf(mapOf(mapOf(mapOf(allowed["namespaces"])["selector"])["matchLabels"]))
		ns := c.Store.Get(analyze.KindNamespace, "", route.Namespace)
		if ns != nil && !analyze.Matches(sel, ns.Labels) {
			return fmt.Sprintf("listener %s admits routes from namespaces labelled %s only", name, analyze.LabelString(sel))
		}
	default: // Same
		if route.Namespace != gwNS {
			return fmt.Sprintf("listener %s admits routes from namespace %s only (allowedRoutes.namespaces.from: Same)", name, gwNS)
		}
	}
	kinds, _ := allowed["kinds"].([]any)
	var admitted []string
	for _, k := range kinds {
		km := mapOf(k)
		if g, ok := km["group"].(string); ok && g != analyze.GatewayAPIGroup {
			continue
		}
		kind, _ := km["kind"].(string)
		admitted = append(admitted, kind)
	}
	if len(kinds) == 0 {
		protocol, _ := l["protocol"].(string)
		admitted = routeKindsFor[protocol]
		if admitted == nil {
			return "" // a protocol of an implementation's own: not judged
		}
	}
	if !slices.Contains(admitted, route.Kind) {
		return fmt.Sprintf("listener %s admits %v, not %s", name, admitted, route.Kind)
	}
	return ""
}

// routeKindsFor are the route kinds a listener admits by default, by protocol.
var routeKindsFor = map[string][]string{
	"HTTP": {"HTTPRoute", "GRPCRoute"}, "HTTPS": {"HTTPRoute", "GRPCRoute"}, "TLS": {"TLSRoute", "TCPRoute"}, "TCP": {"TCPRoute"},
}

func stringMapOf(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func checkBackendRefs(c *analyze.Context, route *analyze.Object, grants *grantIndex) {
	rules, _ := route.Get("spec.rules").([]any)
	for i, r := range rules {
		refs, _ := mapOf(r)["backendRefs"].([]any)
		for j, b := range refs {
			field := idx(idx("spec.rules", i)+".backendRefs", j)
			ref := refAt(mapOf(b), "", "Service", route.Namespace)
			var target *analyze.Object
			known := true
			switch {
			case ref.group == "" && ref.kind == "Service":
				target = c.Store.Get(analyze.KindService, ref.namespace, ref.name)
				known = c.Index().HasServiceInput()
			case ref.group == analyze.KindServiceEntry.Group && ref.kind == "ServiceEntry":
				target = c.Store.Get(analyze.KindServiceEntry, ref.namespace, ref.name)
			default:
				continue // Hostname and implementations' own kinds
			}
			if target == nil {
				if known {
					c.Report("IST0101", route, field, "Referenced backend %s not found: %q", ref.kind, ref.namespace+"/"+ref.name)
				}
				continue
			}
			if ref.namespace != route.Namespace && !grants.allows(route, ref) {
				c.Report("MSH1103", route, field, "backendRef to %s %s/%s is not permitted: no ReferenceGrant in namespace %s allows %s from namespace %s", ref.kind, ref.namespace, ref.name, ref.namespace, route.Kind, route.Namespace)
				continue
			}
			if ref.kind == "Service" && ref.port != 0 && !c.Index().Service(target.Name+"."+target.Namespace+"."+analyze.DefaultDomain).HasPort(ref.port) {
				c.Report("IST0101", route, field+".port", "Referenced backend port not found: Service %s/%s has no port %d", ref.namespace, ref.name, ref.port)
			}
		}
	}
}

func checkGateway(c *analyze.Context, gw *analyze.Object, grants *grantIndex) {
	if class, _ := gw.Get("spec.gatewayClassName").(string); class != "" && len(c.Store.List(analyze.KindGatewayClass)) > 0 &&
		c.Store.Get(analyze.KindGatewayClass, "", class) == nil {
		c.Report("IST0101", gw, "spec.gatewayClassName", "Referenced GatewayClass not found: %q", class)
	}
	listeners, _ := gw.Get("spec.listeners").([]any)
	for i, l := range listeners {
		certs, _ := mapOf(mapOf(l)["tls"])["certificateRefs"].([]any)
		for j, cr := range certs {
			field := idx(idx("spec.listeners", i)+".tls.certificateRefs", j)
			ref := refAt(mapOf(cr), "", "Secret", gw.Namespace)
			if ref.group != "" || ref.kind != "Secret" {
				continue
			}
			if c.Store.Get(analyze.KindSecret, ref.namespace, ref.name) == nil {
				if secretsKnown(c, ref.namespace) {
					c.Report("IST0101", gw, field, "Referenced certificate Secret not found: %q", ref.namespace+"/"+ref.name)
				}
				continue
			}
			if ref.namespace != gw.Namespace && !grants.allows(gw, ref) {
				c.Report("MSH1103", gw, field, "certificateRef to Secret %s/%s is not permitted: no ReferenceGrant in namespace %s allows Gateway from namespace %s", ref.namespace, ref.name, ref.namespace, gw.Namespace)
			}
		}
	}
}

// grantIndex holds the ReferenceGrants by the namespace they grant access to.
type grantIndex struct {
	byNS map[string][]*analyze.Object
}

func newGrantIndex(c *analyze.Context) *grantIndex {
	gi := &grantIndex{byNS: map[string][]*analyze.Object{}}
	for _, o := range c.Store.List(analyze.KindReferenceGrant) {
		gi.byNS[o.Namespace] = append(gi.byNS[o.Namespace], o)
	}
	return gi
}

// allows reports whether a ReferenceGrant in the target's namespace lets from (a Gateway API object) refer
// to the target.
func (gi *grantIndex) allows(from *analyze.Object, to objRef) bool {
	for _, g := range gi.byNS[to.namespace] {
		fromOK := slices.ContainsFunc(listAt(g, "spec.from"), func(f map[string]any) bool {
			return f["group"] == from.Group && f["kind"] == from.Kind && f["namespace"] == from.Namespace
		})
		toOK := slices.ContainsFunc(listAt(g, "spec.to"), func(t map[string]any) bool {
			group, _ := t["group"].(string)
			name, hasName := t["name"].(string)
			return group == to.group && t["kind"] == to.kind && (!hasName || name == "" || name == to.name)
		})
		if fromOK && toOK {
			return true
		}
	}
	return false
}

func listAt(o *analyze.Object, path string) []map[string]any {
	list, _ := o.Get(path).([]any)
	out := make([]map[string]any, 0, len(list))
	for _, x := range list {
		out = append(out, mapOf(x))
	}
	return out
}
