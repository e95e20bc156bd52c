package render

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/meshctl/meshctl/internal/yamlbomb"
	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/profiles"
)

// headerCases are documents as a chart from --manifests DIR may write them; each has the same header.
var headerCases = []struct {
	name, doc string
	scanned   bool // the scan reads it; otherwise it must decline and the decode reads it
}{
	{"bundled shape", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: ns\n  labels:\n    name: not-this\ndata:\n  a: b\n", true},
	{"quoted values and comments", "# c\napiVersion: \"v1\" # c\nkind: 'ConfigMap'\nmetadata: # c\n  # name: no\n  name: cm\n  namespace: \"ns\"\n", true},
	{"four-space indentation", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: cm\n    namespace: ns\n", false},
	{"flow metadata", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: ns}\n", false},
	{"flow document", "{apiVersion: v1, kind: ConfigMap, metadata: {name: cm, namespace: ns}}\n", false},
	{"quoted keys", "\"apiVersion\": v1\n'kind': ConfigMap\nmetadata:\n  \"name\": cm\n  'namespace': ns\n", false},
	{"quoted namespace key only", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  \"namespace\": ns\n", false},
	{"escaped name", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"c\\x6d\"\n  namespace: ns\n", false},
	{"multi-line kind", "apiVersion: v1\nkind: \"Config\\\n  Map\"\nmetadata:\n  name: cm\n  namespace: ns\n", false},
	{"multi-line plain namespace", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace:\n    ns\n", false},
	{"folded name", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: >-\n    cm\n  namespace: ns\n", false},
	{"name on the next line", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name:\n    cm\n  namespace: ns\n", false},
	{"anchors and aliases", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: &n cm\n  namespace: ns\n  labels: {app: *n}\n", false},
	{"tagged", "apiVersion: !!str v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: ns\n", false},
	{"metadata first", "metadata:\n  name: cm\n  namespace: ns\nkind: ConfigMap\napiVersion: v1\n", true},
}

func TestReadHeaderFallsBackToDecoding(t *testing.T) {
	want := header{apiVersion: "v1", kind: "ConfigMap", name: "cm", namespace: "ns"}
	for _, tc := range headerCases {
		t.Run(tc.name, func(t *testing.T) {
			doc := &kubeyaml.Document{Source: "t.yaml", Line: 1, Raw: []byte(tc.doc)}
			if h, ok := scanHeader(doc.Raw); ok != tc.scanned || ok && h != want {
				t.Errorf("scanHeader = %+v, %v; want ok=%v", h, ok, tc.scanned)
			}
			h, err := readHeader(doc)
			if err != nil || h != want {
				t.Fatalf("readHeader = %+v, %v; want %+v", h, err, want)
			}
		})
	}
}

// Every document the bundled charts render takes the scan (a decode of each CRD would cost what the scan
// saves) and the scan reads what a decode reads.
func TestBundledChartsTakeTheScan(t *testing.T) {
	for _, p := range profiles.Names() {
		for _, o := range generate(t, p, goldenSets[p]...).Objects() {
			doc := &kubeyaml.Document{Source: o.Key(), Line: 1, Raw: o.YAML}
			h, ok := scanHeader(o.YAML)
			if !ok {
				t.Errorf("%s: %s: the header scan declines a bundled chart's document", p, o.Key())
				continue
			}
			if d, err := decodeHeader(doc); err != nil || d != h {
				t.Errorf("%s: %s: scan %+v, decode %+v (%v)", p, o.Key(), h, d, err)
			}
		}
	}
}

// chartsWith is the bundled chart tree with files added or replaced, as a --manifests DIR.
func chartsWith(t *testing.T, files map[string]string) fs.FS {
	t.Helper()
	tree := fstest.MapFS{}
	err := fs.WalkDir(EmbeddedCharts(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(EmbeddedCharts(), p)
		tree[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		tree[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return tree
}

func generateWith(t *testing.T, charts fs.FS) (*Manifest, error) {
	t.Helper()
	r, err := profiles.Resolve(profiles.Input{Profile: "minimal", Charts: EmbeddedCharts(), DefaultTag: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	return Generate(r.Operator, Options{Charts: charts})
}

func TestManifestsDirWithOtherYAMLStyles(t *testing.T) {
	var b strings.Builder
	for _, tc := range headerCases {
		b.WriteString("---\n" + strings.ReplaceAll(tc.doc, "cm", "cm-"+strings.ReplaceAll(tc.name, " ", "-")) + "\n")
	}
	m, err := generateWith(t, chartsWith(t, map[string]string{"base/templates/styles.yaml": b.String()}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range headerCases {
		if tc.name == "escaped name" {
			continue // "c\x6d" is no "cm" to rename
		}
		name := "cm-" + strings.ReplaceAll(tc.name, " ", "-")
		if m.Find("ConfigMap", "ns", name) == nil {
			t.Errorf("%s: ConfigMap ns/%s not rendered", tc.name, name)
		}
	}
}

func TestManifestsDirAliasBombsAreRefused(t *testing.T) {
	bomb := yamlbomb.Laughs
	for _, tc := range []struct {
		file, text, at string
	}{
		{"base/values.yaml", "# values\n" + bomb, fmt.Sprintf("base/values.yaml:%d: too many alias expansions", 1+yamlbomb.LaughsLine)},
		{"base/templates/bomb.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n" + strings.ReplaceAll("  "+strings.TrimSuffix(bomb, "\n"), "\n", "\n  ") + "\n",
			fmt.Sprintf("base/templates/bomb.yaml:%d: too many alias expansions", 5+yamlbomb.LaughsLine)},
	} {
		_, err := generateWith(t, chartsWith(t, map[string]string{tc.file: tc.text}))
		var ke *kubeyaml.Error
		if !errors.Is(err, kubeyaml.ErrTooManyAliases) || !errors.As(err, &ke) || !strings.Contains(err.Error(), tc.at) {
			t.Errorf("%s: want an error containing %q, got %v", tc.file, tc.at, err)
		}
	}
}

// FuzzScanHeader holds the header scan to a full decode: whenever it reads a header of a document that
// decodes, the decode reads the same one; it never reads one of a document the alias guard refuses.
func FuzzScanHeader(f *testing.F) {
	for _, tc := range headerCases {
		f.Add(tc.doc)
	}
	f.Add("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n" + yamlbomb.Laughs)
	f.Fuzz(func(t *testing.T, in string) {
		h, ok := scanHeader([]byte(in))
		if !ok {
			return
		}
		d, err := decodeHeader(&kubeyaml.Document{Source: "fuzz.yaml", Line: 1, Raw: []byte(in)})
		switch {
		case errors.Is(err, kubeyaml.ErrTooManyAliases):
			t.Fatalf("the scan read past an alias bomb (%v)\ninput:\n%s", err, in)
		case err != nil:
			return // not YAML: the scan vouches for the header only, and the API server refuses the rest
		case d != h:
			t.Fatalf("scan %+v, decode %+v\ninput:\n%s", h, d, in)
		}
	})
}
