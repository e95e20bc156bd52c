package inject

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/meshapi/validation"
)

// Source is one of the three inputs of a Config, with a name for error messages: a file path, or
// "configmap istio-system/istio-sidecar-injector" when it was read from a cluster.
type Source struct {
	Name string
	Text string
	// Line is the line of Name where Text starts (1 when Text is the whole file).
	Line int
}

// Config is what injection needs from the control plane: the injector's templates and policy, the
// control plane chart's values, and the mesh configuration. It is immutable after Load and safe for
// concurrent use.
type Config struct {
	// Policy is "enabled" (inject unless a pod opts out) or "disabled" (only pods that opt in).
	Policy               string
	DefaultTemplates     []string
	Aliases              map[string][]string
	InjectedAnnotations  map[string]string
	NeverInjectSelector  []labels.Selector
	AlwaysInjectSelector []labels.Selector
	// Values are the istio-discovery chart's values, as the templates read them (.Values).
	Values map[string]any
	// Mesh is the mesh configuration (.MeshConfig), in protobuf JSON field names.
	Mesh map[string]any
	// Revision is the control plane revision the config belongs to ("" for the default one).
	Revision string

	templates        map[string]*template.Template
	defaultProxy     map[string]any // Mesh.defaultConfig
	defaultProxyJSON string
}

// ParseConfig parses the three strings of a control plane: ConfigMap istio-sidecar-injector's data.config
// and data.values, and ConfigMap istio's data.mesh. Errors name the input and the line.
func ParseConfig(config, values, mesh string) (*Config, error) {
	return Load(Source{Name: "injector config", Text: config}, Source{Name: "values", Text: values}, Source{Name: "mesh config", Text: mesh})
}

// Load is ParseConfig with named sources.
func Load(config, values, mesh Source) (*Config, error) {
	c := &Config{}
	var err error
	if c.Values, err = parseValues(values); err != nil {
		return nil, err
	}
	c.Revision, _ = c.Values["revision"].(string)
	if err := c.parseMesh(mesh); err != nil {
		return nil, err
	}
	if err := c.parseInjectorConfig(config); err != nil {
		return nil, err
	}
	return c, nil
}

// Template returns the parsed injection template called name.
func (c *Config) Template(name string) (*template.Template, bool) {
	t, ok := c.templates[name]
	return t, ok
}

func (s Source) document() *kubeyaml.Document {
	line := s.Line
	if line < 1 {
		line = 1
	}
	return &kubeyaml.Document{Source: s.Name, Line: line, Raw: []byte(s.Text)}
}

func (s Source) errorf(line int, field, format string, args ...any) error {
	return kubeyaml.Errorf(s.Name, line, field, format, args...)
}

// parseValues reads the chart values: JSON as the ConfigMap holds them, or YAML.
func parseValues(s Source) (map[string]any, error) {
	text := strings.TrimSpace(s.Text)
	if text == "" {
		return nil, s.errorf(0, "", "empty: want the control plane chart's values (ConfigMap istio-sidecar-injector, key values)")
	}
	var v any
	if strings.HasPrefix(text, "{") {
		var err error
		if v, err = decodeJSON([]byte(s.Text)); err != nil {
			var syntax *json.SyntaxError
			line := 0
			if errors.As(err, &syntax) {
				line = s.document().Line + bytes.Count([]byte(s.Text[:min(int(syntax.Offset), len(s.Text))]), []byte("\n"))
			}
			return nil, s.errorf(line, "", "invalid JSON: %v", err)
		}
	} else {
		var err error
		if v, err = s.document().Value(); err != nil {
			return nil, err
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, s.errorf(0, "", "want a mapping of chart values, got %T", v)
	}
	return m, nil
}

// DecodeJSON decodes one JSON value into the shapes injection works on, the ones kubeyaml produces: numbers
// as int64 (float64 when not integers), never float64 for a port. meshd's webhook decodes admitted pods
// with it, so that an injected pod is the one kube-inject writes for the same input.
func DecodeJSON(b []byte) (any, error) { return decodeJSON(b) }

// decodeJSON decodes JSON into the value shapes kubeyaml produces (int64 for integers, float64 otherwise).
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, &json.SyntaxError{Offset: d.InputOffset()}
	}
	return fromJSONNumbers(v), nil
}

func fromJSONNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = fromJSONNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = fromJSONNumbers(x)
		}
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	}
	return v
}

func (c *Config) parseMesh(s Source) error {
	if strings.TrimSpace(s.Text) == "" {
		c.Mesh, c.defaultProxy, c.defaultProxyJSON = map[string]any{}, map[string]any{}, "{}"
		return nil
	}
	objs, err := s.document().Objects()
	if err != nil {
		return err
	}
	if len(objs) != 1 {
		return s.errorf(0, "", "want one mesh configuration mapping")
	}
	obj := &objs[0]
	msg, ferrs := validation.DecodeMeshConfig(obj.Value, "")
	if len(ferrs) > 0 {
		return s.fieldErrors(obj, "invalid mesh configuration", ferrs)
	}
	mesh, err := protoJSON(msg)
	if err != nil {
		return err
	}
	c.Mesh = mesh
	c.defaultProxy, _ = mesh["defaultConfig"].(map[string]any)
	if c.defaultProxy == nil {
		c.defaultProxy = map[string]any{}
	}
	c.defaultProxyJSON, err = toJSON(c.defaultProxy)
	return err
}

// protoJSON returns a message in protobuf JSON form, as the templates read it: camelCase names whatever
// the input used, enums as names, durations as "5s".
func protoJSON(msg proto.Message) (map[string]any, error) {
	out, err := protojson.Marshal(msg)
	if err != nil {
		return nil, err
	}
	n, err := decodeJSON(out)
	if err != nil {
		return nil, err
	}
	m, _ := n.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// fieldErrors turns the problems of an object of s into errors naming the source, the line and the
// field, in line order; what, if not empty, starts each message.
func (s Source) fieldErrors(obj *kubeyaml.Object, what string, ferrs validation.FieldErrors) error {
	errs := make([]*kubeyaml.Error, len(ferrs))
	for i, e := range ferrs {
		msg := e.Message
		if what != "" {
			msg = what + ": " + msg
		}
		errs[i] = kubeyaml.Errorf(s.Name, obj.LineOf(e.Field), e.Field, "%s", msg)
	}
	slices.SortStableFunc(errs, func(a, b *kubeyaml.Error) int { return cmp.Compare(a.Line, b.Line) })
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return errors.Join(joined...)
}

func (c *Config) parseInjectorConfig(s Source) error {
	if strings.TrimSpace(s.Text) == "" {
		return s.errorf(0, "", "empty: want the injector configuration (ConfigMap istio-sidecar-injector, key config)")
	}
	objs, err := s.document().Objects()
	if err != nil {
		return err
	}
	if len(objs) != 1 {
		return s.errorf(0, "", "want one injector configuration mapping")
	}
	obj := &objs[0]
	ic, ferrs := readInjectorConfig(obj.Value)
	if len(ferrs) > 0 {
		return s.fieldErrors(obj, "", ferrs)
	}
	switch ic.Policy {
	case "", "enabled":
		c.Policy = "enabled"
	case "disabled":
		c.Policy = "disabled"
	default:
		return s.errorf(obj.LineOf("policy"), "policy", "want enabled or disabled, got %q", ic.Policy)
	}
	if ic.Templates == nil && ic.Template != "" {
		ic.Templates = map[string]string{"sidecar": ic.Template}
	}
	if len(ic.Templates) == 0 {
		return s.errorf(obj.Line(), "templates", "no injection templates")
	}
	c.DefaultTemplates = ic.DefaultTemplates
	if len(c.DefaultTemplates) == 0 {
		c.DefaultTemplates = []string{"sidecar"}
	}
	c.Aliases = ic.Aliases
	c.InjectedAnnotations = ic.InjectedAnnotations
	funcs := templateFuncs()
	c.templates = make(map[string]*template.Template, len(ic.Templates))
	for name, text := range ic.Templates {
		field := fmt.Sprintf("templates[%q]", name)
		t, err := template.New(name).Option("missingkey=zero").Funcs(funcs).Parse(text)
		if err != nil {
			keyLine := obj.LineOf(field)
			return s.errorf(templateErrorLine(keyLine, err), field, "%s", templateMessage(name, keyLine, err))
		}
		c.templates[name] = t
	}
	for _, name := range c.expandTemplates(c.DefaultTemplates) {
		if _, ok := c.templates[name]; !ok {
			return s.errorf(obj.LineOf("defaultTemplates"), "defaultTemplates", "no template called %q", name)
		}
	}
	for i, sel := range ic.NeverInjectSelector {
		ls, err := metav1.LabelSelectorAsSelector(&sel)
		if err != nil {
			field := fmt.Sprintf("neverInjectSelector[%d]", i)
			return s.errorf(obj.LineOf(field), field, "%v", err)
		}
		c.NeverInjectSelector = append(c.NeverInjectSelector, ls)
	}
	for i, sel := range ic.AlwaysInjectSelector {
		ls, err := metav1.LabelSelectorAsSelector(&sel)
		if err != nil {
			field := fmt.Sprintf("alwaysInjectSelector[%d]", i)
			return s.errorf(obj.LineOf(field), field, "%v", err)
		}
		c.AlwaysInjectSelector = append(c.AlwaysInjectSelector, ls)
	}
	return nil
}

// expandTemplates resolves aliases: a name may stand for several templates.
func (c *Config) expandTemplates(names []string) []string {
	var out []string
	for _, n := range names {
		if a, ok := c.Aliases[n]; ok {
			out = append(out, a...)
			continue
		}
		out = append(out, n)
	}
	return out
}
