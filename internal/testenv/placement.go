package testenv

import (
	"bytes"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/kubeyaml"
)

// podTemplatePaths are where each workload kind keeps its pod spec.
var podTemplatePaths = map[string][]string{
	"Pod":         {"spec"},
	"Deployment":  {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"ReplicaSet":  {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
}

// PlaceOnRealNode rewrites a multi-document YAML stream so that every workload's pods ask for the
// real node (OnRealNode): how `make demo` runs bookinfo in containers rather than on KWOK. Other
// documents pass through unchanged. source names the input in errors.
func PlaceOnRealNode(data []byte, source string) ([]byte, error) {
	var out bytes.Buffer
	for _, doc := range kubeyaml.Split(data, source) {
		var obj map[string]any
		if err := yaml.Unmarshal(doc.Raw, &obj); err != nil {
			return nil, fmt.Errorf("%s: %w", doc.Position(), err)
		}
		if obj == nil {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		if path, ok := podTemplatePaths[u.GetKind()]; ok {
			raw, found, err := unstructured.NestedMap(u.Object, path...)
			if err != nil || !found {
				return nil, fmt.Errorf("%s: %s %s has no pod spec at %v", doc.Position(), u.GetKind(), u.GetName(), path)
			}
			var spec corev1.PodSpec
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &spec); err != nil {
				return nil, fmt.Errorf("%s: %s %s: %w", doc.Position(), u.GetKind(), u.GetName(), err)
			}
			OnRealNode(&spec)
			placed, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&spec)
			if err != nil {
				return nil, err
			}
			// Only the two fields change: the rest of the spec stays as written.
			raw["nodeSelector"], raw["tolerations"] = placed["nodeSelector"], placed["tolerations"]
			if err := unstructured.SetNestedMap(u.Object, raw, path...); err != nil {
				return nil, err
			}
		}
		y, err := yaml.Marshal(u.Object)
		if err != nil {
			return nil, err
		}
		out.WriteString("---\n")
		out.Write(y)
	}
	return out.Bytes(), nil
}
