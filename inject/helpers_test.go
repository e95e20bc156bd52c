package inject_test

import (
	"sync"
	"testing"

	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/profiles"
)

// rendered caches the injector inputs `manifest generate` renders for the default profile, per revision.
var rendered sync.Map

func inputsFor(t testing.TB, revision string) *render.InjectionInputs {
	t.Helper()
	if in, ok := rendered.Load(revision); ok {
		return in.(*render.InjectionInputs)
	}
	var sets []string
	if revision != "" {
		sets = []string{"revision=" + revision}
	}
	in, err := render.InjectionDefaults(profiles.Input{Charts: render.EmbeddedCharts(), DefaultTag: "1.0.0", Sets: sets})
	if err != nil {
		t.Fatalf("render the injection defaults: %v", err)
	}
	rendered.Store(revision, in)
	return in
}

func defaultInputs(t testing.TB) *render.InjectionInputs { return inputsFor(t, "") }

func defaultConfig(t testing.TB) *inject.Config {
	t.Helper()
	in := defaultInputs(t)
	c, err := inject.ParseConfig(in.Config, in.Values, in.Mesh)
	if err != nil {
		t.Fatalf("parse the default config: %v", err)
	}
	return c
}
