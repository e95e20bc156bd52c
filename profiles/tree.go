package profiles

import (
	"fmt"
	"strconv"
	"strings"
)

// Subtree returns the part of an IstioOperator tree at a dotted path such as spec.components or
// spec.components.ingressGateways[0].
func Subtree(tree map[string]any, path string) (any, error) {
	segs, err := parseSetPath(path)
	if err != nil {
		return nil, err
	}
	var cur any = tree
	for i, s := range segs {
		switch c := cur.(type) {
		case map[string]any:
			if s.index >= 0 {
				return nil, fmt.Errorf("%s is an object, not a list", pathString(segs[:i]))
			}
			next, ok := c[s.key]
			if !ok {
				return nil, fmt.Errorf("%s is not set", pathString(segs[:i+1]))
			}
			cur = next
		case []any:
			if s.index < 0 || s.index >= len(c) {
				return nil, fmt.Errorf("%s has %d elements, no %s", pathString(segs[:i]), len(c), s)
			}
			cur = c[s.index]
		default:
			return nil, fmt.Errorf("%s is a value, not an object", pathString(segs[:i]))
		}
	}
	return cur, nil
}

// SetFlags flattens a tree into the path=value arguments of --set that rebuild it, under prefix.
func SetFlags(v any, prefix string) []string {
	var out []string
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				key := strings.ReplaceAll(strings.ReplaceAll(k, `\`, `\\`), ".", `\.`)
				key = strings.ReplaceAll(key, "[", `\[`)
				if path == "" {
					walk(e, key)
				} else {
					walk(e, path+"."+key)
				}
			}
		case []any:
			for i, e := range v {
				walk(e, path+"["+strconv.Itoa(i)+"]")
			}
		case nil:
		default:
			out = append(out, path+"="+fmt.Sprint(v))
		}
	}
	walk(v, prefix)
	return out
}
