package model

import (
	"istio.io/api/annotation"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// trim is the informers' transform: it drops what the model never reads before the informer's
// cache keeps the object (managed fields, most annotations, pod specs), which is most of the memory
// of a large cluster.
func trim(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		// Only what endpoints and subsets need: labels, node, address. A trimmed corev1.Pod would
		// still weigh its empty spec and status (about 1.5 KB).
		return &PodLite{
			ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: o.Labels, ResourceVersion: o.ResourceVersion, UID: o.UID},
			NodeName:   o.Spec.NodeName, IP: o.Status.PodIP,
		}, nil
	case *corev1.Node:
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: o.Name, Labels: localityLabels(o.Labels), ResourceVersion: o.ResourceVersion, UID: o.UID}}, nil
	case *discoveryv1.EndpointSlice:
		trimMeta(&o.ObjectMeta)
		for i := range o.Endpoints {
			o.Endpoints[i].Hints, o.Endpoints[i].DeprecatedTopology, o.Endpoints[i].Hostname = nil, nil, nil
		}
		return o, nil
	case *corev1.Secret:
		return trimSecret(o), nil
	case *corev1.Service:
		trimMeta(&o.ObjectMeta)
		o.Labels = nil
		o.Status = corev1.ServiceStatus{}
		return o, nil
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

// trimMeta keeps a Service's or EndpointSlice's identity, labels and the exportTo annotation.
func trimMeta(m *metav1.ObjectMeta) {
	m.ManagedFields, m.OwnerReferences, m.Finalizers = nil, nil, nil
	if v, ok := m.Annotations[annotation.NetworkingExportTo.Name]; ok {
		m.Annotations = map[string]string{annotation.NetworkingExportTo.Name: v}
	} else {
		m.Annotations = nil
	}
}

func localityLabels(l map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range []string{labelRegion, labelZone, labelSubZone} {
		if v, ok := l[k]; ok {
			out[k] = v
		}
	}
	return out
}

// PodLite is what the pods' informer caches of a Pod: its identity, labels, node and address.
type PodLite struct {
	metav1.TypeMeta
	metav1.ObjectMeta
	NodeName, IP string
}

// DeepCopyObject makes PodLite a runtime.Object.
func (p *PodLite) DeepCopyObject() runtime.Object {
	c := *p
	p.ObjectMeta.DeepCopyInto(&c.ObjectMeta)
	return &c
}
