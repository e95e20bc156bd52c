package render

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"

	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/profiles"
)

// Options control a render.
type Options struct {
	// Charts is the chart tree (see EmbeddedCharts and ChartsDir); nil means the embedded charts.
	Charts fs.FS
	// Components limits the render to these IstioOperator component names; empty means all enabled ones.
	Components []string
}

// Manifest is a rendered mesh.
type Manifest struct {
	// Components are the enabled components, in install order, each with its objects in install order.
	Components []*ComponentManifest
}

// ComponentManifest is the render of one component (all gateways of a gateway component together).
type ComponentManifest struct {
	// Name is the IstioOperator component name: base, pilot, cni, ztunnel, ingressGateways, egressGateways.
	Name string
	// Label is the operator.istio.io/component value: Base, Pilot...
	Label string
	// Title is the name install's progress uses: "Istiod", "Ingress gateways"...
	Title   string
	Objects []*Object
}

// Objects returns every object of the manifest in install order: by phase and kind, then by component.
func (m *Manifest) Objects() []*Object {
	type ranked struct {
		o         *Object
		component int
	}
	var all []ranked
	for i, c := range m.Components {
		for _, o := range c.Objects {
			all = append(all, ranked{o, i})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if ra, rb := kindRank(a.o.Kind), kindRank(b.o.Kind); ra != rb {
			return ra < rb
		}
		if a.component != b.component {
			return a.component < b.component
		}
		if a.o.Namespace != b.o.Namespace {
			return a.o.Namespace < b.o.Namespace
		}
		return a.o.Name < b.o.Name
	})
	out := make([]*Object, len(all))
	for i, r := range all {
		out[i] = r.o
	}
	return out
}

// Find returns the object of that kind, namespace and name, or nil.
func (m *Manifest) Find(kind, namespace, name string) *Object {
	for _, c := range m.Components {
		for _, o := range c.Objects {
			if o.Kind == kind && o.Name == name && o.Namespace == namespace {
				return o
			}
		}
	}
	return nil
}

// WriteYAML writes objects as one multi-document YAML stream.
func WriteYAML(w io.Writer, objects []*Object) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	for i, o := range objects {
		if i > 0 {
			bw.WriteString("---\n")
		}
		bw.Write(o.YAML)
	}
	return bw.Flush()
}

// Generate renders the enabled components of op.
func Generate(op *profiles.IstioOperator, opts Options) (*Manifest, error) {
	charts := opts.Charts
	if charts == nil {
		charts = EmbeddedCharts()
	}
	cache := &chartCache{fsys: charts}
	want := map[string]bool{}
	for _, c := range opts.Components {
		want[c] = true
	}
	for c := range want {
		if !isComponent(c) {
			return nil, &profilesInputError{fmt.Sprintf("unknown component %q: components are %s", c, strings.Join(ComponentNames(), ", "))}
		}
	}
	m := &Manifest{}
	for _, c := range components {
		if len(want) > 0 && !want[c.name] {
			continue
		}
		instances := enabledInstances(op, c)
		if len(instances) == 0 {
			continue
		}
		cm := &ComponentManifest{Name: c.name, Label: c.label, Title: c.title}
		for _, in := range instances {
			objs, err := renderInstance(cache, op, in)
			if err != nil {
				return nil, err
			}
			cm.Objects = append(cm.Objects, objs...)
		}
		if err := addGatewayNamespaces(op, cm); err != nil {
			return nil, err
		}
		m.Components = append(m.Components, cm)
	}
	return m, nil
}

func isComponent(name string) bool {
	for _, c := range components {
		if c.name == name {
			return true
		}
	}
	return false
}

// enabledInstances lists what to render for a component: nothing when disabled, one render per enabled gateway.
func enabledInstances(op *profiles.IstioOperator, c component) []instance {
	ns := op.Spec.Namespace
	if ns == "" {
		ns = meshapi.DefaultNamespace
	}
	cs := op.Spec.Components
	if cs == nil {
		return nil
	}
	if c.gateway {
		gws := cs.IngressGateways
		if c.name == "egressGateways" {
			gws = cs.EgressGateways
		}
		var out []instance
		for _, g := range gws {
			if g == nil || g.Enabled == nil || !*g.Enabled {
				continue
			}
			gns := ns
			if g.Namespace != "" {
				gns = g.Namespace
			}
			out = append(out, instance{component: c, gatewayName: g.Name, namespace: gns,
				settings: componentSettings{Hub: g.Hub, Tag: g.Tag, Label: g.Label, K8s: g.K8s}})
		}
		return out
	}
	var comp *profiles.Component
	switch c.name {
	case "base":
		comp = cs.Base
	case "pilot":
		comp = cs.Pilot
	case "cni":
		comp = cs.Cni
	case "ztunnel":
		comp = cs.Ztunnel
	}
	if comp == nil || comp.Enabled == nil || !*comp.Enabled {
		return nil
	}
	cns := ns
	if comp.Namespace != "" {
		cns = comp.Namespace
	}
	return []instance{{component: c, namespace: cns,
		settings: componentSettings{Hub: comp.Hub, Tag: comp.Tag, Label: comp.Label, K8s: comp.K8s}}}
}

// renderInstance renders one chart and splits the result into objects.
func renderInstance(cache *chartCache, op *profiles.IstioOperator, in instance) ([]*Object, error) {
	what := in.name
	if in.gatewayName != "" {
		what += " " + in.gatewayName
	}
	ch, err := cache.load(in.chart)
	if err != nil {
		return nil, err
	}
	vals, err := chartValues(op, in)
	if err != nil {
		return nil, err
	}
	release := in.release
	if in.gatewayName != "" {
		release = in.gatewayName
	}
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: release, Namespace: in.namespace, IsInstall: true, Revision: 1}, nil)
	if err != nil {
		return nil, fmt.Errorf("render %s (chart %s): values: %w", what, in.chart, err)
	}
	files, err := engine.Render(ch, rv)
	if err != nil {
		return nil, fmt.Errorf("render %s (chart %s): %w", what, in.chart, err)
	}
	objs, err := splitObjects(files, in.label)
	if err != nil {
		return nil, fmt.Errorf("render %s (chart %s): %w", what, in.chart, err)
	}
	objs, err = applyPatches(objs, in)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", what, err)
	}
	return objs, nil
}

// splitObjects turns the engine's output (template file → text) into objects, in template file order.
func splitObjects(files map[string]string, label string) ([]*Object, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		base := name[strings.LastIndexByte(name, '/')+1:]
		if strings.HasPrefix(base, "_") || !(strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml")) {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var out []*Object
	for _, name := range names {
		for _, doc := range kubeyaml.Split([]byte(files[name]), name) {
			raw := doc.Raw
			if raw[len(raw)-1] != '\n' {
				raw = append(raw[:len(raw):len(raw)], '\n')
			}
			h, err := readHeader(doc)
			if err != nil {
				return nil, err
			}
			if h.kind == "" || h.name == "" || h.apiVersion == "" {
				return nil, fmt.Errorf("%s: a rendered document has no apiVersion, kind or metadata.name", doc.Position())
			}
			out = append(out, &Object{APIVersion: h.apiVersion, Kind: h.kind, Name: h.name, Namespace: h.namespace, Component: label, YAML: raw})
		}
	}
	return out, nil
}

// profilesInputError is a bad --component or similar argument.
type profilesInputError struct{ msg string }

func (e *profilesInputError) Error() string      { return e.msg }
func (e *profilesInputError) InvalidInput() bool { return true }
