package meshapi

// The names the control plane's objects have, Istio's own, which users, tutorials and tools key on. A
// revisioned control plane appends "-<revision>" to the per-revision ones (Revisioned).
const (
	// DefaultNamespace is where the control plane lives unless the IstioOperator says otherwise.
	DefaultNamespace = "istio-system"

	// ControlPlane is the name of meshd's Deployment, Service and ServiceAccount, and the app label of its
	// pods (per revision).
	ControlPlane = "istiod"

	// ProxyContainer is the sidecar's container name, which tools look for.
	ProxyContainer = "istio-proxy"

	// MeshConfigMap holds the mesh config under MeshConfigKey (per revision).
	MeshConfigMap = "istio"
	MeshConfigKey = "mesh"

	// InjectorConfigMap holds the injector's policy and templates under InjectorConfigKey and the chart
	// values the templates read under InjectorValuesKey (per revision).
	InjectorConfigMap = "istio-sidecar-injector"
	InjectorConfigKey = "config"
	InjectorValuesKey = "values"

	// InjectorWebhook is the MutatingWebhookConfiguration that sends pods to the injector (per revision).
	InjectorWebhook = "istio-sidecar-injector"
	// DefaultValidatorWebhook is the ValidatingWebhookConfiguration of the revision the default tag points
	// at; each revision has its own too (ValidatorWebhook).
	DefaultValidatorWebhook = "istiod-default-validator"

	// CASecret is the self-signed CA meshd generates when the user plugged in none.
	CASecret = "istio-ca-secret"
	// PluggedCASecret is the CA a user plugs in (root, intermediate and key), which meshd prefers.
	PluggedCASecret = "cacerts"
	// RootCertConfigMap is the mesh's root certificate, which meshd copies into every namespace.
	RootCertConfigMap = "istio-ca-root-cert"

	// DefaultRevision is the istio.io/rev value of a control plane installed without a revision.
	DefaultRevision = "default"
)

// Revisioned is a per-revision object's name: name itself for a control plane installed without a
// revision, name-<revision> otherwise, as the charts name them.
func Revisioned(name, revision string) string {
	if revision == "" {
		return name
	}
	return name + "-" + revision
}

// ValidatorWebhook is the name of a revision's ValidatingWebhookConfiguration, which carries the namespace
// because it is cluster-scoped and two meshes may share a cluster.
func ValidatorWebhook(revision, namespace string) string {
	return Revisioned("istio-validator", revision) + "-" + namespace
}

// DiscoveryAddress is the address proxies reach a revision's meshd at for configuration and certificates.
func DiscoveryAddress(revision, namespace string) string {
	return Revisioned(ControlPlane, revision) + "." + namespace + ".svc:" + DiscoveryPort.String()
}

// systemNamespaces hold the cluster's own components: never injected, never expected in the mesh.
var systemNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true, "local-path-storage": true}

// IsSystemNamespace reports whether a namespace holds the cluster's own components, which the mesh leaves
// alone.
func IsSystemNamespace(name string) bool { return systemNamespaces[name] }
