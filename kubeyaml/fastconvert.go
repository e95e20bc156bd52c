package kubeyaml

import (
	"fmt"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
)

// yamlNode converts the fast parser's tree into yaml.Node values, allocated together.
func (f *fnode) yamlNode() *yaml.Node {
	count := 0
	var walk func(*fnode)
	walk = func(n *fnode) {
		count++
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(f)
	nodes := make([]yaml.Node, 0, count)
	ptrs := make([]*yaml.Node, 0, count)
	var build func(*fnode) *yaml.Node
	build = func(n *fnode) *yaml.Node {
		nodes = append(nodes, yaml.Node{Kind: n.Kind, Style: n.Style, Tag: n.Tag, Value: n.Value, Line: int(n.Line), Column: int(n.Column)})
		y := &nodes[len(nodes)-1]
		if len(n.Content) > 0 {
			start := len(ptrs)
			ptrs = ptrs[:start+len(n.Content)]
			y.Content = ptrs[start:len(ptrs):len(ptrs)]
			for i, c := range n.Content {
				y.Content[i] = build(c)
			}
		}
		return y
	}
	return build(f)
}

// fastValue converts the fast parser's tree to JSON-compatible values with the rules of converter.value.
func (c *converter) fastValue(n *fnode) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			c.path = append(c.path, pathStep{key: k.Value, index: -1})
			if _, dup := m[k.Value]; dup {
				return nil, &Error{Source: c.d.Source, Line: c.d.AbsLine(int(k.Line)), Field: c.fieldPath(), Err: fmt.Errorf("duplicate key %q", k.Value)}
			}
			val, err := c.fastValue(v)
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
			val, err := c.fastValue(item)
			if err != nil {
				return nil, err
			}
			c.path = c.path[:len(c.path)-1]
			s[i] = val
		}
		return s, nil
	}
	switch n.Tag {
	case "!!str":
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!int":
		if isSmallDecimal(n.Value) {
			i, err := strconv.ParseInt(n.Value, 10, 64)
			if err == nil {
				return i, nil
			}
		}
	}
	y := yaml.Node{Kind: n.Kind, Style: n.Style, Tag: n.Tag, Value: n.Value, Line: int(n.Line), Column: int(n.Column)}
	return c.scalar(&y)
}
