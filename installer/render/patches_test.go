package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/profiles"
)

func generateFile(t *testing.T, operator string, sets ...string) (*Manifest, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "op.yaml")
	if err := os.WriteFile(path, []byte(operator), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := profiles.Resolve(profiles.Input{Files: []string{path}, Sets: sets, Charts: EmbeddedCharts()})
	if err != nil {
		t.Fatal(err)
	}
	return Generate(r.Operator, Options{})
}

func field(t *testing.T, o *Object, path ...string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(o.YAML, &v); err != nil {
		t.Fatal(err)
	}
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			found := false
			for _, e := range c {
				if m, ok := e.(map[string]any); ok && m["name"] == p {
					v, found = e, true
					break
				}
			}
			if !found {
				return nil
			}
		default:
			return nil
		}
	}
	return v
}

func TestK8sSettings(t *testing.T) {
	m, err := generateFile(t, `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  components:
    pilot:
      k8s:
        replicaCount: 3
        hpaSpec:
          minReplicas: 2
          maxReplicas: 9
        resources:
          requests: {cpu: 250m, memory: 1Gi}
        env:
        - name: EXTRA
          value: "1"
        nodeSelector: {disk: ssd}
        podAnnotations: {team: mesh}
        strategy:
          rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
        priorityClassName: system-cluster-critical
        volumes:
        - name: extra
          emptyDir: {}
        volumeMounts:
        - name: extra
          mountPath: /extra
    ingressGateways:
    - name: istio-ingressgateway
      enabled: true
      label: {team: edge}
      k8s:
        serviceAnnotations: {service.beta.kubernetes.io/aws-load-balancer-type: nlb}
        service:
          type: NodePort
`)
	if err != nil {
		t.Fatal(err)
	}
	istiod := m.Find("Deployment", "istio-system", "istiod")
	hpa := m.Find("HorizontalPodAutoscaler", "istio-system", "istiod")
	svc := m.Find("Service", "istio-system", "istio-ingressgateway")
	gw := m.Find("Deployment", "istio-system", "istio-ingressgateway")
	if istiod == nil || hpa == nil || svc == nil || gw == nil {
		t.Fatal("objects missing")
	}
	checks := []struct {
		o    *Object
		path []string
		want any
	}{
		{hpa, []string{"spec", "minReplicas"}, float64(2)},
		{hpa, []string{"spec", "maxReplicas"}, float64(9)},
		{istiod, []string{"spec", "template", "spec", "containers", "discovery", "resources", "requests", "cpu"}, "250m"},
		{istiod, []string{"spec", "template", "spec", "containers", "discovery", "env", "EXTRA", "value"}, "1"},
		{istiod, []string{"spec", "template", "spec", "nodeSelector", "disk"}, "ssd"},
		{istiod, []string{"spec", "template", "metadata", "annotations", "team"}, "mesh"},
		{istiod, []string{"spec", "strategy", "rollingUpdate", "maxUnavailable"}, float64(0)},
		{istiod, []string{"spec", "template", "spec", "priorityClassName"}, "system-cluster-critical"},
		{istiod, []string{"spec", "template", "spec", "volumes", "extra", "name"}, "extra"},
		{istiod, []string{"spec", "template", "spec", "volumes", "config-volume", "name"}, "config-volume"},
		{istiod, []string{"spec", "template", "spec", "containers", "discovery", "volumeMounts", "extra", "mountPath"}, "/extra"},
		{svc, []string{"metadata", "annotations", "service.beta.kubernetes.io/aws-load-balancer-type"}, "nlb"},
		{svc, []string{"spec", "type"}, "NodePort"},
		{gw, []string{"spec", "template", "metadata", "labels", "team"}, "edge"},
	}
	for _, c := range checks {
		if got := field(t, c.o, c.path...); got != c.want {
			t.Errorf("%s %s = %#v, want %#v", c.o.Key(), strings.Join(c.path, "."), got, c.want)
		}
	}
}

func TestOverlays(t *testing.T) {
	m, err := generateFile(t, `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  components:
    pilot:
      k8s:
        overlays:
        - kind: Deployment
          name: istiod
          patches:
          - path: spec.template.spec.containers.[name:discovery].args[1]
            value: --monitoringAddr=:9999
          - path: spec.template.metadata.annotations.added
            value: "yes"
          - path: spec.template.spec.newField.deeper
            value: 1
          - path: spec.revisionHistoryLimit
            value: 2
        - kind: Service
          name: istiod
          patches:
          - path: metadata.labels.app
`)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Find("Deployment", "istio-system", "istiod")
	args, _ := field(t, d, "spec", "template", "spec", "containers", "discovery", "args").([]any)
	if len(args) < 2 || args[1] != "--monitoringAddr=:9999" {
		t.Errorf("args = %v", args)
	}
	if got := field(t, d, "spec", "template", "metadata", "annotations", "added"); got != "yes" {
		t.Errorf("annotation = %v", got)
	}
	if got := field(t, d, "spec", "revisionHistoryLimit"); got != float64(2) {
		t.Errorf("revisionHistoryLimit = %v", got)
	}
	if got := field(t, m.Find("Service", "istio-system", "istiod"), "metadata", "labels", "app"); got != nil {
		t.Errorf("label app not removed: %v", got)
	}
	// Untouched objects keep the chart's bytes.
	plain := generate(t, "default")
	if string(m.Find("ConfigMap", "istio-system", "istio").YAML) != string(plain.Find("ConfigMap", "istio-system", "istio").YAML) {
		t.Error("an object no overlay names was rewritten")
	}
}

func TestOverlayErrors(t *testing.T) {
	for _, tc := range []struct{ overlay, want string }{
		{"- kind: Deployment\n          name: nosuch\n          patches: [{path: spec.replicas, value: 1}]", `no Deployment named "nosuch"`},
		{"- kind: Deployment\n          name: istiod\n          patches: [{path: \"spec.template.spec.containers.[name:nosuch].image\", value: x}]", `no element with name "nosuch"`},
		{"- kind: Deployment\n          name: istiod\n          patches: [{path: \"spec.template.spec.containers[7].image\", value: x}]", "out of range"},
		{"- kind: Deployment\n          name: istiod\n          patches: [{path: spec.nosuch}]", "nothing to remove"},
	} {
		_, err := generateFile(t, "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n    pilot:\n      k8s:\n        overlays:\n        "+tc.overlay+"\n")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("overlay %q: error %v, want %q", tc.overlay, err, tc.want)
		}
	}
}

func TestHPAErrors(t *testing.T) {
	_, err := generateFile(t, "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  components:\n    pilot:\n      k8s:\n        hpaSpec:\n          maxReplicas: 3\n          metrics:\n          - type: Resource\n            resource: {name: memory, target: {type: Utilization, averageUtilization: 50}}\n")
	if err == nil || !strings.Contains(err.Error(), "only a CPU utilization target") {
		t.Errorf("want an HPA error, got %v", err)
	}
}
