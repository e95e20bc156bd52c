package manifests

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"sigs.k8s.io/yaml"
)

// chartsNamespace and chartsRelease are what meshctl passes: `helm template <release> <chart> -n istio-system`.
const (
	chartsNamespace = "istio-system"
	chartsRelease   = "installed-state"
)

// loadEmbeddedChart reads one chart from the embedded FS, the way meshctl does.
func loadEmbeddedChart(tb testing.TB, dir string) *chart.Chart {
	tb.Helper()
	files, err := embeddedChartFiles(dir)
	if err != nil {
		tb.Fatal(err)
	}
	ch, err := loader.LoadFiles(files)
	if err != nil {
		tb.Fatalf("load chart %s: %v", dir, err)
	}
	return ch
}

func embeddedChartFiles(dir string) ([]*loader.BufferedFile, error) {
	root := path.Join("charts", dir)
	var files []*loader.BufferedFile
	err := fs.WalkDir(FS, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := FS.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: strings.TrimPrefix(p, root+"/"), Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read chart %s: %w", dir, err)
	}
	return files, nil
}

// renderChart renders ch with vals over its defaults in strict mode: a template that reads a value
// missing from values.yaml fails, which keeps values.yaml the complete list of a chart's keys.
// It returns the manifest as meshctl would print it (templates in name order, "---" between).
func renderChart(tb testing.TB, ch *chart.Chart, vals map[string]any) string {
	tb.Helper()
	out, err := renderValues(ch, vals)
	if err != nil {
		tb.Fatalf("render %s: %v", ch.Name(), err)
	}
	return out
}

func renderValues(ch *chart.Chart, vals map[string]any) (string, error) {
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{
		Name: chartsRelease, Namespace: chartsNamespace, IsInstall: true,
	}, nil)
	if err != nil {
		return "", err
	}
	files, err := engine.Engine{Strict: true}.Render(ch, rv)
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		if strings.HasSuffix(name, ".yaml") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var buf bytes.Buffer
	for _, name := range names {
		body := strings.TrimSpace(files[name])
		if body == "" {
			continue
		}
		fmt.Fprintf(&buf, "---\n# Source: %s\n%s\n", name, body)
	}
	return buf.String(), nil
}

// renderedObject is one rendered Kubernetes object with the document it came from.
type renderedObject struct {
	raw    string
	source string
	u      map[string]any
}

func (o renderedObject) kind() string { return digString(o.u, "kind") }
func (o renderedObject) name() string { return digString(o.u, "metadata", "name") }
func (o renderedObject) String() string {
	return fmt.Sprintf("%s/%s (%s)", o.kind(), o.name(), o.source)
}

// splitManifest parses a rendered manifest into objects, failing on YAML errors.
func splitManifest(tb testing.TB, manifest string) []renderedObject {
	tb.Helper()
	var objs []renderedObject
	for _, doc := range strings.Split(manifest, "\n---\n") {
		doc = strings.TrimPrefix(doc, "---\n")
		source := ""
		if first, _, ok := strings.Cut(doc, "\n"); ok && strings.HasPrefix(first, "# Source: ") {
			source = strings.TrimPrefix(first, "# Source: ")
		}
		var u map[string]any
		if err := yaml.UnmarshalStrict([]byte(doc), &u); err != nil {
			tb.Fatalf("%s: invalid YAML: %v\n%s", source, err, doc)
		}
		if len(u) == 0 {
			continue
		}
		objs = append(objs, renderedObject{raw: doc, source: source, u: u})
	}
	return objs
}

// findObject returns the object of the kind and name, failing the test when it is missing.
func findObject(tb testing.TB, objs []renderedObject, kind, name string) renderedObject {
	tb.Helper()
	for _, o := range objs {
		if o.kind() == kind && o.name() == name {
			return o
		}
	}
	var have []string
	for _, o := range objs {
		have = append(have, o.kind()+"/"+o.name())
	}
	tb.Fatalf("no %s/%s among %v", kind, name, have)
	return renderedObject{}
}

// dig walks nested maps; it returns nil when a key is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func digString(v any, keys ...string) string {
	s, _ := dig(v, keys...).(string)
	return s
}

func digList(v any, keys ...string) []any {
	l, _ := dig(v, keys...).([]any)
	return l
}
