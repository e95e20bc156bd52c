package kubeyaml

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/meshctl/meshctl/internal/yamlbomb"
)

// slowNode parses with yaml.v3 alone.
func slowNode(src []byte) (*yaml.Node, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(src, &n); err != nil {
		return nil, err
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return n.Content[0], nil
	}
	return &n, nil
}

// sameTree returns where two trees differ, ignoring comments, or "".
func sameTree(a, b *yaml.Node, path string) string {
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value || a.Line != b.Line || a.Column != b.Column {
		return fmt.Sprintf("%s: fast {kind %d style %d tag %s %q at %d:%d}, yaml.v3 {kind %d style %d tag %s %q at %d:%d}",
			path, a.Kind, a.Style, a.Tag, a.Value, a.Line, a.Column, b.Kind, b.Style, b.Tag, b.Value, b.Line, b.Column)
	}
	if len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: fast has %d children, yaml.v3 %d", path, len(a.Content), len(b.Content))
	}
	for i := range a.Content {
		if d := sameTree(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

var fastParserCases = []struct {
	name, in string
	fast     bool // the fast parser must handle it
}{
	{"object", "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  labels:\n    app: a\nspec:\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n", true},
	{"compact seq", "a:\n- 1\n- x\nb: 2\n", true},
	{"nested seqs", "a:\n  - - 1\n    - 2\n  - -\n    - 3\n", true},
	{"empty values", "a:\nb: ~\nc: null\nd: \"\"\ne: ''\nf:\n  -\n  - x\n", true},
	{"quoted", "a: \"x\\\"y\\n\\u00e9\"\nb: 'it''s'\n\"c d\": 1\n'e': 2\n", true},
	{"comments", "# head\na: 1 # line\n  # indented\nb: x#y\nc: \"q\" # q\n", true},
	{"literal", "a: |\n  line 1\n\n   indented\n  line 3\n\n\nb: |-\n  x\n  y\nc: 1\n", true},
	{"literal in seq", "- |\n  a\n- b\n", true},
	{"flow", "a: []\nb: {}\nc: [1, two, \"3\", [4], {k: v}]\nd: {x: 1, \"y\": [a, b]}\n", true},
	{"scalars", "a: true\nb: 1.5\nc: -3\nd: 0x1F\ne: 2001-12-14\nf: .inf\ng: yes\nh: 010\ni: 1_000\n", true},
	{"indented root", "  a: 1\n  b:\n    c: 2\n", true},
	{"seq root", "- a: 1\n  b: 2\n- c\n", true},
	{"anchor", "a: &x 1\nb: *x\n", false},
	{"tag", "a: !!str 1\n", false},
	{"multi-line plain", "a: one\n  two\n", false},
	{"folded", "a: >\n  x\n  y\n", false},
	{"tab", "a:\t1\n", false},
	{"crlf", "a: 1\r\nb: 2\r\n", false},
	{"bad", "a: [1\n", false},
	{"mapping in value", "a: b: c\n", false},
	{"merge", "a: {x: 1}\n<<: {y: 2}\n", false},
	{"multi-line flow", "a: [1,\n  2]\n", false},
	{"keep", "a: |+\n  x\n\n", false},
	{"non-ascii", "a: é\n", false},
}

func TestFastParserMatchesYAMLv3(t *testing.T) {
	for _, tc := range fastParserCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseFast([]byte(tc.in))
			if tc.fast != (err == nil) {
				t.Fatalf("fast parser handled it = %v, want %v (err %v)", err == nil, tc.fast, err)
			}
			if err != nil {
				if !errors.Is(err, errSlow) {
					t.Fatalf("fast parser must only ever give up, got %v", err)
				}
				return
			}
			slow, err := slowNode([]byte(tc.in))
			if err != nil {
				t.Fatalf("yaml.v3 rejects what the fast parser accepted: %v", err)
			}
			if d := sameTree(f.yamlNode(), slow, ""); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func FuzzFastParserAgreesWithYAMLv3(f *testing.F) {
	for _, tc := range fastParserCases {
		f.Add(tc.in)
	}
	f.Add(yamlbomb.Laughs)
	f.Fuzz(func(t *testing.T, in string) {
		f, err := parseFast([]byte(in))
		if err != nil {
			if !errors.Is(err, errSlow) {
				t.Fatalf("fast parser must only ever give up, got %v", err)
			}
			return
		}
		slow, err := slowNode([]byte(in))
		if err != nil {
			t.Fatalf("yaml.v3 rejects what the fast parser accepted: %v\n%s", err, in)
		}
		if d := sameTree(f.yamlNode(), slow, ""); d != "" {
			t.Fatalf("%s\ninput:\n%s", d, strings.ReplaceAll(in, " ", "·"))
		}
	})
}
