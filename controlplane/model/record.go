package model

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// liteMeta is what an informer needs of the object it caches: its key (namespace and name) and its
// resource version, without the rest of a metav1.ObjectMeta (about 250 bytes, and its maps).
type liteMeta struct{ name, namespace, resourceVersion string }

func liteMetaOf(m *metav1.ObjectMeta) liteMeta {
	return liteMeta{name: m.Name, namespace: m.Namespace, resourceVersion: m.ResourceVersion}
}

// GetObjectMeta makes the record an ObjectMetaAccessor, which client-go's key functions accept
// (meta.Accessor). Built on demand: only informer events ask for it.
func (m *liteMeta) GetObjectMeta() metav1.Object {
	return &metav1.ObjectMeta{Name: m.name, Namespace: m.namespace, ResourceVersion: m.resourceVersion}
}

func (m *liteMeta) lite() *liteMeta { return m }

// GetObjectKind is part of runtime.Object; the informer of a kind knows its kind.
func (*liteMeta) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// A record is never modified once made (an update is a new one), so its copies are shallow.

// DeepCopyObject makes the pod record a runtime.Object.
func (p *pod) DeepCopyObject() runtime.Object { c := *p; return &c }

// DeepCopyObject makes the slice record a runtime.Object.
func (s *slice) DeepCopyObject() runtime.Object { c := *s; return &c }

// serviceRecord is what the Services' informer caches: the model's Service and the identity the
// informer keys it by.
type serviceRecord struct {
	liteMeta
	svc *Service
}

// DeepCopyObject makes the service record a runtime.Object.
func (s *serviceRecord) DeepCopyObject() runtime.Object { c := *s; return &c }

// recordMeta is the namespace, name and resource version of an object the model keeps, whether
// an API object or a record.
func recordMeta(o any) (ns, name, rv string, ok bool) {
	switch o := o.(type) {
	case interface{ lite() *liteMeta }:
		m := o.lite()
		return m.namespace, m.name, m.resourceVersion, true
	case metav1.Object:
		return o.GetNamespace(), o.GetName(), o.GetResourceVersion(), true
	}
	return "", "", "", false
}
