package webhook

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// patchOp is one RFC 6902 operation.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// createPatch is a JSON patch turning before into after, both JSON-shaped values. Mappings are patched key
// by key; a list whose length changed is replaced whole, so that no operation depends on the indexes an
// earlier one shifted. Keys are visited in order, so one input always gives the same patch.
func createPatch(before, after any) ([]byte, error) {
	ops := []patchOp{}
	diff("", before, after, &ops)
	return json.Marshal(ops)
}

func diff(path string, a, b any, ops *[]patchOp) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(av)+len(bv))
		for k := range av {
			keys = append(keys, k)
		}
		for k := range bv {
			if _, ok := av[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := path + "/" + escapePointer(k)
			x, inA := av[k]
			y, inB := bv[k]
			switch {
			case !inB:
				*ops = append(*ops, patchOp{Op: "remove", Path: p})
			case !inA:
				*ops = append(*ops, patchOp{Op: "add", Path: p, Value: nullable(y)})
			default:
				diff(p, x, y, ops)
			}
		}
		return
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			break
		}
		for i := range av {
			diff(path+"/"+strconv.Itoa(i), av[i], bv[i], ops)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*ops = append(*ops, patchOp{Op: "replace", Path: path, Value: nullable(b)})
	}
}

// jsonNull is a value that marshals as null: omitempty would drop a nil Value, which add and replace need.
type jsonNull struct{}

func (jsonNull) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

func nullable(v any) any {
	if v == nil {
		return jsonNull{}
	}
	return v
}

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}
