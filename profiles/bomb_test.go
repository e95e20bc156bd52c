package profiles

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshctl/meshctl/internal/yamlbomb"
	"github.com/meshctl/meshctl/kubeyaml"
)

// manifest generate -f, install -f and profile dump -f refuse an alias bomb at its line, before expanding it.
func TestAliasBombIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bomb.yaml")
	if err := os.WriteFile(path, []byte("# an IstioOperator?\n"+yamlbomb.Laughs), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(Input{Files: []string{path}, Charts: testCharts(t)})
	var e *kubeyaml.Error
	if !errors.Is(err, kubeyaml.ErrTooManyAliases) || !errors.As(err, &e) || e.Source != path || e.Line != 1+yamlbomb.LaughsLine {
		t.Fatalf("want %s:%d: too many alias expansions, got %v", path, 1+yamlbomb.LaughsLine, err)
	}
}
