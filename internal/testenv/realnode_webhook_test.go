package testenv

import (
	"context"
	"fmt"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// The API server calls an admission webhook served by a pod on the real node, through its Service
// (at the endpoint's address on the bridge), as it will call meshd's sidecar injector.
func TestRealNodeServesWebhook(t *testing.T) {
	env := GetRealNode(t)
	ns := env.Namespace(t)
	ca, err := newCA("webhook-ca")
	if err != nil {
		t.Fatal(err)
	}
	serving, err := ca.issue(certSpec{cn: "webhook", server: true, dns: []string{"webhook." + ns + ".svc"}})
	if err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "webhook-tls"},
		Data:       map[string][]byte{"tls.crt": serving.CertPEM, "tls.key": serving.KeyPEM},
	}
	if _, err := env.Client().CoreV1().Secrets(ns).Create(t.Context(), secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := probePod("webhook", probeImage(t, env), "webhook", ":8443", "/tls/tls.crt", "/tls/tls.key")
	pod.Spec.Volumes = []corev1.Volume{{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "webhook-tls"}}}}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "tls", MountPath: "/tls", ReadOnly: true}}
	createPod(t, env, ns, pod)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "webhook"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "webhook"}, Ports: []corev1.ServicePort{
			{Port: 443, TargetPort: intstr.FromInt32(8443)},
		}},
	}
	if _, err := env.Client().CoreV1().Services(ns).Create(t.Context(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPodReady(t, env, ns, "webhook")

	target := env.Namespace(t)
	if _, err := env.Client().CoreV1().Namespaces().Patch(t.Context(), target, "application/merge-patch+json",
		[]byte(`{"metadata":{"labels":{"probe.meshctl.io/webhook":"`+ns+`"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: ns},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name: "probe.meshctl.io",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{
				Service:  &admissionregistrationv1.ServiceReference{Namespace: ns, Name: "webhook", Path: ptr.To("/mutate")},
				CABundle: ca.CertPEM,
			},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
			}},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"probe.meshctl.io/webhook": ns}},
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
		}},
	}
	hooks := env.Client().AdmissionregistrationV1().MutatingWebhookConfigurations()
	if _, err := hooks.Create(t.Context(), cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hooks.Delete(context.Background(), cfg.Name, metav1.DeleteOptions{}) })

	// The first calls may come before the webhook's endpoint is known (refused), or before the API
	// server's cache of webhook configurations holds the new one (created unmutated): retry until a
	// ConfigMap comes back mutated. Without the webhook none ever does, and the poll fails.
	var got *corev1.ConfigMap
	Poll(t, "a ConfigMap created through the webhook", func(ctx context.Context) (bool, error) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "mutated-"}}
		got, err = env.Client().CoreV1().ConfigMaps(target).Create(ctx, cm, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		if got.Annotations["probe.meshctl.io/mutated"] != "true" {
			_ = env.Client().CoreV1().ConfigMaps(target).Delete(ctx, got.Name, metav1.DeleteOptions{})
			return false, fmt.Errorf("ConfigMap created in %s has annotations %v; the webhook's patch is missing", target, got.Annotations)
		}
		return true, nil
	})
	if !strings.HasPrefix(got.Name, "mutated-") {
		t.Errorf("ConfigMap name %s", got.Name)
	}
}
