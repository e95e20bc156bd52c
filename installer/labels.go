package installer

import (
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// The owner labels every rendered object carries (manifests' chart contract). Istio's own installs use the
// same keys but app.kubernetes.io/part-of=istio, which is how an install of another tool is told apart.
const (
	LabelOwner     = "install.operator.istio.io/owning-resource"
	LabelComponent = "operator.istio.io/component"
	LabelRevision  = "istio.io/rev"
	LabelPartOf    = "app.kubernetes.io/part-of"
	PartOfMeshctl  = "meshctl"

	// AnnotationVersion on the installed-state object is the meshctl version that installed it.
	AnnotationVersion = "install.meshctl.io/version"

	// FieldManager is the server-side apply field manager of every object meshctl applies.
	FieldManager = "meshctl"

	// DefaultNamespace is where the control plane lives unless the IstioOperator says otherwise.
	DefaultNamespace = "istio-system"
)

// IsMeshctlOwned reports whether an object's labels say meshctl installed it.
func IsMeshctlOwned(l map[string]string) bool { return l[LabelPartOf] == PartOfMeshctl }

// OwnedSelector selects every object meshctl installed; owner narrows it to one installed-state ("" = all).
func OwnedSelector(owner string) labels.Selector {
	part, _ := labels.NewRequirement(LabelPartOf, selection.Equals, []string{PartOfMeshctl})
	var own *labels.Requirement
	if owner == "" {
		own, _ = labels.NewRequirement(LabelOwner, selection.Exists, nil)
	} else {
		own, _ = labels.NewRequirement(LabelOwner, selection.Equals, []string{owner})
	}
	return labels.NewSelector().Add(*part, *own)
}

// ownerLabels are the labels of objects meshctl itself writes (the installed-state).
func ownerLabels(owner, revision string) map[string]string {
	rev := revision
	if rev == "" {
		rev = "default"
	}
	return map[string]string{LabelOwner: owner, LabelRevision: rev, LabelPartOf: PartOfMeshctl}
}
