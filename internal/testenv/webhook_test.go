package testenv

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// injector is a mutating webhook that adds an annotation and a sidecar container to pods,
// the way the mesh's injector will.
type injector struct{ calls atomic.Int32 }

func (in *injector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
		http.Error(w, "want an AdmissionReview", http.StatusBadRequest)
		return
	}
	in.calls.Add(1)
	patch := `[{"op":"add","path":"/metadata/annotations","value":{"testenv.meshctl.io/injected":"true"}},` +
		`{"op":"add","path":"/spec/containers/-","value":{"name":"istio-proxy","image":"registry.invalid/mesh-proxy:1"}}]`
	review.Response = &admissionv1.AdmissionResponse{
		UID:       review.Request.UID,
		Allowed:   true,
		Patch:     []byte(patch),
		PatchType: ptr.To(admissionv1.PatchTypeJSONPatch),
	}
	review.Request = nil
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&review)
}

// startWebhookServer serves h over HTTPS on loopback with a certificate for 127.0.0.1 made
// here, and returns its address and the CA bundle the apiserver must trust.
func startWebhookServer(t *testing.T, h http.Handler) (addr string, caBundle []byte) {
	t.Helper()
	ca, err := newCA("webhook-test-ca")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.issue(certSpec{cn: "webhook", server: true, ips: []net.IP{net.ParseIP("127.0.0.1")}})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String(), ca.CertPEM
}

func TestMutatingWebhookMutatesPod(t *testing.T) {
	env := Get(t)
	ns := env.Namespace(t)
	hook := &injector{}
	addr, caBundle := startWebhookServer(t, hook)

	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-injector"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name: "inject.testenv.meshctl.io",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{
				URL:      ptr.To("https://" + addr + "/inject"),
				CABundle: caBundle,
			},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
			}},
			// Only this test's namespace: other tests run pods on the same cluster.
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}},
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	hooks := env.Client().AdmissionregistrationV1().MutatingWebhookConfigurations()
	if _, err := hooks.Create(t.Context(), cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hooks.Delete(context.Background(), cfg.Name, metav1.DeleteOptions{}) })

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "app"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/app:1"}}},
	}
	pods := env.Client().CoreV1().Pods(ns)
	// The apiserver learns of a new webhook configuration through an informer: wait with
	// dry-run creates (webhooks with sideEffects None are called for them) until it applies.
	Poll(t, "webhook configuration in effect", func(ctx context.Context) (bool, error) {
		got, err := pods.Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil && len(got.Spec.Containers) == 2, err
	})
	calls := hook.calls.Load()
	got, err := pods.Create(t.Context(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if hook.calls.Load() != calls+1 {
		t.Errorf("webhook called %d times for one create, want 1", hook.calls.Load()-calls)
	}
	if got.Annotations["testenv.meshctl.io/injected"] != "true" {
		t.Errorf("created pod lacks the webhook's annotation: %v", got.Annotations)
	}
	if len(got.Spec.Containers) != 2 || got.Spec.Containers[1].Name != "istio-proxy" {
		t.Fatalf("created pod containers = %v, want app and istio-proxy", containerNames(got))
	}
	// KWOK runs both containers: the injected one counts towards readiness like any other.
	Poll(t, "pod Ready with both containers", func(ctx context.Context) (bool, error) {
		p, err := pods.Get(ctx, "app", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		ready := 0
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Ready {
				ready++
			}
		}
		return ready == 2, nil
	})
}

func containerNames(p *corev1.Pod) []string {
	var out []string
	for _, c := range p.Spec.Containers {
		out = append(out, c.Name)
	}
	return out
}
