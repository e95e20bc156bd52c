package crdgen

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"sigs.k8s.io/yaml"
)

const chartDir = "../charts/base"

// renderChart renders the base chart as `helm template base manifests/charts/base -n istio-system`
// would, with values over the chart's defaults, and returns the output in template-file order.
func renderChart(tb testing.TB, values map[string]any) string {
	tb.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		tb.Fatalf("load chart: %v", err)
	}
	vals, err := chartutil.ToRenderValues(ch, values,
		chartutil.ReleaseOptions{Name: "base", Namespace: "istio-system", IsInstall: true}, nil)
	if err != nil {
		tb.Fatalf("values: %v", err)
	}
	// Strict: every value a template reads must have a default in values.yaml.
	files, err := engine.Engine{Strict: true}.Render(ch, vals)
	if err != nil {
		tb.Fatalf("render: %v", err)
	}
	var out strings.Builder
	for _, name := range slices.Sorted(maps.Keys(files)) {
		out.WriteString("---\n# Source: " + name + "\n" + files[name] + "\n")
	}
	return out.String()
}

// objects parses a rendered YAML stream into its non-empty documents.
func objects(tb testing.TB, stream string) []map[string]any {
	tb.Helper()
	var objs []map[string]any
	for i, doc := range strings.Split(stream, "\n---\n") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			tb.Fatalf("document %d: %v\n%.400s", i, err, doc)
		}
		if len(obj) > 0 {
			objs = append(objs, obj)
		}
	}
	return objs
}

func TestChartObjectsCarryOwnerLabels(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   map[string]string
	}{
		{
			name:   "defaults",
			values: nil,
			want: map[string]string{
				"install.operator.istio.io/owning-resource": "installed-state",
				"operator.istio.io/component":               "Base",
				"istio.io/rev":                              "default",
				"app.kubernetes.io/part-of":                 "meshctl",
			},
		},
		{
			name:   "revision and numeric owner stay strings",
			values: map[string]any{"revision": "canary", "ownerName": "1234"},
			want: map[string]string{
				"install.operator.istio.io/owning-resource": "1234",
				"operator.istio.io/component":               "Base",
				"istio.io/rev":                              "canary",
				"app.kubernetes.io/part-of":                 "meshctl",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := objects(t, renderChart(t, tt.values))
			kinds := map[string]int{}
			for _, obj := range objs {
				kinds[obj["kind"].(string)]++
				meta, _ := obj["metadata"].(map[string]any)
				labels, _ := meta["labels"].(map[string]any)
				for k, v := range tt.want {
					if got, ok := labels[k].(string); !ok || got != v {
						t.Errorf("%s %v: label %s = %#v, want %q", obj["kind"], meta["name"], k, labels[k], v)
					}
				}
			}
			if kinds["CustomResourceDefinition"] != len(Kinds()) || kinds["Namespace"] != 1 || len(kinds) != 2 {
				t.Errorf("rendered kinds = %v, want %d CRDs and 1 Namespace", kinds, len(Kinds()))
			}
		})
	}
}

func TestChartNamespaceFollowsIstioNamespace(t *testing.T) {
	objs := objects(t, renderChart(t, map[string]any{"global": map[string]any{"istioNamespace": "mesh-system"}}))
	var names []string
	for _, obj := range objs {
		if obj["kind"] == "Namespace" {
			meta := obj["metadata"].(map[string]any)
			names = append(names, meta["name"].(string))
			if got := meta["labels"].(map[string]any)["istio-injection"]; got != "disabled" {
				t.Errorf("namespace label istio-injection = %v, want disabled", got)
			}
		}
	}
	if !slices.Equal(names, []string{"mesh-system"}) {
		t.Errorf("namespaces = %v, want [mesh-system]", names)
	}
}

// The CRD file must stay plain text for Helm: its only template actions are the labels includes.
func TestCRDFileHasOneActionPerCRD(t *testing.T) {
	var buf strings.Builder
	res, err := Generate(globalFiles(), Kinds())
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(&buf, res.CRDs, BaseLabelsAction); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Count(buf.String(), "{{"), len(Kinds()); got != want {
		t.Errorf("template actions = %d, want %d (one labels include per CRD)", got, want)
	}
	if got := strings.Count(buf.String(), BaseLabelsAction); got != len(Kinds()) {
		t.Errorf("labels includes = %d, want %d", got, len(Kinds()))
	}
}

func BenchmarkRenderChart(b *testing.B) {
	b.ReportAllocs()
	var size int
	defer reportCPU(b)()
	for b.Loop() {
		size = len(renderChart(b, nil))
	}
	b.ReportMetric(float64(size), "bytes/op")
}
