package analyzers

import (
	"slices"

	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	telemetry "istio.io/api/telemetry/v1alpha1"

	"github.com/meshctl/meshctl/analyze"
)

// policyAnalyzer finds security policies that have no effect, or an effect the author likely did not want.
type policyAnalyzer struct{}

func (policyAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "security.policies",
		Description: "Finds PeerAuthentication, AuthorizationPolicy and Sidecar resources that have no effect, and ALLOW policies that deny everything",
		Codes:       []string{"IST0167", "MSH1102"},
		Inputs:      []analyze.GroupKind{analyze.KindPeerAuthentication, analyze.KindAuthorizationPolicy, analyze.KindSidecar, analyze.KindNamespace},
	}
}

func ambient(c *analyze.Context, ns string) bool {
	o := c.Store.Get(analyze.KindNamespace, "", ns)
	return o != nil && o.Labels["istio.io/dataplane-mode"] == "ambient"
}

func (policyAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range c.Store.List(analyze.KindPeerAuthentication) {
		pa, ok := o.Spec.(*security.PeerAuthentication)
		if !ok {
			continue
		}
		if len(pa.PortLevelMtls) > 0 && len(pa.GetSelector().GetMatchLabels()) == 0 {
			c.Report("IST0167", o, "spec.portLevelMtls", "The policy has no impact: portLevelMtls has no effect without a workload selector.")
		}
	}
	for _, o := range c.Store.List(analyze.KindSidecar) {
		if _, ok := o.Spec.(*networking.Sidecar); ok && ambient(c, o.Namespace) {
			c.Report("IST0167", o, "", "The policy has no impact: namespace is in ambient mode, the policy has no impact.")
		}
	}
	for _, o := range c.Store.List(analyze.KindAuthorizationPolicy) {
		ap, ok := o.Spec.(*security.AuthorizationPolicy)
		if !ok {
			continue
		}
		if ap.Action == security.AuthorizationPolicy_ALLOW && len(ap.Rules) == 0 {
			c.Report("MSH1102", o, "spec", "This ALLOW policy has no rules and denies every request to the workloads it selects")
		}
	}
}

// sidecarAnalyzer finds Sidecars that compete for the same workloads.
type sidecarAnalyzer struct{}

func (sidecarAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "sidecar.selectors",
		Description: "Finds several selector-less Sidecars in a namespace, and Sidecars selecting the same pods",
		Codes:       []string{"IST0110", "IST0111"},
		Inputs:      append([]analyze.GroupKind{analyze.KindSidecar}, analyze.WorkloadKinds...),
	}
}

func (sidecarAnalyzer) Analyze(c *analyze.Context) {
	ix := c.Index()
	for _, ns := range c.Store.Namespaces(analyze.KindSidecar) {
		var noSelector []*analyze.Object
		claimed := map[*analyze.Workload][]*analyze.Object{}
		for _, o := range c.Store.InNamespace(analyze.KindSidecar, ns) {
			sc, ok := o.Spec.(*networking.Sidecar)
			if !ok {
				continue
			}
			sel := sc.GetWorkloadSelector().GetLabels()
			if len(sel) == 0 {
				noSelector = append(noSelector, o)
				continue
			}
			for _, w := range ix.Select(ns, sel) {
				claimed[w] = append(claimed[w], o)
			}
		}
		if len(noSelector) > 1 {
			names := objectNames(noSelector)
			for _, o := range noSelector {
				c.Report("IST0111", o, "spec", "The Sidecars %v in namespace %q have no workload selector, which can lead to undefined behavior.", names, ns)
			}
		}
		reported := map[*analyze.Object]bool{}
		for _, w := range ix.Workloads(ns) {
			list := claimed[w]
			if len(list) < 2 {
				continue
			}
			for _, o := range list {
				if !reported[o] {
					reported[o] = true
					c.Report("IST0110", o, "spec.workloadSelector", "The Sidecars %v in namespace %q select the same workload pod %q, which can lead to undefined behavior.", objectNames(list), ns, w.Object.Name)
				}
			}
		}
	}
}

func objectNames(list []*analyze.Object) []string {
	names := make([]string, len(list))
	for i, o := range list {
		names[i] = o.Name
	}
	return names
}

// telemetryAnalyzer checks Telemetry resources.
type telemetryAnalyzer struct{}

func (telemetryAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "telemetry",
		Description: "Finds Telemetry resources with empty provider names, and several selector-less Telemetries in a namespace",
		Codes:       []string{"IST0157", "IST0160"},
		Inputs:      []analyze.GroupKind{analyze.KindTelemetry},
	}
}

func (telemetryAnalyzer) Analyze(c *analyze.Context) {
	for _, ns := range c.Store.Namespaces(analyze.KindTelemetry) {
		var noSelector []*analyze.Object
		for _, o := range c.Store.InNamespace(analyze.KindTelemetry, ns) {
			t, ok := o.Spec.(*telemetry.Telemetry)
			if !ok {
				continue
			}
			if len(t.GetSelector().GetMatchLabels()) == 0 && t.TargetRef == nil && len(t.TargetRefs) == 0 {
				noSelector = append(noSelector, o)
			}
			var refs []*telemetry.ProviderRef
			for _, m := range t.Metrics {
				refs = append(refs, m.Providers...)
			}
			for _, tr := range t.Tracing {
				refs = append(refs, tr.Providers...)
			}
			for _, a := range t.AccessLogging {
				refs = append(refs, a.Providers...)
			}
			if slices.ContainsFunc(refs, func(r *telemetry.ProviderRef) bool { return r.GetName() == "" }) {
				c.Report("IST0157", o, "spec", "The Telemetry %v in namespace %q with empty providers will be ignored.", o.Name, ns)
			}
		}
		if len(noSelector) > 1 {
			for _, o := range noSelector {
				c.Report("IST0160", o, "spec", "The Telemetries %v in namespace %q have no workload selector, which can lead to undefined behavior.", objectNames(noSelector), ns)
			}
		}
	}
}
