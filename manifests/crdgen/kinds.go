package crdgen

import "google.golang.org/protobuf/reflect/protoreflect"

// Kind describes one custom resource: its names, the versions the API server serves, and the
// protobuf message its spec is generated from.
type Kind struct {
	Group      string
	Kind       string
	Plural     string
	ShortNames []string
	Categories []string
	// Spec is the full name of the message the spec schema is derived from. Empty means the spec
	// is not validated by the API server (x-kubernetes-preserve-unknown-fields).
	Spec protoreflect.FullName
	// SpecRequired makes spec itself required, where Istio's CRDs require it.
	SpecRequired bool
	// Versions are served; Storage names the one the API server persists.
	Versions []string
	Storage  string
	Columns  []Column
}

// Column is an additionalPrinterColumn shown by `kubectl get`.
type Column struct {
	Name     string
	Type     string // string, integer, date ...
	JSONPath string
}

var age = Column{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"}

// The v1 and v1beta1 Go packages of istio.io/api are aliases of the v1alpha3 (networking),
// v1beta1 (security) and v1alpha1 (telemetry) types, so every served version shares one
// descriptor. Storage versions are those of Istio's own charts (the oldest served version), so that
// clusters that already hold Istio objects keep their storedVersions.
var (
	networkingVersions = []string{"v1", "v1alpha3", "v1beta1"}
	securityVersions   = []string{"v1", "v1beta1"}

	networkingCategories = []string{"istio-io", "networking-istio-io"}
	securityCategories   = []string{"istio-io", "security-istio-io"}
)

// Kinds lists the custom resources of the base chart. Definitions sorts them by group and plural.
func Kinds() []Kind {
	return []Kind{
		{
			Group: "extensions.istio.io", Kind: "WasmPlugin", Plural: "wasmplugins",
			Categories: []string{"istio-io", "extensions-istio-io"},
			Spec:       "istio.extensions.v1alpha1.WasmPlugin", SpecRequired: true,
			Versions: []string{"v1alpha1"}, Storage: "v1alpha1",
			Columns: []Column{age},
		},
		{
			Group: "install.istio.io", Kind: "IstioOperator", Plural: "istiooperators",
			ShortNames: []string{"iop", "io"},
			// meshctl validates IstioOperator itself, with errors that name the file and line.
			Versions: []string{"v1alpha1"}, Storage: "v1alpha1",
			Columns: []Column{
				{Name: "Revision", Type: "string", JSONPath: ".spec.revision"},
				{Name: "Status", Type: "string", JSONPath: ".status.status"},
				age,
			},
		},
		{
			Group: "networking.istio.io", Kind: "DestinationRule", Plural: "destinationrules",
			ShortNames: []string{"dr"}, Categories: networkingCategories,
			Spec:     "istio.networking.v1alpha3.DestinationRule",
			Versions: networkingVersions, Storage: "v1alpha3",
			Columns: []Column{{Name: "Host", Type: "string", JSONPath: ".spec.host"}, age},
		},
		{
			Group: "networking.istio.io", Kind: "EnvoyFilter", Plural: "envoyfilters",
			Categories: networkingCategories,
			Spec:       "istio.networking.v1alpha3.EnvoyFilter",
			Versions:   []string{"v1alpha3"}, Storage: "v1alpha3",
		},
		{
			Group: "networking.istio.io", Kind: "Gateway", Plural: "gateways",
			ShortNames: []string{"gw"}, Categories: networkingCategories,
			Spec:     "istio.networking.v1alpha3.Gateway",
			Versions: networkingVersions, Storage: "v1alpha3",
		},
		{
			Group: "networking.istio.io", Kind: "ProxyConfig", Plural: "proxyconfigs",
			Categories: networkingCategories,
			Spec:       "istio.networking.v1beta1.ProxyConfig",
			Versions:   []string{"v1beta1"}, Storage: "v1beta1",
		},
		{
			Group: "networking.istio.io", Kind: "ServiceEntry", Plural: "serviceentries",
			ShortNames: []string{"se"}, Categories: networkingCategories,
			Spec: "istio.networking.v1alpha3.ServiceEntry", SpecRequired: true,
			Versions: networkingVersions, Storage: "v1alpha3",
			Columns: []Column{
				{Name: "Hosts", Type: "string", JSONPath: ".spec.hosts"},
				{Name: "Location", Type: "string", JSONPath: ".spec.location"},
				{Name: "Resolution", Type: "string", JSONPath: ".spec.resolution"},
				age,
			},
		},
		{
			Group: "networking.istio.io", Kind: "Sidecar", Plural: "sidecars",
			Categories: networkingCategories,
			Spec:       "istio.networking.v1alpha3.Sidecar",
			Versions:   networkingVersions, Storage: "v1alpha3",
		},
		{
			Group: "networking.istio.io", Kind: "VirtualService", Plural: "virtualservices",
			ShortNames: []string{"vs"}, Categories: networkingCategories,
			Spec:     "istio.networking.v1alpha3.VirtualService",
			Versions: networkingVersions, Storage: "v1alpha3",
			Columns: []Column{
				{Name: "Gateways", Type: "string", JSONPath: ".spec.gateways"},
				{Name: "Hosts", Type: "string", JSONPath: ".spec.hosts"},
				age,
			},
		},
		{
			Group: "networking.istio.io", Kind: "WorkloadEntry", Plural: "workloadentries",
			ShortNames: []string{"we"}, Categories: networkingCategories,
			Spec: "istio.networking.v1alpha3.WorkloadEntry", SpecRequired: true,
			Versions: networkingVersions, Storage: "v1alpha3",
			Columns: []Column{{Name: "Address", Type: "string", JSONPath: ".spec.address"}, age},
		},
		{
			Group: "networking.istio.io", Kind: "WorkloadGroup", Plural: "workloadgroups",
			ShortNames: []string{"wg"}, Categories: networkingCategories,
			Spec: "istio.networking.v1alpha3.WorkloadGroup", SpecRequired: true,
			Versions: networkingVersions, Storage: "v1alpha3",
			Columns: []Column{age},
		},
		{
			Group: "security.istio.io", Kind: "AuthorizationPolicy", Plural: "authorizationpolicies",
			ShortNames: []string{"ap"}, Categories: securityCategories,
			Spec:     "istio.security.v1beta1.AuthorizationPolicy",
			Versions: securityVersions, Storage: "v1beta1",
			Columns: []Column{{Name: "Action", Type: "string", JSONPath: ".spec.action"}, age},
		},
		{
			Group: "security.istio.io", Kind: "PeerAuthentication", Plural: "peerauthentications",
			ShortNames: []string{"pa"}, Categories: securityCategories,
			Spec:     "istio.security.v1beta1.PeerAuthentication",
			Versions: securityVersions, Storage: "v1beta1",
			Columns: []Column{{Name: "Mode", Type: "string", JSONPath: ".spec.mtls.mode"}, age},
		},
		{
			Group: "security.istio.io", Kind: "RequestAuthentication", Plural: "requestauthentications",
			ShortNames: []string{"ra"}, Categories: securityCategories,
			Spec:     "istio.security.v1beta1.RequestAuthentication",
			Versions: securityVersions, Storage: "v1beta1",
		},
		{
			Group: "telemetry.istio.io", Kind: "Telemetry", Plural: "telemetries",
			ShortNames: []string{"telemetry"}, Categories: []string{"istio-io", "telemetry-istio-io"},
			Spec:     "istio.telemetry.v1alpha1.Telemetry",
			Versions: []string{"v1", "v1alpha1"}, Storage: "v1alpha1",
			Columns: []Column{age},
		},
	}
}
