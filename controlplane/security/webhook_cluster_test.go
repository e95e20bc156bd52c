package security

import (
	"bytes"
	"context"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"k8s.io/utils/ptr"

	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/meshapi"
)

// injectionCluster runs a replica of a revision of the test's own, its ConfigMaps and webhook
// configurations in place, and a namespace labelled istio-injection=enabled whose pods it injects. It
// returns once the API server calls the injector with meshd's CA bundle.
func injectionCluster(t testing.TB, env *testenv.Env) (m *meshd, meshNS, appNS, rev string) {
	meshNS, appNS = env.Namespace(t), env.Namespace(t)
	rev = revisionFor(meshNS)
	installInjectorConfigMaps(t, env, meshNS, rev)
	m = startMeshd(t, env, meshNS, rev, "replica-0", nil)
	addr, err := m.WebhookAddr(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	installWebhookConfigurations(t, env, meshNS, appNS, rev, addr.String())
	hooks := env.Client().AdmissionregistrationV1()
	testenv.Poll(t, "CA bundle in the injector's configuration", func(ctx context.Context) (bool, error) {
		c, err := hooks.MutatingWebhookConfigurations().Get(ctx, meshapi.Revisioned(meshapi.InjectorWebhook, rev), metav1.GetOptions{})
		a := m.CA().Get()
		return err == nil && a != nil && bytes.Equal(c.Webhooks[0].ClientConfig.CABundle, a.RootsPEM()), err
	})
	ns, err := env.Client().CoreV1().Namespaces().Get(t.Context(), appNS, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ns.Labels[meshapi.LabelInjection] = meshapi.InjectionEnabled
	if _, err := env.Client().CoreV1().Namespaces().Update(t.Context(), ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := env.Client().CoreV1().Pods(appNS)
	probe := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "probe"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "x"}}}}
	testenv.Poll(t, "injection webhook in effect", func(ctx context.Context) (bool, error) {
		got, err := pods.Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil && hasProxy(got), nil
	})
	return m, meshNS, appNS, rev
}

func deployment(name string, podLabels, podAnnotations map[string]string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	for k, v := range podLabels {
		labels[k] = v
	}
	one := int32(1)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: podAnnotations},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/app:1",
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}}},
			},
		},
	}
}

// podOf waits for the Deployment's pod and returns it.
func podOf(t *testing.T, env *testenv.Env, ns, app string) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	testenv.Poll(t, "pod of "+app, func(ctx context.Context) (bool, error) {
		pods, err := env.Client().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
		if err != nil || len(pods.Items) == 0 {
			return false, err
		}
		pod = &pods.Items[0]
		return true, nil
	})
	return pod
}

func hasProxy(p *corev1.Pod) bool {
	for _, c := range append(p.Spec.Containers, p.Spec.InitContainers...) {
		if c.Name == meshapi.ProxyContainer {
			return true
		}
	}
	return false
}

func counter(t *testing.T, m *meshd, name string) float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, metric := range f.GetMetric() {
			total += metricValue(metric)
		}
	}
	return total
}

func metricValue(m *dto.Metric) float64 {
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return m.GetGauge().GetValue()
}

// TestWebhooksThroughTheAPIServer runs meshd's webhooks behind the test cluster's API server: its CA
// bundle written into its own configurations, Deployments' pods injected (or not, when they say so),
// the validator turned to Fail once verified, invalid configuration refused with the field at fault.
func TestWebhooksThroughTheAPIServer(t *testing.T) {
	env := testenv.Get(t)
	installIstioCRDs(t, env)
	m, meshNS, appNS, rev := injectionCluster(t, env)
	hooks := env.Client().AdmissionregistrationV1()

	// Another revision's configuration is not ours to touch.
	other := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: meshapi.Revisioned(meshapi.InjectorWebhook, rev+"x"), Labels: map[string]string{meshapi.LabelRevision: rev + "x"}},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:              "never.sidecar-injector.istio.io",
			ClientConfig:      admissionregistrationv1.WebhookClientConfig{URL: ptr.To("https://127.0.0.1:1/inject")},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"meshctl.io/never": "x"}},
			SideEffects:       ptr.To(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"},
		}},
	}
	if _, err := hooks.MutatingWebhookConfigurations().Create(t.Context(), other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = hooks.MutatingWebhookConfigurations().Delete(context.Background(), other.Name, metav1.DeleteOptions{})
	})

	testenv.Poll(t, "validator verified and failing closed", func(ctx context.Context) (bool, error) {
		c, err := hooks.ValidatingWebhookConfigurations().Get(ctx, meshapi.ValidatorWebhook(rev, meshNS), metav1.GetOptions{})
		return err == nil && c.Webhooks[0].FailurePolicy != nil && *c.Webhooks[0].FailurePolicy == admissionregistrationv1.Fail &&
			len(c.Webhooks[0].ClientConfig.CABundle) > 0, err
	})

	deploys := env.Client().AppsV1().Deployments(appNS)
	for _, d := range []*appsv1.Deployment{
		deployment("injected", nil, nil),
		deployment("annotated-off", nil, map[string]string{"sidecar.istio.io/inject": "false"}),
		deployment("labelled-off", map[string]string{"sidecar.istio.io/inject": "false"}, nil),
	} {
		if _, err := deploys.Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if p := podOf(t, env, appNS, "injected"); !hasProxy(p) || p.Annotations["sidecar.istio.io/status"] == "" {
		t.Errorf("pod %s of an injected namespace has no sidecar: containers %v, annotations %v", p.Name, p.Spec.Containers, p.Annotations)
	} else {
		for _, c := range p.Spec.Containers {
			for _, e := range c.Env {
				if e.Name == "ISTIO_META_WORKLOAD_NAME" && e.Value != "injected" {
					t.Errorf("ISTIO_META_WORKLOAD_NAME = %q, want the Deployment's name", e.Value)
				}
			}
		}
	}
	for _, app := range []string{"annotated-off", "labelled-off"} {
		if p := podOf(t, env, appNS, app); hasProxy(p) {
			t.Errorf("pod %s of %s was injected although it says sidecar.istio.io/inject: false", p.Name, app)
		}
	}
	if n := counter(t, m, "sidecar_injection_success_total"); n < 1 {
		t.Errorf("sidecar_injection_success_total = %v, want at least 1", n)
	}
	if n := counter(t, m, "sidecar_injection_requests_total"); n < 2 {
		t.Errorf("sidecar_injection_requests_total = %v, want at least 2", n)
	}

	// Validation.
	vs := env.Dynamic().Resource(schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}).Namespace(appNS)
	obj := func(name string, weight int64) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
			"metadata": map[string]any{"name": name, "labels": map[string]any{meshapi.LabelRevision: rev}},
			"spec": map[string]any{"hosts": []any{"reviews"}, "http": []any{map[string]any{"route": []any{
				map[string]any{"destination": map[string]any{"host": "reviews", "subset": "v1"}, "weight": weight},
				map[string]any{"destination": map[string]any{"host": "reviews", "subset": "v2"}, "weight": 100 - weight}}}}},
		}}
	}
	_, err := vs.Create(t.Context(), obj("invalid", -10), metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "denied the request") || !strings.Contains(err.Error(), "spec.http[0].route[0].weight") {
		t.Errorf("invalid VirtualService: err = %v, want a refusal naming spec.http[0].route[0].weight", err)
	}
	if _, err := vs.Create(t.Context(), obj("valid", 90), metav1.CreateOptions{}); err != nil {
		t.Errorf("valid VirtualService refused: %v", err)
	}
	if counter(t, m, "galley_validation_failed") < 1 || counter(t, m, "galley_validation_passed") < 1 {
		t.Errorf("galley_validation_failed = %v, passed = %v, want both counted", counter(t, m, "galley_validation_failed"), counter(t, m, "galley_validation_passed"))
	}

	c, err := hooks.MutatingWebhookConfigurations().Get(t.Context(), other.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Webhooks) > 0 && len(c.Webhooks[0].ClientConfig.CABundle) > 0 {
		t.Error("meshd wrote its bundle into another revision's configuration")
	}
}
