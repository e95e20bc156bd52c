package webhook

import (
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/meshapi"
)

// Injector is the /inject handler.
type Injector struct {
	Config  *ConfigWatcher
	Metrics *Metrics
	Log     *slog.Logger
}

func (h *Injector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	review := readReview(w, r, h.Log)
	if review == nil {
		return
	}
	h.Metrics.InjectionRequests.Inc()
	resp := h.Review(review.Request, r.URL.Path)
	writeReview(w, review, resp)
}

// Review answers one admission request for a pod.
func (h *Injector) Review(req *admissionv1.AdmissionRequest, path string) *admissionv1.AdmissionResponse {
	if req.Kind.Kind != "Pod" || req.Kind.Group != "" {
		h.Metrics.InjectionSkipped.Inc()
		return &admissionv1.AdmissionResponse{Allowed: true}
	}
	patch, outcome, err := h.injectRaw(req.Object.Raw, req.Namespace, path)
	if err != nil {
		h.Metrics.InjectionFailed.Inc()
		h.Log.Warn("injection failed", "namespace", req.Namespace, "name", req.Name, "err", err)
		return deny(http.StatusBadRequest, metav1.StatusReasonBadRequest, "injection failed: "+err.Error())
	}
	if outcome != inject.Injected {
		h.Metrics.InjectionSkipped.Inc()
		return &admissionv1.AdmissionResponse{Allowed: true}
	}
	h.Metrics.InjectionSuccess.Inc()
	return &admissionv1.AdmissionResponse{Allowed: true, Patch: patch, PatchType: ptr.To(admissionv1.PatchTypeJSONPatch)}
}

// injectRaw injects a pod given as JSON in namespace, and returns the JSON patch that does it.
func (h *Injector) injectRaw(raw []byte, namespace, path string) ([]byte, inject.Outcome, error) {
	before, err := decodePod(raw)
	if err != nil {
		return nil, inject.Skipped, err
	}
	// injecting changes the maps it is given: inject a second decoding, diff against the first.
	after, _ := decodePod(raw)
	outcome, err := h.inject(after, namespace, path)
	if err != nil || outcome != inject.Injected {
		return nil, outcome, err
	}
	patch, err := createPatch(before, after)
	return patch, inject.Injected, err
}

// InjectPod is the pod the webhook admits for raw in namespace, as JSON-shaped values (raw's pod when it
// is not injected): what a test compares with kube-inject's output.
func (h *Injector) InjectPod(raw []byte, namespace, path string) (map[string]any, error) {
	obj, err := decodePod(raw)
	if err != nil {
		return nil, err
	}
	_, err = h.inject(obj, namespace, path)
	return obj, err
}

// inject decides and injects obj in place: meshapi.Decide's decision through the configuration's
// selectors, then package inject, then the path's proxy environment.
func (h *Injector) inject(obj map[string]any, namespace, path string) (inject.Outcome, error) {
	cfg, podOpts, err := h.Config.Config()
	if err != nil {
		return inject.Skipped, err
	}
	pod, err := podParts(obj)
	if err != nil {
		return inject.Skipped, err
	}
	outcome, _, err := cfg.Decide(pod, nil, namespace)
	if err != nil || outcome != inject.Injected {
		return outcome, err
	}
	injected, err := cfg.InjectPod(workloadOf(pod.Metadata, namespace), pod, podOpts)
	if err != nil {
		return inject.Skipped, err
	}
	obj["metadata"], obj["spec"] = injected.Metadata, injected.Spec
	if envs := PathEnv(path); len(envs) > 0 {
		setProxyEnv(injected.Spec, envs)
	}
	return inject.Injected, nil
}

func decodePod(raw []byte) (map[string]any, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("the request has no object")
	}
	v, err := inject.DecodeJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("the pod is not JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the pod is not a JSON object")
	}
	return obj, nil
}

func podParts(obj map[string]any) (inject.Pod, error) {
	meta, ok := obj["metadata"].(map[string]any)
	if !ok && obj["metadata"] != nil {
		return inject.Pod{}, fmt.Errorf("metadata: want an object")
	}
	if meta == nil {
		meta = map[string]any{}
		obj["metadata"] = meta
	}
	spec, ok := obj["spec"].(map[string]any)
	if !ok {
		return inject.Pod{}, fmt.Errorf("spec: want an object")
	}
	return inject.Pod{Metadata: meta, Spec: spec}, nil
}

// urlParameterEnv maps Istio's /inject/<key>/<value> keys to the proxy variables they set; other keys set
// the variable named by the key in upper case.
var urlParameterEnv = map[string]string{"cluster": "ISTIO_META_CLUSTER_ID", "net": "ISTIO_META_NETWORK"}

// PathEnv reads the proxy environment Istio's injection paths carry: /inject/cluster/c1/net/n1 (values
// with "--slash--" for "/"), or the older /inject/:ENV:cluster=c1:ENV:net=n1. A key without a value is
// ignored, as in Istio.
func PathEnv(path string) map[string]string {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(path, "/"), "/inject/")
	if !ok || rest == "" {
		return nil
	}
	var kv []string
	if strings.HasPrefix(rest, ":ENV:") {
		for _, pair := range strings.Split(rest, ":ENV:")[1:] {
			k, v, found := strings.Cut(pair, "=")
			if k != "" && found {
				kv = append(kv, k, v)
			}
		}
	} else {
		kv = strings.Split(rest, "/")
		for i := 1; i < len(kv); i += 2 {
			kv[i] = strings.ReplaceAll(kv[i], "--slash--", "/")
		}
	}
	out := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "" {
			continue // "/inject//v": a variable needs a name (found by fuzzing)
		}
		name, ok := urlParameterEnv[kv[i]]
		if !ok {
			name = strings.ToUpper(kv[i])
		}
		if kv[i+1] != "" {
			out[name] = kv[i+1]
		}
	}
	return out
}

// setProxyEnv sets variables of the proxy container (in containers, or initContainers for a native
// sidecar), replacing an entry of the same name: the path's value wins over the template's.
func setProxyEnv(spec map[string]any, envs map[string]string) {
	for _, list := range []string{"containers", "initContainers"} {
		containers, _ := spec[list].([]any)
		for _, c := range containers {
			container, _ := c.(map[string]any)
			if container == nil || container["name"] != meshapi.ProxyContainer {
				continue
			}
			env, _ := container["env"].([]any)
			for _, name := range slices.Sorted(maps.Keys(envs)) {
				value := envs[name]
				replaced := false
				for _, e := range env {
					if entry, _ := e.(map[string]any); entry != nil && entry["name"] == name {
						delete(entry, "valueFrom")
						entry["value"] = value
						replaced = true
					}
				}
				if !replaced {
					env = append(env, map[string]any{"name": name, "value": value})
				}
			}
			container["env"] = env
		}
	}
}
