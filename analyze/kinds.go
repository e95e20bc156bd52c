package analyze

import (
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshctl/meshctl/meshapi/validation"
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
	// Names, when set, are the only objects of the kind the analyzers read from a cluster (the Gateway API
	// CRDs among all CRDs): a reader gets them one by one instead of listing the kind.
	Names []string
}

// GVR is the resource to list.
func (k Kind) GVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: k.Group, Version: k.Version, Resource: k.Resource}
}

// Group-kinds the analyzers use.
var (
	KindVirtualService        = validation.KindVirtualService
	KindDestinationRule       = validation.KindDestinationRule
	KindGateway               = validation.KindGateway
	KindServiceEntry          = validation.KindServiceEntry
	KindSidecar               = validation.KindSidecar
	KindEnvoyFilter           = validation.KindEnvoyFilter
	KindWorkloadEntry         = validation.KindWorkloadEntry
	KindWorkloadGroup         = validation.KindWorkloadGroup
	KindProxyConfig           = validation.KindProxyConfig
	KindAuthorizationPolicy   = validation.KindAuthorizationPolicy
	KindPeerAuthentication    = validation.KindPeerAuthentication
	KindRequestAuthentication = validation.KindRequestAuthentication
	KindTelemetry             = validation.KindTelemetry
	KindWasmPlugin            = validation.KindWasmPlugin

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
	KindCRD            = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}

	// The Kubernetes Gateway API (gateway.networking.k8s.io).
	KindK8sGateway     = schema.GroupKind{Group: GatewayAPIGroup, Kind: "Gateway"}
	KindGatewayClass   = schema.GroupKind{Group: GatewayAPIGroup, Kind: "GatewayClass"}
	KindHTTPRoute      = schema.GroupKind{Group: GatewayAPIGroup, Kind: "HTTPRoute"}
	KindGRPCRoute      = schema.GroupKind{Group: GatewayAPIGroup, Kind: "GRPCRoute"}
	KindTCPRoute       = schema.GroupKind{Group: GatewayAPIGroup, Kind: "TCPRoute"}
	KindTLSRoute       = schema.GroupKind{Group: GatewayAPIGroup, Kind: "TLSRoute"}
	KindReferenceGrant = schema.GroupKind{Group: GatewayAPIGroup, Kind: "ReferenceGrant"}
)

// GatewayAPIGroup is the API group of the Kubernetes Gateway API.
const GatewayAPIGroup = "gateway.networking.k8s.io"

// RouteKinds are the Gateway API route kinds.
var RouteKinds = []schema.GroupKind{KindHTTPRoute, KindGRPCRoute, KindTCPRoute, KindTLSRoute}

// GatewayAPICRDs are the names of the Gateway API CRDs, the only CRDs the analyzers read.
var GatewayAPICRDs = []string{
	"gatewayclasses." + GatewayAPIGroup, "gateways." + GatewayAPIGroup, "httproutes." + GatewayAPIGroup,
	"grpcroutes." + GatewayAPIGroup, "tcproutes." + GatewayAPIGroup, "tlsroutes." + GatewayAPIGroup,
	"referencegrants." + GatewayAPIGroup,
}

// WorkloadKinds are the kinds whose pods (or pod templates) selectors match.
var WorkloadKinds = []schema.GroupKind{KindPod, KindDeployment, KindStatefulSet, KindDaemonSet, KindReplicaSet, KindJob, KindCronJob}

func istioKind(k validation.Kind) Kind {
	preferred := k.Versions[len(k.Versions)-1]
	return Kind{GroupKind: k.GroupKind, Version: preferred, Resource: k.Resource, Namespaced: true, Spec: k.New, Versions: k.Versions, Preferred: preferred}
}

func kubeKind(gk schema.GroupKind, version, resource string, namespaced bool) Kind {
	return Kind{GroupKind: gk, Version: version, Resource: resource, Namespaced: namespaced, Versions: []string{version}, Preferred: version}
}

// gatewayAPIKind is a Gateway API kind served at versions, oldest first: a cluster is read at the newest
// version it serves.
func gatewayAPIKind(gk schema.GroupKind, resource string, namespaced bool, versions ...string) Kind {
	newest := versions[len(versions)-1]
	return Kind{GroupKind: gk, Version: newest, Resource: resource, Namespaced: namespaced, Versions: versions, Preferred: newest}
}

// kindTable lists every kind the analyzers read: the Istio kinds of meshapi/validation, whose specs decode
// into istio.io/api messages, then the Kubernetes kinds.
var kindTable = append(istioKinds(), []Kind{
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
	func() Kind {
		k := kubeKind(KindCRD, "v1", "customresourcedefinitions", false)
		k.Names = GatewayAPICRDs
		return k
	}(),
	gatewayAPIKind(KindK8sGateway, "gateways", true, "v1beta1", "v1"),
	gatewayAPIKind(KindGatewayClass, "gatewayclasses", false, "v1beta1", "v1"),
	gatewayAPIKind(KindHTTPRoute, "httproutes", true, "v1beta1", "v1"),
	gatewayAPIKind(KindGRPCRoute, "grpcroutes", true, "v1alpha2", "v1"),
	gatewayAPIKind(KindTCPRoute, "tcproutes", true, "v1alpha2"),
	gatewayAPIKind(KindTLSRoute, "tlsroutes", true, "v1alpha2", "v1alpha3", "v1"),
	gatewayAPIKind(KindReferenceGrant, "referencegrants", true, "v1alpha2", "v1beta1", "v1"),
}...)

func istioKinds() []Kind {
	var out []Kind
	for _, k := range validation.Kinds() {
		out = append(out, istioKind(k))
	}
	return out
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
