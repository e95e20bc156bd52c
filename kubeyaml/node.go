package kubeyaml

import (
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Node parses the document into a YAML node tree. Parse errors carry the absolute line in Source.
// Comments are kept only for documents that the fast parser (fastparse.go) leaves to yaml.v3.
func (d *Document) Node() (*yaml.Node, error) {
	if root, err := parseFast(d.Raw); err == nil {
		return root.yamlNode(), nil
	}
	return d.slowNode()
}

// slowNode parses the document with yaml.v3.
func (d *Document) slowNode() (*yaml.Node, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(d.Raw, &n); err != nil {
		return nil, d.parseError(err)
	}
	root := &n
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		root = n.Content[0]
	}
	if err := d.checkAliases(root); err != nil {
		return nil, err
	}
	return root, nil
}

// AbsLine converts a line within the document (a yaml.Node's Line) to a line of Source.
func (d *Document) AbsLine(nodeLine int) int {
	if nodeLine <= 0 {
		return d.Line
	}
	return d.Line + nodeLine - 1
}

// Lookup finds the node at a dotted path such as "spec.http[0].route[1].weight" in a mapping node,
// returning nil when a step is missing.
func Lookup(n *yaml.Node, path string) *yaml.Node {
	for _, step := range splitPath(path) {
		if n == nil {
			return nil
		}
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if step.key != "" {
			n = mappingValue(n, step.key)
		}
		if step.index >= 0 {
			if n == nil || n.Kind != yaml.SequenceNode || step.index >= len(n.Content) {
				return nil
			}
			n = n.Content[step.index]
		}
	}
	return n
}

// LineOf returns the absolute line of the field at path: the line of its key, or of the deepest existing
// field along path, so that a finding about a missing field still points at its parent.
func (d *Document) LineOf(root *yaml.Node, path string) int {
	n, line := root, 0
	if root != nil {
		line = root.Line
	}
	for _, step := range splitPath(path) {
		if n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil {
			break
		}
		if step.key != "" {
			k, v := mappingEntry(n, step.key)
			if k == nil {
				break
			}
			n, line = v, k.Line
		}
		if step.index >= 0 {
			if n.Kind != yaml.SequenceNode || step.index >= len(n.Content) {
				break
			}
			n = n.Content[step.index]
			line = n.Line
		}
	}
	return d.AbsLine(line)
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	_, v := mappingEntry(n, key)
	return v
}

func mappingEntry(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

type pathStep struct {
	key   string
	index int // -1 when the step is a key only
}

// splitPath parses "a.b[2].c" and "a[0][1]"; keys containing dots can be quoted: metadata.labels["app.kubernetes.io/name"].
func splitPath(path string) []pathStep {
	var steps []pathStep
	for path != "" {
		var key string
		switch {
		case strings.HasPrefix(path, "[\""):
			end := strings.Index(path, "\"]")
			if end < 0 {
				return append(steps, pathStep{key: path, index: -1})
			}
			key, path = path[2:end], path[end+2:]
		default:
			end := strings.IndexAny(path, ".[")
			if end == 0 { // a "[" that starts no index: part of a key such as "a[b"
				end = strings.IndexByte(path, '.')
			}
			if end < 0 {
				end = len(path)
			}
			key, path = path[:end], path[end:]
		}
		step := pathStep{key: key, index: -1}
		for strings.HasPrefix(path, "[") && !strings.HasPrefix(path, "[\"") {
			end := strings.Index(path, "]")
			if end < 0 {
				break
			}
			i, err := strconv.Atoi(path[1:end])
			if err != nil {
				break
			}
			if step.index >= 0 {
				steps = append(steps, step)
				step = pathStep{index: -1}
			}
			step.index, path = i, path[end+1:]
		}
		if step.key != "" || step.index >= 0 {
			steps = append(steps, step)
		}
		path = strings.TrimPrefix(path, ".")
	}
	return steps
}
