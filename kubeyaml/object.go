package kubeyaml

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Object is one Kubernetes object of the input: a document, or an item of a document of kind List.
type Object struct {
	Doc *Document
	// Node is the object's mapping node; its Line fields are relative to Doc. Objects from ObjectValues
	// start without it: Line, LineOf, Position and YAMLNode parse it when first asked.
	Node *yaml.Node
	// Value is the object as JSON-compatible Go values (map[string]any, []any, string, int64, float64, bool, nil),
	// the shape of unstructured.Unstructured.
	Value map[string]any

	item int // 1 + the index of the object in its List document; 0 when the document is the object
}

// YAMLNode returns Node, parsing the document again if the object came from ObjectValues.
func (o *Object) YAMLNode() *yaml.Node {
	if o.Node != nil {
		return o.Node
	}
	if root, err := o.Doc.Node(); err == nil {
		if o.item == 0 {
			o.Node = root
		} else if items := mappingValue(root, "items"); items != nil && o.item <= len(items.Content) {
			o.Node = items.Content[o.item-1]
		}
	}
	if o.Node == nil { // cannot happen for a document that parsed once; stay usable anyway
		o.Node = &yaml.Node{Kind: yaml.MappingNode, Line: 1}
	}
	return o.Node
}

// Line is the absolute line in Doc.Source where the object starts.
func (o *Object) Line() int { return o.Doc.AbsLine(o.YAMLNode().Line) }

// LineOf is the absolute line of the field at path within the object.
func (o *Object) LineOf(path string) int { return o.Doc.LineOf(o.YAMLNode(), path) }

// Position is "file:line" of the object.
func (o *Object) Position() string { return position(o.Doc.Source, o.Line()) }

// Objects parses the document and returns its objects: itself, or its items when it is a List.
func (d *Document) Objects() ([]Object, error) { return d.objects(true) }

// ObjectValues is Objects without the YAML nodes, which are built only when a position is asked for:
// for reading many objects of which few will be reported on (meshctl analyze).
func (d *Document) ObjectValues() ([]Object, error) { return d.objects(false) }

func (d *Document) objects(withNodes bool) ([]Object, error) {
	f, err := parseFast(d.Raw)
	if err != nil || f.Kind != yaml.MappingNode {
		return d.slowObjects()
	}
	c := converter{d: d}
	v, err := c.fastValue(f)
	if err != nil {
		return nil, err
	}
	obj := v.(map[string]any)
	var root *yaml.Node
	if withNodes {
		root = f.yamlNode()
	}
	var items *fnode
	for i := 0; i+1 < len(f.Content); i += 2 {
		if f.Content[i].Value == "items" {
			items = f.Content[i+1]
		}
	}
	if !isList(obj, items != nil) {
		return []Object{{Doc: d, Node: root, Value: obj}}, nil
	}
	if items.Kind != yaml.SequenceNode {
		return nil, &Error{Source: d.Source, Line: d.AbsLine(int(items.Line)), Field: "items", Err: fmt.Errorf("want a list")}
	}
	list := obj["items"].([]any)
	var itemNodes []*yaml.Node
	if root != nil {
		itemNodes = mappingValue(root, "items").Content
	}
	out := make([]Object, 0, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, &Error{Source: d.Source, Line: d.AbsLine(int(items.Content[i].Line)), Field: fmt.Sprintf("items[%d]", i), Err: fmt.Errorf("want an object")}
		}
		o := Object{Doc: d, Value: m, item: i + 1}
		if itemNodes != nil {
			o.Node = itemNodes[i]
		}
		out = append(out, o)
	}
	return out, nil
}

// isList reports whether a document is a list of objects to expand: kind v1/List or any *List with items.
func isList(obj map[string]any, hasItems bool) bool {
	kind, _ := obj["kind"].(string)
	return strings.HasSuffix(kind, "List") && hasItems && (obj["apiVersion"] == "v1" || kind != "List")
}

// slowObjects reads the document with yaml.v3, for what the fast parser leaves to it.
func (d *Document) slowObjects() ([]Object, error) {
	root, err := d.Node()
	if err != nil {
		return nil, err
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Source: d.Source, Line: d.AbsLine(root.Line), Err: fmt.Errorf("want a YAML mapping (a Kubernetes object), got %s", kindName(root))}
	}
	v, err := d.toValue(root, "")
	if err != nil {
		return nil, err
	}
	obj := v.(map[string]any)
	items := mappingValue(root, "items")
	if !isList(obj, items != nil) {
		return []Object{{Doc: d, Node: root, Value: obj}}, nil
	}
	if items.Kind != yaml.SequenceNode {
		return nil, &Error{Source: d.Source, Line: d.AbsLine(items.Line), Field: "items", Err: fmt.Errorf("want a list")}
	}
	list := obj["items"].([]any)
	out := make([]Object, 0, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, &Error{Source: d.Source, Line: d.AbsLine(items.Content[i].Line), Field: fmt.Sprintf("items[%d]", i), Err: fmt.Errorf("want an object")}
		}
		out = append(out, Object{Doc: d, Node: items.Content[i], Value: m, item: i + 1})
	}
	return out, nil
}

// toValue converts a node to JSON-compatible values, resolving aliases and rejecting what JSON cannot hold.
func (d *Document) toValue(n *yaml.Node, path string) (any, error) {
	c := converter{d: d}
	if path != "" {
		c.path = append(c.path, pathStep{key: path, index: -1})
	}
	return c.value(n)
}

// converter walks a node tree; it keeps the path as a stack and renders it only for an error, since
// building a path string for every field was a large part of the cost of reading big inputs.
type converter struct {
	d    *Document
	path []pathStep
}

func (c *converter) fieldPath() string {
	var b strings.Builder
	for i, s := range c.path {
		if s.key != "" {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		}
		if s.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		}
	}
	return b.String()
}

func (c *converter) errorf(n *yaml.Node, err error) *Error {
	return &Error{Source: c.d.Source, Line: c.d.AbsLine(n.Line), Field: c.fieldPath(), Err: err}
}

func (c *converter) value(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0])
	case yaml.AliasNode:
		return c.value(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				merged, err := c.value(v)
				if err != nil {
					return nil, err
				}
				if mm, ok := merged.(map[string]any); ok {
					for mk, mv := range mm {
						if _, set := m[mk]; !set {
							m[mk] = mv
						}
					}
				}
				continue
			}
			if k.Kind != yaml.ScalarNode {
				return nil, c.errorf(k, fmt.Errorf("mapping keys must be strings"))
			}
			c.path = append(c.path, pathStep{key: k.Value, index: -1})
			if _, dup := m[k.Value]; dup {
				return nil, c.errorf(k, fmt.Errorf("duplicate key %q", k.Value))
			}
			val, err := c.value(v)
			if err != nil {
				return nil, err
			}
			c.path = c.path[:len(c.path)-1]
			m[k.Value] = val
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, item := range n.Content {
			c.path = append(c.path, pathStep{index: i})
			val, err := c.value(item)
			if err != nil {
				return nil, err
			}
			c.path = c.path[:len(c.path)-1]
			s[i] = val
		}
		return s, nil
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return nil, c.errorf(n, fmt.Errorf("unsupported YAML node"))
}

func (c *converter) scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		switch n.Value {
		case "true", "True", "TRUE":
			return true, nil
		case "false", "False", "FALSE":
			return false, nil
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, c.errorf(n, err)
		}
		return b, nil
	case "!!int":
		if !hasLeadingZero(n.Value) { // yaml.v3 reads 010 as octal
			if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
				return i, nil
			}
		}
		var i int64
		if err := n.Decode(&i); err != nil {
			// Too large for int64: keep it as a float, as encoding/json would.
			var f float64
			if ferr := n.Decode(&f); ferr != nil {
				return nil, c.errorf(n, err)
			}
			return f, nil
		}
		return i, nil
	case "!!float":
		if isPlainDecimal(n.Value) {
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
				return f, nil
			}
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, c.errorf(n, err)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, c.errorf(n, fmt.Errorf("%s is not a JSON number", n.Value))
		}
		return f, nil
	case "!!binary", "!!timestamp", "!!str":
		return n.Value, nil
	}
	return n.Value, nil
}

func hasLeadingZero(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return len(s) > 1 && s[0] == '0'
}

// isPlainDecimal reports whether s has only the characters of a decimal number, so that strconv reads it
// as yaml.v3 would (strconv alone also accepts "Inf", hex and underscores).
func isPlainDecimal(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '.', c == '-', c == '+', c == 'e', c == 'E':
		default:
			return false
		}
	}
	return s != ""
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the scalar %q", n.Value)
	}
	return "something else"
}
