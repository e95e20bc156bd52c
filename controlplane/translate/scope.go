package translate

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/controlplane/model"
)

// scope is what a sidecar may see: its namespace and its Sidecar's egress hosts ("ns/host").
type scope struct {
	ns      string
	sidecar *model.Config[*networking.Sidecar] // nil: the default, every host of every namespace
	hosts   []egressHost
	key     string // identifies the scope for sharing work between proxies
}

// egressHost is one "ns/host" of an egress listener, for its port only when port is set.
type egressHost struct {
	ns, host string
	port     uint32
}

// scopeOf finds the Sidecar that applies to p, as Istio does: one in p's namespace whose workload
// selector matches, else the one of p's namespace without a selector, else the root namespace's.
func scopeOf(s *model.Snapshot, p *Proxy) *scope {
	ns := p.Namespace()
	var chosen *model.Config[*networking.Sidecar]
	for _, c := range s.Sidecars {
		if c.Namespace == ns && c.Spec.GetWorkloadSelector() != nil && matchesLabels(c.Spec.GetWorkloadSelector().GetLabels(), p.Labels()) {
			chosen = c
			break
		}
	}
	for _, c := range s.Sidecars {
		if chosen == nil && c.Namespace == ns && c.Spec.GetWorkloadSelector() == nil {
			chosen = c
		}
	}
	for _, c := range s.Sidecars {
		if chosen == nil && c.Namespace == s.RootNamespace() && c.Spec.GetWorkloadSelector() == nil {
			chosen = c
		}
	}
	sc := &scope{ns: ns, sidecar: chosen, key: ns + "|*/*"}
	if chosen == nil {
		sc.hosts = []egressHost{{"*", "*", 0}}
		return sc
	}
	sc.key = ns + "|" + chosen.Namespace + "/" + chosen.Name
	for _, eg := range chosen.Spec.GetEgress() {
		port := eg.GetPort().GetNumber()
		for _, h := range eg.GetHosts() {
			n, host, ok := strings.Cut(h, "/")
			if !ok {
				n, host = "*", h
			}
			if n == "." {
				n = ns
			}
			sc.hosts = append(sc.hosts, egressHost{n, host, port})
		}
	}
	return sc
}

// allows: an object of namespace ns for host may be seen by the scope's egress hosts.
func (sc *scope) allows(ns, host string) bool {
	for _, h := range sc.hosts {
		if (h.ns == "*" || h.ns == ns) && hostMatches(h.host, host) {
			return true
		}
	}
	return false
}

// allowsPort: an egress listener of that port (or of every port) lets the scope see host's port.
func (sc *scope) allowsPort(ns, host string, port uint32) bool {
	for _, h := range sc.hosts {
		if (h.port == 0 || h.port == port) && (h.ns == "*" || h.ns == ns) && hostMatches(h.host, host) {
			return true
		}
	}
	return false
}

// seesNamespace: some egress host can match objects of ns.
func (sc *scope) seesNamespace(ns string) bool {
	for _, h := range sc.hosts {
		if h.ns == "*" || h.ns == ns {
			return true
		}
	}
	return false
}

// or is an object's exportTo, else the mesh's default for its kind.
func or(exportTo, meshDefault []string) []string {
	if len(exportTo) > 0 {
		return exportTo
	}
	return meshDefault
}

// exported: an object of namespace ns with that exportTo (empty: the mesh default, everywhere) is
// visible in namespace to.
func exported(exportTo []string, ns, to string) bool {
	if len(exportTo) == 0 {
		return true
	}
	for _, e := range exportTo {
		switch e {
		case "*":
			return true
		case ".":
			if ns == to {
				return true
			}
		case "~":
		default:
			if e == to {
				return true
			}
		}
	}
	return false
}

// hostMatches: pattern ("*", "*.example.com" or a name) covers host (a name or a wildcard no wider).
func hostMatches(pattern, host string) bool {
	switch {
	case pattern == "*" || pattern == host:
		return true
	case strings.HasPrefix(pattern, "*."):
		suffix := pattern[1:]
		return strings.HasSuffix(strings.TrimPrefix(host, "*"), suffix)
	}
	return false
}

// hostsOverlap: two host patterns can match a common name.
func hostsOverlap(a, b string) bool { return hostMatches(a, b) || hostMatches(b, a) }

// fqdn expands a short host name of a rule in namespace ns, as Istio does: a name without dots is
// a Service of the rule's namespace; anything else is already complete.
func fqdn(host, ns, domain string) string {
	if host == "*" || strings.Contains(host, ".") {
		return host
	}
	return host + "." + ns + ".svc." + domain
}
