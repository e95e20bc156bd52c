package validation

import (
	"google.golang.org/protobuf/proto"
	extensions "istio.io/api/extensions/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	networkingbeta "istio.io/api/networking/v1beta1"
	security "istio.io/api/security/v1beta1"
	telemetry "istio.io/api/telemetry/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The Istio kinds whose spec this package decodes and validates.
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
)

// Kind is an Istio kind: how it is served and the message its spec decodes into.
type Kind struct {
	schema.GroupKind
	// Resource is the plural name of the API resource (virtualservices).
	Resource string
	// Versions are the versions Istio serves, oldest first; the last one is preferred.
	Versions []string
	// New returns an empty spec message. The v1 and v1beta1 Go types of istio.io/api are aliases of the
	// v1alpha3 and v1beta1 ones, so one message serves every version.
	New func() proto.Message
}

// Serves reports whether the kind is served at version.
func (k Kind) Serves(version string) bool {
	for _, v := range k.Versions {
		if v == version {
			return true
		}
	}
	return false
}

var kinds = []Kind{
	{KindVirtualService, "virtualservices", []string{"v1alpha3", "v1beta1", "v1"}, func() proto.Message { return &networking.VirtualService{} }},
	{KindDestinationRule, "destinationrules", []string{"v1alpha3", "v1beta1", "v1"}, func() proto.Message { return &networking.DestinationRule{} }},
	{KindGateway, "gateways", []string{"v1alpha3", "v1beta1", "v1"}, func() proto.Message { return &networking.Gateway{} }},
	{KindServiceEntry, "serviceentries", []string{"v1alpha3", "v1beta1", "v1"}, func() proto.Message { return &networking.ServiceEntry{} }},
	{KindSidecar, "sidecars", []string{"v1alpha3", "v1beta1", "v1"}, func() proto.Message { return &networking.Sidecar{} }},
	{KindEnvoyFilter, "envoyfilters", []string{"v1alpha3"}, func() proto.Message { return &networking.EnvoyFilter{} }},
	{KindWorkloadEntry, "workloadentries", []string{"v1alpha3", "v1beta1", "v1"}, func() proto.Message { return &networking.WorkloadEntry{} }},
	{KindWorkloadGroup, "workloadgroups", []string{"v1alpha3", "v1beta1", "v1"}, func() proto.Message { return &networking.WorkloadGroup{} }},
	{KindProxyConfig, "proxyconfigs", []string{"v1beta1"}, func() proto.Message { return &networkingbeta.ProxyConfig{} }},
	{KindAuthorizationPolicy, "authorizationpolicies", []string{"v1beta1", "v1"}, func() proto.Message { return &security.AuthorizationPolicy{} }},
	{KindPeerAuthentication, "peerauthentications", []string{"v1beta1", "v1"}, func() proto.Message { return &security.PeerAuthentication{} }},
	{KindRequestAuthentication, "requestauthentications", []string{"v1beta1", "v1"}, func() proto.Message { return &security.RequestAuthentication{} }},
	{KindTelemetry, "telemetries", []string{"v1alpha1", "v1"}, func() proto.Message { return &telemetry.Telemetry{} }},
	{KindWasmPlugin, "wasmplugins", []string{"v1alpha1"}, func() proto.Message { return &extensions.WasmPlugin{} }},
}

var kindIndex = func() map[schema.GroupKind]int {
	m := make(map[schema.GroupKind]int, len(kinds))
	for i, k := range kinds {
		m[k.GroupKind] = i
	}
	return m
}()

// Kinds returns every Istio kind, networking first.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// LookupKind returns the Istio kind of gk.
func LookupKind(gk schema.GroupKind) (Kind, bool) {
	i, ok := kindIndex[gk]
	if !ok {
		return Kind{}, false
	}
	return kinds[i], true
}
