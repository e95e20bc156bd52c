package model_test

import (
	"testing"

	"github.com/meshctl/meshctl/controlplane/model"
)

// FuzzParseMeshConfig: any text in ConfigMap istio is a config or an error, never a panic, and a
// config always has the defaults translation relies on.
func FuzzParseMeshConfig(f *testing.F) {
	for _, s := range []string{"", "rootNamespace: istio-system\n", "outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n",
		"connectTimeout: 5s\ndefaultConfig:\n  discoveryAddress: istiod:15012\n", "[1, 2]", "connectTimeout: forever", "a: &a [*a]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := model.ParseMeshConfig(s)
		if err != nil {
			return
		}
		if m.GetRootNamespace() == "" || m.GetOutboundTrafficPolicy() == nil {
			t.Fatalf("%q: defaults missing: %v", s, m)
		}
	})
}
