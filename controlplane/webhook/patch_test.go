package webhook

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestCreatePatch(t *testing.T) {
	for _, tc := range []struct{ name, before, after string }{
		{"same", `{"a":1}`, `{"a":1}`},
		{"add, remove, replace", `{"a":1,"b":{"c":"x"},"gone":true}`, `{"a":2,"b":{"c":"x","d":[1,2]},"new":null}`},
		{"keys that need escaping", `{"metadata":{"annotations":{"a/b":"1"}}}`, `{"metadata":{"annotations":{"a/b":"2","c~d":"3","sidecar.istio.io/status":"{}"}}}`},
		{"list grows", `{"containers":[{"name":"app"}]}`, `{"containers":[{"name":"app"},{"name":"istio-proxy"}]}`},
		{"list shrinks", `{"l":[1,2,3]}`, `{"l":[3]}`},
		{"list element changes", `{"l":[{"name":"app","ports":[{"containerPort":80}]}]}`, `{"l":[{"name":"app","ports":[{"containerPort":80}],"env":[]}]}`},
		{"type changes", `{"a":{"b":1}}`, `{"a":[1]}`},
		{"map added", `{}`, `{"metadata":{"labels":{"x":"y"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after any
			if err := json.Unmarshal([]byte(tc.before), &before); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.after), &after); err != nil {
				t.Fatal(err)
			}
			patch, err := createPatch(before, after)
			if err != nil {
				t.Fatal(err)
			}
			out, err := applyPatch([]byte(tc.before), patch)
			if err != nil {
				t.Fatalf("patch %s does not apply: %v", patch, err)
			}
			var got any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, after) {
				t.Fatalf("patch %s gives %s, want %s", patch, out, tc.after)
			}
			if tc.before == tc.after && string(patch) != "[]" {
				t.Errorf("patch for no change = %s, want []", patch)
			}
		})
	}
}
