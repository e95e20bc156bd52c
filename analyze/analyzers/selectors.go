package analyzers

import (
	"istio.io/api/label"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/meshapi"
)

// selectorAnalyzer finds Service and policy selectors that match no workload.
type selectorAnalyzer struct{}

func (selectorAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "selectors",
		Description: "Finds Service, Sidecar, policy and telemetry selectors that match no workload",
		Codes:       []string{"IST0127", "IST0101"},
		Inputs: append([]analyze.GroupKind{analyze.KindService, analyze.KindSidecar, analyze.KindPeerAuthentication, analyze.KindAuthorizationPolicy,
			analyze.KindRequestAuthentication, analyze.KindTelemetry, analyze.KindWasmPlugin, analyze.KindEnvoyFilter}, analyze.WorkloadKinds...),
	}
}

// selectorFields says where each kind keeps its selector, and the code for one that matches nothing:
// Istio reports Sidecar and Telemetry selectors as references not found (IST0101).
var selectorFields = []struct {
	gk   analyze.GroupKind
	path string
	code string
}{
	{analyze.KindService, "spec.selector", "IST0127"},
	{analyze.KindSidecar, "spec.workloadSelector.labels", "IST0101"},
	{analyze.KindEnvoyFilter, "spec.workloadSelector.labels", "IST0127"},
	{analyze.KindPeerAuthentication, "spec.selector.matchLabels", "IST0127"},
	{analyze.KindAuthorizationPolicy, "spec.selector.matchLabels", "IST0127"},
	{analyze.KindRequestAuthentication, "spec.selector.matchLabels", "IST0127"},
	{analyze.KindTelemetry, "spec.selector.matchLabels", "IST0101"},
	{analyze.KindWasmPlugin, "spec.selector.matchLabels", "IST0127"},
}

func (selectorAnalyzer) Analyze(c *analyze.Context) {
	ix := c.Index()
	for _, sf := range selectorFields {
		for _, o := range c.Store.List(sf.gk) {
			sel := o.StringMap(sf.path)
			if len(sel) == 0 || meshapi.IsSystemNamespace(o.Namespace) || selectsKubernetesGateway(sel) {
				continue // a Kubernetes gateway selector is IST0166's
			}
			switch sf.gk {
			case analyze.KindService:
				if t, _ := o.Get("spec.type").(string); t == "ExternalName" {
					continue
				}
			case analyze.KindTelemetry:
				if o.Namespace == c.RootNamespace {
					continue // ignored there: IST0166
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
			if found || o.Namespace == c.RootNamespace && !ix.HasWorkloadInput(c.RootNamespace) {
				continue
			}
			if sf.code == "IST0101" {
				c.Report("IST0101", o, sf.path, "Referenced selector not found: %q", analyze.LabelString(sel))
			} else {
				c.Report("IST0127", o, sf.path, "No matching workloads for this resource with the following labels: %s", analyze.LabelString(sel))
			}
		}
	}
}

// selectsKubernetesGateway reports whether a selector picks the pods of a Kubernetes Gateway API gateway,
// which the controller labels with the Gateway's name.
func selectsKubernetesGateway(sel map[string]string) bool {
	_, ok := sel[label.IoK8sNetworkingGatewayGatewayName.Name]
	return ok
}

// ineffectiveSelectorAnalyzer finds policy selectors that cannot take effect.
type ineffectiveSelectorAnalyzer struct{}

func (ineffectiveSelectorAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "selectors.ineffective",
		Description: "Finds policy selectors without effect: on Kubernetes Gateway pods (which need targetRef), or on a Telemetry in the root namespace",
		Codes:       []string{"IST0166"},
		Inputs:      []analyze.GroupKind{analyze.KindAuthorizationPolicy, analyze.KindRequestAuthentication, analyze.KindTelemetry, analyze.KindWasmPlugin},
	}
}

func (ineffectiveSelectorAnalyzer) Analyze(c *analyze.Context) {
	for _, gk := range []analyze.GroupKind{analyze.KindAuthorizationPolicy, analyze.KindRequestAuthentication, analyze.KindTelemetry, analyze.KindWasmPlugin} {
		for _, o := range c.Store.List(gk) {
			sel := o.StringMap("spec.selector.matchLabels")
			if len(sel) == 0 || o.Get("spec.targetRef") != nil || o.Get("spec.targetRefs") != nil {
				continue
			}
			switch {
			case selectsKubernetesGateway(sel):
				c.Report("IST0166", o, "spec.selector", "Ineffective selector on Kubernetes Gateway %s. Use the TargetRef field instead.", sel[label.IoK8sNetworkingGatewayGatewayName.Name])
			case gk == analyze.KindTelemetry && o.Namespace == c.RootNamespace:
				c.Report("IST0166", o, "spec.selector", "Ineffective selector on a Telemetry in the root namespace %s: workload selectors are ignored there. Move it to the workloads' namespace.", o.Namespace)
			}
		}
	}
}
