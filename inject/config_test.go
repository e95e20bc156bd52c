package inject_test

import (
	"strings"
	"testing"

	"github.com/meshctl/meshctl/inject"
)

func TestParseConfigDefaults(t *testing.T) {
	c := defaultConfig(t)
	if c.Policy != "enabled" || len(c.DefaultTemplates) != 1 || c.DefaultTemplates[0] != "sidecar" || c.Revision != "" {
		t.Errorf("unexpected config: policy %q templates %v revision %q", c.Policy, c.DefaultTemplates, c.Revision)
	}
	for _, name := range []string{"sidecar", "gateway"} {
		if _, ok := c.Template(name); !ok {
			t.Errorf("no %s template", name)
		}
	}
	if c.Mesh["defaultConfig"].(map[string]any)["discoveryAddress"] != "istiod.istio-system.svc:15012" {
		t.Errorf("mesh config not read: %v", c.Mesh)
	}
}

// TestParseConfigErrors: each input's errors name the input, the line and the field.
func TestParseConfigErrors(t *testing.T) {
	in := defaultInputs(t)
	template := "templates:\n  sidecar: |\n    metadata:\n      labels: {{ .Nope\n"
	for _, tc := range []struct {
		name                 string
		config, values, mesh string
		want                 string
	}{
		{"config YAML", "policy: enabled\ntemplates: [\n", in.Values, in.Mesh, "injector config:2: invalid YAML"},
		{"config field", "policy: enabled\ntemplats: {}\n", in.Values, in.Mesh, "injector config:2: templats: unknown field"},
		{"config type", "policy: enabled\ntemplates: {sidecar: x}\ninjectedAnnotations:\n  a: 1\n", in.Values, in.Mesh, `injector config:4: injectedAnnotations["a"]: want a string, got the number 1`},
		{"config template type", "templates:\n  sidecar: [x]\n", in.Values, in.Mesh, `injector config:2: templates["sidecar"]: want a string, got a list`},
		{"selector field", "templates: {sidecar: x}\nalwaysInjectSelector:\n- matchLabels: {a: b}\n  matchExpresions: []\n", in.Values, in.Mesh, `injector config:4: alwaysInjectSelector[0].matchExpresions: unknown field "matchExpresions" (known fields: matchExpressions, matchLabels)`},
		{"policy", "policy: sometimes\ntemplates: {sidecar: x}\n", in.Values, in.Mesh, `injector config:1: policy: want enabled or disabled, got "sometimes"`},
		{"template syntax", template, in.Values, in.Mesh, `injector config:5: templates["sidecar"]: unclosed action started at line 4`},
		{"default template", "defaultTemplates: [other]\ntemplates: {sidecar: x}\n", in.Values, in.Mesh, `injector config:1: defaultTemplates: no template called "other"`},
		{"selector", "templates: {sidecar: x}\nneverInjectSelector:\n- matchExpressions:\n  - {key: a, operator: Sometimes}\n", in.Values, in.Mesh, "injector config:3: neverInjectSelector[0]:"},
		{"values JSON", in.Config, "{\n  \"a\": 1,\n  \"b\": \n}\n", in.Mesh, "values:4: invalid JSON"},
		{"values empty", in.Config, "", in.Mesh, "values: empty"},
		{"mesh field", in.Config, in.Values, "trustDomain: x\ndefaultConfig:\n  discoveryAdress: y\n", `mesh config:3: defaultConfig.discoveryAdress: invalid mesh configuration: unknown field "discoveryAdress" (did you mean "discoveryAddress"?)`},
		{"mesh type", in.Config, in.Values, "enableTracing: maybe\n", `mesh config:1: enableTracing: invalid mesh configuration: want true or false, got the string "maybe"`},
		{"mesh errors in line order", in.Config, in.Values, "defaultConfig:\n  drainDuration: soon\nenableTracing: maybe\n",
			"mesh config:2: defaultConfig.drainDuration: invalid mesh configuration: invalid duration \"soon\"\nmesh config:3: enableTracing:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := inject.ParseConfig(tc.config, tc.values, tc.mesh)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got %v\nwant prefix %q", err, tc.want)
			}
		})
	}
}

func TestLoadNamesSourcesAndOffsetsLines(t *testing.T) {
	in := defaultInputs(t)
	_, err := inject.Load(
		inject.Source{Name: "cm.yaml", Text: in.Config, Line: 7},
		inject.Source{Name: "cm.yaml", Text: in.Values, Line: 1},
		inject.Source{Name: "mesh.yaml", Text: "a: 1\nb: [\n", Line: 10})
	if err == nil || !strings.HasPrefix(err.Error(), "mesh.yaml:11: invalid YAML") {
		t.Errorf("got %v", err)
	}
}

// TestIstioSingleTemplateForm: Istio's older ConfigMaps have one "template" instead of "templates".
func TestIstioSingleTemplateForm(t *testing.T) {
	in := defaultInputs(t)
	c, err := inject.ParseConfig("policy: enabled\ntemplate: |\n  metadata:\n    labels:\n      x: y\n", in.Values, in.Mesh)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Template("sidecar"); !ok {
		t.Error("the single template must become the sidecar template")
	}
}
