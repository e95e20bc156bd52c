package kubeyaml

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// toValue converts a node tree from slowNode (aliases already checked by checkAliases) to JSON-compatible
// values: the values yaml.v3 decodes into any, with numbers as int64 or float64 and nothing JSON cannot hold.
// FuzzValueAgreesWithYAMLv3 holds it to yaml.v3.
func (d *Document) toValue(n *yaml.Node) (any, error) {
	c := converter{d: d}
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
	case 0: // an empty document
		return nil, nil
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0])
	case yaml.AliasNode:
		return c.value(n.Alias)
	case yaml.MappingNode:
		return c.mapping(n)
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

// mapping reads a mapping as yaml.v3 does: a key written twice is an error, keys of the mapping itself win
// over merged ones (<<), and of the merged mappings the first that has a key gives it.
func (c *converter) mapping(n *yaml.Node) (any, error) {
	m := make(map[string]any, len(n.Content)/2)
	var merge *yaml.Node
	// Keys written as aliases: yaml.v3 compares them with each other by anchor name, not with other keys.
	var fromAlias, aliasNames map[string]bool
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			if merge != nil {
				return nil, c.errorf(k, fmt.Errorf("duplicate key %q", k.Value))
			}
			merge = v
			continue
		}
		key := k
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			key = k.Alias
		}
		if key.Kind != yaml.ScalarNode {
			return nil, c.errorf(k, fmt.Errorf("mapping keys must be strings"))
		}
		if key.Style&yaml.TaggedStyle != 0 { // "!!timestamp x: 1" is as wrong as the value would be
			if _, err := c.scalar(key); err != nil {
				return nil, err
			}
		}
		c.path = append(c.path, pathStep{key: key.Value, index: -1})
		if k.Kind == yaml.AliasNode {
			if fromAlias == nil {
				fromAlias, aliasNames = map[string]bool{}, map[string]bool{}
			}
			if aliasNames[k.Value] {
				return nil, c.errorf(k, fmt.Errorf("duplicate key *%s", k.Value))
			}
			fromAlias[key.Value], aliasNames[k.Value] = true, true
		} else if _, dup := m[key.Value]; dup && !fromAlias[key.Value] {
			return nil, c.errorf(k, fmt.Errorf("duplicate key %q", key.Value))
		}
		val, err := c.value(v)
		if err != nil {
			return nil, err
		}
		c.path = c.path[:len(c.path)-1]
		m[key.Value] = val
	}
	if merge != nil {
		if err := c.merge(m, merge); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// isMergeKey is yaml.v3's test for the merge key "<<" (plain, or tagged !!merge or !).
func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!" || k.ShortTag() == "!!merge")
}

// merge adds to m the keys it does not have from the mapping, or list of mappings, that "<<" names.
func (c *converter) merge(m map[string]any, v *yaml.Node) error {
	c.path = append(c.path, pathStep{key: "<<", index: -1})
	sources := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		sources = v.Content
	}
	for _, s := range sources {
		target := s
		if s.Kind == yaml.AliasNode {
			target = s.Alias
		}
		if target == nil || target.Kind != yaml.MappingNode {
			return c.errorf(s, errors.New("a merge (<<) takes a mapping or a list of mappings"))
		}
		val, err := c.value(s)
		if err != nil {
			return err
		}
		for k, x := range val.(map[string]any) {
			if _, set := m[k]; !set {
				m[k] = x
			}
		}
	}
	c.path = c.path[:len(c.path)-1]
	return nil
}

// scalar reads the common notations directly and leaves every other one (hexadecimal, octal, .inf,
// underscores, explicit tags) to yaml.v3, whose value it then puts in JSON's shape.
func (c *converter) scalar(n *yaml.Node) (any, error) {
	tag := n.ShortTag()
	switch tag {
	case "!!str":
		return n.Value, nil
	case "!!null":
		switch n.Value {
		case "", "~", "null", "Null", "NULL":
			return nil, nil
		}
	case "!!bool":
		switch n.Value {
		case "true", "True", "TRUE":
			return true, nil
		case "false", "False", "FALSE":
			return false, nil
		}
	case "!!int":
		if !hasLeadingZero(n.Value) { // yaml.v3 reads 010 as octal
			if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
				return i, nil
			}
		}
	case "!!float":
		if isPlainDecimal(n.Value) && !hasLeadingZero(n.Value) { // yaml.v3 reads !!float 010 as octal 8, too
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
				return f, nil
			}
		}
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, c.errorf(n, fmt.Errorf("cannot read %q as %s", n.Value, tag))
	}
	switch t := v.(type) {
	case int:
		return int64(t), nil
	case uint64:
		return float64(t), nil // beyond int64: a float, as encoding/json reads such a number
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return nil, c.errorf(n, fmt.Errorf("%s is not a JSON number", n.Value))
		}
		return t, nil
	case time.Time:
		return n.Value, nil // Kubernetes reads timestamps as the strings they are written as
	case string:
		if tag == "!!binary" {
			return n.Value, nil // the base64 text, as a Secret's data holds it
		}
		return t, nil
	case bool, nil:
		return t, nil
	}
	return nil, c.errorf(n, fmt.Errorf("cannot read %q as %s", n.Value, tag))
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
