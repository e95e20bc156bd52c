package meshapi

import "istio.io/api/label"

// Names Istio publishes live in istio.io/api's annotation and label packages: use them from there (their
// .Name), never retyped. Here are only the names istio.io/api does not publish.
const (
	// LabelInjection on a namespace turns injection on ("enabled") or off (any other value) for the default
	// revision. Istio's own constant lives outside istio.io/api.
	LabelInjection = "istio-injection"
	// InjectionEnabled is the LabelInjection value that turns injection on.
	InjectionEnabled = "enabled"

	// AnnotationOriginalProbes keeps the application's probes as they were before injection pointed them at
	// the proxy (JSON: container name -> probe field -> probe), so that they can be restored.
	AnnotationOriginalProbes = "sidecar.meshctl.io/originalProbes"
)

// The owner labels every object meshctl installs carries (the charts' contract): uninstall and prune find
// objects by them. Istio's own installs use the same keys but app.kubernetes.io/part-of=istio, which is how
// an install of another tool is told apart.
const (
	// LabelOwner names the installed-state object that owns an object.
	LabelOwner = "install.operator.istio.io/owning-resource"
	// LabelPartOf is the tool an object is part of: PartOfMeshctl for ours.
	LabelPartOf   = "app.kubernetes.io/part-of"
	PartOfMeshctl = "meshctl"
)

// Owner labels istio.io/api publishes, under the names the installer uses.
var (
	// LabelComponent is the IstioOperator component an object belongs to (Base, Pilot, IngressGateways...).
	LabelComponent = label.OperatorComponent.Name
	// LabelRevision is the control plane revision an object, a namespace or a pod belongs to.
	LabelRevision = label.IoIstioRev.Name
)
