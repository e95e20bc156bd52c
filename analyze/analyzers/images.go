package analyzers

import (
	"encoding/json"
	"slices"

	"istio.io/api/annotation"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/meshapi"
)

// autoImage is the placeholder image of gateway deployments: the injector replaces it with the proxy's.
const autoImage = "auto"

// proxyImageAnalyzer checks the images of istio-proxy containers: the auto placeholder where no injection
// will replace it, and pods still running the image of an older control plane.
type proxyImageAnalyzer struct{}

func (proxyImageAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "injection.images",
		Description: "Finds istio-proxy containers with image: auto that no injection replaces, and injected pods whose proxy image is not the injector's",
		Codes:       []string{"IST0146", "IST0147", "IST0158"},
		Inputs:      append([]analyze.GroupKind{analyze.KindNamespace, analyze.KindConfigMap}, analyze.WorkloadKinds...),
	}
}

func (proxyImageAnalyzer) Analyze(c *analyze.Context) {
	byDefault := enablesNamespacesByDefault(c)
	for _, ns := range c.Store.Namespaces(analyze.WorkloadKinds...) {
		for _, w := range c.Index().Workloads(ns) {
			i := slices.IndexFunc(containers(w.PodSpec), func(ct map[string]any) bool {
				return ct["name"] == meshapi.ProxyContainer && ct["image"] == autoImage
			})
			if i < 0 {
				continue
			}
			field := idx(w.Path+".containers", i) + ".image"
			// A pod read from the cluster was created: it kept the placeholder, so injection did not happen.
			if w.Object.GroupKind == analyze.KindPod && !w.Object.FromFile() {
				c.Report("IST0147", w.Object, field, "Pod %s contains `image: auto` but does not match any Istio injection webhook selectors.", w.Object.Name)
				continue
			}
			if injected(c, w, byDefault) {
				continue
			}
			if w.Object.GroupKind == analyze.KindPod {
				c.Report("IST0147", w.Object, field, "Pod %s contains `image: auto` but does not match any Istio injection webhook selectors.", w.Object.Name)
			} else {
				c.Report("IST0146", w.Object, field, "%s %s contains `image: auto` but does not match any Istio injection webhook selectors.", w.Object.Kind, w.Object.Name)
			}
		}
	}
	reportImageMismatch(c)
}

// injected reports whether an injection webhook selects a workload's pods, by meshapi's decision for any
// revision. A namespace missing from the input leaves only the pods' own setting to decide.
func injected(c *analyze.Context, w *analyze.Workload, byDefault bool) bool {
	req := meshapi.InjectionRequest{
		Pod:       meshapi.Metadata{Labels: w.Labels, Annotations: w.Annotations},
		Namespace: w.Object.Namespace,
		Revision:  meshapi.AnyRevision,
		Policy:    meshapi.PolicyEnabled,
	}
	req.HostNetwork, _ = w.PodSpec["hostNetwork"].(bool)
	if ns := c.Store.Get(analyze.KindNamespace, "", w.Object.Namespace); ns != nil {
		req.NamespaceLabels = nonNil(ns.Labels)
		if byDefault && len(injectionLabels(ns)) == 0 {
			req.NamespaceLabels = map[string]string{meshapi.LabelInjection: meshapi.InjectionEnabled}
		}
	}
	return meshapi.Decide(req).Verdict != meshapi.Skip
}

// reportImageMismatch reports, per namespace enabled for injection, the pods whose istio-proxy image is
// not the one their revision's injector now injects.
func reportImageMismatch(c *analyze.Context) {
	images := map[string]string{} // revision -> image
	for _, in := range injectors(c) {
		if img := inject.ProxyImage(in.values); img != "" {
			images[in.revision] = img
		}
	}
	if len(images) == 0 {
		return
	}
	for _, ns := range c.Store.List(analyze.KindNamespace) {
		if len(injectionLabels(ns)) == 0 || ns.Labels[meshapi.LabelInjection] != "" && ns.Labels[meshapi.LabelInjection] != meshapi.InjectionEnabled {
			continue
		}
		var stale []string
		for _, pod := range c.Store.InNamespace(analyze.KindPod, ns.Name) {
			if _, custom := pod.Annotations[annotation.SidecarProxyImage.Name]; custom {
				continue
			}
			want := images[podRevision(pod, ns)]
			for _, ct := range containers(pod.Map("spec")) {
				if img, _ := ct["image"].(string); ct["name"] == meshapi.ProxyContainer && want != "" && img != autoImage && img != want {
					stale = append(stale, pod.Name)
				}
			}
		}
		if len(stale) > 0 {
			c.Report("IST0158", ns, "metadata.labels", "The Istio proxy images of the pods running in the namespace do not match the image defined in the injection configuration (pod names: %s). This often happens after upgrading the Istio control-plane and can be fixed by redeploying the pods.", joinNames(stale))
		}
	}
}

// podRevision is the control plane revision that injected a pod: its sidecar.istio.io/status, else its
// istio.io/rev label, else its namespace's.
func podRevision(pod, ns *analyze.Object) string {
	var status struct {
		Revision string `json:"revision"`
	}
	if s, ok := pod.Annotations[annotation.SidecarStatus.Name]; ok && json.Unmarshal([]byte(s), &status) == nil && status.Revision != "" {
		return status.Revision
	}
	for _, labels := range []map[string]string{pod.Labels, ns.Labels} {
		if rev := labels[meshapi.LabelRevision]; rev != "" {
			return rev
		}
	}
	return meshapi.DefaultRevision
}
