package inject_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/kubeyaml"
)

const deploymentHead = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  selector:
    matchLabels: {app: app}
  template:
    metadata:
      labels: {app: app}
`

func injectString(t *testing.T, c *inject.Config, in string, opts inject.StreamOptions) (string, []inject.Result, error) {
	t.Helper()
	var out bytes.Buffer
	var results []inject.Result
	opts.Report = func(r inject.Result) { results = append(results, r) }
	err := inject.NewStream(c, &out, opts).Inject(context.Background(), kubeyaml.NewReader(strings.NewReader(in), "in.yaml"))
	return out.String(), results, err
}

// TestBadAnnotationsNameFileAndLine: a workload that cannot be injected fails with the file, the line and
// the field, as bad input (exit 65).
func TestBadAnnotationsNameFileAndLine(t *testing.T) {
	c := defaultConfig(t)
	for _, tc := range []struct {
		name, annotations string
		line              int
		field, message    string
	}{
		{"cpu", `sidecar.istio.io/proxyCPU: lots`, 12, `metadata.annotations["sidecar.istio.io/proxyCPU"]`, "not a quantity"},
		{"cidr", `traffic.sidecar.istio.io/includeOutboundIPRanges: "10.0.0.0/33"`, 12, "includeOutboundIPRanges", "not a CIDR"},
		{"ports", `traffic.sidecar.istio.io/excludeInboundPorts: "80,http"`, 12, "excludeInboundPorts", "not a port"},
		{"mode", `sidecar.istio.io/interceptionMode: MAGIC`, 12, "interceptionMode", "REDIRECT, TPROXY or NONE"},
		{"native", `sidecar.istio.io/nativeSidecar: "maybe"`, 12, "nativeSidecar", "true or false"},
		{"proxy config field", `proxy.istio.io/config: '{"discoveryAdress": "x"}'`, 12, "proxy.istio.io/config", `invalid ProxyConfig: discoveryAdress: unknown field "discoveryAdress" (did you mean "discoveryAddress"?)`},
		{"proxy config type", `proxy.istio.io/config: '{"concurrency": "two", "drainDuration": "soon"}'`, 12, "proxy.istio.io/config", `invalid ProxyConfig: concurrency: want an integer, got "two"; drainDuration: invalid duration "soon"`},
		{"proxy config yaml", `proxy.istio.io/config: "a: [b"`, 12, "proxy.istio.io/config", "invalid YAML"},
		{"template", `inject.istio.io/templates: sidecar,nope`, 12, "inject.istio.io/templates", `no injection template called "nope"`},
		{"unquoted bool", `sidecar.istio.io/rewriteAppHTTPProbers: false`, 12, "rewriteAppHTTPProbers", "quote it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := deploymentHead + "      annotations:\n        " + tc.annotations + "\n    spec:\n      containers:\n      - name: app\n        image: app\n"
			out, _, err := injectString(t, c, in, inject.StreamOptions{})
			var ke *kubeyaml.Error
			if !errors.As(err, &ke) {
				t.Fatalf("want a *kubeyaml.Error, got %T %v", err, err)
			}
			if ke.Source != "in.yaml" || ke.Line != tc.line || !strings.Contains(ke.Field, tc.field) || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("got %q (line %d field %q), want line %d, field containing %q, message containing %q", err, ke.Line, ke.Field, tc.line, tc.field, tc.message)
			}
			if !ke.InvalidInput() {
				t.Error("bad annotations must be invalid input")
			}
			if !strings.Contains(err.Error(), "deployment/app") {
				t.Errorf("the error should name the workload: %v", err)
			}
			if out != "" {
				t.Errorf("nothing may be written for a failed document, got %q", out)
			}
		})
	}
}

func TestSkipUninjectablePassesTheDocumentThrough(t *testing.T) {
	c := defaultConfig(t)
	bad := deploymentHead + "      annotations:\n        sidecar.istio.io/proxyCPU: lots\n    spec:\n      containers:\n      - name: app\n        image: app\n"
	in := bad + "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: good\nspec:\n  containers:\n  - name: a\n    image: a\n"
	out, results, err := injectString(t, c, in, inject.StreamOptions{SkipUninjectable: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, bad+"---\n") {
		t.Errorf("the uninjectable document must come out unchanged, got:\n%s", out)
	}
	if len(results) != 2 || results[0].Outcome != inject.Skipped || !strings.Contains(results[0].String(), "cannot inject: in.yaml:12") || results[1].Outcome != inject.Injected {
		t.Errorf("unexpected report: %v", results)
	}
}

func TestMalformedYAMLStopsAtTheDocument(t *testing.T) {
	c := defaultConfig(t)
	in := "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [b\n"
	out, _, err := injectString(t, c, in, inject.StreamOptions{SkipUninjectable: true})
	var ke *kubeyaml.Error
	if !errors.As(err, &ke) || ke.Source != "in.yaml" || ke.Line < 6 || !ke.InvalidInput() {
		t.Fatalf("want invalid input in the second document, got %v", err)
	}
	// The stream writes whole documents only; the command holds them back until the end (see kubeinject).
	if out != "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n" {
		t.Errorf("output before the bad document: %q", out)
	}
}

func TestStructuralErrors(t *testing.T) {
	c := defaultConfig(t)
	for _, tc := range []struct{ name, in, want string }{
		{"no template", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: 1\n", "in.yaml:5: spec.template: deployment/x: missing: want the workload's pod template here"},
		{"containers not a list", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers: {a: b}\n", "in.yaml:6: spec.containers: pod/x: want a list of containers, got a mapping"},
		{"nameless container", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - image: a\n", "in.yaml:7: spec.containers[0].name: pod/x: missing: every container needs a name"},
		{"label not a string", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels:\n    sidecar.istio.io/inject: false\nspec:\n  containers: []\n", `in.yaml:6: metadata.labels["sidecar.istio.io/inject"]: pod/x: want a string, got a boolean false (quote it)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := injectString(t, c, tc.in, inject.StreamOptions{})
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestListKeepsItsEnvelopeAndOrder(t *testing.T) {
	c := defaultConfig(t)
	in := "apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: \"7\"\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n  spec:\n    containers:\n    - name: a\n      image: a\n"
	out, results, err := injectString(t, c, in, inject.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "apiVersion: v1\nitems:\n- apiVersion: v1\n") || !strings.Contains(out, "kind: List\nmetadata:\n  resourceVersion: \"7\"\n") {
		t.Errorf("the List envelope must survive:\n%s", out)
	}
	if len(results) != 1 || results[0].String() != "pod/p: injected" {
		t.Errorf("report: %v", results)
	}
}

func TestDecide(t *testing.T) {
	c := defaultConfig(t)
	disabled := *c
	disabled.Policy = "disabled"
	pod := func(labels, annotations map[string]any) inject.Pod {
		meta := map[string]any{}
		if labels != nil {
			meta["labels"] = labels
		}
		if annotations != nil {
			meta["annotations"] = annotations
		}
		return inject.Pod{Metadata: meta, Spec: map[string]any{"containers": []any{}}}
	}
	for _, tc := range []struct {
		name      string
		c         *inject.Config
		pod       inject.Pod
		owner     map[string]any
		namespace string
		want      inject.Outcome
		reason    string
	}{
		{"plain", c, pod(nil, nil), nil, "default", inject.Injected, ""},
		{"label false", c, pod(map[string]any{"sidecar.istio.io/inject": "false"}, nil), nil, "", inject.Skipped, "label sidecar.istio.io/inject=false"},
		{"label wins over annotation", c, pod(map[string]any{"sidecar.istio.io/inject": "true"}, map[string]any{"sidecar.istio.io/inject": "false"}), nil, "", inject.Injected, ""},
		{"unknown value means no", c, pod(nil, map[string]any{"sidecar.istio.io/inject": "enabled"}), nil, "", inject.Skipped, "annotation sidecar.istio.io/inject=enabled"},
		{"owner says no", c, pod(nil, nil), map[string]any{"labels": map[string]any{"sidecar.istio.io/inject": "false"}}, "", inject.Skipped, "workload label sidecar.istio.io/inject=false"},
		{"pod overrides owner", c, pod(nil, map[string]any{"sidecar.istio.io/inject": "true"}), map[string]any{"labels": map[string]any{"sidecar.istio.io/inject": "false"}}, "", inject.Injected, ""},
		{"kube-system", c, pod(nil, nil), nil, "kube-system", inject.Skipped, "namespace kube-system"},
		{"host network", c, inject.Pod{Metadata: map[string]any{}, Spec: map[string]any{"hostNetwork": true}}, nil, "", inject.Skipped, "hostNetwork"},
		{"already injected", c, pod(nil, map[string]any{"sidecar.istio.io/status": "{}", "sidecar.istio.io/inject": "false"}), nil, "", inject.AlreadyInjected, ""},
		{"policy disabled", &disabled, pod(nil, nil), nil, "", inject.Skipped, "injection policy is disabled and the pod does not ask for it"},
		{"policy disabled, opted in", &disabled, pod(map[string]any{"sidecar.istio.io/inject": "yes"}, nil), nil, "", inject.Injected, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reason, err := tc.c.Decide(tc.pod, tc.owner, tc.namespace)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || reason != tc.reason {
				t.Errorf("Decide = %v %q, want %v %q", got, reason, tc.want, tc.reason)
			}
		})
	}
}

func TestSelectors(t *testing.T) {
	in := defaultInputs(t)
	config := strings.Replace(in.Config, "neverInjectSelector: []", "neverInjectSelector:\n- matchLabels:\n    tier: batch", 1)
	config = strings.Replace(config, "policy: enabled", "policy: disabled", 1)
	config = strings.Replace(config, "alwaysInjectSelector: []", "alwaysInjectSelector:\n- matchExpressions:\n  - {key: mesh, operator: Exists}", 1)
	c, err := inject.ParseConfig(config, in.Values, in.Mesh)
	if err != nil {
		t.Fatal(err)
	}
	for labels, want := range map[string]inject.Outcome{"tier=batch": inject.Skipped, "mesh=x": inject.Injected, "app=x": inject.Skipped} {
		k, v, _ := strings.Cut(labels, "=")
		got, _, err := c.Decide(inject.Pod{Metadata: map[string]any{"labels": map[string]any{k: v}}, Spec: map[string]any{}}, nil, "default")
		if err != nil || got != want {
			t.Errorf("%s: got %v %v, want %v", labels, got, err, want)
		}
	}
}

func TestNativeSidecarNeedsKubernetes129(t *testing.T) {
	c := defaultConfig(t)
	in := deploymentHead + "      annotations:\n        sidecar.istio.io/nativeSidecar: \"true\"\n    spec:\n      containers:\n      - name: app\n        image: app\n"
	_, _, err := injectString(t, c, in, inject.StreamOptions{Pod: inject.PodOptions{KubernetesMinor: 28}})
	if err == nil || !strings.Contains(err.Error(), "native sidecars need Kubernetes 1.29 or later; the cluster runs 1.28") {
		t.Errorf("got %v", err)
	}
	if _, _, err := injectString(t, c, in, inject.StreamOptions{Pod: inject.PodOptions{KubernetesMinor: 29}}); err != nil {
		t.Errorf("1.29 must do: %v", err)
	}
}

// TestTemplatesStack: templates named by inject.istio.io/templates apply in order, each merging into the
// result of the previous, and the pod's own container fields still win at the end.
func TestTemplatesStack(t *testing.T) {
	in := defaultInputs(t)
	config := strings.Replace(in.Config, "templates:\n", "templates:\n  extra: |\n    spec:\n      containers:\n      - name: istio-proxy\n        env:\n        - name: EXTRA\n          value: from-extra\n        - name: LEVEL\n          value: template\n", 1)
	c, err := inject.ParseConfig(config, in.Values, in.Mesh)
	if err != nil {
		t.Fatal(err)
	}
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    inject.istio.io/templates: sidecar,extra\nspec:\n  containers:\n  - name: app\n    image: app\n  - name: istio-proxy\n    image: auto\n    env:\n    - name: LEVEL\n      value: mine\n"
	out, _, err := injectString(t, c, pod, inject.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"value: from-extra", "value: mine", "image: ghcr.io/meshctl/mesh-proxy:1.0.0", "name: istio-init"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "value: template") || strings.Count(out, "name: istio-proxy\n") != 1 {
		t.Errorf("the pod's own LEVEL must win and istio-proxy must appear once:\n%s", out)
	}
}
