package meshapi_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/profiles"
)

// TestChartsKeepTheContract: the charts (YAML, which keeps its literals) render the control plane under
// meshapi's names and ports, and the injection template gives the proxy meshapi's container name, ports and
// user. A name changed on one side only fails here.
func TestChartsKeepTheContract(t *testing.T) {
	for _, rev := range []string{"", "canary"} {
		t.Run("revision "+rev, func(t *testing.T) {
			var sets []string
			if rev != "" {
				sets = []string{"revision=" + rev}
			}
			in := profiles.Input{Charts: render.EmbeddedCharts(), DefaultTag: "1.0.0", Sets: sets}
			resolved, err := profiles.Resolve(in)
			if err != nil {
				t.Fatal(err)
			}
			m, err := render.Generate(resolved.Operator, render.Options{Charts: in.Charts, Components: []string{"pilot"}})
			if err != nil {
				t.Fatal(err)
			}
			ns := meshapi.DefaultNamespace
			get := func(kind, namespace, name string) map[string]any {
				t.Helper()
				o := m.Find(kind, namespace, name)
				if o == nil {
					t.Fatalf("the chart renders no %s %s/%s", kind, namespace, name)
				}
				var v map[string]any
				if err := yaml.Unmarshal(o.YAML, &v); err != nil {
					t.Fatal(err)
				}
				return v
			}
			istiod := meshapi.Revisioned(meshapi.ControlPlane, rev)
			get("ConfigMap", ns, meshapi.Revisioned(meshapi.InjectorConfigMap, rev))
			get("ConfigMap", ns, meshapi.Revisioned(meshapi.MeshConfigMap, rev))
			get("MutatingWebhookConfiguration", "", meshapi.Revisioned(meshapi.InjectorWebhook, rev))
			get("ValidatingWebhookConfiguration", "", meshapi.ValidatorWebhook(rev, ns))

			var containerPorts []string
			for _, p := range dig[[]any](get("Deployment", ns, istiod), "spec", "template", "spec", "containers", 0, "ports") {
				containerPorts = append(containerPorts, fmt.Sprint(dig[float64](p, "containerPort")))
			}
			for _, p := range []meshapi.Port{meshapi.ControlPlaneHTTPPort, meshapi.DiscoveryPlaintextPort, meshapi.DiscoveryPort, meshapi.ControlPlaneMonitoringPort, meshapi.WebhookPort} {
				if !slices.Contains(containerPorts, p.String()) {
					t.Errorf("meshd's container ports %v lack %s", containerPorts, p)
				}
			}
			var servicePorts []string
			for _, p := range dig[[]any](get("Service", ns, istiod), "spec", "ports") {
				servicePorts = append(servicePorts, fmt.Sprintf("%v:%v", dig[float64](p, "port"), dig[float64](p, "targetPort")))
			}
			for _, p := range []meshapi.Port{meshapi.DiscoveryPlaintextPort, meshapi.DiscoveryPort, meshapi.ControlPlaneMonitoringPort} {
				if !slices.Contains(servicePorts, p.String()+":"+p.String()) {
					t.Errorf("Service %s ports %v lack %s", istiod, servicePorts, p)
				}
			}
			if !slices.Contains(servicePorts, "443:"+meshapi.WebhookPort.String()) {
				t.Errorf("Service %s ports %v do not send 443 to the webhook port", istiod, servicePorts)
			}
		})
	}
}

// TestInjectedPodKeepsTheContract: the proxy kube-inject adds is what meshapi says it is.
func TestInjectedPodKeepsTheContract(t *testing.T) {
	in := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  containers: [{name: app, image: app}]\n"
	var out bytes.Buffer
	if err := inject.NewStream(injectConfig(t), &out, inject.StreamOptions{}).Inject(context.Background(), kubeyaml.NewReader(strings.NewReader(in), "pod.yaml")); err != nil {
		t.Fatal(err)
	}
	var pod map[string]any
	if err := yaml.Unmarshal(out.Bytes(), &pod); err != nil {
		t.Fatal(err)
	}
	var proxy, initc map[string]any
	for _, key := range []string{"containers", "initContainers"} {
		for _, c := range dig[[]any](pod, "spec", key) {
			switch dig[string](c, "name") {
			case meshapi.ProxyContainer:
				proxy = c.(map[string]any)
			case "istio-init":
				initc = c.(map[string]any)
			}
		}
	}
	if proxy == nil || initc == nil {
		t.Fatalf("no %s or istio-init container in\n%s", meshapi.ProxyContainer, out.String())
	}
	var ports []string
	for _, p := range dig[[]any](proxy, "ports") {
		ports = append(ports, fmt.Sprint(dig[float64](p, "containerPort")))
	}
	for _, p := range []meshapi.Port{meshapi.ProxyPrometheusPort, meshapi.ProxyHealthPort} {
		if !slices.Contains(ports, p.String()) {
			t.Errorf("the proxy's ports %v lack %s", ports, p)
		}
	}
	if got := fmt.Sprint(dig[float64](proxy, "readinessProbe", "httpGet", "port")); got != meshapi.ProxyHealthPort.String() {
		t.Errorf("readiness probe on %s, want %s", got, meshapi.ProxyHealthPort)
	}
	sc := dig[map[string]any](proxy, "securityContext")
	if sc["runAsUser"] != float64(meshapi.ProxyUID) || sc["runAsGroup"] != float64(meshapi.ProxyGID) {
		t.Errorf("the proxy runs as %v:%v, want %d:%d", sc["runAsUser"], sc["runAsGroup"], meshapi.ProxyUID, meshapi.ProxyGID)
	}
	if got := dig[string](pod, "metadata", "annotations", "prometheus.io/port"); got != meshapi.ProxyStatusPort.String() {
		t.Errorf("prometheus.io/port %q, want the status port %s", got, meshapi.ProxyStatusPort)
	}
	var args []string
	for _, a := range dig[[]any](initc, "args") {
		args = append(args, fmt.Sprint(a))
	}
	for _, want := range []string{meshapi.ProxyOutboundPort.String(), meshapi.ProxyInboundPort.String(), fmt.Sprint(meshapi.ProxyUID), meshapi.ProxyOwnInboundPorts(meshapi.ProxyStatusPort.String())} {
		if !slices.Contains(args, want) {
			t.Errorf("istio-init's args %q lack %s", args, want)
		}
	}
}

// dig follows keys (strings) and indexes (ints) through decoded YAML; the zero T when the path is absent.
func dig[T any](v any, path ...any) T {
	for _, step := range path {
		switch s := step.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[s]
		case int:
			l, _ := v.([]any)
			if s >= len(l) {
				v = nil
			} else {
				v = l[s]
			}
		}
	}
	t, _ := v.(T)
	return t
}
