package analyzers

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/meshapi/validation"
)

// TestSamePathsEverywhere: an invalid VirtualService gives the same field paths through meshctl analyze,
// through meshapi/validation on the YAML reader's values (int64 numbers), and on JSON as a webhook reads
// it (float64 numbers, or json.Number with UseNumber).
func TestSamePathsEverywhere(t *testing.T) {
	for _, tc := range []struct{ name, spec string }{
		{"decoding", "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, port: {number: -1}}\n      weight: 50.5\n    timeout: soon\n    rout: []"},
		{"semantic", "  hosts: [reviews]\n  http:\n  - match:\n    - uri: {regex: \"(\"}\n      headers: {X-User: {exact: a}}\n    route:\n    - {destination: {host: reviews, port: {number: 70000}}, weight: 60}\n    - {destination: {host: ratings}, weight: 30}\n    timeout: 0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := vs(tc.spec)
			var fromAnalyze []string
			for _, f := range run(t, "schema", in) {
				fromAnalyze = append(fromAnalyze, strings.Fields(f)[3])
			}
			slices.Sort(fromAnalyze)
			if len(fromAnalyze) < 3 {
				t.Fatalf("want several problems, got %q", fromAnalyze)
			}

			docs := kubeyaml.Split([]byte(in), "in.yaml")
			objs, err := docs[0].Objects()
			if err != nil {
				t.Fatal(err)
			}
			j, err := yaml.YAMLToJSON([]byte(in))
			if err != nil {
				t.Fatal(err)
			}
			inputs := map[string]any{"YAML": objs[0].Value["spec"], "JSON": jsonSpec(t, j, false), "JSON UseNumber": jsonSpec(t, j, true)}
			gvk := schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"}
			for name, spec := range inputs {
				_, errs := validation.Object(gvk, spec)
				var got []string
				for _, e := range errs {
					got = append(got, e.Field)
				}
				slices.Sort(got)
				if !slices.Equal(got, fromAnalyze) {
					t.Errorf("%s: fields %q, analyze reports %q", name, got, fromAnalyze)
				}
			}
		})
	}
}

func jsonSpec(t *testing.T, j []byte, useNumber bool) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(j))
	if useNumber {
		d.UseNumber()
	}
	var obj map[string]any
	if err := d.Decode(&obj); err != nil {
		t.Fatal(err)
	}
	return obj["spec"]
}
