package analyzers

import (
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/analyze"
)

// envoyFilterAnalyzer checks EnvoyFilter patches against the rules the EnvoyFilter API documents: which
// operations each applyTo supports, and which operations depend on the order filters are applied in.
type envoyFilterAnalyzer struct{}

func (envoyFilterAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "envoyfilter",
		Description: "Finds EnvoyFilter patches whose operation the applyTo ignores, and relative operations without a priority",
		Codes:       []string{"IST0151", "IST0152", "IST0153", "IST0154", "IST0155"},
		Inputs:      []analyze.GroupKind{analyze.KindEnvoyFilter},
	}
}

// relative operations need another filter to be there when they apply; absolute ones (ADD, INSERT_FIRST)
// do not. An unset operation counts as relative, as Istio counts it.
var relative = map[networking.EnvoyFilter_Patch_Operation]bool{
	networking.EnvoyFilter_Patch_INVALID: true, networking.EnvoyFilter_Patch_MERGE: true, networking.EnvoyFilter_Patch_REMOVE: true,
	networking.EnvoyFilter_Patch_INSERT_BEFORE: true, networking.EnvoyFilter_Patch_INSERT_AFTER: true, networking.EnvoyFilter_Patch_REPLACE: true,
	networking.EnvoyFilter_Patch_MERGE_AND_REPLACE_LIST: true,
}

func (envoyFilterAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range c.Store.List(analyze.KindEnvoyFilter) {
		ef, ok := o.Spec.(*networking.EnvoyFilter)
		if !ok {
			continue
		}
		for i, cp := range ef.ConfigPatches {
			field := idx("spec.configPatches", i) + ".patch.operation"
			op := cp.GetPatch().GetOperation()
			route := cp.ApplyTo == networking.EnvoyFilter_ROUTE_CONFIGURATION || cp.ApplyTo == networking.EnvoyFilter_HTTP_ROUTE
			switch {
			case op == networking.EnvoyFilter_Patch_REPLACE && cp.ApplyTo != networking.EnvoyFilter_HTTP_FILTER && cp.ApplyTo != networking.EnvoyFilter_NETWORK_FILTER:
				c.Report("IST0152", o, field, "The REPLACE operation is only valid for HTTP_FILTER and NETWORK_FILTER.")
				continue
			case op == networking.EnvoyFilter_Patch_ADD && route:
				c.Report("IST0153", o, field, "The ADD operation will be ignored when applyTo is set to ROUTE_CONFIGURATION, or HTTP_ROUTE.")
				continue
			case op == networking.EnvoyFilter_Patch_REMOVE && route:
				c.Report("IST0154", o, field, "The REMOVE operation will be ignored when applyTo is set to ROUTE_CONFIGURATION, or HTTP_ROUTE.")
				continue
			}
			if ef.Priority != 0 || !relative[op] {
				continue
			}
			if cp.GetMatch().GetProxy().GetProxyVersion() != "" {
				c.Report("IST0155", o, field, "This EnvoyFilter does not have a priority and has a relative patch operation (%s) and proxy version set which can cause the EnvoyFilter not to be applied during an upgrade. Using the INSERT_FIRST or ADD option or setting the priority may help in ensuring the EnvoyFilter is applied correctly.", op)
			} else {
				c.Report("IST0151", o, field, "This EnvoyFilter does not have a priority and has a relative patch operation set which can cause the EnvoyFilter not to be applied. Using the INSERT_FIRST or ADD option or setting the priority may help in ensuring the EnvoyFilter is applied correctly.")
			}
		}
	}
}
