package analyze

import (
	"google.golang.org/protobuf/proto"
	extensions "istio.io/api/extensions/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	networkingbeta "istio.io/api/networking/v1beta1"
	security "istio.io/api/security/v1beta1"
	telemetry "istio.io/api/telemetry/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupKind is a kind of object without its version.
type GroupKind = schema.GroupKind

// Kind is what the analyzers know about a kind of object: how to list it and, for Istio kinds, the
// message its spec decodes into.
type Kind struct {
	schema.GroupKind
	// Version is the version to list from a cluster; Resource its plural.
	Version, Resource string
	Namespaced        bool
	// Spec returns an empty message for the spec of an Istio kind; nil for other kinds.
	Spec func() proto.Message
	// Versions are the versions the API serves; Preferred is the one new objects should use.
	Versions  []string
	Preferred string
}

// GVR is the resource to list.
func (k Kind) GVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: k.Group, Version: k.Version, Resource: k.Resource}
}

// Group-kinds the analyzers use.
var (
	KindVirtualService        = schema.GroupKind{Group: "networking.istio.io", Kind: "VirtualService"}
	KindDestinationRule       = schema.GroupKind{Group: "networking.istio.io", Kind: "DestinationRule"}
	KindGateway               = schema.GroupKind{Group: "networking.istio.io", Kind: "Gateway"}
	KindServiceEntry          = schema.GroupKind{Group: "networking.istio.io", Kind: "ServiceEntry"}
	KindSidecar               = schema.GroupKind{Group: "networking.istio.io", Kind: "Sidecar"}
	KindEnvoyFilter           = schema.GroupKind{Group: "networking.istio.io", Kind: "EnvoyFilter"}
	KindWorkloadEntry         = schema.GroupKind{Group: "networking.istio.io", Kind: "WorkloadEntry"}
	KindWorkloadGroup         = schema.GroupKind{Group: "networking.istio.io", Kind: "WorkloadGroup"}
	KindProxyConfig           = schema.GroupKind{Group: "networking.istio.io", Kind: "ProxyConfig"}
	KindAuthorizationPolicy   = schema.GroupKind{Group: "security.istio.io", Kind: "AuthorizationPolicy"}
	KindPeerAuthentication    = schema.GroupKind{Group: "security.istio.io", Kind: "PeerAuthentication"}
	KindRequestAuthentication = schema.GroupKind{Group: "security.istio.io", Kind: "RequestAuthentication"}
	KindTelemetry             = schema.GroupKind{Group: "telemetry.istio.io", Kind: "Telemetry"}
	KindWasmPlugin            = schema.GroupKind{Group: "extensions.istio.io", Kind: "WasmPlugin"}

	KindNamespace      = schema.GroupKind{Kind: "Namespace"}
	KindService        = schema.GroupKind{Kind: "Service"}
	KindPod            = schema.GroupKind{Kind: "Pod"}
	KindSecret         = schema.GroupKind{Kind: "Secret"}
	KindConfigMap      = schema.GroupKind{Kind: "ConfigMap"}
	KindNode           = schema.GroupKind{Kind: "Node"}
	KindDeployment     = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	KindStatefulSet    = schema.GroupKind{Group: "apps", Kind: "StatefulSet"}
	KindDaemonSet      = schema.GroupKind{Group: "apps", Kind: "DaemonSet"}
	KindReplicaSet     = schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}
	KindJob            = schema.GroupKind{Group: "batch", Kind: "Job"}
	KindCronJob        = schema.GroupKind{Group: "batch", Kind: "CronJob"}
	KindMutatingHook   = schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}
	KindValidatingHook = schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}
)

// WorkloadKinds are the kinds whose pods (or pod templates) selectors match.
var WorkloadKinds = []schema.GroupKind{KindPod, KindDeployment, KindStatefulSet, KindDaemonSet, KindReplicaSet, KindJob, KindCronJob}

func istioKind(gk schema.GroupKind, resource string, spec func() proto.Message, versions ...string) Kind {
	preferred := versions[len(versions)-1]
	return Kind{GroupKind: gk, Version: preferred, Resource: resource, Namespaced: true, Spec: spec, Versions: versions, Preferred: preferred}
}

func kubeKind(gk schema.GroupKind, version, resource string, namespaced bool) Kind {
	return Kind{GroupKind: gk, Version: version, Resource: resource, Namespaced: namespaced, Versions: []string{version}, Preferred: version}
}

// kindTable lists every kind the analyzers read. Istio kinds decode into istio.io/api messages; the
// v1 and v1beta1 Go types of istio.io/api are aliases of v1alpha3/v1beta1 ones, so one message serves
// every version.
var kindTable = []Kind{
	istioKind(KindVirtualService, "virtualservices", func() proto.Message { return &networking.VirtualService{} }, "v1alpha3", "v1beta1", "v1"),
	istioKind(KindDestinationRule, "destinationrules", func() proto.Message { return &networking.DestinationRule{} }, "v1alpha3", "v1beta1", "v1"),
	istioKind(KindGateway, "gateways", func() proto.Message { return &networking.Gateway{} }, "v1alpha3", "v1beta1", "v1"),
	istioKind(KindServiceEntry, "serviceentries", func() proto.Message { return &networking.ServiceEntry{} }, "v1alpha3", "v1beta1", "v1"),
	istioKind(KindSidecar, "sidecars", func() proto.Message { return &networking.Sidecar{} }, "v1alpha3", "v1beta1", "v1"),
	istioKind(KindEnvoyFilter, "envoyfilters", func() proto.Message { return &networking.EnvoyFilter{} }, "v1alpha3"),
	istioKind(KindWorkloadEntry, "workloadentries", func() proto.Message { return &networking.WorkloadEntry{} }, "v1alpha3", "v1beta1", "v1"),
	istioKind(KindWorkloadGroup, "workloadgroups", func() proto.Message { return &networking.WorkloadGroup{} }, "v1alpha3", "v1beta1", "v1"),
	istioKind(KindProxyConfig, "proxyconfigs", func() proto.Message { return &networkingbeta.ProxyConfig{} }, "v1beta1"),
	istioKind(KindAuthorizationPolicy, "authorizationpolicies", func() proto.Message { return &security.AuthorizationPolicy{} }, "v1beta1", "v1"),
	istioKind(KindPeerAuthentication, "peerauthentications", func() proto.Message { return &security.PeerAuthentication{} }, "v1beta1", "v1"),
	istioKind(KindRequestAuthentication, "requestauthentications", func() proto.Message { return &security.RequestAuthentication{} }, "v1beta1", "v1"),
	istioKind(KindTelemetry, "telemetries", func() proto.Message { return &telemetry.Telemetry{} }, "v1alpha1", "v1"),
	istioKind(KindWasmPlugin, "wasmplugins", func() proto.Message { return &extensions.WasmPlugin{} }, "v1alpha1"),

	kubeKind(KindNamespace, "v1", "namespaces", false),
	kubeKind(KindService, "v1", "services", true),
	kubeKind(KindPod, "v1", "pods", true),
	kubeKind(KindSecret, "v1", "secrets", true),
	kubeKind(KindConfigMap, "v1", "configmaps", true),
	kubeKind(KindNode, "v1", "nodes", false),
	kubeKind(KindDeployment, "v1", "deployments", true),
	kubeKind(KindStatefulSet, "v1", "statefulsets", true),
	kubeKind(KindDaemonSet, "v1", "daemonsets", true),
	kubeKind(KindReplicaSet, "v1", "replicasets", true),
	kubeKind(KindJob, "v1", "jobs", true),
	kubeKind(KindCronJob, "v1", "cronjobs", true),
	kubeKind(KindMutatingHook, "v1", "mutatingwebhookconfigurations", false),
	kubeKind(KindValidatingHook, "v1", "validatingwebhookconfigurations", false),
}

// LookupKind returns what is known of a group-kind.
func LookupKind(gk schema.GroupKind) (Kind, bool) {
	for _, k := range kindTable {
		if k.GroupKind == gk {
			return k, true
		}
	}
	return Kind{}, false
}

// clusterScoped lists well-known kinds without a namespace, beyond kindTable, so that file objects of these
// kinds are not given the default namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"CustomResourceDefinition": true, "MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true,
	"StorageClass": true, "PriorityClass": true, "APIService": true, "GatewayClass": true, "IngressClass": true,
	"RuntimeClass": true, "CSIDriver": true, "VolumeAttachment": true, "ValidatingAdmissionPolicy": true,
	"ValidatingAdmissionPolicyBinding": true,
}
