package installer

import (
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/meshctl/meshctl/meshapi"
)

// The owner labels every rendered object carries: meshapi's, under the names the installer's callers use.
const (
	LabelOwner    = meshapi.LabelOwner
	LabelPartOf   = meshapi.LabelPartOf
	PartOfMeshctl = meshapi.PartOfMeshctl

	// AnnotationVersion on the installed-state object is the meshctl version that installed it.
	AnnotationVersion = "install.meshctl.io/version"

	// FieldManager is the server-side apply field manager of every object meshctl applies.
	FieldManager = "meshctl"

	// DefaultNamespace is where the control plane lives unless the IstioOperator says otherwise.
	DefaultNamespace = meshapi.DefaultNamespace
)

// Owner labels istio.io/api publishes (hence variables).
var (
	LabelComponent = meshapi.LabelComponent
	LabelRevision  = meshapi.LabelRevision
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
		rev = meshapi.DefaultRevision
	}
	return map[string]string{LabelOwner: owner, LabelRevision: rev, LabelPartOf: PartOfMeshctl}
}
