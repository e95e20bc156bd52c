package analyzers

import (
	"slices"
	"strings"

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
		Description: "Finds PeerAuthentication, AuthorizationPolicy and Sidecar resources that have no effect, AuthorizationPolicy namespaces that do not exist, and ALLOW policies that deny everything",
		Codes:       []string{"IST0167", "MSH1102", "IST0101"},
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
		if namespacesKnown(c) {
			checkPolicyNamespaces(c, o, ap)
		}
	}
}

// namespacesKnown reports whether the input says which namespaces exist: read from a cluster, or files
// that define Namespaces.
func namespacesKnown(c *analyze.Context) bool {
	return c.Store.Complete(analyze.KindNamespace, "") && len(c.Store.List(analyze.KindNamespace)) > 0
}

// checkPolicyNamespaces reports the namespaces and notNamespaces of a policy's sources that name no
// namespace ("*" patterns match by prefix or suffix, as Istio's).
func checkPolicyNamespaces(c *analyze.Context, o *analyze.Object, ap *security.AuthorizationPolicy) {
	exists := func(pattern string) bool {
		switch {
		case pattern == "*":
			return true
		case strings.HasPrefix(pattern, "*"):
			return slices.ContainsFunc(c.Store.List(analyze.KindNamespace), func(n *analyze.Object) bool { return strings.HasSuffix(n.Name, pattern[1:]) })
		case strings.HasSuffix(pattern, "*"):
			return slices.ContainsFunc(c.Store.List(analyze.KindNamespace), func(n *analyze.Object) bool { return strings.HasPrefix(n.Name, pattern[:len(pattern)-1]) })
		}
		return c.Store.Get(analyze.KindNamespace, "", pattern) != nil
	}
	for i, r := range ap.Rules {
		for j, f := range r.From {
			src := f.GetSource()
			for field, list := range map[string][]string{"namespaces": src.GetNamespaces(), "notNamespaces": src.GetNotNamespaces()} {
				for k, ns := range list {
					if !exists(ns) {
						c.Report("IST0101", o, idx(idx(idx("spec.rules", i)+".from", j)+".source."+field, k), "Referenced namespace not found: %q", ns)
					}
				}
			}
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
		reportSharedWorkloads(c, ns, claimed, "IST0110", "spec.workloadSelector", "Sidecars")
	}
}

// reportSharedWorkloads reports, once per resource, resources of one kind whose selectors claim the same
// workload (IST0110 for Sidecars, IST0159 for Telemetries).
func reportSharedWorkloads(c *analyze.Context, ns string, claimed map[*analyze.Workload][]*analyze.Object, code, field, kinds string) {
	reported := map[*analyze.Object]bool{}
	for _, w := range c.Index().Workloads(ns) {
		list := claimed[w]
		if len(list) < 2 {
			continue
		}
		for _, o := range list {
			if !reported[o] {
				reported[o] = true
				c.Report(code, o, field, "The %s %v in namespace %q select the same workload pod %q, which can lead to undefined behavior.", kinds, objectNames(list), ns, w.Object.Name)
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
		Description: "Finds Telemetry resources with empty provider names, several selector-less Telemetries in a namespace, and Telemetries selecting the same pods",
		Codes:       []string{"IST0157", "IST0160", "IST0159"},
		Inputs:      append([]analyze.GroupKind{analyze.KindTelemetry}, analyze.WorkloadKinds...),
	}
}

func (telemetryAnalyzer) Analyze(c *analyze.Context) {
	ix := c.Index()
	for _, ns := range c.Store.Namespaces(analyze.KindTelemetry) {
		var noSelector []*analyze.Object
		claimed := map[*analyze.Workload][]*analyze.Object{}
		for _, o := range c.Store.InNamespace(analyze.KindTelemetry, ns) {
			t, ok := o.Spec.(*telemetry.Telemetry)
			if !ok {
				continue
			}
			sel := t.GetSelector().GetMatchLabels()
			if len(sel) == 0 && t.TargetRef == nil && len(t.TargetRefs) == 0 {
				noSelector = append(noSelector, o)
			}
			if len(sel) > 0 && ns != c.RootNamespace { // selectors are ignored in the root namespace (IST0166)
				for _, w := range ix.Select(ns, sel) {
					claimed[w] = append(claimed[w], o)
				}
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
		reportSharedWorkloads(c, ns, claimed, "IST0159", "spec.selector", "Telemetries")
	}
}
