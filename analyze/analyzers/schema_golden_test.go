package analyzers

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/internal/golden"
)

// TestSchemaGolden pins the schema analyzer's findings (code, line, field and message) for inputs that
// break every rule it knows: testdata/schema/NAME.yaml gives testdata/schema/NAME.golden.
func TestSchemaGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/schema/*.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	sel, err := Select([]string{"schema"})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			res, err := analyze.Run(context.Background(), analyze.Options{Paths: []string{in}, Namespace: "default", RootNamespace: "istio-system", Analyzers: sel})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			for _, f := range res.Findings {
				fmt.Fprintf(&b, "%d %s %s/%s %s: %s\n", f.Origin.Line, f.Code, f.Resource.Kind, f.Resource.Name, f.Field, f.Message)
			}
			golden.Check(t, strings.TrimSuffix(in, ".yaml")+".golden", b.Bytes())
		})
	}
}
