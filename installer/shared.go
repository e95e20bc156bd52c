package installer

import "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

// keepSharedOwner makes shared objects keep the owner they have. CRDs and the mesh's namespace serve
// every revision, but each revision's manifest labels them as its own: without this, installing a canary
// would relabel them, and verify-install of the default revision would then report them as drifted.
// The first meshctl install that created them stays their owner; their content still follows the newest
// install (a canary brings the CRDs of its version).
func keepSharedOwner(objs []*object, live map[string]*unstructured.Unstructured) {
	for _, o := range objs {
		if o.Kind != "CustomResourceDefinition" && o.Kind != "Namespace" {
			continue
		}
		l := live[o.key()]
		if l == nil || !IsMeshctlOwned(l.GetLabels()) {
			continue
		}
		want := o.u.GetLabels()
		have := l.GetLabels()
		for _, k := range []string{LabelOwner, LabelRevision, LabelComponent} {
			if v, ok := have[k]; ok {
				want[k] = v
			}
		}
		o.u.SetLabels(want)
	}
}
