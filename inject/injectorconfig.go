package inject

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/meshapi/validation"
)

// injectorConfig is ConfigMap istio-sidecar-injector's data.config.
type injectorConfig struct {
	Policy               string
	DefaultTemplates     []string
	Templates            map[string]string
	Template             string // Istio's single-template form, before "templates"
	Aliases              map[string][]string
	NeverInjectSelector  []metav1.LabelSelector
	AlwaysInjectSelector []metav1.LabelSelector
	InjectedAnnotations  map[string]string
}

// injectorConfigFields are the keys of data.config.
var injectorConfigFields = []string{"aliases", "alwaysInjectSelector", "defaultTemplates", "injectedAnnotations",
	"neverInjectSelector", "policy", "template", "templates"}

// readInjectorConfig reads data.config field by field, so that each problem names its exact field
// (templates["sidecar"], neverInjectSelector[0].matchLabels["app"]); problems are in field order.
func readInjectorConfig(v map[string]any) (injectorConfig, validation.FieldErrors) {
	var r fieldReader
	var ic injectorConfig
	for _, k := range slices.Sorted(maps.Keys(v)) {
		val := v[k]
		switch k {
		case "policy":
			ic.Policy = r.str(val, k)
		case "defaultTemplates":
			ic.DefaultTemplates = r.strList(val, k)
		case "templates":
			ic.Templates = r.strMap(val, k)
		case "template":
			ic.Template = r.str(val, k)
		case "aliases":
			for name, list := range r.object(val, k) {
				if ic.Aliases == nil {
					ic.Aliases = map[string][]string{}
				}
				ic.Aliases[name] = r.strList(list, mapKeyPath(k, name))
			}
		case "neverInjectSelector":
			ic.NeverInjectSelector = r.selectors(val, k)
		case "alwaysInjectSelector":
			ic.AlwaysInjectSelector = r.selectors(val, k)
		case "injectedAnnotations":
			ic.InjectedAnnotations = r.strMap(val, k)
		default:
			r.unknown("", k, injectorConfigFields)
		}
	}
	return ic, r.errs
}

// fieldReader reads JSON-shaped values into Go values, recording what has the wrong type. A null reads as
// the zero value, as encoding/json reads it.
type fieldReader struct {
	errs validation.FieldErrors
}

func (r *fieldReader) fail(path, format string, args ...any) {
	r.errs = append(r.errs, validation.FieldError{Field: path, Message: fmt.Sprintf(format, args...), Rule: validation.RuleSchema})
}

func (r *fieldReader) unknown(parent, key string, known []string) {
	path := key
	if parent != "" {
		path = parent + "." + key
	}
	r.fail(path, "unknown field %q (known fields: %s)", key, strings.Join(known, ", "))
}

func (r *fieldReader) str(v any, path string) string {
	s, ok := v.(string)
	if !ok && v != nil {
		r.fail(path, "want a string, got %s", validation.Describe(v))
	}
	return s
}

func (r *fieldReader) list(v any, path string) []any {
	l, ok := v.([]any)
	if !ok && v != nil {
		r.fail(path, "want a list, got %s", validation.Describe(v))
	}
	return l
}

func (r *fieldReader) object(v any, path string) map[string]any {
	m, ok := v.(map[string]any)
	if !ok && v != nil {
		r.fail(path, "want an object, got %s", validation.Describe(v))
	}
	return m
}

func (r *fieldReader) strList(v any, path string) []string {
	l := r.list(v, path)
	if l == nil {
		return nil
	}
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = r.str(x, path+"["+strconv.Itoa(i)+"]")
	}
	return out
}

func (r *fieldReader) strMap(v any, path string) map[string]string {
	m := r.object(v, path)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		out[k] = r.str(x, mapKeyPath(path, k))
	}
	return out
}

// selectors reads a list of Kubernetes label selectors.
func (r *fieldReader) selectors(v any, path string) []metav1.LabelSelector {
	var out []metav1.LabelSelector
	for i, item := range r.list(v, path) {
		ip := path + "[" + strconv.Itoa(i) + "]"
		var sel metav1.LabelSelector
		for _, k := range slices.Sorted(maps.Keys(r.object(item, ip))) {
			val := item.(map[string]any)[k]
			switch k {
			case "matchLabels":
				sel.MatchLabels = r.strMap(val, ip+"."+k)
			case "matchExpressions":
				for j, e := range r.list(val, ip+"."+k) {
					ep := ip + "." + k + "[" + strconv.Itoa(j) + "]"
					sel.MatchExpressions = append(sel.MatchExpressions, r.requirement(e, ep))
				}
			default:
				r.unknown(ip, k, []string{"matchExpressions", "matchLabels"})
			}
		}
		out = append(out, sel)
	}
	return out
}

func (r *fieldReader) requirement(v any, path string) metav1.LabelSelectorRequirement {
	var req metav1.LabelSelectorRequirement
	m := r.object(v, path)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch k {
		case "key":
			req.Key = r.str(m[k], path+".key")
		case "operator":
			req.Operator = metav1.LabelSelectorOperator(r.str(m[k], path+".operator"))
		case "values":
			req.Values = r.strList(m[k], path+".values")
		default:
			r.unknown(path, k, []string{"key", "operator", "values"})
		}
	}
	return req
}

func mapKeyPath(path, key string) string { return fmt.Sprintf("%s[%q]", path, key) }
