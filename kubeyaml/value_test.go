package kubeyaml

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/meshctl/meshctl/internal/yamlbomb"
)

// valueCases are documents whose values analyze must read as yaml.v3 does: the fast parser's shapes and
// everything it leaves to yaml.v3 (anchors, merges, tags, folded and multi-line scalars, numbers in every
// notation YAML 1.2 and yaml.v3 know).
var valueCases = []string{
	"a: 0x1F\nb: 1e3\nc: 0o17\nd: +1\ne: \"1_000\"\nf: 1_000\ng: 010\nh: -0\ni: 0.5\nj: -.5\nk: 1.\nl: 6.8523015e+5\n",
	"a: .inf\n", "a: -.Inf\n", "a: .NaN\n", "a: [.inf]\n",
	"a: 9223372036854775807\nb: 9223372036854775808\nc: 18446744073709551616\nd: -9223372036854775809\n",
	"a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 2002-12-14 21:59:43.10 -5\nd: \"2001-12-14\"\n",
	"a: true\nb: False\nc: yes\nd: no\ne: on\nf: ~\ng: Null\nh: NULL\ni:\n",
	"a: !!str 1\nb: !!int \"2\"\nc: !!float 3\nd: !!bool true\ne: !!null ''\nf: !custom x\ng: !!int 0x10\n",
	"a: !!int 1.5\n", "a: !!float x\n", "a: !!bool yes\n", "a: !!timestamp 2001-12-14\n", "a: !!timestamp x\n",
	"a: !!binary aGVsbG8=\n", "a: !!binary '!!'\n",
	"base: &b {x: 1, y: 2}\nover:\n  <<: *b\n  y: 3\n",
	"base: &b {x: 1, y: 2}\nover:\n  y: 3\n  <<: *b\n",
	"a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n",
	"a: &a {x: 1}\nc:\n  <<: [*a, {q: 1}]\n",
	"a: &a [1]\nc:\n  <<: *a\n", "c:\n  <<: 1\n", "c:\n  <<: [1]\n", "c:\n  <<:\n",
	"c:\n  <<: {a: 1}\n  <<: {b: 2}\n",
	"a: &a {x: &x {y: 1}}\nb: {<<: *x, z: *a}\n",
	"\"<<\": {a: 1}\n", "'<<': 1\n",
	"a: &x 1\nb: *x\nc: [*x, *x]\n",
	"a: &a [1, *a]\n", "a: &a {<<: *a}\n", // cycles: before the guard, a stack overflow
	"k: &k key\n*k : v\n",
	"? [a]\n: b\n", "? {a: 1}\n: b\n", "1: a\n", "true: a\n", "~: a\n", "0x1F: a\n", "2001-12-14: a\n",
	"a: 1\na: 2\n", "a: 1\n\"a\": 2\n", "1: x\n\"1\": y\n",
	"a: >\n  folded\n  text\n\n  para\nb: |+\n  keep\n\nc: >-\n  x\n",
	"a: plain\n  multi line\nb: 'single\n  quoted'\nc: \"double\\\n  escaped\"\n",
	"a: [1, 2, {b: c}]\nd: {e: [f, g], 'h': \"i\"}\n",
	"- a\n- b: c\n- [d]\n",
	"a: \"\\x41\\u00e9\\U0001F600\\t\"\n",
	"%YAML 1.2\n---\na: 1\n",
	"a: 1\n---\nb: 2\n",
	"",
	"# only a comment\n",
	"plain scalar\n",
}

// FuzzValueAgreesWithYAMLv3 holds the values analyze reads (Document.Value: the fast parser when it can,
// yaml.v3's nodes through converter otherwise) to yaml.v3's own decoding of the same bytes into any.
// The deviations are deliberate and checked as such: numbers are int64 or float64 as in
// unstructured.Unstructured, .inf and .nan are errors (JSON has no such numbers), timestamps and
// !!binary stay the text that was written (Kubernetes reads them as strings), and a document that
// yaml.v3 reads into map[any]any (keys such as 1 or true) is not compared.
func FuzzValueAgreesWithYAMLv3(f *testing.F) {
	for _, tc := range fastParserCases {
		f.Add(tc.in)
	}
	for _, in := range valueCases {
		f.Add(in)
	}
	f.Add(yamlbomb.Laughs)
	f.Fuzz(func(t *testing.T, in string) {
		doc := &Document{Source: "fuzz.yaml", Line: 1, Raw: []byte(in)}
		got, err := doc.Value()

		// The fast parser and the yaml.v3 path must agree exactly, errors included.
		if fast, ferr := parseFast(doc.Raw); ferr == nil {
			c := converter{d: doc}
			fv, fastErr := c.fastValue(fast)
			sv, slowErr := slowValue(doc)
			if (fastErr == nil) != (slowErr == nil) || fastErr == nil && !reflect.DeepEqual(fv, sv) {
				t.Fatalf("fast path %#v (%v), yaml.v3 path %#v (%v)\ninput:\n%s", fv, fastErr, sv, slowErr, in)
			}
		}

		var ref any
		refErr := yaml.Unmarshal([]byte(in), &ref)
		if err != nil {
			var ke *Error
			if !errors.As(err, &ke) || ke.Source != "fuzz.yaml" || ke.Line < 1 {
				t.Fatalf("error %v: want an *Error naming fuzz.yaml and a line", err)
			}
		}
		switch {
		case refErr != nil && err == nil:
			if expandedNodes(doc, 1000) > 1000 {
				return // yaml.v3 applies its alias rule to its own count of nodes, which differs slightly from ours
			}
			t.Fatalf("yaml.v3 refuses (%v), kubeyaml reads %#v\ninput:\n%s", refErr, got, in)
		case refErr != nil:
			return
		case errors.Is(err, ErrTooManyAliases):
			return // counted as yaml.v3 counts, but not node for node
		}
		want, verdict := asJSONShape(ref)
		switch verdict {
		case skip:
			return
		case mustFail:
			if err == nil {
				t.Fatalf("yaml.v3 reads %#v, which JSON cannot hold; kubeyaml reads %#v without error\ninput:\n%s", ref, got, in)
			}
			return
		}
		if err != nil {
			t.Fatalf("yaml.v3 reads %#v, kubeyaml fails: %v\ninput:\n%s", ref, err, in)
		}
		if d := agree(want, got, "$"); d != "" {
			t.Fatalf("%s\nyaml.v3:  %#v\nkubeyaml: %#v\ninput:\n%s", d, ref, got, in)
		}
	})
}

// slowValue is Document.Value without the fast parser.
func slowValue(d *Document) (any, error) {
	root, err := d.slowNode()
	if err != nil {
		return nil, err
	}
	return d.toValue(root)
}

// expandedNodes is the number of nodes the document stands for with its aliases expanded, counted up to
// limit.
func expandedNodes(d *Document, limit int) int {
	root, err := d.slowNode()
	if err != nil {
		return 0
	}
	total := 0
	var count func(n *yaml.Node)
	count = func(n *yaml.Node) {
		if total++; total > limit {
			return
		}
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			count(n.Alias)
		}
		for _, c := range n.Content {
			count(c)
		}
	}
	count(root)
	return total
}

type verdict int

const (
	compare  verdict = iota
	skip             // not comparable: yaml.v3 made a map with keys that are not strings
	mustFail         // yaml.v3 made a number JSON cannot hold
)

// asJSONShape converts yaml.v3's values to the shapes kubeyaml promises: int becomes int64, uint64 (above
// int64's range) becomes float64, as encoding/json and the converter treat it.
func asJSONShape(v any) (any, verdict) {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			s, vd := asJSONShape(e)
			if vd != compare {
				return nil, vd
			}
			out[k] = s
		}
		return out, compare
	case map[any]any:
		return nil, skip
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			s, vd := asJSONShape(e)
			if vd != compare {
				return nil, vd
			}
			out[i] = s
		}
		return out, compare
	case int:
		return int64(t), compare
	case uint64:
		return float64(t), compare
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return nil, mustFail
		}
	}
	return v, compare
}

// agree compares yaml.v3's value, in JSON shape, with kubeyaml's; timestamps and !!binary are compared
// with the text kubeyaml keeps.
func agree(want, got any, path string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: want a mapping of %d keys, got %#v", path, len(w), got)
		}
		for k, e := range w {
			ge, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s: key %q missing", path, k)
			}
			if d := agree(e, ge, path+"."+k); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: want a list of %d, got %#v", path, len(w), got)
		}
		for i := range w {
			if d := agree(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	case time.Time:
		s, ok := got.(string)
		var tt time.Time
		if ok && yaml.Unmarshal([]byte(s), &tt) == nil && tt.Equal(w) {
			return ""
		}
		return fmt.Sprintf("%s: want the timestamp %v as written, got %#v", path, w, got)
	case string:
		if s, ok := got.(string); ok && s != w {
			if b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), "")); err == nil && string(b) == w {
				return "" // !!binary: kubeyaml keeps the base64 text
			}
		}
	}
	if !reflect.DeepEqual(want, got) {
		return fmt.Sprintf("%s: want %#v (%T), got %#v (%T)", path, want, want, got, got)
	}
	return ""
}
