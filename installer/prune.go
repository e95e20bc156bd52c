package installer

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pruneCandidates finds the objects a previous install of the same owner created that the new manifest no
// longer contains. Only objects meshctl itself applied count (field manager "meshctl", operation Apply):
// pods, replica sets and endpoint slices copy the owner labels from their parents but belong to their
// controllers. CRDs and namespaces are never pruned: deleting a CRD deletes every resource of its kind,
// which only uninstall --purge may do.
func (c *Clients) pruneCandidates(ctx context.Context, owner string, keep map[string]bool) ([]liveObject, error) {
	kinds, err := c.servedKinds()
	if kinds == nil {
		return nil, err
	}
	owned, err := c.listSelected(ctx, kinds, OwnedSelector(owner).String())
	if err != nil {
		return nil, err
	}
	var out []liveObject
	for _, o := range owned {
		switch {
		case keep[o.id()], o.U.GetKind() == "CustomResourceDefinition", o.U.GetKind() == "Namespace":
			continue
		case !appliedByMeshctl(o.U.GetManagedFields()):
			continue
		}
		out = append(out, o)
	}
	return out, nil
}

func appliedByMeshctl(mf []metav1.ManagedFieldsEntry) bool {
	for _, e := range mf {
		if e.Manager == FieldManager && e.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}
