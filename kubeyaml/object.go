package kubeyaml

import (
	"fmt"
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
	v, err := d.toValue(root)
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

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the scalar %q", n.Value)
	}
	return "something else"
}
