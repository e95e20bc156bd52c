package render

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/profiles"
)

// TestChartsEqualHelmTemplate renders each chart from its directory with helm's own `helm template` code
// path (action.Install in client-only dry-run mode) using the values meshctl computes for a profile, and
// compares the objects with that component in `manifest generate`: the charts' values.yaml is the one source
// of defaults, and meshctl adds nothing behind helm's back.
func TestChartsEqualHelmTemplate(t *testing.T) {
	for _, p := range profiles.Names() {
		r, err := profiles.Resolve(profiles.Input{Profile: p, Sets: goldenSets[p], Charts: EmbeddedCharts(), DefaultTag: "1.0.0"})
		if err != nil {
			t.Fatal(err)
		}
		op := r.Operator
		for _, c := range components {
			for _, in := range enabledInstances(op, c) {
				name := fmt.Sprintf("%s/%s/%s", p, c.name, in.gatewayName)
				t.Run(name, func(t *testing.T) {
					vals, err := chartValues(op, in)
					if err != nil {
						t.Fatal(err)
					}
					release := in.release
					if in.gatewayName != "" {
						release = in.gatewayName
					}
					want := helmTemplate(t, filepath.Join("..", "..", "manifests", "charts", in.chart), release, in.namespace, vals)
					objs, err := renderInstance(&chartCache{fsys: EmbeddedCharts()}, op, in)
					if err != nil {
						t.Fatal(err)
					}
					got := map[string]any{}
					for _, o := range objs {
						var v any
						if err := yaml.Unmarshal(o.YAML, &v); err != nil {
							t.Fatal(err)
						}
						got[o.Key()] = v
					}
					if len(got) != len(want) {
						t.Errorf("meshctl renders %d objects, helm template %d", len(got), len(want))
					}
					for k, w := range want {
						if !reflect.DeepEqual(got[k], w) {
							t.Errorf("%s differs from helm template's", k)
						}
					}
				})
			}
		}
	}
}

// helmTemplate runs helm's template code path and returns its objects by key.
func helmTemplate(t *testing.T, dir, release, namespace string, vals map[string]any) map[string]any {
	t.Helper()
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(&action.Configuration{})
	install.DryRun, install.ClientOnly, install.Replace, install.IncludeCRDs = true, true, true, true
	install.ReleaseName, install.Namespace = release, namespace
	rel, err := install.Run(ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	reader := kubeyaml.NewReader(strings.NewReader(rel.Manifest), "helm template")
	for {
		doc, err := reader.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := yaml.Unmarshal(doc.Raw, &v); err != nil {
			t.Fatal(err)
		}
		md, _ := v["metadata"].(map[string]any)
		o := Object{Kind: fmt.Sprint(v["kind"]), Name: fmt.Sprint(md["name"])}
		if ns, ok := md["namespace"].(string); ok {
			o.Namespace = ns
		}
		out[o.Key()] = v
	}
}
