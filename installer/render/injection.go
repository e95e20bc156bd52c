package render

import (
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/profiles"
)

// InjectionInputs are what the sidecar injector reads from the cluster: ConfigMap istio-sidecar-injector's
// config and values, and ConfigMap istio's mesh.
type InjectionInputs struct {
	Config string
	Values string
	Mesh   string
}

// InjectionDefaults renders the control plane exactly as `manifest generate` does for in and returns the
// injector's inputs from the rendered ConfigMaps: kube-inject's offline defaults.
func InjectionDefaults(in profiles.Input) (*InjectionInputs, error) {
	op, m, err := FromInput(in, "pilot")
	if err != nil {
		return nil, err
	}
	rev := op.Spec.Revision
	var out InjectionInputs
	for _, want := range []struct {
		name string
		keys map[string]*string
	}{
		{meshapi.Revisioned(meshapi.InjectorConfigMap, rev), map[string]*string{meshapi.InjectorConfigKey: &out.Config, meshapi.InjectorValuesKey: &out.Values}},
		{meshapi.Revisioned(meshapi.MeshConfigMap, rev), map[string]*string{meshapi.MeshConfigKey: &out.Mesh}},
	} {
		o := m.Find("ConfigMap", op.Spec.Namespace, want.name)
		if o == nil {
			return nil, fmt.Errorf("the control plane chart renders no ConfigMap %s/%s", op.Spec.Namespace, want.name)
		}
		var cm struct {
			Data map[string]string `json:"data"`
		}
		if err := yaml.Unmarshal(o.YAML, &cm); err != nil {
			return nil, fmt.Errorf("parse rendered ConfigMap %s: %w", want.name, err)
		}
		for key, dst := range want.keys {
			v, ok := cm.Data[key]
			if !ok {
				return nil, fmt.Errorf("rendered ConfigMap %s has no key %q", want.name, key)
			}
			*dst = v
		}
	}
	return &out, nil
}
