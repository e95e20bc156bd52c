package analyzers

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/meshapi"
)

// injector is one revision's injector configuration, as the control plane's ConfigMap
// istio-sidecar-injector[-REVISION] in the root namespace holds it.
type injector struct {
	object   *analyze.Object
	revision string // meshapi.DefaultRevision for the ConfigMap without a suffix
	values   map[string]any
}

// injectors reads the injector ConfigMaps of the root namespace whose values parse.
func injectors(c *analyze.Context) []injector {
	var out []injector
	for _, o := range c.Store.InNamespace(analyze.KindConfigMap, c.RootNamespace) {
		rev, ok := injectorRevision(o.Name)
		if !ok {
			continue
		}
		text, _ := o.Get("data." + meshapi.InjectorValuesKey).(string)
		d := json.NewDecoder(bytes.NewReader([]byte(text)))
		d.UseNumber() // tags such as 1.20 must stay as written
		var values map[string]any
		if d.Decode(&values) != nil {
			continue
		}
		out = append(out, injector{o, rev, values})
	}
	return out
}

func injectorRevision(name string) (string, bool) {
	switch {
	case name == meshapi.InjectorConfigMap:
		return meshapi.DefaultRevision, true
	case strings.HasPrefix(name, meshapi.InjectorConfigMap+"-"):
		return strings.TrimPrefix(name, meshapi.InjectorConfigMap+"-"), true
	}
	return "", false
}

// valueAt reads a chart value by dotted path ("global.hub").
func valueAt(values map[string]any, path string) any {
	return (&analyze.Object{Value: values}).Get(path)
}

// enablesNamespacesByDefault reports whether some control plane injects namespaces without injection
// labels (values.sidecarInjectorWebhook.enableNamespacesByDefault).
func enablesNamespacesByDefault(c *analyze.Context) bool {
	for _, in := range injectors(c) {
		if v, _ := valueAt(in.values, "sidecarInjectorWebhook.enableNamespacesByDefault").(bool); v {
			return true
		}
	}
	return false
}

// controlPlaneDeployments are the Deployments of the control plane (istiod, istiod-REVISION) in the root
// namespace.
func controlPlaneDeployments(c *analyze.Context) []*analyze.Object {
	var out []*analyze.Object
	for _, o := range c.Store.InNamespace(analyze.KindDeployment, c.RootNamespace) {
		if o.Name == meshapi.ControlPlane || strings.HasPrefix(o.Name, meshapi.ControlPlane+"-") && o.Labels["app"] == meshapi.ControlPlane {
			out = append(out, o)
		}
	}
	return out
}

// containers returns the containers of a pod spec.
func containers(podSpec map[string]any) []map[string]any {
	list, _ := podSpec["containers"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, ct := range list {
		out = append(out, mapOf(ct))
	}
	return out
}

func joinNames(names []string) string { return strings.Join(names, ", ") }
