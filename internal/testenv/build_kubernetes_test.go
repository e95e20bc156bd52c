package testenv

import (
	"strings"
	"testing"
)

func TestKubernetesGoMod(t *testing.T) {
	upstream := goModFile{
		Go:      "1.24.0",
		Godebug: []modGodebug{{Key: "default", Value: "go1.24"}},
		Replace: []modReplace{
			{Old: modVersion{Path: "k8s.io/api"}, New: modVersion{Path: "./staging/src/k8s.io/api"}},
			{Old: modVersion{Path: "k8s.io/client-go"}, New: modVersion{Path: "./staging/src/k8s.io/client-go"}},
			// Not a staging module: must not be copied.
			{Old: modVersion{Path: "github.com/example/fork"}, New: modVersion{Path: "github.com/example/fork2", Version: "v1.0.0"}},
		},
	}

	got, err := kubernetesGoMod(upstream, "v1.33.13")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"module meshctl-testenv-kubernetes\n",
		"go 1.24.0\n",
		"godebug default=go1.24\n",
		"require k8s.io/kubernetes v1.33.13\n",
		"\tk8s.io/api => k8s.io/api v0.33.13\n",
		"\tk8s.io/client-go => k8s.io/client-go v0.33.13\n",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("go.mod lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(string(got), "example") {
		t.Errorf("go.mod copies a replace that is not a staging module:\n%s", got)
	}

	upstream.Replace = upstream.Replace[2:]
	if _, err := kubernetesGoMod(upstream, "v1.33.13"); err == nil {
		t.Error("a go.mod without staging replaces should be an error: the layout changed")
	}
}

func TestVersionLDFlags(t *testing.T) {
	got := versionLDFlags("v1.37.1", 37)
	for _, want := range []string{
		"-X k8s.io/component-base/version.gitVersion=v1.37.1",
		"-X k8s.io/client-go/pkg/version.gitVersion=v1.37.1",
		"-X k8s.io/component-base/version.gitMinor=37",
		"-X k8s.io/component-base/version.gitMajor=1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ldflags lack %q: %s", want, got)
		}
	}
}
