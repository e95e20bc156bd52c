package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/controlplane/translate"
)

var (
	vsKind     = metav1.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"}
	vsResource = metav1.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}
)

func virtualService(spec map[string]any) map[string]any {
	return map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
		"metadata": map[string]any{"name": "reviews", "namespace": "bookinfo"}, "spec": spec}
}

func TestValidate(t *testing.T) {
	h := testValidator(t)
	for _, tc := range []struct {
		name    string
		op      admissionv1.Operation
		kind    metav1.GroupVersionKind
		obj     any
		allowed bool
		want    []string // in the message
	}{
		{"valid", admissionv1.Create, vsKind, virtualService(map[string]any{"hosts": []any{"reviews"},
			"http": []any{map[string]any{"route": []any{map[string]any{"destination": map[string]any{"host": "reviews"}}}}}}), true, nil},
		{"negative weight", admissionv1.Create, vsKind, virtualService(map[string]any{"hosts": []any{"reviews"},
			"http": []any{map[string]any{"route": []any{
				map[string]any{"destination": map[string]any{"host": "reviews", "subset": "v1"}, "weight": -1},
				map[string]any{"destination": map[string]any{"host": "reviews", "subset": "v2"}, "weight": 50}}}}}),
			false, []string{"spec.http[0].route[0].weight", "must not be negative", "VirtualService bookinfo/reviews"}},
		{"weights not adding up are a warning", admissionv1.Create, vsKind, virtualService(map[string]any{"hosts": []any{"reviews"},
			"http": []any{map[string]any{"route": []any{
				map[string]any{"destination": map[string]any{"host": "reviews", "subset": "v1"}, "weight": 80},
				map[string]any{"destination": map[string]any{"host": "reviews", "subset": "v2"}, "weight": 50}}}}}),
			true, nil},
		{"bad host and unknown field", admissionv1.Update, vsKind, virtualService(map[string]any{"hosts": []any{"rev*ews"}, "bogus": 1}),
			false, []string{"spec.bogus"}},
		{"delete is not validated", admissionv1.Delete, vsKind, virtualService(map[string]any{"hosts": 5}), true, nil},
		{"kind this version does not know", admissionv1.Create, metav1.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "Future"},
			map[string]any{"spec": map[string]any{"x": 1}}, true, nil},
		{"version not served", admissionv1.Create, metav1.GroupVersionKind{Group: "networking.istio.io", Version: "v9", Kind: "VirtualService"},
			virtualService(map[string]any{"hosts": []any{"reviews"}}), false, []string{"apiVersion"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := review(t, tc.kind, vsResource, "bookinfo", tc.op, tc.obj)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body)))
			var resp admissionv1.AdmissionReview
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Response == nil {
				t.Fatalf("bad answer %d: %s", rec.Code, rec.Body)
			}
			if resp.Response.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v (%+v)", resp.Response.Allowed, tc.allowed, resp.Response.Result)
			}
			if tc.name == "weights not adding up are a warning" && len(resp.Response.Warnings) == 0 {
				t.Error("no warning for weights that do not add up to 100")
			}
			for _, w := range tc.want {
				if !strings.Contains(resp.Response.Result.Message, w) {
					t.Errorf("message %q does not name %q", resp.Response.Result.Message, w)
				}
			}
		})
	}
}

func TestBadRequestsAreAnsweredNotFatal(t *testing.T) {
	handlers := map[string]http.Handler{"/inject": Handler(testInjector(t), testValidator(t), quiet)}
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
	}{
		{"GET", http.MethodGet, "/inject", "", http.StatusMethodNotAllowed},
		{"not JSON", http.MethodPost, "/inject", "{", http.StatusBadRequest},
		{"no request", http.MethodPost, "/validate", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, http.StatusBadRequest},
		{"v1beta1", http.MethodPost, "/inject", `{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}}`, http.StatusBadRequest},
		{"unknown path", http.MethodPost, "/mutate", `{}`, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			handlers["/inject"].ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
			if rec.Code != tc.code {
				t.Fatalf("code = %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
		})
	}
	// A pod that is not one is refused with a reason, not a crash.
	for _, obj := range []any{"pod", map[string]any{"spec": "x"}, map[string]any{"metadata": 5, "spec": map[string]any{}},
		map[string]any{"spec": map[string]any{"containers": "app"}}} {
		rec := httptest.NewRecorder()
		handlers["/inject"].ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/inject", bytes.NewReader(review(t, podKind, podResource, "ns", admissionv1.Create, obj))))
		var resp admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Response == nil {
			t.Fatalf("%v: bad answer %d: %s", obj, rec.Code, rec.Body)
		}
		if resp.Response.Allowed || resp.Response.Result == nil || resp.Response.Result.Message == "" {
			t.Errorf("%v: answer %+v, want a refusal saying why", obj, resp.Response)
		}
	}
}

// A valid policy meshd will not carry out as written is allowed, with kubectl warnings saying what
// happens instead (the same words configz shows).
func TestValidateWarnsOfUnsupported(t *testing.T) {
	h := testValidator(t)
	h.Unsupported = translate.Unsupported
	apKind := metav1.GroupVersionKind{Group: "security.istio.io", Version: "v1", Kind: "AuthorizationPolicy"}
	apResource := metav1.GroupVersionResource{Group: "security.istio.io", Version: "v1", Resource: "authorizationpolicies"}
	policy := func(action string) map[string]any {
		spec := map[string]any{"action": action, "rules": []any{map[string]any{"to": []any{map[string]any{"operation": map[string]any{"paths": []any{"/admin"}}}}}}}
		if action == "CUSTOM" {
			spec["provider"] = map[string]any{"name": "ext-authz"}
		}
		return map[string]any{"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
			"metadata": map[string]any{"name": "ext", "namespace": "bookinfo"}, "spec": spec}
	}
	for _, tc := range []struct {
		action string
		warn   string // "" : no warning
	}{
		{"CUSTOM", `action CUSTOM (provider "ext-authz") is not supported: requests its rules match are denied`},
		{"DENY", ""},
	} {
		body := review(t, apKind, apResource, "bookinfo", admissionv1.Create, policy(tc.action))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body)))
		var resp admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Response == nil {
			t.Fatalf("bad answer %d: %s", rec.Code, rec.Body)
		}
		if !resp.Response.Allowed {
			t.Errorf("%s: refused: %+v", tc.action, resp.Response.Result)
		}
		got := strings.Join(resp.Response.Warnings, "\n")
		if (tc.warn == "") != (got == "") || !strings.Contains(got, tc.warn) {
			t.Errorf("%s: warnings %q, want %q", tc.action, got, tc.warn)
		}
	}
}
