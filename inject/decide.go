package inject

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/meshctl/meshctl/meshapi"
)

// Pod is a pod template, or a pod, as JSON-shaped maps: its metadata and its spec.
type Pod struct {
	Metadata map[string]any
	Spec     map[string]any
}

// Outcome says what happened to one object of a stream.
type Outcome int

const (
	Injected Outcome = iota
	NotWorkload
	Skipped
	AlreadyInjected
)

func (o Outcome) String() string {
	switch o {
	case Injected:
		return "injected"
	case NotWorkload:
		return "not a workload"
	case AlreadyInjected:
		return "already injected"
	}
	return "skipped"
}

// Decide says whether pod is to be injected, with meshapi.Decide's rules (the ones meshd's webhook and
// analyze apply), the never/always selectors matched here. owner is the metadata of the workload around
// the template, consulted when the template itself says nothing (people often annotate the Deployment
// instead of its template); it may be nil. namespace is the workload's namespace. Like istioctl
// kube-inject, it injects whatever the namespace's labels say.
func (c *Config) Decide(pod Pod, owner map[string]any, namespace string) (Outcome, string, error) {
	meta, err := objectMeta(pod.Metadata, "metadata")
	if err != nil {
		return Skipped, "", err
	}
	hostNetwork, _ := pod.Spec["hostNetwork"].(bool)
	req := meshapi.InjectionRequest{
		Pod:         meshapi.Metadata{Labels: meta.Labels, Annotations: meta.Annotations},
		HostNetwork: hostNetwork,
		Namespace:   namespace,
		Policy:      meshapi.InjectionPolicy(c.Policy),
	}
	if owner != nil {
		if ownerMeta, err := objectMeta(owner, "metadata"); err == nil {
			req.Workload = &meshapi.Metadata{Labels: ownerMeta.Labels, Annotations: ownerMeta.Annotations}
		}
	}
	set := labels.Set(meta.Labels)
	req.NeverInjectMatch = firstMatch(c.NeverInjectSelector, set)
	req.AlwaysInjectMatch = firstMatch(c.AlwaysInjectSelector, set)
	d := meshapi.Decide(req)
	switch d.Verdict {
	case meshapi.Inject:
		return Injected, "", nil
	case meshapi.AlreadyInjected:
		return AlreadyInjected, "", nil
	}
	return Skipped, d.Reason, nil
}

// firstMatch is the first non-empty selector matching set, as text; "" when none does.
func firstMatch(selectors []labels.Selector, set labels.Set) string {
	for _, s := range selectors {
		if !s.Empty() && s.Matches(set) {
			return s.String()
		}
	}
	return ""
}

// objectMeta reads the parts of metadata injection uses. Labels and annotations must be strings, as the
// API server demands; an unquoted `sidecar.istio.io/inject: false` is the usual culprit.
func objectMeta(m map[string]any, at string) (*metav1.ObjectMeta, error) {
	meta := &metav1.ObjectMeta{}
	meta.Name, _ = m["name"].(string)
	meta.GenerateName, _ = m["generateName"].(string)
	meta.Namespace, _ = m["namespace"].(string)
	var err error
	if meta.Labels, err = stringMap(m["labels"], at+".labels"); err != nil {
		return nil, err
	}
	if meta.Annotations, err = stringMap(m["annotations"], at+".annotations"); err != nil {
		return nil, err
	}
	return meta, nil
}

func stringMap(v any, at string) (map[string]string, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fieldErrorf(at, "want a mapping of strings, got %s", typeName(v))
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		s, ok := x.(string)
		if !ok {
			return nil, fieldErrorf(fmt.Sprintf("%s[%q]", at, k), "want a string, got %s %v (quote it)", typeName(x), x)
		}
		out[k] = s
	}
	return out, nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}
