package installer

import (
	"context"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshctl/meshctl/meshapi"
)

// Objects the control plane creates while it runs, under Istio's names, which carry no owner labels
// because no manifest renders them. uninstall --purge removes them too. An object labelled as part of
// another tool (app.kubernetes.io/part-of other than meshctl) is left alone.
var (
	// rootCertConfigMap is the mesh's root certificate, copied into every namespace.
	rootCertConfigMap = meshapi.RootCertConfigMap
	// leaderElectionNames are the ConfigMaps and Leases the control plane elects leaders with, in its
	// namespace: Istio's names (pilot/pkg/leaderelection), current and former.
	leaderElectionNames = []string{
		"istio-leader", meshapi.LeaderElectionLease, "istio-gateway-deployment-leader",
		"istio-gateway-status-leader", "istio-status-leader", "istio-validation-controller-election",
		"istio-gateway-leader", "istio-analyze-leader", "istio-serviceexport-controller-election",
		"istio-clustertrustbundle-controller-election", "istio-gateway-inferencepool",
		"istio-node-untaint", "istio-ip-autoallocate",
	}
	// perRevisionElectionPrefix starts the Leases of per-revision elections, which end in the revision
	// (istio-gateway-deployment-default, istio-gateway-deployment-canary).
	perRevisionElectionPrefix = "istio-gateway-deployment-"
	// caSecrets are the self-signed CA the control plane generates when the user plugged in none.
	caSecrets = []string{meshapi.CASecret}
)

var (
	configMapsGVR = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	leasesGVR     = schema.GroupVersionResource{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}
	secretsGVR    = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
)

// runtimeObjects finds the control plane's run-time objects: root certificate ConfigMaps in every
// namespace, leader-election ConfigMaps and Leases and the generated CA in the mesh's namespace.
func (c *Clients) runtimeObjects(ctx context.Context, namespace string) ([]liveObject, error) {
	var out []liveObject
	add := func(gvr schema.GroupVersionResource, kind string, ns string, match func(name string) bool) error {
		list, err := c.Dynamic.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return wrapAPIError("list", resourceName(gvr), gvr, ns, err)
		}
		for i := range list.Items {
			u := &list.Items[i]
			if !match(u.GetName()) {
				continue
			}
			if p := u.GetLabels()[LabelPartOf]; p != "" && p != PartOfMeshctl {
				continue
			}
			u.SetKind(kind)
			out = append(out, liveObject{U: u, Kind: servedKind{GVR: gvr, Kind: kind, Namespaced: true}})
		}
		return nil
	}
	// Root certificates live in every namespace: one cluster-wide list, filtered by name on the server.
	roots, err := c.Dynamic.Resource(configMapsGVR).List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + rootCertConfigMap})
	if err != nil {
		return nil, wrapAPIError("list", "configmaps", configMapsGVR, "", err)
	}
	for i := range roots.Items {
		u := &roots.Items[i]
		if p := u.GetLabels()[LabelPartOf]; p != "" && p != PartOfMeshctl {
			continue
		}
		u.SetKind("ConfigMap")
		out = append(out, liveObject{U: u, Kind: servedKind{GVR: configMapsGVR, Kind: "ConfigMap", Namespaced: true}})
	}
	isElection := func(name string) bool { return slices.Contains(leaderElectionNames, name) }
	if err := add(configMapsGVR, "ConfigMap", namespace, isElection); err != nil {
		return nil, err
	}
	if err := add(leasesGVR, "Lease", namespace, func(name string) bool {
		return isElection(name) || strings.HasPrefix(name, perRevisionElectionPrefix)
	}); err != nil {
		return nil, err
	}
	if err := add(secretsGVR, "Secret", namespace, func(name string) bool { return slices.Contains(caSecrets, name) }); err != nil {
		return nil, err
	}
	return out, nil
}
