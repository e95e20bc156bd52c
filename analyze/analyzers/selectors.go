package analyzers

import (
	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/meshapi"
)

// selectorAnalyzer finds Service and policy selectors that match no workload.
type selectorAnalyzer struct{}

func (selectorAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "selectors",
		Description: "Finds Service, Sidecar, policy and telemetry selectors that match no workload",
		Codes:       []string{"IST0127"},
		Inputs: append([]analyze.GroupKind{analyze.KindService, analyze.KindSidecar, analyze.KindPeerAuthentication, analyze.KindAuthorizationPolicy,
			analyze.KindRequestAuthentication, analyze.KindTelemetry, analyze.KindWasmPlugin, analyze.KindEnvoyFilter}, analyze.WorkloadKinds...),
	}
}

// selectorFields says where each kind keeps its selector.
var selectorFields = []struct {
	gk   analyze.GroupKind
	path string
}{
	{analyze.KindService, "spec.selector"},
	{analyze.KindSidecar, "spec.workloadSelector.labels"},
	{analyze.KindEnvoyFilter, "spec.workloadSelector.labels"},
	{analyze.KindPeerAuthentication, "spec.selector.matchLabels"},
	{analyze.KindAuthorizationPolicy, "spec.selector.matchLabels"},
	{analyze.KindRequestAuthentication, "spec.selector.matchLabels"},
	{analyze.KindTelemetry, "spec.selector.matchLabels"},
	{analyze.KindWasmPlugin, "spec.selector.matchLabels"},
}

func (selectorAnalyzer) Analyze(c *analyze.Context) {
	ix := c.Index()
	for _, sf := range selectorFields {
		for _, o := range c.Store.List(sf.gk) {
			sel := o.StringMap(sf.path)
			if len(sel) == 0 || meshapi.IsSystemNamespace(o.Namespace) {
				continue
			}
			if sf.gk == analyze.KindService {
				if t, _ := o.Get("spec.type").(string); t == "ExternalName" {
					continue
				}
			}
			var found bool
			if o.Namespace == c.RootNamespace && sf.gk != analyze.KindService {
				found = len(ix.SelectAnyNamespace(sel)) > 0 // root-namespace policies apply mesh-wide
			} else {
				if !ix.HasWorkloadInput(o.Namespace) {
					continue
				}
				found = len(ix.Select(o.Namespace, sel)) > 0
			}
			if !found && (o.Namespace != c.RootNamespace || ix.HasWorkloadInput(c.RootNamespace)) {
				c.Report("IST0127", o, sf.path, "No matching workloads for this resource with the following labels: %s", analyze.LabelString(sel))
			}
		}
	}
}
