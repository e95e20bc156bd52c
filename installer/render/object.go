package render

import (
	"bytes"
	"strings"
)

// Object is one rendered Kubernetes object.
type Object struct {
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	// Component is the operator.istio.io/component label value (Base, Pilot, IngressGateways...).
	Component string
	// YAML is the object as one YAML document ending in a newline, without a "---" separator.
	YAML []byte
}

// Key identifies the object in messages: Kind/namespace/name or Kind/name.
func (o *Object) Key() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// scanHeader reads apiVersion, kind and metadata's name and namespace from a rendered document without
// parsing it: the charts write these at fixed places (top-level keys, and metadata's direct children indented
// by two spaces), and the CRDs that make up most of the output are too large to parse just for their names.
func scanHeader(doc []byte) (apiVersion, kind, name, namespace string) {
	inMeta := false
	for len(doc) > 0 {
		var line []byte
		if i := bytes.IndexByte(doc, '\n'); i >= 0 {
			line, doc = doc[:i], doc[i+1:]
		} else {
			line, doc = doc, nil
		}
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if line[0] != ' ' {
			if inMeta && apiVersion != "" && kind != "" {
				return apiVersion, kind, name, namespace // past metadata: the rest (a CRD's schema) is not needed
			}
			inMeta = false
			switch {
			case bytes.HasPrefix(line, []byte("apiVersion:")):
				apiVersion = scalar(line[len("apiVersion:"):])
			case bytes.HasPrefix(line, []byte("kind:")):
				kind = scalar(line[len("kind:"):])
			case bytes.HasPrefix(line, []byte("metadata:")):
				inMeta = true
			}
			continue
		}
		if !inMeta || len(line) < 3 || line[2] == ' ' {
			continue
		}
		switch {
		case bytes.HasPrefix(line, []byte("  name:")):
			name = scalar(line[len("  name:"):])
		case bytes.HasPrefix(line, []byte("  namespace:")):
			namespace = scalar(line[len("  namespace:"):])
		}
	}
	return apiVersion, kind, name, namespace
}

func scalar(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		s = s[1 : len(s)-1]
	}
	return s
}
