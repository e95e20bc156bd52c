package render

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/golden"
	"github.com/meshctl/meshctl/profiles"
)

// goldenSets are the --set flags each profile's golden manifest is rendered with; remote needs the address
// of the external control plane.
var goldenSets = map[string][]string{
	"remote": {"values.global.remotePilotAddress=10.10.10.10"},
}

func generate(t testing.TB, profile string, sets ...string) *Manifest {
	t.Helper()
	r, err := profiles.Resolve(profiles.Input{Profile: profile, Sets: sets, Charts: EmbeddedCharts(), DefaultTag: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Generate(r.Operator, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// crdSpec matches the body of a generated CRD; the golden files leave it out because crdgen's own test
// checks it, and seven copies of 450 KB would bury every other change.
var crdSpec = regexp.MustCompile(`(?s)(kind: CustomResourceDefinition\n.*?)\nspec:\n.*?(\n---\n|$)`)

func TestGoldenManifests(t *testing.T) {
	for _, p := range profiles.Names() {
		t.Run(p, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteYAML(&buf, generate(t, p, goldenSets[p]...).Objects()); err != nil {
				t.Fatal(err)
			}
			got := crdSpec.ReplaceAllString(buf.String(), "$1\nspec: {} # elided: see manifests/charts/base/templates/crds.gen.yaml$2")
			golden.Check(t, filepath.Join("testdata", "manifests", p+".yaml"), []byte(got))
		})
	}
}

func TestGenerateIsByteIdentical(t *testing.T) {
	var a, b bytes.Buffer
	if err := WriteYAML(&a, generate(t, "demo").Objects()); err != nil {
		t.Fatal(err)
	}
	if err := WriteYAML(&b, generate(t, "demo").Objects()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two renders of the demo profile differ")
	}
}

func TestInstallOrderAndOwnerLabels(t *testing.T) {
	objs := generate(t, "demo").Objects()
	last := PhaseCRDs
	for _, o := range objs {
		ph := PhaseOf(o.Kind)
		if ph < last {
			t.Errorf("%s (%s) comes after an object of phase %s", o.Key(), ph, last)
		}
		last = ph
		var obj struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(o.YAML, &obj); err != nil {
			t.Fatalf("%s: %v", o.Key(), err)
		}
		for k, want := range map[string]string{
			"install.operator.istio.io/owning-resource": "installed-state",
			"operator.istio.io/component":               o.Component,
			"istio.io/rev":                              "default",
			"app.kubernetes.io/part-of":                 "meshctl",
		} {
			if got := obj.Metadata.Labels[k]; got != want {
				t.Errorf("%s: label %s = %q, want %q", o.Key(), k, got, want)
			}
		}
	}
	if objs[0].Kind != "CustomResourceDefinition" || objs[len(objs)-1].Kind == "CustomResourceDefinition" {
		t.Error("CRDs must come first")
	}
}

func TestProfilesSelectComponents(t *testing.T) {
	count := func(m *Manifest) map[string]int {
		c := map[string]int{}
		for _, o := range m.Objects() {
			c[o.Kind+"/"+o.Name]++
		}
		return c
	}
	tests := []struct {
		profile string
		present []string
		absent  []string
	}{
		{"default", []string{"Deployment/istiod", "Deployment/istio-ingressgateway", "Service/istio-ingressgateway", "Namespace/istio-system"}, []string{"Deployment/istio-egressgateway", "DaemonSet/ztunnel"}},
		{"demo", []string{"Deployment/istiod", "Deployment/istio-ingressgateway", "Deployment/istio-egressgateway"}, []string{"HorizontalPodAutoscaler/istiod"}},
		{"minimal", []string{"Deployment/istiod"}, []string{"Deployment/istio-ingressgateway"}},
		{"ambient", []string{"Deployment/istiod", "DaemonSet/istio-cni-node", "DaemonSet/ztunnel"}, []string{"Deployment/istio-ingressgateway"}},
		{"openshift", []string{"DaemonSet/istio-cni-node", "Deployment/istio-ingressgateway"}, nil},
	}
	for _, tc := range tests {
		c := count(generate(t, tc.profile))
		for _, p := range tc.present {
			if c[p] == 0 {
				t.Errorf("profile %s: %s missing", tc.profile, p)
			}
		}
		for _, a := range tc.absent {
			if c[a] > 0 {
				t.Errorf("profile %s: %s should not be rendered", tc.profile, a)
			}
		}
	}
	if len(generate(t, "empty").Objects()) != 0 {
		t.Error("the empty profile renders objects")
	}
}

func TestRevisionAndComponentFilter(t *testing.T) {
	r, err := profiles.Resolve(profiles.Input{Sets: []string{"revision=canary"}, Charts: EmbeddedCharts()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Generate(r.Operator, Options{Components: []string{"pilot"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Components) != 1 || m.Find("Deployment", "istio-system", "istiod-canary") == nil {
		t.Fatalf("want only pilot with Deployment istiod-canary, got %d components", len(m.Components))
	}
	if !strings.Contains(string(m.Find("Deployment", "istio-system", "istiod-canary").YAML), "istio.io/rev: canary") {
		t.Error("revision label missing")
	}
	if _, err := Generate(r.Operator, Options{Components: []string{"pilott"}}); err == nil || !strings.Contains(err.Error(), "unknown component") {
		t.Errorf("want unknown component error, got %v", err)
	}
}

// TestOwnerLabelFollowsRevisionOnly: an IstioOperator file's metadata.name must not change the owner label,
// or uninstall --revision and prune would miss what that file installed.
func TestOwnerLabelFollowsRevisionOnly(t *testing.T) {
	m, err := generateFile(t, "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata:\n  name: example-istiocontrolplane\nspec:\n  revision: canary\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range m.Objects() {
		if !strings.Contains(string(o.YAML), "install.operator.istio.io/owning-resource: \"installed-state-canary\"") &&
			!strings.Contains(string(o.YAML), "install.operator.istio.io/owning-resource: installed-state-canary") {
			t.Errorf("%s: owner label is not installed-state-canary", o.Key())
		}
	}
}
