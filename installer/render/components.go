// Package render turns an IstioOperator into Kubernetes objects: it renders meshctl's Helm charts with
// helm's engine, applies the IstioOperator's Kubernetes overlays with kustomize, and orders the result for
// installation. `manifest generate`, install, kube-inject's offline defaults and verify-install all use it,
// so they agree on every byte.
package render

// component describes how one IstioOperator component becomes a chart render.
type component struct {
	// name is the IstioOperator's key under spec.components.
	name string
	// label is the operator.istio.io/component value on every object of the component.
	label string
	// title is how install's progress names the component.
	title string
	// chart is the chart directory under charts/.
	chart string
	// prefix is where the component's Kubernetes settings go in the chart's values.
	prefix []string
	// release is the Helm release name; gateways use their own name.
	release string
	// workloadKind is the kind that k8s patches (strategy, volumes...) apply to.
	workloadKind string
	// gateway is set for ingressGateways and egressGateways, which may have several entries.
	gateway bool
}

// components in the order they install.
var components = []component{
	{name: "base", label: "Base", title: "Mesh core", chart: "base", prefix: []string{"base"}, release: "base"},
	{name: "pilot", label: "Pilot", title: "Istiod", chart: "istio-control/istio-discovery", prefix: []string{"pilot"}, release: "istiod", workloadKind: "Deployment"},
	{name: "cni", label: "Cni", title: "CNI", chart: "istio-cni", prefix: []string{"cni"}, release: "istio-cni", workloadKind: "DaemonSet"},
	{name: "ztunnel", label: "Ztunnel", title: "Ztunnel", chart: "ztunnel", prefix: []string{"ztunnel"}, release: "ztunnel", workloadKind: "DaemonSet"},
	{name: "egressGateways", label: "EgressGateways", title: "Egress gateways", chart: "gateways/istio-egress", prefix: []string{"gateways", "istio-egressgateway"}, workloadKind: "Deployment", gateway: true},
	{name: "ingressGateways", label: "IngressGateways", title: "Ingress gateways", chart: "gateways/istio-ingress", prefix: []string{"gateways", "istio-ingressgateway"}, workloadKind: "Deployment", gateway: true},
}

// ComponentNames are the IstioOperator component names, in install order.
func ComponentNames() []string {
	names := make([]string, len(components))
	for i, c := range components {
		names[i] = c.name
	}
	return names
}
