package inject

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
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

// ignoredNamespaces hold the cluster's own components, which are never injected.
var ignoredNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true, "local-path-storage": true}

// Decide says whether pod is to be injected, with Istio's rules: a pod already injected or on the host
// network is not; then the pod's sidecar.istio.io/inject label (or annotation) decides; then the
// never/always selectors; then the policy. owner is the metadata of the workload around the template,
// consulted when the template itself says nothing (people often annotate the Deployment instead of its
// template); it may be nil. namespace is the workload's namespace.
func (c *Config) Decide(pod Pod, owner map[string]any, namespace string) (Outcome, string, error) {
	meta, err := objectMeta(pod.Metadata, "metadata")
	if err != nil {
		return Skipped, "", err
	}
	if _, ok := meta.Annotations[AnnotationStatus]; ok {
		return AlreadyInjected, "", nil
	}
	if hostNetwork, _ := pod.Spec["hostNetwork"].(bool); hostNetwork {
		return Skipped, "hostNetwork", nil
	}
	if ignoredNamespaces[namespace] {
		return Skipped, "namespace " + namespace, nil
	}
	value, where := injectSetting(meta)
	if where == "" && owner != nil {
		ownerMeta, err := objectMeta(owner, "metadata")
		if err == nil {
			value, where = injectSetting(ownerMeta)
			if where != "" {
				where = "workload " + where
			}
		}
	}
	explicit, inject := false, false
	switch strings.ToLower(value) {
	case "":
	case "y", "yes", "true", "on":
		explicit, inject = true, true
	default:
		explicit = true
	}
	if explicit {
		if inject {
			return Injected, "", nil
		}
		return Skipped, fmt.Sprintf("%s %s=%s", where, AnnotationInject, value), nil
	}
	set := labels.Set(meta.Labels)
	for _, s := range c.NeverInjectSelector {
		if !s.Empty() && s.Matches(set) {
			return Skipped, "neverInjectSelector " + s.String(), nil
		}
	}
	for _, s := range c.AlwaysInjectSelector {
		if !s.Empty() && s.Matches(set) {
			return Injected, "", nil
		}
	}
	if c.Policy == "disabled" {
		return Skipped, "injection policy is disabled and the pod does not ask for it", nil
	}
	return Injected, "", nil
}

// injectSetting returns the pod's sidecar.istio.io/inject value and where it was found; the label wins.
func injectSetting(meta *metav1.ObjectMeta) (value, where string) {
	if v, ok := meta.Labels[AnnotationInject]; ok {
		return v, "label"
	}
	if v, ok := meta.Annotations[AnnotationInject]; ok {
		return v, "annotation"
	}
	return "", ""
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
