package render

import (
	"fmt"

	"github.com/meshctl/meshctl/profiles"
)

// addGatewayNamespaces adds a Namespace object for gateways installed outside the mesh namespace (which the
// base chart creates), so that the manifest applies to an empty cluster on its own.
func addGatewayNamespaces(op *profiles.IstioOperator, cm *ComponentManifest) error {
	seen := map[string]bool{op.Spec.Namespace: true}
	for _, o := range cm.Objects {
		if o.Kind == "Namespace" {
			seen[o.Name] = true
		}
	}
	var extra []*Object
	for _, o := range cm.Objects {
		if o.Namespace == "" || seen[o.Namespace] {
			continue
		}
		seen[o.Namespace] = true
		rev := op.Spec.Revision
		if rev == "" {
			rev = "default"
		}
		y := fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: %s
  labels:
    app.kubernetes.io/part-of: meshctl
    install.operator.istio.io/owning-resource: %s
    istio.io/rev: %s
    operator.istio.io/component: %s
`, o.Namespace, OwnerName(op.Spec.Revision), rev, cm.Label)
		extra = append(extra, &Object{APIVersion: "v1", Kind: "Namespace", Name: o.Namespace, Component: cm.Label, YAML: []byte(y)})
	}
	cm.Objects = append(extra, cm.Objects...)
	return nil
}
