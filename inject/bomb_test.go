package inject_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/internal/yamlbomb"
	"github.com/meshctl/meshctl/kubeyaml"
)

// kube-inject's input and its configuration files (--injectConfigFile, --valuesFile, --meshConfigFile) refuse
// an alias bomb at its line, before expanding it.
func TestAliasBombIsRefused(t *testing.T) {
	in := defaultInputs(t)
	c := defaultConfig(t)
	var out bytes.Buffer
	err := inject.NewStream(c, &out, inject.StreamOptions{}).Inject(context.Background(),
		kubeyaml.NewReader(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"+yamlbomb.Laughs), "bomb.yaml"))
	wantAliasError(t, err, "bomb.yaml", 4+yamlbomb.LaughsLine)

	_, err = inject.Load(inject.Source{Name: "config.yaml", Text: in.Config, Line: 1},
		inject.Source{Name: "values.yaml", Text: yamlbomb.Laughs, Line: 1}, inject.Source{Name: "mesh.yaml", Text: in.Mesh, Line: 1})
	wantAliasError(t, err, "values.yaml", yamlbomb.LaughsLine)
}

func wantAliasError(t *testing.T, err error, source string, line int) {
	t.Helper()
	var e *kubeyaml.Error
	if !errors.Is(err, kubeyaml.ErrTooManyAliases) || !errors.As(err, &e) || e.Source != source || e.Line != line {
		t.Fatalf("want %s:%d: too many alias expansions, got %v", source, line, err)
	}
}
