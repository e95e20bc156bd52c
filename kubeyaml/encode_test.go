package kubeyaml

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

func TestAppendYAMLStyle(t *testing.T) {
	v := map[string]any{
		"kind":     "Deployment",
		"metadata": map[string]any{"name": "sleep", "labels": map[string]any{"app": "sleep"}, "annotations": map[string]any{}},
		"spec": map[string]any{
			"replicas": int64(1),
			"template": map[string]any{"spec": map[string]any{
				"containers": []any{
					map[string]any{"name": "sleep", "args": []any{"-p", "15001", "*", "", "yes", "a: b"}, "ports": []any{}},
					map[string]any{"name": "proxy", "env": []any{map[string]any{"name": "X", "value": "line1\nline2\n"}}},
				},
				"nested": []any{[]any{"a", "b"}, map[string]any{}},
				"ratio":  0.5, "big": float64(1e6), "on": true, "nothing": nil,
			}},
		},
	}
	got, err := AppendYAML(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	want := `kind: Deployment
metadata:
  annotations: {}
  labels:
    app: sleep
  name: sleep
spec:
  replicas: 1
  template:
    spec:
      big: 1000000
      containers:
      - args:
        - -p
        - "15001"
        - "*"
        - ""
        - "yes"
        - "a: b"
        name: sleep
        ports: []
      - env:
        - name: X
          value: |
            line1
            line2
        name: proxy
      nested:
      - - a
        - b
      - {}
      nothing: null
      "on": true
      ratio: 0.5
`
	if string(got) != want {
		t.Errorf("AppendYAML:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlainSafe(t *testing.T) {
	for s, want := range map[string]bool{
		"sleep": true, "$(POD_NAMESPACE).svc.cluster.local": true, "/var/run/secrets/istio": true,
		"http://x:8080/a": true, "a b": true, "istio-proxy": true, "sidecar.istio.io/status": true,
		"": false, "yes": false, "No": false, "null": false, "15001": false,
		"-p": true, "--domain": true, "10m": true, "128Mi": true, "-1": false, "1e3": false, "1.5": false,
		"*": false, "a: b": false, "a #b": false, "trailing ": false, "a:": false, "~": false, "@x": false,
		"a\tb": false, "é": false, "2001-12-14": false, ".inf": false,
	} {
		if got := plainSafe(s); got != want {
			t.Errorf("plainSafe(%q) = %v, want %v", s, got, want)
		}
	}
}

// roundTrip checks that what AppendYAML writes reads back as v with both YAML readers Kubernetes tools use.
func roundTrip(t *testing.T, v map[string]any) {
	t.Helper()
	out, err := AppendYAML(nil, v)
	if err != nil {
		t.Fatalf("AppendYAML: %v", err)
	}
	d := &Document{Source: "out", Line: 1, Raw: out}
	root, err := d.Node()
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out)
	}
	back, err := d.toValue(root)
	if err != nil {
		t.Fatalf("output does not convert: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(jsonShape(t, back), jsonShape(t, v)) {
		t.Fatalf("yaml.v3 reads back\n%#v\nwant\n%#v\nfrom\n%s", back, v, out)
	}
	// sigs.k8s.io/yaml (YAML 1.1, what kubectl uses) must agree: "yes" or a date must not change type.
	j, err := sigsyaml.YAMLToJSON(out)
	if err != nil {
		t.Fatalf("sigs.k8s.io/yaml cannot read the output: %v\n%s", err, out)
	}
	var viaSigs any
	if err := json.Unmarshal(j, &viaSigs); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(viaSigs, jsonShape(t, v)) {
		t.Fatalf("sigs.k8s.io/yaml reads back\n%#v\nwant\n%#v\nfrom\n%s", viaSigs, jsonShape(t, v), out)
	}
}

func jsonShape(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAppendYAMLRoundTrips(t *testing.T) {
	for _, s := range []string{
		"a\nb", "a\n", "a\n\n", "\na", " a\nb", "a \n b\n", "tab\there\nx", "a\n \nb", "#c\n--- x\n...",
		"---", "- x", "? y", "@at", "`tick", "%p", "&a", "*a", "!t", "|", ">", "'q'", `"dq"`, "yes", "Off",
		"0x1F", "1e3", "1_000", "+1", ".5", "2001-12-14", "12:30", "é", "emoji 😀", "\u0085", "\ufeff",
		"a\x00b", "key: value", "# not a comment", "trailing\n\n\n", "-p", "--domain", "-1", "-.5", "-", "--",
		"10m", "128Mi", "1.5Gi", "0x", "1e", "1e3", "1E5", "30s", "0b1", `{"a":"b"}`, `it's "x"`, "a\\b", " lead", "trail ",
	} {
		roundTrip(t, map[string]any{"s": s, s: []any{s, map[string]any{s: s}}})
	}
}

func FuzzAppendYAMLRoundTrip(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb: [x, 'y', \"z\"]\n", "a: |\n  line\n  two\n", "a: {b: yes, c: ~, d: 1.5e3}\n",
		"a:\n- - x\n  - y\n- {}\n", "'k: v': '# x'\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d := &Document{Source: "fuzz", Line: 1, Raw: []byte(in)}
		root, err := d.Node()
		if err != nil || root.Kind != 4 /* yaml.MappingNode */ {
			return
		}
		v, err := d.toValue(root)
		if err != nil {
			return
		}
		if strings.Contains(in, "<<") || strings.Contains(in, "*") { // merge keys differ in YAML 1.1; aliases can explode
			return
		}
		roundTrip(t, v.(map[string]any))
	})
}

func BenchmarkAppendYAML(b *testing.B) {
	docs, err := NewReader(strings.NewReader(string(manifest(1))), "bench").Next()
	if err != nil {
		b.Fatal(err)
	}
	objs, err := docs.Objects()
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	for b.Loop() {
		buf, err = AppendYAML(buf[:0], objs[0].Value)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func TestValueAgreesWithObjects(t *testing.T) {
	for _, in := range []string{
		"apiVersion: v1\nkind: List\nitems:\n- kind: A\n  n: 1\n",
		"a: [1, {b: c}]\nd: |\n  x\n",
		"a: &x {b: 1}\nc: *x\n", // the full parser's path
	} {
		d := &Document{Source: "in", Line: 1, Raw: []byte(in)}
		v, err := d.Value()
		if err != nil {
			t.Fatal(err)
		}
		root, err := d.Node()
		if err != nil {
			t.Fatal(err)
		}
		want, err := d.toValue(root)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(v, want) {
			t.Errorf("Value(%q) = %#v, want %#v", in, v, want)
		}
	}
	if _, err := (&Document{Source: "bad.yaml", Line: 3, Raw: []byte("a: [\n")}).Value(); err == nil || !strings.Contains(err.Error(), "bad.yaml:") {
		t.Errorf("want an error naming the file, got %v", err)
	}
}
