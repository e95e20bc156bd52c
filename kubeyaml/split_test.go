package kubeyaml

import (
	"testing"
)

// TestSplitMatchesReader holds Split to the Reader's rules on the inputs the Reader's tests use.
func TestSplitMatchesReader(t *testing.T) {
	for _, in := range []string{
		"# leading comment\n---\napiVersion: v1\nkind: A\n---\n\n# only a comment\n--- # sep with comment\n\nkind: B\n...\nkind: C\nlast: true",
		"a: 1", "", "---\n---\n", "\n\n# x\nkind: A\n  # indented comment\nb: 2\n---",
	} {
		want := readAll(t, in)
		got := Split([]byte(in), "in.yaml")
		if len(got) != len(want) {
			t.Fatalf("%q: Split found %d documents, Reader %d", in, len(got), len(want))
		}
		for i := range want {
			if got[i].Line != want[i].Line || got[i].Index != want[i].Index || string(got[i].Raw) != string(want[i].Raw) {
				t.Errorf("%q doc %d: Split %d %q, Reader %d %q", in, i, got[i].Line, got[i].Raw, want[i].Line, want[i].Raw)
			}
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("a: 1\n---\nb: 2\n")
	f.Fuzz(func(t *testing.T, in string) {
		want := readAll(t, in)
		got := Split([]byte(in), "in.yaml")
		if len(got) != len(want) {
			t.Fatalf("Split found %d documents, Reader %d", len(got), len(want))
		}
		for i := range want {
			if got[i].Line != want[i].Line || string(got[i].Raw) != string(want[i].Raw) {
				t.Fatalf("doc %d differs", i)
			}
		}
	})
}
