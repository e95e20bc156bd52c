package model

import (
	"istio.io/api/annotation"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// transform is the informers' transform. The numerous kinds (Pods, EndpointSlices, Services)
// become the model's own records before the informer's cache keeps them, and the world stores
// those same records: one copy of each, without the API objects' metadata and specs. The other
// kinds are trimmed of what the model never reads. Objects already transformed pass unchanged (a
// resync hands the cache's objects to the transform again).
func (w *world) transform(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return w.podInfo(o), nil
	case *corev1.Service:
		return &serviceRecord{liteMeta: liteMetaOf(&o.ObjectMeta), svc: service(o, w.domain)}, nil
	case *discoveryv1.EndpointSlice:
		sl := w.endpointSlice(o)
		sl.liteMeta = liteMetaOf(&o.ObjectMeta)
		return sl, nil
	}
	return trim(obj)
}

// trim drops what the model never reads before the informer's cache keeps the object (managed
// fields, most annotations, node status), which is most of the memory of a large cluster.
func trim(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Node:
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: o.Name, Labels: localityLabels(o.Labels), ResourceVersion: o.ResourceVersion, UID: o.UID}}, nil
	case *corev1.Secret:
		return trimSecret(o), nil
	case metav1.Object:
		m := o
		m.SetManagedFields(nil)
		m.SetOwnerReferences(nil)
		if _, ok := obj.(*corev1.ConfigMap); !ok {
			m.SetAnnotations(nil)
		}
		return obj, nil
	}
	return obj, nil
}

// exportTo is a Service's networking.istio.io/exportTo annotation ("" when none).
func exportTo(m *metav1.ObjectMeta) string { return m.Annotations[annotation.NetworkingExportTo.Name] }

func localityLabels(l map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range []string{labelRegion, labelZone, labelSubZone} {
		if v, ok := l[k]; ok {
			out[k] = v
		}
	}
	return out
}
