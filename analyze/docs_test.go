package analyze_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/internal/golden"
)

const docsDir = "../docs/analysis"

// codePage renders docs/analysis/<code>.md from the code table, so that the text users are sent to by
// each finding's documentation URL never drifts from the code.
func codePage(c analyze.Code) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s: %s\n\n", c.ID, c.Name)
	fmt.Fprintf(&b, "<!-- Generated from analyze/codetable.go by `go test ./analyze -run TestDocsPages -update`. -->\n\n")
	fmt.Fprintf(&b, "Level: **%s**", c.Level)
	if strings.HasPrefix(c.ID, "IST") {
		fmt.Fprintf(&b, " · Istio code: same meaning as in `istioctl analyze`")
	} else {
		fmt.Fprintf(&b, " · meshctl code: Istio has no equivalent")
	}
	fmt.Fprintf(&b, "\n\n## What it means\n\n%s\n\n## Example\n\n", c.Description)
	if c.Input != "" {
		fmt.Fprintf(&b, "Input:\n\n```yaml\n%s\n```\n\n", c.Input)
	}
	fmt.Fprintf(&b, "Finding:\n\n```\n%s [%s] (Kind namespace/name file.yaml:LINE) %s\n```\n\n", c.Level, c.ID, c.Example)
	fmt.Fprintf(&b, "## How to fix it\n\n%s\n\n", c.Fix)
	fmt.Fprintf(&b, "To accept this finding instead: `--suppress \"%s=Kind name.namespace\"`, the annotation\n`galley.istio.io/analyze-suppress: %s` on the resource, or a baseline file (see [analyze](../analyze.md)).\n", c.ID, c.ID)
	return b.Bytes()
}

func codeIndex() []byte {
	var b bytes.Buffer
	b.WriteString("# Analysis codes\n\n<!-- Generated from analyze/codetable.go by `go test ./analyze -run TestDocsPages -update`. -->\n\n")
	b.WriteString("IST codes mean what they mean in Istio; MSH codes are meshctl's own (MSH1001-MSH1099: input, MSH1100-MSH1199: configuration).\n\n")
	b.WriteString("| Code | Name | Level | Meaning |\n| --- | --- | --- | --- |\n")
	for _, c := range analyze.Codes() {
		fmt.Fprintf(&b, "| [%s](%s.md) | %s | %s | %s |\n", c.ID, c.ID, c.Name, c.Level, strings.ReplaceAll(c.Description, "|", "\\|"))
	}
	return b.Bytes()
}

func TestDocsPages(t *testing.T) {
	want := map[string][]byte{"README.md": codeIndex()}
	for _, c := range analyze.Codes() {
		if c.Description == "" || c.Example == "" || c.Fix == "" {
			t.Errorf("%s: description, example and fix are needed for its page", c.ID)
		}
		want[c.ID+".md"] = codePage(c)
	}
	if golden.Updating() {
		if err := os.MkdirAll(docsDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range want {
			if err := os.WriteFile(filepath.Join(docsDir, name), content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, content := range want {
		got, err := os.ReadFile(filepath.Join(docsDir, name))
		if err != nil {
			t.Errorf("%s: %v (run go test ./analyze -run TestDocsPages -update)", name, err)
			continue
		}
		if !bytes.Equal(got, content) {
			t.Errorf("%s is out of date: run go test ./analyze -run TestDocsPages -update", name)
		}
	}
}
