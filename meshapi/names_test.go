package meshapi_test

import (
	"testing"

	"github.com/meshctl/meshctl/meshapi"
)

func TestNames(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{meshapi.Revisioned(meshapi.InjectorConfigMap, ""), "istio-sidecar-injector"},
		{meshapi.Revisioned(meshapi.MeshConfigMap, "canary"), "istio-canary"},
		{meshapi.ValidatorWebhook("", "istio-system"), "istio-validator-istio-system"},
		{meshapi.ValidatorWebhook("canary", "mesh"), "istio-validator-canary-mesh"},
		{meshapi.DiscoveryAddress("", "istio-system"), "istiod.istio-system.svc:15012"},
		{meshapi.DiscoveryAddress("canary", "mesh"), "istiod-canary.mesh.svc:15012"},
		{meshapi.ProxyOwnInboundPorts("15020"), "15090,15021,15020"},
		{meshapi.ProxyOwnInboundPorts("0"), "15090,15021"},
		{meshapi.ProxyOwnInboundPorts(""), "15090,15021"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	for ns, want := range map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true, "local-path-storage": true, "default": false, "istio-system": false} {
		if meshapi.IsSystemNamespace(ns) != want {
			t.Errorf("IsSystemNamespace(%q) != %v", ns, want)
		}
	}
}
