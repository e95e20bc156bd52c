package installer

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// normalized is a copy of u without what the API server maintains on its own (resource version,
// generation, managed fields, status...), so that two versions of an object compare by what a user
// configured. Defaults need no special care: both sides of every comparison come from the API server.
func normalized(u *unstructured.Unstructured) map[string]any {
	if u == nil {
		return nil
	}
	c := u.DeepCopy().Object
	for _, f := range []string{"managedFields", "resourceVersion", "generation", "creationTimestamp", "uid", "selfLink"} {
		unstructured.RemoveNestedField(c, "metadata", f)
	}
	unstructured.RemoveNestedField(c, "status")
	if ann, ok, _ := unstructured.NestedStringMap(c, "metadata", "annotations"); ok {
		// Written by controllers, never by meshctl; a dry run keeps whatever the live object has anyway.
		delete(ann, "deployment.kubernetes.io/revision")
		delete(ann, "deprecated.daemonset.template.generation")
		if len(ann) == 0 {
			unstructured.RemoveNestedField(c, "metadata", "annotations")
		} else {
			_ = unstructured.SetNestedStringMap(c, ann, "metadata", "annotations")
		}
	}
	return c
}
