package kubeyaml

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/meshctl/meshctl/internal/yamlbomb"
)

// readers are the ways a command reads a document; each must refuse what the others refuse.
var readers = []struct {
	name string
	read func(*Document) error
}{
	{"Value", func(d *Document) error { _, err := d.Value(); return err }},
	{"Objects", func(d *Document) error { _, err := d.Objects(); return err }},
	{"ObjectValues", func(d *Document) error { _, err := d.ObjectValues(); return err }},
	{"Node", func(d *Document) error { _, err := d.Node(); return err }},
}

func TestAliasBombIsRefusedAtItsLine(t *testing.T) {
	// Two leading documents, so that the line is counted in the file, not in the document.
	in := "kind: A\n---\n# the bomb\n" + yamlbomb.Laughs
	docs := Split([]byte(in), "bomb.yaml")
	for _, r := range readers {
		t.Run(r.name, func(t *testing.T) {
			err := r.read(docs[1])
			var e *Error
			if !errors.Is(err, ErrTooManyAliases) || !errors.As(err, &e) {
				t.Fatalf("want ErrTooManyAliases in an *Error, got %v", err)
			}
			want := 3 + yamlbomb.LaughsLine
			if e.Source != "bomb.yaml" || e.Line != want || !e.InvalidInput() {
				t.Fatalf("error at %s:%d, want bomb.yaml:%d: %v", e.Source, e.Line, want, err)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("bomb.yaml:%d: too many alias expansions (", want)) {
				t.Fatalf("message %q", err)
			}
		})
	}
	if _, err := parseFast([]byte(yamlbomb.Laughs)); !errors.Is(err, errSlow) {
		t.Fatalf("the fast parser must leave aliases to yaml.v3 (and its guard), got %v", err)
	}
}

func TestAliasCycleIsRefused(t *testing.T) {
	for _, in := range []string{"a: &a [1, *a]\n", "x: 1\na: &a\n  b:\n    c: *a\n", "a: &a {<<: *a}\n"} {
		d := &Document{Source: "cycle.yaml", Line: 1, Raw: []byte(in)}
		for _, r := range readers {
			err := r.read(d)
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), "alias *a is inside the anchor &a") {
				t.Fatalf("%s of %q: want the cycle named, got %v", r.name, in, err)
			}
			if want := strings.Count(in[:strings.Index(in, "*a")], "\n") + 1; e.Line != want {
				t.Errorf("%s of %q: line %d, want %d (the alias)", r.name, in, e.Line, want)
			}
		}
	}
}

// An anchor reused many times, as in a hand-written list of similar containers, stays readable: the limit
// is on the share of the document that aliases make, not on aliases as such.
func TestAliasReuseIsAllowed(t *testing.T) {
	var b strings.Builder
	b.WriteString("base: &base\n")
	for i := range 30 {
		fmt.Fprintf(&b, "  k%d: v%d\n", i, i)
	}
	b.WriteString("items:\n")
	for range 40 { // 40 × 61 nodes from aliases against ~100 written: 96%
		b.WriteString("- *base\n")
	}
	d := &Document{Source: "reuse.yaml", Line: 1, Raw: []byte(b.String())}
	v, err := d.Value()
	if err != nil {
		t.Fatal(err)
	}
	if items := v.(map[string]any)["items"].([]any); len(items) != 40 || items[39].(map[string]any)["k29"] != "v29" {
		t.Fatalf("items = %v", items)
	}
	// A flat reuse can never pass 99% (each alias is itself a node written out); a nested one does.
	b.WriteString("again: &again [" + strings.Repeat("*base, ", 19) + "*base]\n")
	b.WriteString("more: [" + strings.Repeat("*again, ", 19) + "*again]\n")
	d.Raw = []byte(b.String())
	if _, err := d.Value(); !errors.Is(err, ErrTooManyAliases) {
		t.Fatalf("want ErrTooManyAliases, got %v", err)
	}
}

func TestAllowedAliasShare(t *testing.T) {
	for _, tc := range []struct {
		total int
		want  float64
	}{{0, 0.99}, {400_000, 0.99}, {2_200_000, 0.545}, {4_000_000, 0.10}, {1 << 40, 0.10}} {
		if got := allowedAliasShare(tc.total); got < tc.want-1e-9 || got > tc.want+1e-9 {
			t.Errorf("allowedAliasShare(%d) = %v, want %v", tc.total, got, tc.want)
		}
	}
}

// yaml.v3 gives a syntax error's line only in its text: this pins the format parseError reads.
func TestYAMLv3SyntaxErrorFormat(t *testing.T) {
	in := []byte("a: 1\nb: c: d\n")
	var n yaml.Node
	err := yaml.Unmarshal(in, &n)
	if err == nil || !yamlLineRE.MatchString(err.Error()) {
		t.Fatalf("yaml.v3's syntax error %q no longer reads \"yaml: line N: ...\": update yamlerror.go", err)
	}
	d := &Document{Source: "in.yaml", Line: 10, Raw: in}
	_, err = d.Node()
	var e *Error
	if !errors.As(err, &e) || e.Source != "in.yaml" || e.Line != 11 || e.Error() != "in.yaml:11: invalid YAML: mapping values are not allowed in this context" {
		t.Fatalf("want in.yaml:11: invalid YAML: ..., got %v", err)
	}
}

// BenchmarkAliasBomb is the memory the bomb costs each reader before it is refused.
func BenchmarkAliasBomb(b *testing.B) {
	for _, r := range readers {
		b.Run(r.name, func(b *testing.B) {
			d := &Document{Source: "bomb.yaml", Line: 1, Raw: []byte(yamlbomb.Laughs)}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				if err := r.read(d); !errors.Is(err, ErrTooManyAliases) {
					b.Fatalf("want ErrTooManyAliases, got %v", err)
				}
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N), "bytes-allocated/op")
		})
	}
}
