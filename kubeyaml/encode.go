package kubeyaml

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// AppendYAML appends v, a JSON-shaped value (map[string]any, []any, string, bool, nil, numbers, or anything
// encoding/json can marshal), to buf as block YAML in kubectl's style: keys sorted, two-space indent,
// sequences not indented under their key. Strings are quoted whenever a YAML 1.1 or 1.2 reader could take
// them for something else, so kubectl reads back exactly v.
//
// It exists because go.yaml.in/yaml/v3's encoder costs ten times as much, which matters when
// kube-inject writes thousands of objects.
func AppendYAML(buf []byte, v any) ([]byte, error) {
	var e Encoder
	return e.Append(buf, v)
}

// Encoder is AppendYAML with memory: reused for many documents, it keeps its scratch space and the
// formatted form of the keys it has seen. It is not safe for concurrent use.
type Encoder struct {
	buf  []byte
	keys [][]string        // per nesting depth, reused for sorting
	seen map[string]string // key -> "key:" as written
}

// Append appends v to buf like AppendYAML.
func (e *Encoder) Append(buf []byte, v any) ([]byte, error) {
	e.buf = buf
	err := e.value(v, 0, false)
	out := e.buf
	e.buf = nil
	if err != nil {
		return buf, err
	}
	return out, nil
}

type encoder = Encoder

// value writes v for a position where the caller already wrote "key:" or "- " (inline is true after
// "- ", where a mapping's first key goes on the same line).
func (e *encoder) value(v any, indent int, inline bool) error {
	switch t := normalize(v).(type) {
	case map[string]any:
		return e.mapping(t, indent, inline)
	case []any:
		return e.sequence(t, indent, inline)
	case string:
		if s, ok := scalarString(t); ok {
			e.buf = append(e.buf, s...)
			e.buf = append(e.buf, '\n')
		} else {
			e.literal(t, indent)
		}
		return nil
	}
	if s, ok := scalar(v); ok {
		e.buf = append(e.buf, s...)
		e.buf = append(e.buf, '\n')
		return nil
	}
	// Any other type: take its JSON view, as Kubernetes would.
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %T as YAML: %w", v, err)
	}
	var generic any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&generic); err != nil {
		return fmt.Errorf("encode %T as YAML: %w", v, err)
	}
	return e.value(generic, indent, inline)
}

// normalize turns the typed collections templates and callers commonly hold into the generic ones.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]string:
		m := make(map[string]any, len(t))
		for k, s := range t {
			m[k] = s
		}
		return m
	case []string:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = x
		}
		return s
	case []map[string]any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = x
		}
		return s
	}
	return v
}

func (e *encoder) mapping(m map[string]any, indent int, inline bool) error {
	if len(m) == 0 {
		e.buf = append(e.buf, "{}\n"...)
		return nil
	}
	depth := indent / 2
	for len(e.keys) <= depth {
		e.keys = append(e.keys, nil)
	}
	keys := e.keys[depth][:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.keys[depth] = keys
	for i, k := range keys {
		if i > 0 || !inline {
			e.buf = appendIndent(e.buf, indent)
		}
		e.key(k)
		if err := e.member(m[k], indent); err != nil {
			return err
		}
	}
	return nil
}

// member writes a mapping value after "key:".
func (e *encoder) member(v any, indent int) error {
	v = normalize(v)
	switch t := v.(type) {
	case map[string]any:
		if len(t) > 0 {
			e.buf = append(e.buf, '\n')
			return e.mapping(t, indent+2, false)
		}
	case []any:
		if len(t) > 0 {
			e.buf = append(e.buf, '\n')
			return e.sequence(t, indent, false)
		}
	}
	e.buf = append(e.buf, ' ')
	return e.value(v, indent+2, false)
}

func (e *encoder) sequence(s []any, indent int, inline bool) error {
	if len(s) == 0 {
		e.buf = append(e.buf, "[]\n"...)
		return nil
	}
	for i, item := range s {
		if i > 0 || !inline {
			e.buf = appendIndent(e.buf, indent)
		}
		e.buf = append(e.buf, "- "...)
		if err := e.value(item, indent+2, true); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) key(k string) {
	if f, ok := e.seen[k]; ok {
		e.buf = append(e.buf, f...)
		return
	}
	var f string
	if plainSafe(k) {
		f = k + ":"
	} else {
		f = strconv.Quote(k) + ":"
	}
	if e.seen == nil {
		e.seen = map[string]string{}
	}
	if len(e.seen) < 4096 { // keys repeat across objects; values like label keys are few
		e.seen[k] = f
	}
	e.buf = append(e.buf, f...)
}

// scalar formats numbers, booleans and null.
func scalar(v any) (string, bool) {
	switch t := v.(type) {
	case nil:
		return "null", true
	case bool:
		return strconv.FormatBool(t), true
	case int:
		return strconv.Itoa(t), true
	case int32:
		return strconv.FormatInt(int64(t), 10), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case uint64:
		return strconv.FormatUint(t, 10), true
	case float64:
		return formatFloat(t), true
	case float32:
		return formatFloat(float64(t)), true
	case json.Number:
		return t.String(), true
	}
	return "", false
}

// scalarString formats a string that fits on one line; false means it wants a literal block. Like
// kubectl: plain when safe, double quotes when that needs no escapes, single quotes for text full of
// double quotes (JSON in an annotation stays readable), escapes as a last resort.
func scalarString(s string) (string, bool) {
	if plainSafe(s) {
		return s, true
	}
	if strings.Contains(s, "\n") && literalSafe(s) {
		return "", false
	}
	if !strings.ContainsAny(s, "\"\\") && printableLine(s) {
		return `"` + s + `"`, true
	}
	if printableLine(s) {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'", true
	}
	return strconv.Quote(s), true
}

// printableLine reports whether s is one line of characters YAML allows unescaped in quotes.
func printableLine(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == utf8.RuneError || r >= 0xfffe && r <= 0xffff {
			return false
		}
	}
	return true
}

// formatFloat writes integral values as integers: Kubernetes decodes YAML through JSON into int fields,
// which reject "1e+06".
func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// literal writes a multi-line string as a literal block; scalarString has ruled out the other forms.
func (e *encoder) literal(s string, indent int) {
	if indent == 0 {
		indent = 2 // a top-level block: content at column 0 could read as "---"
	}
	e.buf = append(e.buf, '|')
	if !strings.HasSuffix(s, "\n") {
		e.buf = append(e.buf, '-')
	} else {
		s = s[:len(s)-1]
	}
	e.buf = append(e.buf, '\n')
	for line := range strings.SplitSeq(s, "\n") {
		if line != "" {
			e.buf = appendIndent(e.buf, indent)
			e.buf = append(e.buf, line...)
		}
		e.buf = append(e.buf, '\n')
	}
}

// literalSafe reports whether s can be written as a literal block scalar and read back unchanged:
// printable text, no line that is only blanks, no leading blank (which would need an indentation
// indicator) and at most one trailing newline.
func literalSafe(s string) bool {
	if s == "" || s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || strings.HasSuffix(s, "\n\n") || !utf8.ValidString(s) {
		return false
	}
	lineStart := true
	blankOnly := false
	for _, r := range s {
		switch {
		case r == '\n':
			if blankOnly {
				return false
			}
			lineStart, blankOnly = true, false
			continue
		case r == ' ' || r == '\t':
			if lineStart {
				blankOnly = true
			}
		case r < 0x20 || r == 0x7f || r == 0x85 || r == 0xfeff || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029:
			return false
		default:
			blankOnly = false
		}
		lineStart = false
	}
	return !blankOnly
}

// plainSafe reports whether s can be written unquoted and read back as the same string by YAML 1.1 and
// 1.2 readers alike. It is deliberately strict: anything doubtful is quoted.
func plainSafe(s string) bool {
	if s == "" || s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		return false
	}
	switch c := s[0]; {
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '_' || c == '$':
	case c == '-':
		// "-p", "--domain": a dash then a letter is text to every reader; "-1", "- x" or "-.5" are not.
		rest := strings.TrimPrefix(s[1:], "-")
		if rest == "" || !(rest[0] >= 'a' && rest[0] <= 'z' || rest[0] >= 'A' && rest[0] <= 'Z') {
			return false
		}
	case c >= '0' && c <= '9':
		return isQuantity(s)
	default:
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == ':':
			if s[i+1] == ' ' {
				return false
			}
		case strings.IndexByte("-_./$()=+@%,;*^~!?<>|&[]{}", c) >= 0:
		case c == ' ':
			if s[i+1] == ' ' {
				return false
			}
		default:
			return false
		}
	}
	return !ambiguousWord(s)
}

// isQuantity matches resource quantities and durations such as 100m, 128Mi, 1.5Gi or 30s: digits then
// letters, which neither YAML version reads as a number, date or boolean. Exponents (1e3, 1E) are out.
func isQuantity(s string) bool {
	if len(s) > 1 && s[0] == '0' && strings.IndexByte("xXoObB", s[1]) >= 0 {
		return false // 0xff, 0XA: hexadecimal (or octal, binary) to readers that take Go's prefixes
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i == len(s) || s[i] == 'e' || s[i] == 'E' {
		return false
	}
	for ; i < len(s); i++ {
		if !(s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
			return false
		}
	}
	return true
}

// ambiguousWord lists the words YAML 1.1 (sigs.k8s.io/yaml, used by kubectl) or 1.2 read as booleans or null.
func ambiguousWord(s string) bool {
	if len(s) > 5 {
		return false
	}
	for _, w := range []string{"y", "n", "yes", "no", "on", "off", "true", "false", "null"} {
		if strings.EqualFold(s, w) {
			return true
		}
	}
	return false
}

func appendIndent(buf []byte, n int) []byte {
	for range n {
		buf = append(buf, ' ')
	}
	return buf
}
