package webhook

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"google.golang.org/protobuf/proto"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/meshapi/validation"
)

// Validator is the /validate handler: Istio configuration through meshapi/validation, refused with every
// field at fault and why.
type Validator struct {
	Metrics *Metrics
	Log     *slog.Logger
	// Unsupported, when set, says what of a valid resource meshd will not carry out: kubectl shows
	// it as warnings, so a user learns it on apply rather than from the proxy's behaviour.
	Unsupported func(spec proto.Message) []string
}

func (h *Validator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	review := readReview(w, r, h.Log)
	if review == nil {
		return
	}
	writeReview(w, review, h.Review(review.Request))
}

// Review answers one admission request for Istio configuration.
func (h *Validator) Review(req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	gvk := schema.GroupVersionKind{Group: req.Kind.Group, Version: req.Kind.Version, Kind: req.Kind.Kind}
	res := req.Resource
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return &admissionv1.AdmissionResponse{Allowed: true}
	}
	if _, known := validation.LookupKind(gvk.GroupKind()); !known {
		// Kinds of Istio's groups this version does not know: Istio's API server schema still applies.
		return &admissionv1.AdmissionResponse{Allowed: true}
	}
	failed := func(reason, msg string) *admissionv1.AdmissionResponse {
		h.Metrics.ValidationFailed.WithLabelValues(res.Group, res.Version, res.Resource, reason).Inc()
		return deny(http.StatusBadRequest, metav1.StatusReasonBadRequest, msg)
	}
	obj, err := inject.DecodeJSON(req.Object.Raw)
	if err != nil {
		return failed("invalid_json", "the object is not JSON: "+err.Error())
	}
	m, ok := obj.(map[string]any)
	if !ok {
		return failed("invalid_json", "the object is not a JSON object")
	}
	spec, errs := validation.Object(gvk, m["spec"])
	resp := &admissionv1.AdmissionResponse{Allowed: true}
	for _, w := range errs.Warnings() {
		resp.Warnings = append(resp.Warnings, w.Error())
	}
	if h.Unsupported != nil && spec != nil && !errs.HasErrors() {
		resp.Warnings = append(resp.Warnings, h.Unsupported(spec)...)
	}
	if errs.HasErrors() {
		var msgs []string
		for _, e := range errs {
			if e.Severity == validation.Error {
				msgs = append(msgs, e.Error())
			}
		}
		name := req.Name
		if name == "" {
			name, _ = lookupString(m, "metadata", "name")
		}
		if name == "" {
			name, _ = lookupString(m, "metadata", "generateName")
		}
		denied := failed("invalid_resource", fmt.Sprintf("configuration is invalid: %s %s/%s: %s", gvk.Kind, req.Namespace, name, strings.Join(msgs, "; ")))
		denied.Warnings = resp.Warnings
		return denied
	}
	h.Metrics.ValidationPassed.WithLabelValues(res.Group, res.Version, res.Resource).Inc()
	return resp
}

func lookupString(m map[string]any, path ...string) (string, bool) {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		v = mm[p]
	}
	s, ok := v.(string)
	return s, ok
}
