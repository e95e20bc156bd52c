package validation

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// FuzzDecodeSpec: decoding and validating any JSON as the spec of any kind never panics, every problem
// names a field of the object, and the problems are the same on every run (maps are walked in random order).
func FuzzDecodeSpec(f *testing.F) {
	for i, tc := range ruleCases {
		f.Add(uint8(i), uint8(i%3), specJSON(f, tc.spec))
	}
	f.Add(uint8(0), uint8(0), []byte(`{"hosts": "a", "http": [{"route": [{"weight": 1.5}]}], "tls": {}}`))
	f.Add(uint8(1), uint8(1), []byte(`{"trafficPolicy": {"tls": {"mode": 1e400}, "portLevelSettings": [null, {"port": {"number": -1}}]}}`))
	f.Add(uint8(4), uint8(2), []byte(`{"configPatches": [{"patch": {"value": {"a": [1, {"b": null}]}}}]}`))
	f.Fuzz(func(t *testing.T, kind, numbers uint8, data []byte) {
		spec, ok := decodeJSONAs(data, numbers%3)
		if !ok {
			return
		}
		k := kinds[int(kind)%len(kinds)]
		gvk := k.GroupKind.WithVersion(k.Versions[0])
		_, first := Object(gvk, spec)
		_, again := Object(gvk, spec)
		if !slices.Equal(first, again) {
			t.Fatalf("problems differ between runs:\n%v\n%v", first, again)
		}
		for _, e := range first {
			if e.Field != "spec" && !strings.HasPrefix(e.Field, "spec.") && !strings.HasPrefix(e.Field, "spec[") {
				t.Fatalf("problem without the path of its field: %#v", e)
			}
			if e.Message == "" || e.Rule == "" {
				t.Fatalf("problem without a message or rule: %#v", e)
			}
		}
	})
}

func specJSON(t testing.TB, y string) []byte {
	b, err := json.Marshal(specOf(t, y))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeJSONAs decodes JSON with numbers as encoding/json gives them (0: float64, 1: json.Number) or as
// YAML decoders give them (2: int64 for integers).
func decodeJSONAs(data []byte, numbers uint8) (any, bool) {
	d := json.NewDecoder(bytes.NewReader(data))
	if numbers > 0 {
		d.UseNumber()
	}
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	if numbers == 2 {
		v = int64Numbers(v)
	}
	return v, true
}

func int64Numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = int64Numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = int64Numbers(e)
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
