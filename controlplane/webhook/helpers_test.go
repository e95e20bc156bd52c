package webhook

import (
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/profiles"
)

var (
	defaultsOnce sync.Once
	defaults     *render.InjectionInputs
	defaultsErr  error
)

// defaultConfig is the injection configuration `manifest generate` renders for the default profile: the
// one kube-inject uses offline, and the one meshd reads from the ConfigMaps it renders.
func defaultConfig(t testing.TB) *inject.Config {
	t.Helper()
	defaultsOnce.Do(func() {
		defaults, defaultsErr = render.InjectionDefaults(profiles.Input{Charts: render.EmbeddedCharts(), DefaultTag: "1.0.0"})
	})
	if defaultsErr != nil {
		t.Fatal(defaultsErr)
	}
	c, err := inject.ParseConfig(defaults.Config, defaults.Values, defaults.Mesh)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func testInjector(t testing.TB) *Injector {
	m, err := NewMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &ConfigWatcher{}
	w.SetConfig(defaultConfig(t), inject.PodOptions{KubernetesMinor: 33})
	return &Injector{Config: w, Metrics: m, Log: quiet}
}

func testValidator(t testing.TB) *Validator {
	m, err := NewMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Validator{Metrics: m, Log: quiet}
}

// review wraps an object in an AdmissionReview as the API server sends it.
func review(t testing.TB, kind metav1.GroupVersionKind, resource metav1.GroupVersionResource, namespace string, op admissionv1.Operation, obj any) []byte {
	t.Helper()
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	r := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{UID: "uid-1", Kind: kind, Resource: resource, Namespace: namespace,
			Operation: op, Object: runtime.RawExtension{Raw: raw}},
	}
	b, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	podKind     = metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
	podResource = metav1.GroupVersionResource{Version: "v1", Resource: "pods"}
)
