package profiles

import (
	"fmt"
	"strconv"
	"strings"
)

// setFlag is one parsed --set path=value.
type setFlag struct {
	flag  string    // as given, for messages
	path  []segment // relative to the IstioOperator's root (spec. is implied)
	value string    // raw text; typed by the shape at path
	// typedValue is value converted for the field at path, set by resolve.
	typedValue any
}

// segment is a map key or a list index.
type segment struct {
	key   string
	index int // -1 for a key
}

func (s segment) String() string {
	if s.index >= 0 {
		return "[" + strconv.Itoa(s.index) + "]"
	}
	return s.key
}

func pathString(segs []segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.index >= 0 {
			b.WriteString(s.String())
			continue
		}
		b.WriteString(joinKey("x", s.key)[1:])
	}
	return strings.TrimPrefix(b.String(), ".")
}

// parseSet reads "path=value". Paths are relative to spec ("values.global.hub", "components.pilot.enabled",
// "profile"); a leading "spec." is accepted. Dots inside a key are escaped: serviceAnnotations.a\.b/c=v.
func parseSet(flag string) (setFlag, error) {
	rawPath, value, ok := strings.Cut(flag, "=")
	if !ok {
		return setFlag{}, &inputError{msg: fmt.Sprintf("--set %s: want path=value", flag)}
	}
	segs, err := parseSetPath(rawPath)
	if err != nil {
		return setFlag{}, &inputError{msg: fmt.Sprintf("--set %s: %v", flag, err)}
	}
	if len(segs) > 0 && segs[0].key == "spec" {
		segs = segs[1:]
	}
	if len(segs) == 0 {
		return setFlag{}, &inputError{msg: fmt.Sprintf("--set %s: empty path", flag)}
	}
	return setFlag{flag: flag, path: append([]segment{{key: "spec", index: -1}}, segs...), value: value}, nil
}

func parseSetPath(p string) ([]segment, error) {
	var segs []segment
	var key strings.Builder
	flush := func() {
		if key.Len() > 0 {
			segs = append(segs, segment{key: key.String(), index: -1})
			key.Reset()
		}
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\\':
			if i+1 < len(p) && (p[i+1] == '.' || p[i+1] == '[' || p[i+1] == '\\') {
				i++
				key.WriteByte(p[i])
				continue
			}
			key.WriteByte(c)
		case '.':
			if key.Len() == 0 && (i == 0 || p[i-1] != ']') {
				return nil, fmt.Errorf("empty key at offset %d", i)
			}
			flush()
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ at offset %d", i)
			}
			n, err := strconv.Atoi(p[i+1 : i+end])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("list index %q is not a non-negative number", p[i+1:i+end])
			}
			if key.Len() == 0 && len(segs) == 0 {
				return nil, fmt.Errorf("index before any key")
			}
			flush()
			segs = append(segs, segment{index: n})
			i += end
		default:
			key.WriteByte(c)
		}
	}
	if key.Len() == 0 && strings.HasSuffix(p, ".") {
		return nil, fmt.Errorf("path ends with a dot")
	}
	flush()
	return segs, nil
}

// typed converts the raw text of a --set value to what the field at that path holds: "true" stays a string
// for a string field, becomes a boolean for a boolean field; a free-form field gets the natural type.
func typed(raw string, s *shape) (any, error) {
	switch s.kind {
	case stringShape:
		return raw, nil
	case boolShape:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, fmt.Errorf("want true or false, got %q", raw)
		}
		return b, nil
	case intShape:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want an integer, got %q", raw)
		}
		return n, nil
	case numberShape:
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return n, nil
		}
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return nil, fmt.Errorf("want a number, got %q", raw)
		}
		return f, nil
	case quantityShape, intOrStringShape:
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return n, nil
		}
		return raw, nil
	case objectShape, mapShape, listShape:
		if raw == "null" || raw == "" {
			return nil, nil
		}
		return nil, fmt.Errorf("want %s; set its fields one by one, or use -f with a file", s.kind)
	}
	return inferred(raw), nil
}

// inferred types a value of a free-form field as YAML would, so --set values.x.enabled=true is a boolean.
func inferred(raw string) any {
	switch raw {
	case "true":
		return true
	case "false":
		return false
	case "null", "~":
		return nil
	}
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(raw, 64); err == nil && !strings.ContainsAny(raw, "xXpP_") {
		return f
	}
	return raw
}

// shapeAt walks s along path, reporting an unknown key with a suggestion.
func shapeAt(s *shape, path []segment) (*shape, error) {
	for i, seg := range path {
		s = s.resolved()
		switch {
		case seg.index >= 0:
			if s.kind == anyShape {
				continue
			}
			if s.kind != listShape {
				return nil, fmt.Errorf("%s is %s, not a list", pathString(path[:i]), s.kind)
			}
			s = s.elem
		case s.kind == anyShape:
		case s.kind == mapShape:
			s = s.elem
		case s.kind == objectShape:
			next := s.fieldMap()[seg.key]
			if next == nil {
				return nil, fmt.Errorf("%s", unknownFieldMessage(pathString(path[:i]), seg.key, s.fieldNames()))
			}
			s = next
		default:
			return nil, fmt.Errorf("%s is %s and has no field %q", pathString(path[:i]), s.kind, seg.key)
		}
	}
	return s.resolved(), nil
}

// apply sets value at path in tree, creating objects on the way and appending to a list at index len(list).
func apply(tree map[string]any, path []segment, value any) error {
	return applyAt(tree, path, value)
}

func applyAt(cur map[string]any, path []segment, value any) error {
	seg, rest := path[0], path[1:]
	if len(rest) == 0 {
		cur[seg.key] = value
		return nil
	}
	if rest[0].index < 0 {
		next, ok := cur[seg.key].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[seg.key] = next
		}
		return applyAt(next, rest, value)
	}
	list, _ := cur[seg.key].([]any)
	idx := rest[0].index
	switch {
	case idx < len(list):
	case idx == len(list):
		list = append(list, map[string]any{})
	default:
		return fmt.Errorf("%s has %d elements: index %d would leave a gap", pathString(path[:1]), len(list), idx)
	}
	cur[seg.key] = list
	rest = rest[1:]
	if len(rest) == 0 {
		list[idx] = value
		return nil
	}
	if rest[0].index >= 0 {
		return fmt.Errorf("%s: lists of lists cannot be set with --set", seg.key)
	}
	next, ok := list[idx].(map[string]any)
	if !ok {
		next = map[string]any{}
		list[idx] = next
	}
	return applyAt(next, rest, value)
}
