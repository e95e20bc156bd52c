package render

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/meshctl/meshctl/kubeyaml"
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

// header is what identifies a rendered object.
type header struct{ apiVersion, kind, name, namespace string }

// readHeader reads a rendered document's header: by scanHeader when the document is written the way the
// bundled charts write it, else by decoding the whole document, as for a chart from --manifests DIR with
// other indentation, flow style, quoted keys or aliases (which the decode also checks for alias bombs).
func readHeader(doc *kubeyaml.Document) (header, error) {
	if h, ok := scanHeader(doc.Raw); ok {
		return h, nil
	}
	return decodeHeader(doc)
}

func decodeHeader(doc *kubeyaml.Document) (header, error) {
	v, err := doc.Value()
	if err != nil {
		return header{}, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return header{}, &kubeyaml.Error{Source: doc.Source, Line: doc.Line, Err: fmt.Errorf("a rendered document is not a Kubernetes object")}
	}
	meta, _ := obj["metadata"].(map[string]any)
	var h header
	for _, f := range []struct {
		path string
		v    any
		into *string
	}{{"apiVersion", obj["apiVersion"], &h.apiVersion}, {"kind", obj["kind"], &h.kind}, {"metadata.name", meta["name"], &h.name}, {"metadata.namespace", meta["namespace"], &h.namespace}} {
		switch t := f.v.(type) {
		case string:
			*f.into = t
		case nil:
		default:
			return header{}, &kubeyaml.Error{Source: doc.Source, Line: doc.Line, Field: f.path, Err: fmt.Errorf("want a string, got %v", t)}
		}
	}
	return h, nil
}

// scanHeader reads apiVersion, kind and metadata's name and namespace from a rendered document without
// parsing it: the bundled charts write these at fixed places (top-level keys, metadata's direct children
// indented by two spaces, plain or simply quoted values), and the CRDs that make up most of the output are
// too large to parse just for their names. ok is false whenever the document is written any other way, or
// may hold aliases, so that the caller decodes it instead of trusting a guess.
func scanHeader(doc []byte) (h header, ok bool) {
	if mayHaveAliases(doc) {
		return header{}, false
	}
	inMeta, metaSeen := false, false
	scalarIndent := -1 // indentation of the key whose value was just read; a deeper line continues the value
	for len(doc) > 0 {
		var line []byte
		if i := bytes.IndexByte(doc, '\n'); i >= 0 {
			line, doc = doc[:i], doc[i+1:]
		} else {
			line, doc = doc, nil
		}
		line = bytes.TrimRight(line, " \r")
		indent := len(line) - len(bytes.TrimLeft(line, " "))
		if indent == len(line) || line[indent] == '#' {
			continue // blank or comment
		}
		if scalarIndent >= 0 && indent > scalarIndent {
			return header{}, false // a plain scalar over several lines
		}
		scalarIndent = -1
		if indent > 0 && (!inMeta || indent > 2) {
			continue // inside another field, or below metadata's children (labels, annotations)
		}
		if indent != 0 && indent != 2 {
			return header{}, false // metadata's children indented otherwise
		}
		if indent == 0 && inMeta {
			inMeta = false
			if h.apiVersion != "" && h.kind != "" {
				return h, h.name != "" // past metadata: the rest (a CRD's schema) is not needed
			}
		}
		key, value, simple := keyValue(line[indent:])
		if !simple {
			return header{}, false // "key": v, {flow: root}, a list, ? complex keys, %directives
		}
		if indent == 0 && key == "metadata" {
			if metaSeen || len(value) != 0 {
				return header{}, false // metadata: {name: x}, or written twice
			}
			inMeta, metaSeen = true, true
			continue
		}
		if into := h.field(indent, key); into != nil {
			v, ok := scalarValue(value)
			if !ok {
				return header{}, false
			}
			*into, scalarIndent = v, indent
		}
	}
	return h, h.apiVersion != "" && h.kind != "" && h.name != ""
}

// field is where the value of key, at indent 0 (top level) or 2 (metadata's child), goes; nil for others.
func (h *header) field(indent int, key string) *string {
	switch {
	case indent == 0 && key == "apiVersion":
		return &h.apiVersion
	case indent == 0 && key == "kind":
		return &h.kind
	case indent == 2 && key == "name":
		return &h.name
	case indent == 2 && key == "namespace":
		return &h.namespace
	}
	return nil
}

// keyValue splits "key: value" whose key is a plain word; simple is false for any other line shape.
func keyValue(line []byte) (key string, value []byte, simple bool) {
	i := 0
	for i < len(line) && (line[i] >= 'a' && line[i] <= 'z' || line[i] >= 'A' && line[i] <= 'Z' || line[i] >= '0' && line[i] <= '9' || bytes.IndexByte([]byte("_-./"), line[i]) >= 0) {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ':' || i+1 < len(line) && line[i+1] != ' ' {
		return "", nil, false
	}
	value = bytes.TrimSpace(line[i+1:])
	if len(value) > 0 && value[0] == '#' {
		value = nil
	}
	return string(line[:i]), value, true
}

// scalarValue reads a value that means what it says: a plain word, or quoted text without escapes, with an
// optional comment. Anything YAML might read otherwise (block scalars, flow, tags, anchors, a value on
// the next line) is not ok.
func scalarValue(v []byte) (string, bool) {
	if i := bytes.Index(v, []byte(" #")); i >= 0 {
		v = bytes.TrimRight(v[:i], " ")
	}
	if len(v) == 0 {
		return "", false
	}
	switch q := v[0]; q {
	case '"', '\'':
		if len(v) < 2 || v[len(v)-1] != q {
			return "", false
		}
		body := v[1 : len(v)-1]
		if bytes.IndexByte(body, q) >= 0 || q == '"' && bytes.IndexByte(body, '\\') >= 0 {
			return "", false
		}
		return string(body), true
	case '|', '>', '[', '{', '!', '&', '*', '%', '@', '`', '?', ',', ']', '}':
		return "", false
	}
	if bytes.Contains(v, []byte(": ")) || v[len(v)-1] == ':' || bytes.IndexByte(v, '\t') >= 0 {
		return "", false
	}
	// A plain value must be a string to YAML: a word, not a number, date, boolean or null.
	if c := v[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return "", false
	}
	switch strings.ToLower(string(v)) {
	case "true", "false", "null":
		return "", false
	}
	return string(v), true
}

// mayHaveAliases reports whether the document may use an alias: it has an "&" and a "*" that starts a node
// (after "key: ", "- ", "[", "," or "{", or a line's indentation). It errs towards true, which only costs a
// decode.
func mayHaveAliases(doc []byte) bool {
	if bytes.IndexByte(doc, '&') < 0 {
		return false // an alias needs an anchor
	}
	for i := bytes.IndexByte(doc, '*'); i >= 0; {
		j := i - 1
		for j >= 0 && doc[j] == ' ' {
			j--
		}
		if j < 0 || bytes.IndexByte([]byte("\n:-[,{"), doc[j]) >= 0 {
			return true
		}
		next := bytes.IndexByte(doc[i+1:], '*')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return false
}
