package analyzers

import (
	"fmt"
	"slices"
	"strings"

	"istio.io/api/label"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/meshapi"
)

func injectionLabels(ns *analyze.Object) []string {
	var out []string
	for _, l := range []string{meshapi.LabelInjection, meshapi.LabelRevision} {
		if _, ok := ns.Labels[l]; ok {
			out = append(out, l)
		}
	}
	return out
}

// expectsProxy reports whether a pod should run the proxy by meshapi's injection decision (the one
// kube-inject and meshd's webhook apply), for whichever revision its labels select. analyze does not read
// the injector's config: it assumes Istio's default policy and no never/always selectors, as istioctl
// analyze does. A pod whose namespace is not in the input is not judged.
func expectsProxy(c *analyze.Context, pod *analyze.Object) bool {
	ns := c.Store.Get(analyze.KindNamespace, "", pod.Namespace)
	if ns == nil {
		return false
	}
	hostNetwork, _ := pod.Get("spec.hostNetwork").(bool)
	d := meshapi.Decide(meshapi.InjectionRequest{
		Pod:             meshapi.Metadata{Labels: pod.Labels, Annotations: pod.Annotations},
		HostNetwork:     hostNetwork,
		Namespace:       pod.Namespace,
		NamespaceLabels: nonNil(ns.Labels),
		Revision:        meshapi.AnyRevision,
		Policy:          meshapi.PolicyEnabled,
	})
	return d.Verdict != meshapi.Skip
}

// nonNil turns a namespace without labels into an empty set: nil would tell meshapi.Decide that the
// namespace's labels are unknown.
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// injectionAnalyzer checks namespaces' injection labels and that pods of injected namespaces have a proxy.
type injectionAnalyzer struct{}

func (injectionAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "injection",
		Description: "Checks namespaces' sidecar injection labels and that pods in injected namespaces run the proxy",
		Codes:       []string{"IST0102", "IST0123", "IST0103", "IST0148"},
		Inputs:      []analyze.GroupKind{analyze.KindNamespace, analyze.KindPod, analyze.KindConfigMap},
	}
}

func (injectionAnalyzer) Analyze(c *analyze.Context) {
	byDefault := enablesNamespacesByDefault(c)
	for _, ns := range c.Store.List(analyze.KindNamespace) {
		if meshapi.IsSystemNamespace(ns.Name) || ns.Name == c.RootNamespace {
			continue
		}
		labels := injectionLabels(ns)
		switch {
		case len(labels) > 1:
			c.Report("IST0123", ns, "metadata.labels", "The namespace has more than one type of injection labels %v, which may lead to undefined behavior. Make sure only one injection label exists.", labels)
		case len(labels) == 0 && ns.Labels[label.IoIstioDataplaneMode.Name] != "ambient" && byDefault:
			c.Report("IST0148", ns, "metadata", "is enabled for Istio injection, as Istio is installed with enableNamespacesByDefault as true.")
		case len(labels) == 0 && ns.Labels[label.IoIstioDataplaneMode.Name] != "ambient":
			c.Report("IST0102", ns, "metadata", "The namespace is not enabled for Istio injection. Run 'kubectl label namespace %s istio-injection=enabled' to enable it, or 'kubectl label namespace %s istio-injection=disabled' to explicitly mark it as not needing injection.", ns.Name, ns.Name)
		}
	}
	for _, pod := range c.Store.List(analyze.KindPod) {
		if !expectsProxy(c, pod) {
			continue
		}
		if phase, _ := pod.Get("status.phase").(string); phase == "Succeeded" || phase == "Failed" {
			continue
		}
		if !hasContainer(pod.Map("spec"), meshapi.ProxyContainer) {
			c.Report("IST0103", pod, "spec.containers", "The pod %s is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.", pod.Name)
		}
	}
}

func hasContainer(podSpec map[string]any, name string) bool {
	for _, key := range []string{"containers", "initContainers"} {
		list, _ := podSpec[key].([]any)
		for _, ct := range list {
			if cm, _ := ct.(map[string]any); cm["name"] == name {
				return true
			}
		}
	}
	return false
}

func protocolOf(p analyze.ServicePort) string {
	return string(meshapi.ProtocolOf(meshapi.ServicePort{Name: p.Name, AppProtocol: p.AppProtocol, Protocol: p.Protocol}))
}

// servicePortAnalyzer checks Service port names and named target ports.
type servicePortAnalyzer struct{}

func (servicePortAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "service.ports",
		Description: "Checks that Service ports follow the protocol naming convention (ExternalName Services: a protocol that carries the host) and that named target ports exist on the pods",
		Codes:       []string{"IST0118", "IST0150", "MSH1101"},
		Inputs:      append([]analyze.GroupKind{analyze.KindService}, analyze.WorkloadKinds...),
	}
}

func (servicePortAnalyzer) Analyze(c *analyze.Context) {
	ix := c.Index()
	for _, ns := range c.Store.Namespaces(analyze.KindService) {
		if meshapi.IsSystemNamespace(ns) || ns == c.RootNamespace {
			continue
		}
		for _, svc := range ix.ServicesIn(ns) {
			if t, _ := svc.Object.Get("spec.type").(string); t == "ExternalName" {
				for i, p := range svc.Ports {
					if proto := protocolOf(p); p.Name == "" || proto == "" || proto == "tcp" {
						c.Report("IST0150", svc.Object, idx("spec.ports", i)+".name", "Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched traffic for ports serving TCP protocol from being forwarded correctly")
					}
				}
				continue
			}
			pods := ix.Select(ns, svc.Selector)
			for i, p := range svc.Ports {
				field := idx("spec.ports", i)
				if protocolOf(p) == "" && !strings.EqualFold(p.Protocol, "UDP") {
					c.Report("IST0118", svc.Object, field+".name", "Port name %s (port: %d, targetPort: %v) doesn't follow the naming convention of Istio port.", p.Name, p.Port, targetString(p))
				}
				name, named := p.TargetPort.(string)
				if !named || len(svc.Selector) == 0 || len(pods) == 0 {
					continue
				}
				for _, w := range pods {
					if !slices.ContainsFunc(containerPortsOf(w), func(cp containerPort) bool { return cp.name == name }) {
						c.Report("MSH1101", svc.Object, field+".targetPort", "Service port %s refers to targetPort %q, which no container of %s %s names", p.Name, name, strings.ToLower(w.Object.Kind), w.Object.Name)
						break
					}
				}
			}
		}
	}
}

func targetString(p analyze.ServicePort) string {
	if p.TargetPort == nil {
		return fmt.Sprint(p.Port)
	}
	return fmt.Sprint(p.TargetPort)
}

// deploymentServiceAnalyzer checks the Services that select the same pods against each other.
type deploymentServiceAnalyzer struct{}

func (deploymentServiceAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "deployment.services",
		Description: "Finds pods behind several Services that give one port different protocols, or one target port different ports",
		Codes:       []string{"IST0116", "IST0137"},
		Inputs:      append([]analyze.GroupKind{analyze.KindService}, analyze.WorkloadKinds...),
	}
}

func (deploymentServiceAnalyzer) Analyze(c *analyze.Context) {
	ix := c.Index()
	for _, ns := range c.Store.Namespaces(analyze.WorkloadKinds...) {
		if meshapi.IsSystemNamespace(ns) {
			continue
		}
		for _, w := range ix.Workloads(ns) {
			if refs, _ := w.Object.Get("metadata.ownerReferences").([]any); w.Object.GroupKind == analyze.KindPod && len(refs) > 0 {
				continue // its controller is checked instead
			}
			svcs := ix.ServicesSelecting(w)
			if len(svcs) < 2 {
				continue
			}
			protocols := map[int64]map[string][]string{} // port → protocol → services
			targets := map[string]map[int64][]string{}   // targetPort → port → services
			for _, s := range svcs {
				for _, p := range s.Ports {
					if protocols[p.Port] == nil {
						protocols[p.Port] = map[string][]string{}
					}
					proto := protocolOf(p)
					if proto == "" {
						proto = "auto"
					}
					protocols[p.Port][proto] = append(protocols[p.Port][proto], s.Object.Name)
					t := targetString(p)
					if targets[t] == nil {
						targets[t] = map[int64][]string{}
					}
					targets[t][p.Port] = append(targets[t][p.Port], s.Object.Name)
				}
			}
			for port, byProto := range protocols {
				if len(byProto) > 1 {
					var names []string
					for _, k := range sortedKeys(byProto) {
						names = append(names, byProto[k]...)
					}
					c.Report("IST0116", w.Object, "", "This %s %s is associated with multiple services using port %d but different protocols: %v", strings.ToLower(w.Object.Kind), w.Object.Name, port, names)
				}
			}
			for _, t := range sortedKeys(targets) {
				byPort := targets[t]
				if len(byPort) > 1 {
					var names []string
					var ports []int64
					for port, list := range byPort {
						names = append(names, list...)
						ports = append(ports, port)
					}
					slices.Sort(names)
					slices.Sort(ports)
					c.Report("IST0137", w.Object, "", "This %s %s is associated with multiple services %v using targetPort %q but different ports: %v.", strings.ToLower(w.Object.Kind), w.Object.Name, names, t, ports)
				}
			}
		}
	}
}

// uidAnalyzer finds application containers running as the proxy's user ID.
type uidAnalyzer struct{}

func (uidAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "workload.uid",
		Description: fmt.Sprintf("Finds application containers that run as UID %d, the proxy's", meshapi.ProxyUID),
		Codes:       []string{"IST0144"},
		Inputs:      analyze.WorkloadKinds,
	}
}

func (uidAnalyzer) Analyze(c *analyze.Context) {
	for _, ns := range c.Store.Namespaces(analyze.WorkloadKinds...) {
		for _, w := range c.Index().Workloads(ns) {
			if uid, _ := mapOf(w.PodSpec["securityContext"])["runAsUser"].(int64); uid == meshapi.ProxyUID {
				c.Report("IST0144", w.Object, w.Path+".securityContext.runAsUser", "User ID (UID) %d is reserved for the sidecar proxy.", meshapi.ProxyUID)
				continue
			}
			containers, _ := w.PodSpec["containers"].([]any)
			for i, ct := range containers {
				cm := mapOf(ct)
				if cm["name"] == meshapi.ProxyContainer {
					continue
				}
				if uid, _ := mapOf(cm["securityContext"])["runAsUser"].(int64); uid == meshapi.ProxyUID {
					c.Report("IST0144", w.Object, idx(w.Path+".containers", i)+".securityContext.runAsUser", "User ID (UID) %d is reserved for the sidecar proxy.", meshapi.ProxyUID)
				}
			}
		}
	}
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
