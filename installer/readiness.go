package installer

import (
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// readyCheck is one object whose readiness install waits for.
type readyCheck struct {
	Kind, Namespace, Name string
	Component             string // component title
}

func (r readyCheck) key() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// needsWait reports whether install waits for an object of this kind: workloads until their pods are
// available, CRDs until established, webhooks until their service has endpoints. A LoadBalancer's external
// address is not waited for: many clusters never assign one.
func needsWait(kind string) bool {
	switch kind {
	case "Deployment", "DaemonSet", "StatefulSet", "CustomResourceDefinition",
		"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration":
		return true
	}
	return false
}

// isReady reports whether one object is ready, and if not, a short reason ("0 of 1 replicas available").
func (c *Clients) isReady(ctx context.Context, r readyCheck) (bool, string, error) {
	switch r.Kind {
	case "Deployment":
		d, err := c.Kube.AppsV1().Deployments(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
		if err != nil {
			return notFoundIsNotReady(err)
		}
		ok, why := deploymentReady(d)
		return ok, why, nil
	case "DaemonSet":
		d, err := c.Kube.AppsV1().DaemonSets(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
		if err != nil {
			return notFoundIsNotReady(err)
		}
		ok, why := daemonSetReady(d)
		return ok, why, nil
	case "StatefulSet":
		s, err := c.Kube.AppsV1().StatefulSets(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
		if err != nil {
			return notFoundIsNotReady(err)
		}
		ok, why := statefulSetReady(s)
		return ok, why, nil
	case "CustomResourceDefinition":
		return c.crdEstablished(ctx, r.Name)
	case "MutatingWebhookConfiguration":
		cfg, err := c.Kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, r.Name, metav1.GetOptions{})
		if err != nil {
			return notFoundIsNotReady(err)
		}
		var refs []*admissionregistrationv1.ServiceReference
		for _, wh := range cfg.Webhooks {
			refs = append(refs, wh.ClientConfig.Service)
		}
		return c.servicesHaveEndpoints(ctx, refs)
	case "ValidatingWebhookConfiguration":
		cfg, err := c.Kube.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, r.Name, metav1.GetOptions{})
		if err != nil {
			return notFoundIsNotReady(err)
		}
		var refs []*admissionregistrationv1.ServiceReference
		for _, wh := range cfg.Webhooks {
			refs = append(refs, wh.ClientConfig.Service)
		}
		return c.servicesHaveEndpoints(ctx, refs)
	}
	return true, "", nil
}

func notFoundIsNotReady(err error) (bool, string, error) {
	if apierrors.IsNotFound(err) {
		return false, "not found", nil
	}
	return false, "", err
}

func deploymentReady(d *appsv1.Deployment) (bool, string) {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	switch {
	case st.ObservedGeneration < d.Generation:
		return false, "the deployment controller has not seen the new spec yet"
	case st.UpdatedReplicas < want:
		return false, fmt.Sprintf("%d of %d replicas updated", st.UpdatedReplicas, want)
	case st.Replicas > st.UpdatedReplicas:
		return false, fmt.Sprintf("%d old replicas still running", st.Replicas-st.UpdatedReplicas)
	case st.AvailableReplicas < want:
		return false, fmt.Sprintf("%d of %d replicas available", st.AvailableReplicas, want)
	}
	return true, ""
}

func daemonSetReady(d *appsv1.DaemonSet) (bool, string) {
	st := d.Status
	switch {
	case st.ObservedGeneration < d.Generation:
		return false, "the daemon set controller has not seen the new spec yet"
	case st.UpdatedNumberScheduled < st.DesiredNumberScheduled:
		return false, fmt.Sprintf("%d of %d pods updated", st.UpdatedNumberScheduled, st.DesiredNumberScheduled)
	case st.NumberAvailable < st.DesiredNumberScheduled:
		return false, fmt.Sprintf("%d of %d pods available", st.NumberAvailable, st.DesiredNumberScheduled)
	}
	return true, ""
}

func statefulSetReady(s *appsv1.StatefulSet) (bool, string) {
	want := int32(1)
	if s.Spec.Replicas != nil {
		want = *s.Spec.Replicas
	}
	st := s.Status
	switch {
	case st.ObservedGeneration < s.Generation:
		return false, "the stateful set controller has not seen the new spec yet"
	case st.UpdatedReplicas < want:
		return false, fmt.Sprintf("%d of %d replicas updated", st.UpdatedReplicas, want)
	case st.ReadyReplicas < want:
		return false, fmt.Sprintf("%d of %d replicas ready", st.ReadyReplicas, want)
	}
	return true, ""
}

func (c *Clients) crdEstablished(ctx context.Context, name string) (bool, string, error) {
	u, err := c.Dynamic.Resource(apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions")).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return notFoundIsNotReady(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &crd); err != nil {
		return false, "", fmt.Errorf("decode CustomResourceDefinition %s: %w", name, err)
	}
	why := "not established yet"
	for _, cond := range crd.Status.Conditions {
		switch {
		case cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue:
			return true, "", nil
		case cond.Type == apiextensionsv1.NamesAccepted && cond.Status == apiextensionsv1.ConditionFalse:
			why = fmt.Sprintf("names not accepted: %s: %s", cond.Reason, cond.Message)
		}
	}
	return false, why, nil
}

// servicesHaveEndpoints reports whether every service a webhook calls has a ready endpoint; webhooks
// that call a URL are not checked.
func (c *Clients) servicesHaveEndpoints(ctx context.Context, refs []*admissionregistrationv1.ServiceReference) (bool, string, error) {
	seen := map[string]bool{}
	for _, ref := range refs {
		if ref == nil || seen[ref.Namespace+"/"+ref.Name] {
			continue
		}
		seen[ref.Namespace+"/"+ref.Name] = true
		slices, err := c.Kube.DiscoveryV1().EndpointSlices(ref.Namespace).List(ctx, metav1.ListOptions{
			LabelSelector: discoveryv1.LabelServiceName + "=" + ref.Name,
		})
		if err != nil {
			return false, "", fmt.Errorf("list endpoints of service %s/%s: %w", ref.Namespace, ref.Name, err)
		}
		if !anyReadyEndpoint(slices.Items) {
			return false, fmt.Sprintf("service %s/%s has no ready endpoints", ref.Namespace, ref.Name), nil
		}
	}
	return true, "", nil
}

func anyReadyEndpoint(slices []discoveryv1.EndpointSlice) bool {
	for _, s := range slices {
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
				return true
			}
		}
	}
	return false
}
