package profiles

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/manifests"
)

func TestResolveSetTypesValuesByField(t *testing.T) {
	charts := testCharts(t)
	tests := []struct {
		set  string
		path string
		want any
	}{
		{"profile=demo", "spec.profile", "demo"},
		{"components.ingressGateways[0].enabled=false", "spec.components.ingressGateways[0].enabled", false},
		{"values.global.proxy.resources.requests.cpu=10m", "spec.values.global.proxy.resources.requests.cpu", "10m"},
		{"tag=1.20", "spec.tag", "1.20"},
		{"values.global.tag=1.20", "spec.values.global.tag", "1.20"},
		{"spec.hub=registry.example.com/mesh", "spec.hub", "registry.example.com/mesh"},
		{"values.pilot.autoscaleMax=7", "spec.values.pilot.autoscaleMax", int64(7)},
		{"values.pilot.cni.enabled=true", "spec.values.pilot.cni.enabled", true},
		{"meshConfig.enableTracing=true", "spec.meshConfig.enableTracing", true},
		{"meshConfig.trustDomainAliases[0]=true", "spec.meshConfig.trustDomainAliases[0]", "true"},
		{"meshConfig.defaultConfig.proxyMetadata.X=1", "spec.meshConfig.defaultConfig.proxyMetadata.X", "1"},
		{"meshConfig.defaultConfig.drainDuration=45s", "spec.meshConfig.defaultConfig.drainDuration", "45s"},
		{"meshConfig.defaultConfig.concurrency=2", "spec.meshConfig.defaultConfig.concurrency", int64(2)},
		{"components.pilot.k8s.replicaCount=3", "spec.components.pilot.k8s.replicaCount", int64(3)},
		{`values.gateways.istio-ingressgateway.serviceAnnotations.service\.beta\.kubernetes\.io/aws-load-balancer-type=nlb`,
			`spec.values.gateways.istio-ingressgateway.serviceAnnotations.service\.beta\.kubernetes\.io/aws-load-balancer-type`, "nlb"},
		{"values.pilot.env.PILOT_X=true", "spec.values.pilot.env.PILOT_X", "true"},
		{"components.egressGateways[1].name=second", "spec.components.egressGateways[1].name", "second"},
	}
	for _, tc := range tests {
		t.Run(tc.set, func(t *testing.T) {
			r, err := Resolve(Input{Sets: []string{tc.set}, Charts: charts})
			if err != nil {
				t.Fatal(err)
			}
			got, err := Subtree(r.Tree, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s = %#v, want %#v", tc.path, got, tc.want)
			}
		})
	}
}

func TestResolveRejectsBadSets(t *testing.T) {
	charts := testCharts(t)
	tests := []struct {
		set, want string
	}{
		{"componentz.pilot.enabled=false", `unknown field "componentz" (did you mean spec.components?)`},
		{"components.pilot.enabled=yes", "want true or false"},
		{"values.global.hubb=x", `did you mean spec.values.global.hub?`},
		{"values.pilot.autoscaleEnabled=maybe", "want true or false"},
		// meshConfig is checked by meshapi/validation's decoder, which meshd reads it with.
		{"meshConfig.accessLogEncoding=XML", `spec.meshConfig.accessLogEncoding: unknown value "XML": want one of TEXT, JSON`},
		{"meshConfig.defaultConfig.drainDuration=forever", `spec.meshConfig.defaultConfig.drainDuration: invalid duration "forever"`},
		{"meshConfig.defaultConfig.concurrency=3000000000", `spec.meshConfig.defaultConfig.concurrency: 3000000000 is out of range`},
		{"components.pilot.k8s.replicaCount=two", "want an integer"},
		{"components.ingressGateways[5].enabled=true", "would leave a gap"},
		{"novalue", "want path=value"},
		{"profile=nosuch", `unknown profile "nosuch"`},
		{"profile=dem", `did you mean "demo"`},
	}
	for _, tc := range tests {
		t.Run(tc.set, func(t *testing.T) {
			_, err := Resolve(Input{Sets: []string{tc.set}, Charts: charts})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			var bad interface{ InvalidInput() bool }
			if !errors.As(err, &bad) {
				t.Errorf("error %T is not marked as invalid input", err)
			}
		})
	}
}

func TestResolveFileErrorsNameFileLineAndField(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "op.yaml")
	writeFile(t, path, `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  componentz:
    pilot: {}
  components:
    pilot:
      k8s:
        replicaCount: two
  values:
    pilot:
      autoscaleEnabeld: false
`)
	_, err := Resolve(Input{Files: []string{path}, Charts: testCharts(t)})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{
		path + `:4: spec.componentz: unknown field "componentz" (did you mean spec.components?)`,
		path + `:9: spec.components.pilot.k8s.replicaCount: want an integer, got the string "two"`,
		path + `:12: spec.values.pilot.autoscaleEnabeld: unknown field "autoscaleEnabeld" (did you mean spec.values.pilot.autoscaleEnabled?)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// Errors come in line order.
	if strings.Index(err.Error(), ":4:") > strings.Index(err.Error(), ":9:") {
		t.Errorf("errors not in line order:\n%v", err)
	}
}

// TestResolveProtobufValuesUseTheMeshDecoder: meshConfig and values.global.meshNetworks are read by
// meshapi/validation's decoder, as meshd reads them, with the profiles' file:line: field: message format.
func TestResolveProtobufValuesUseTheMeshDecoder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "op.yaml")
	writeFile(t, path, `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  meshConfig:
    accessLogFle: /dev/stdout
    defaultConfig:
      drainDuration: 45 seconds
      proxyMetadata:
        DNS_CAPTURE: true
  values:
    global:
      meshNetworks:
        net1:
          endpoints: [{fromRegistry: a, fromCidr: 10.0.0.0/8}]
          gateways: [{address: 1.2.3.4, port: http}]
`)
	_, err := Resolve(Input{Files: []string{path}, Charts: testCharts(t)})
	if err == nil {
		t.Fatal("want an error")
	}
	want := []string{
		path + `:5: spec.meshConfig.accessLogFle: unknown field "accessLogFle" (did you mean "accessLogFile"?)`,
		path + `:7: spec.meshConfig.defaultConfig.drainDuration: invalid duration "45 seconds"`,
		path + `:9: spec.meshConfig.defaultConfig.proxyMetadata["DNS_CAPTURE"]: want a string, got the boolean true`,
		path + `:14: spec.values.global.meshNetworks["net1"].endpoints[0].fromRegistry: only one of fromCidr, fromRegistry may be set, and fromCidr is too`,
		path + `:15: spec.values.global.meshNetworks["net1"].gateways[0].port: want an integer, got "http"`,
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestResolveOrderFilesThenSets(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	writeFile(t, a, "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n  hub: a.example\n  tag: \"1\"\n")
	writeFile(t, b, "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  hub: b.example\n  components:\n    ingressGateways:\n    - name: istio-ingressgateway\n      label: {extra: x}\n    - name: second\n      enabled: true\n")
	r, err := Resolve(Input{Files: []string{a, b}, Sets: []string{"tag=2"}, Charts: testCharts(t), DefaultTag: "9"})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Operator.Spec
	if s.Profile != "demo" || s.Hub != "b.example" || s.Tag != "2" {
		t.Errorf("profile, hub, tag = %q, %q, %q; want demo, b.example, 2", s.Profile, s.Hub, s.Tag)
	}
	gws := s.Components.IngressGateways
	if len(gws) != 2 || gws[0].Name != "istio-ingressgateway" || gws[0].Label["extra"] != "x" || gws[0].Enabled == nil || !*gws[0].Enabled || gws[1].Name != "second" {
		t.Errorf("gateways did not merge by name: %+v", gws)
	}
	// demo's egress gateway survives a file that does not mention it.
	if len(s.Components.EgressGateways) != 1 || !*s.Components.EgressGateways[0].Enabled {
		t.Errorf("egress gateway of the demo profile lost: %+v", s.Components.EgressGateways)
	}
}

func TestResolveDefaultTag(t *testing.T) {
	r, err := Resolve(Input{DefaultTag: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Operator.Spec.Tag != "1.2.3" || r.Operator.Spec.Profile != "default" {
		t.Errorf("tag %q profile %q", r.Operator.Spec.Tag, r.Operator.Spec.Profile)
	}
}

func TestEveryBuiltinProfileIsValid(t *testing.T) {
	schema := newSchema(testCharts(t))
	for _, p := range Names() {
		b, err := overlay(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseOperatorDocs(b, p+".yaml", schema); err != nil {
			t.Errorf("profile %s: %v", p, err)
		}
	}
}

func TestSetFlagsRoundTrip(t *testing.T) {
	charts := testCharts(t)
	for _, p := range Names() {
		r, err := Resolve(Input{Profile: p, Charts: charts})
		if err != nil {
			t.Fatal(err)
		}
		flags := SetFlags(r.Tree["spec"], "")
		again, err := Resolve(Input{Profile: "empty", Sets: flags, Charts: charts})
		if err != nil {
			t.Fatalf("profile %s: its own flags do not resolve: %v", p, err)
		}
		for _, f := range flags {
			path, _, _ := strings.Cut(f, "=")
			want, _ := Subtree(r.Tree, "spec."+path)
			got, err := Subtree(again.Tree, "spec."+path)
			if err != nil || got != want {
				t.Errorf("profile %s: %s round-trips to %#v, want %#v", p, f, got, want)
			}
		}
	}
}

func testCharts(t testing.TB) fs.FS {
	sub, err := fs.Sub(manifests.FS, "charts")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
