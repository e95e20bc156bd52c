package inject

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/Masterminds/sprig/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/kubeyaml"
)

// sprigFuncs are the few sprig functions templates get, beside the built-ins and ours: a small map keeps
// the templates readable and their behaviour easy to know.
var sprigFuncs = []string{
	"default", "empty", "coalesce", "ternary", "quote", "squote", "trunc", "trim", "trimSuffix", "trimPrefix",
	"contains", "hasPrefix", "hasSuffix", "lower", "upper", "replace", "join", "splitList", "list", "dict",
	"hasKey", "dig", "toString", "int", "int64", "indent", "nindent", "add", "sub", "until",
}

// templateFuncs returns the functions injection templates may call.
func templateFuncs() template.FuncMap {
	all := sprig.TxtFuncMap()
	funcs := make(template.FuncMap, len(sprigFuncs)+8)
	for _, name := range sprigFuncs {
		funcs[name] = all[name]
	}
	funcs["annotation"] = annotationOr
	funcs["isset"] = isset
	funcs["valueOrDefault"] = valueOrDefault
	funcs["toJson"] = toJSON
	funcs["fromJson"] = fromJSON
	funcs["toYaml"] = toYAML
	return funcs
}

// annotationOr (the templates' "annotation") returns the pod's annotation key, or def (formatted as text) when the pod does not set it.
func annotationOr(meta *metav1.ObjectMeta, key string, def any) string {
	if v, ok := meta.Annotations[key]; ok {
		return v
	}
	if def == nil {
		return ""
	}
	return fmt.Sprint(def)
}

// isset reports whether a map (labels, annotations, values) has key.
func isset(m any, key string) bool {
	switch t := m.(type) {
	case map[string]string:
		_, ok := t[key]
		return ok
	case map[string]any:
		_, ok := t[key]
		return ok
	}
	return false
}

// valueOrDefault is Istio's name for sprig's default with the arguments the other way round.
func valueOrDefault(v, def any) any {
	if v == nil {
		return def
	}
	if s, ok := v.(string); ok && s == "" {
		return def
	}
	return v
}

// toJSON writes v as compact JSON with sorted keys and without HTML escaping. A JSON string is also a
// valid YAML double-quoted scalar, so `{{ x | toJson }}` is the safe way to put any text into the patch.
func toJSON(v any) (string, error) {
	if s, ok := v.(string); ok {
		return jsonQuote(s), nil
	}
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// jsonQuote quotes s as a JSON string that is also a YAML double-quoted scalar with the same value:
// besides JSON's escapes it escapes what YAML does not allow unescaped (C1 controls, U+2028/9, BOM).
// Templates quote most of what they write, so this is much cheaper than encoding/json.
func jsonQuote(s string) string {
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			simple = false
			break
		}
	}
	if simple {
		return `"` + s + `"`
	}
	b := make([]byte, 0, len(s)+16)
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"':
			b = append(b, '\\', '"')
		case r == '\\':
			b = append(b, '\\', '\\')
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\t':
			b = append(b, '\\', 't')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff:
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = utf8.AppendRune(b, r) // invalid UTF-8 has become U+FFFD
		}
	}
	return string(append(b, '"'))
}

func fromJSON(s string) (any, error) { return decodeJSON([]byte(s)) }

// toYAML writes v as block YAML without the final newline, for use with indent/nindent.
func toYAML(v any) (string, error) {
	b, err := kubeyaml.AppendYAML(nil, v)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}
