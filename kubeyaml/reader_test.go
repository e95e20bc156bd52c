package kubeyaml

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func readAll(t *testing.T, in string) []*Document {
	t.Helper()
	r := NewReader(strings.NewReader(in), "in.yaml")
	var docs []*Document
	for {
		d, err := r.Next()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
}

func TestReaderSplitsDocumentsWithLines(t *testing.T) {
	in := "# leading comment\n---\napiVersion: v1\nkind: A\n---\n\n# only a comment\n--- # sep with comment\n\nkind: B\n...\nkind: C\nlast: true"
	docs := readAll(t, in)
	want := []struct {
		line int
		raw  string
	}{{3, "apiVersion: v1\nkind: A\n"}, {10, "kind: B\n"}, {12, "kind: C\nlast: true"}}
	if len(docs) != len(want) {
		t.Fatalf("got %d documents, want %d", len(docs), len(want))
	}
	for i, w := range want {
		if docs[i].Line != w.line || string(docs[i].Raw) != w.raw || docs[i].Index != i {
			t.Errorf("doc %d = line %d index %d %q, want line %d %q", i, docs[i].Line, docs[i].Index, docs[i].Raw, w.line, w.raw)
		}
	}
}

func TestParseErrorHasAbsoluteLine(t *testing.T) {
	docs := readAll(t, "kind: A\n---\nkind: B\nmetadata:\n  name: [x\n")
	_, err := docs[1].Objects()
	var e *Error
	if !errors.As(err, &e) || e.Source != "in.yaml" || e.Line < 4 {
		t.Fatalf("want an *Error in in.yaml at line >= 4, got %v", err)
	}
	if !e.InvalidInput() {
		t.Fatal("parse errors must be invalid input")
	}
}

func TestObjectsExpandsListAndFindsLines(t *testing.T) {
	in := "apiVersion: v1\nkind: List\nitems:\n- kind: Service\n  metadata:\n    name: a\n- kind: Deployment\n  spec:\n    replicas: 3\n"
	docs := readAll(t, in)
	objs, err := docs[0].Objects()
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].Value["kind"] != "Service" || objs[1].Line() != 7 {
		t.Fatalf("unexpected objects: %+v", objs)
	}
	if got := objs[1].LineOf("spec.replicas"); got != 9 {
		t.Errorf("LineOf(spec.replicas) = %d, want 9", got)
	}
	if got := objs[1].Value["spec"].(map[string]any)["replicas"]; got != int64(3) {
		t.Errorf("replicas = %#v, want int64(3)", got)
	}
	if got := objs[1].LineOf("spec.missing.deeper"); got != 8 {
		t.Errorf("LineOf of a missing field = %d, want its parent's line 8", got)
	}
}

func TestDuplicateKeyIsAnError(t *testing.T) {
	docs := readAll(t, "kind: A\nmetadata:\n  name: a\n  name: b\n")
	_, err := docs[0].Objects()
	var e *Error
	if !errors.As(err, &e) || e.Line != 4 || e.Field != "metadata.name" {
		t.Fatalf("want duplicate key error at line 4 metadata.name, got %v", err)
	}
}

func TestLookupPaths(t *testing.T) {
	docs := readAll(t, "metadata:\n  labels:\n    app.kubernetes.io/name: x\nspec:\n  a:\n  - [1, 2]\n  - [3, {b: c}]\n")
	root, err := docs[0].Node()
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		`metadata.labels["app.kubernetes.io/name"]`: "x",
		"spec.a[1][1].b": "c",
		"spec.a[0][0]":   "1",
	} {
		n := Lookup(root, path)
		if n == nil || n.Value != want {
			t.Errorf("Lookup(%s) = %v, want %q", path, n, want)
		}
	}
	if Lookup(root, "spec.a[x") != nil || Lookup(root, "spec[.a") != nil { // must end, not loop
		t.Error("a bracket without an index names a key that does not exist")
	}
	if Lookup(root, "spec.a[5]") != nil {
		t.Error("out-of-range index must give nil")
	}
}

func FuzzReader(f *testing.F) {
	for _, s := range []string{"a: 1\n---\nb: 2", "---\n---\n", "kind: List\napiVersion: v1\nitems: [{a: 1}]", "a: &x {b: 1}\nc: *x\n<<: *x", "- 1\n- 2", "a: [\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := NewReader(strings.NewReader(in), "fuzz.yaml")
		lines := strings.Count(in, "\n") + 1
		for {
			d, err := r.Next()
			if err != nil {
				return
			}
			if d.Line < 1 || d.Line > lines {
				t.Fatalf("document line %d outside 1..%d", d.Line, lines)
			}
			objs, err := d.Objects()
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error is not an *Error: %v", err)
				}
				continue
			}
			for _, o := range objs {
				if o.Line() < d.Line {
					t.Fatalf("object line %d before its document's %d", o.Line(), d.Line)
				}
			}
		}
	})
}
