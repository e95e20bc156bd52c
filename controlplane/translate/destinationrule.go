package translate

import (
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/controlplane/model"
)

// destinationRule is the rule that applies to host for a proxy of namespace ns, as Istio picks it:
// one of the proxy's namespace, else of the service's namespace (svcNS), else of the root
// namespace, else any other exported to the proxy; an exact host before a wildcard; oldest first.
func destinationRule(s *model.Snapshot, ns, host, svcNS string) *model.Config[*networking.DestinationRule] {
	var best *model.Config[*networking.DestinationRule]
	bestRank := 1 << 30
	for _, c := range s.DestinationRules {
		h := fqdn(c.Spec.GetHost(), c.Namespace, s.ClusterDomain)
		if !hostMatches(h, host) || !exported(or(c.Spec.GetExportTo(), s.Mesh.GetDefaultDestinationRuleExportTo()), c.Namespace, ns) {
			continue
		}
		if sel := c.Spec.GetWorkloadSelector(); sel != nil {
			continue // rules for chosen workloads only: not a client-side rule
		}
		rank := 3
		switch c.Namespace {
		case ns:
			rank = 0
		case svcNS:
			rank = 1
		case s.RootNamespace():
			rank = 2
		}
		rank *= 2
		if h != host {
			rank++
		}
		if rank < bestRank {
			best, bestRank = c, rank
		}
	}
	return best
}
