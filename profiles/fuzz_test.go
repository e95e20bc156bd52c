package profiles

import (
	"errors"
	"testing"

	"github.com/meshctl/meshctl/internal/yamlbomb"
	"github.com/meshctl/meshctl/kubeyaml"
)

// FuzzSet feeds arbitrary --set flags: they either resolve or fail as invalid input, never panic.
func FuzzSet(f *testing.F) {
	for _, s := range []string{"profile=demo", "components.ingressGateways[0].enabled=false", `values.a\.b=1`,
		"values.global.proxy.resources.requests.cpu=10m", "meshConfig.defaultConfig.proxyMetadata.X=y", "a[1][2]=3",
		"spec.components.pilot.k8s.env[0].name=X", "[0]=1", "values..x=1", "tag=1.20"} {
		f.Add(s)
	}
	charts := testCharts(f)
	f.Fuzz(func(t *testing.T, set string) {
		r, err := Resolve(Input{Sets: []string{set}, Charts: charts})
		if err != nil {
			var bad interface{ InvalidInput() bool }
			if !errors.As(err, &bad) {
				t.Fatalf("--set %q: error %v is not marked as invalid input", set, err)
			}
			return
		}
		if r.Operator == nil {
			t.Fatalf("--set %q: no operator and no error", set)
		}
	})
}

// FuzzIstioOperatorYAML feeds arbitrary IstioOperator files: errors are positioned input errors.
func FuzzIstioOperatorYAML(f *testing.F) {
	for _, s := range []string{
		"apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n",
		"spec:\n  components:\n    pilot:\n      k8s:\n        resources: {requests: {cpu: 1}}\n",
		"spec:\n  values:\n    global:\n      hub: x\n  meshConfig:\n    accessLogFile: /dev/stdout\n",
		"spec: [1, 2]\n", "kind: Deployment\n", "a: &x {b: 1}\nspec: *x\n", "spec:\n  components:\n    ingressGateways:\n    - name: a\n      k8s:\n        overlays:\n        - kind: Service\n          name: a\n          patches: [{path: spec.ports[0], value: 1}]\n",
		yamlbomb.Laughs,
	} {
		f.Add(s)
	}
	charts := testCharts(f)
	f.Fuzz(func(t *testing.T, in string) {
		schema := newSchema(charts)
		docs, err := parseOperatorDocs([]byte(in), "fuzz.yaml", schema)
		if err != nil {
			var pos *kubeyaml.Error
			if !errors.As(err, &pos) || pos.Source != "fuzz.yaml" {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		tree := map[string]any{}
		for _, d := range docs {
			tree = merge(tree, d, "")
		}
		if _, err := decode(tree); err != nil {
			t.Fatalf("a validated document does not decode: %v\n%s", err, in)
		}
	})
}
