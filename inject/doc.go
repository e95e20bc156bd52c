// Package inject adds the mesh's sidecar to pod templates: the library behind `meshctl kube-inject` and,
// later, meshd's mutating webhook. It knows nothing of command lines or clusters: a Config is parsed from
// the three strings the control plane publishes (ConfigMap istio-sidecar-injector's config and values,
// ConfigMap istio's mesh), InjectPod patches one pod template, and Stream walks a YAML stream.
//
// Pod templates are handled as JSON-shaped maps (the shape of unstructured.Unstructured), so that any
// workload kind, known to client-go or not, is injected the same way and fields meshctl does not know
// survive untouched.
package inject
