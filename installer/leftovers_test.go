package installer_test

import (
	"context"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
)

// meshLeftovers is how the tests decide that "nothing of the mesh is left" after uninstall --purge. It
// shares no code with uninstall: it walks every kind the API server lists (deletable or not, every group,
// both scopes) and reports each object that carries one of the mesh's labels or one of the names the
// control plane gives the objects it creates at run time. It is meant to hold when meshd runs in the
// cluster too, so it knows Istio's run-time names, not only what meshctl's charts render.
//
// An object labelled app.kubernetes.io/part-of=<another tool> (Istio's own install) is not the mesh's.
// Events are records about objects, not objects an uninstall owns; only the label rules apply to them.
func meshLeftovers(ctx context.Context, disc discovery.DiscoveryInterface, dyn dynamic.Interface) ([]string, error) {
	var out []string
	err := eachObject(ctx, disc, dyn, func(r listable, u *unstructured.Unstructured) {
		if why := meshObject(r, u); why != "" {
			out = append(out, objectID(r, u)+" ("+why+")")
		}
	})
	sort.Strings(out)
	return out, err
}

// The mesh's labels: the owner labels every object meshctl renders carries (installer/labels.go, written
// out here so that a change there cannot silently change what this looks for).
var meshLabels = []string{
	"install.operator.istio.io/owning-resource",
	"operator.istio.io/component",
}

const partOf = "app.kubernetes.io/part-of"

// leaderElections are the ConfigMaps and Leases Istio's control plane elects leaders with
// (pilot/pkg/leaderelection, old and current names). Any Lease named istio-* counts too: per-revision
// elections append the revision (istio-gateway-deployment-default).
var leaderElections = []string{
	"istio-leader", "istio-namespace-controller-election", "istio-validation-controller-election",
	"istio-serviceexport-controller-election", "istio-clustertrustbundle-controller-election",
	"istio-gateway-leader", "istio-gateway-status-leader", "istio-gateway-deployment-leader",
	"istio-status-leader", "istio-analyze-leader", "istio-gateway-inferencepool",
	"istio-node-untaint", "istio-ip-autoallocate",
}

// meshObject says why u is the mesh's, or "" when it is not.
func meshObject(r listable, u *unstructured.Unstructured) string {
	labels := u.GetLabels()
	if p := labels[partOf]; p != "" && p != "meshctl" {
		return ""
	}
	for _, l := range meshLabels {
		if v, ok := labels[l]; ok {
			return "label " + l + "=" + v
		}
	}
	if labels[partOf] == "meshctl" {
		return "label " + partOf + "=meshctl"
	}
	group, name := r.GVR.Group, u.GetName()
	switch {
	case r.GVR.Resource == "events":
		return ""
	case isIstioGroup(group):
		return "an Istio resource"
	case r.GVR.Resource == "customresourcedefinitions" && group == "apiextensions.k8s.io":
		if g, _, _ := unstructured.NestedString(u.Object, "spec", "group"); isIstioGroup(g) {
			return "an Istio CRD"
		}
	case !r.Namespaced && r.Kind != "Namespace" && strings.HasPrefix(name, "istio"):
		// Webhook configurations (istio-sidecar-injector*, istio-validator*, istiod-default-validator),
		// ClusterRoles and bindings (istiod-*, istio-reader-*), GatewayClasses (istio, istio-waypoint).
		return "cluster-scoped, named like the mesh's"
	}
	if group != "" && group != "coordination.k8s.io" {
		return ""
	}
	switch r.GVR.Resource {
	case "configmaps":
		switch {
		case name == "istio-ca-root-cert" || name == "istio-ca-crl":
			return "the mesh's root certificate, copied into namespaces at run time"
		case slices.Contains(leaderElections, name):
			return "a leader election of the control plane"
		}
	case "leases":
		if strings.HasPrefix(name, "istio-") {
			return "a leader election of the control plane"
		}
	case "secrets":
		if t, _, _ := unstructured.NestedString(u.Object, "type"); name == "istio-ca-secret" || t == "istio.io/key-and-cert" {
			return "the control plane's self-signed CA"
		}
	}
	return ""
}

func isIstioGroup(g string) bool { return g == "istio.io" || strings.HasSuffix(g, ".istio.io") }
