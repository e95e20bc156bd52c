package analyzers

import (
	"slices"

	"github.com/meshctl/meshctl/analyze"
)

// conditionAnalyzer reports the status conditions by which the control plane (Istio's or meshd) says a
// resource does not work: what `kubectl get -o yaml` shows and few read.
type conditionAnalyzer struct{}

func (conditionAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "status.conditions",
		Description: "Reports status conditions that show a problem: waypoint binding, policy acceptance, Gateway API Accepted, Programmed and ResolvedRefs",
		Codes:       []string{"IST0171"},
		Inputs: []analyze.GroupKind{analyze.KindService, analyze.KindServiceEntry, analyze.KindWorkloadEntry, analyze.KindAuthorizationPolicy,
			analyze.KindK8sGateway, analyze.KindHTTPRoute, analyze.KindGRPCRoute},
	}
}

// negativeConditions are, per kind, the condition types whose False status is a problem.
var negativeConditions = map[analyze.GroupKind][]string{
	analyze.KindService:             {"istio.io/WaypointBound"},
	analyze.KindServiceEntry:        {"istio.io/WaypointBound"},
	analyze.KindWorkloadEntry:       {"istio.io/WaypointBound"},
	analyze.KindAuthorizationPolicy: {"ZtunnelAccepted", "WaypointAccepted"},
	analyze.KindK8sGateway:          {"Accepted", "Programmed", "ResolvedRefs"},
	analyze.KindHTTPRoute:           {"Accepted", "Programmed", "ResolvedRefs"},
	analyze.KindGRPCRoute:           {"Accepted", "Programmed", "ResolvedRefs"},
}

func (conditionAnalyzer) Analyze(c *analyze.Context) {
	for _, gk := range []analyze.GroupKind{analyze.KindService, analyze.KindServiceEntry, analyze.KindWorkloadEntry, analyze.KindAuthorizationPolicy,
		analyze.KindK8sGateway, analyze.KindHTTPRoute, analyze.KindGRPCRoute} {
		types := negativeConditions[gk]
		for _, o := range c.Store.List(gk) {
			status := o.Map("status")
			if status == nil {
				continue
			}
			check := func(path string, conds []any) {
				for i, cond := range conds {
					cm := mapOf(cond)
					t, _ := cm["type"].(string)
					st, _ := cm["status"].(string)
					reason, _ := cm["reason"].(string)
					negative := st == "False" && slices.Contains(types, t) ||
						gk == analyze.KindAuthorizationPolicy && t == "WaypointAccepted" && st == "True" && reason == "PartiallyInvalid"
					if negative {
						msg, _ := cm["message"].(string)
						c.Report("IST0171", o, idx(path, i), "A condition with a negative status is present: type=%s, reason=%s, message=%s.", t, reason, msg)
					}
				}
			}
			conds, _ := status["conditions"].([]any)
			check("status.conditions", conds)
			parents, _ := status["parents"].([]any) // routes: one set of conditions per parent
			for i, p := range parents {
				conds, _ := mapOf(p)["conditions"].([]any)
				check(idx("status.parents", i)+".conditions", conds)
			}
		}
	}
}
