package analyze_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/analyze/analyzers"
	"github.com/meshctl/meshctl/analyze/suppress"
	"github.com/meshctl/meshctl/internal/yamlbomb"
	"github.com/meshctl/meshctl/kubeyaml"
)

// analyze reports an alias bomb as unreadable input at its line, before expanding it, and reads the rest.
func TestAliasBombIsRefused(t *testing.T) {
	in := "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n" + yamlbomb.Laughs
	res, err := analyze.Run(context.Background(), analyze.Options{Paths: []string{"-"}, Stdin: strings.NewReader(in),
		Namespace: "default", RootNamespace: "istio-system", Analyzers: analyzers.All()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.InputErrors) != 1 || res.Objects != 1 {
		t.Fatalf("input errors %v, %d objects: want the bomb refused and the namespace read", res.InputErrors, res.Objects)
	}
	wantAliasError(t, res.InputErrors[0], "-", 4+yamlbomb.LaughsLine)

	_, err = suppress.Read(strings.NewReader(yamlbomb.Laughs), "baseline.yaml")
	wantAliasError(t, err, "baseline.yaml", yamlbomb.LaughsLine)
}

func wantAliasError(t *testing.T, err error, source string, line int) {
	t.Helper()
	var e *kubeyaml.Error
	if !errors.Is(err, kubeyaml.ErrTooManyAliases) || !errors.As(err, &e) || e.Source != source || e.Line != line {
		t.Fatalf("want %s:%d: too many alias expansions, got %v", source, line, err)
	}
}
