package model

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// remove forgets one object; the mesh config returns to the defaults when its ConfigMap goes.
func (w *world) remove(o runtime.Object) {
	switch o := o.(type) {
	case *corev1.Service:
		delete(w.services, key(o.Namespace, o.Name))
	case *discoveryv1.EndpointSlice:
		delete(w.slices, key(o.Namespace, o.Name))
	case *corev1.Pod:
		delete(w.pods, key(o.Namespace, o.Name))
	case *pod:
		delete(w.pods, key(o.namespace, o.name))
	case *serviceRecord:
		delete(w.services, key(o.namespace, o.name))
	case *slice:
		delete(w.slices, key(o.namespace, o.name))
	case *corev1.Node:
		delete(w.nodes, o.Name)
	case *corev1.Namespace:
		delete(w.namespaces, o.Name)
	case *corev1.Secret:
		w.credsChanged = true
		delete(w.creds, key(o.Namespace, o.Name))
	case *corev1.ConfigMap:
		if o.Name == w.meshCM {
			w.mesh = DefaultMeshConfig()
		}
	case *networkingv1.VirtualService:
		delete(w.vs, key(o.Namespace, o.Name))
	case *networkingv1.DestinationRule:
		delete(w.dr, key(o.Namespace, o.Name))
	case *networkingv1.Gateway:
		delete(w.gw, key(o.Namespace, o.Name))
	case *networkingv1.ServiceEntry:
		w.deleteServiceEntry(key(o.Namespace, o.Name))
	case *networkingv1.WorkloadEntry:
		delete(w.we, key(o.Namespace, o.Name))
	case *networkingv1.Sidecar:
		delete(w.sc, key(o.Namespace, o.Name))
	case *securityv1.PeerAuthentication:
		delete(w.pa, key(o.Namespace, o.Name))
	case *securityv1.AuthorizationPolicy:
		delete(w.authz, key(o.Namespace, o.Name))
	case *securityv1.RequestAuthentication:
		delete(w.reqAuthn, key(o.Namespace, o.Name))
	}
}
