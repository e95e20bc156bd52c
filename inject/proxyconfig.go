package inject

import (
	"maps"
	"strings"

	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/meshapi/validation"
)

// proxyConfig is the mesh's default proxy configuration with the pod's proxy.istio.io/config
// annotation merged over it: mappings merge key by key (proxyMetadata), anything else is replaced.
func (c *Config) proxyConfig(annotations map[string]string) (map[string]any, string, error) {
	text, ok := annotations[AnnotationProxyConfig]
	if !ok {
		return c.defaultProxy, c.defaultProxyJSON, nil
	}
	m, err := c.annotatedProxyConfig(text)
	if err != nil {
		return nil, "", err
	}
	j, err := toJSON(m)
	return m, j, err
}

func (c *Config) annotatedProxyConfig(text string) (map[string]any, error) {
	field := annotationField(AnnotationProxyConfig)
	v, err := (&kubeyaml.Document{Source: "annotation", Line: 1, Raw: []byte(text)}).Value()
	if err != nil {
		if e, ok := err.(*kubeyaml.Error); ok {
			err = e.Err
		}
		return nil, &FieldError{Field: field, Err: err}
	}
	if v == nil {
		return c.defaultProxy, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fieldErrorf(field, "want a ProxyConfig mapping, got %s", typeName(v))
	}
	msg, ferrs := validation.DecodeProxyConfig(m, "")
	if len(ferrs) > 0 {
		problems := make([]string, len(ferrs))
		for i, e := range ferrs {
			problems[i] = e.Error()
		}
		return nil, fieldErrorf(field, "invalid ProxyConfig: %s", strings.Join(problems, "; "))
	}
	override, err := protoJSON(msg)
	if err != nil {
		return nil, err
	}
	return mergeMaps(c.defaultProxy, override), nil
}

// mergeMaps returns base with over merged into it, without modifying either.
func mergeMaps(base, over map[string]any) map[string]any {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range over {
		if bm, ok := out[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				out[k] = mergeMaps(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}
