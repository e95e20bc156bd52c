package webhook

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
)

// FuzzAdmissionReview sends arbitrary bodies to both webhooks: every one gets an HTTP answer, never a
// panic (the recoverer would hide one as a 500, which fails here too).
func FuzzAdmissionReview(f *testing.F) {
	f.Add(review(f, podKind, podResource, "ns", admissionv1.Create, map[string]any{"metadata": map[string]any{"name": "p"},
		"spec": map[string]any{"containers": []any{map[string]any{"name": "app", "image": "x", "ports": []any{map[string]any{"containerPort": 80}}}}}}))
	f.Add(review(f, vsKind, vsResource, "ns", admissionv1.Create, virtualService(map[string]any{"hosts": []any{"a"}})))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"object":null}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"kind":{"version":"v1","kind":"Pod"},"object":{"spec":{"containers":[{"name":"a","ports":[{"containerPort":1e400}]}]}}}}`))
	f.Add([]byte(`[]`))
	h := Handler(testInjector(f), testValidator(f), quiet)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/inject", "/validate"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
			if rec.Code == http.StatusInternalServerError {
				t.Fatalf("%s: 500 for %q: %s", path, body, rec.Body)
			}
		}
		if r, err := DecodeReview(body); err == nil && r.Request == nil {
			t.Fatal("DecodeReview returned a review without a request")
		}
	})
}
