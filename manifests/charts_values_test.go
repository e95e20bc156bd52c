package manifests

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"
)

// injectorConfigKey is the `config` key of ConfigMap istio-sidecar-injector as meshd reads it.
type injectorConfigKey struct {
	Policy               string            `json:"policy"`
	AlwaysInjectSelector []any             `json:"alwaysInjectSelector"`
	NeverInjectSelector  []any             `json:"neverInjectSelector"`
	InjectedAnnotations  map[string]string `json:"injectedAnnotations"`
	DefaultTemplates     []string          `json:"defaultTemplates"`
	Templates            map[string]string `json:"templates"`
}

func readInjectorConfigMap(t *testing.T, ch *chart.Chart, vals map[string]any) (injectorConfigKey, map[string]any) {
	t.Helper()
	objs := splitManifest(t, renderChart(t, ch, vals))
	cm := findObject(t, objs, "ConfigMap", "istio-sidecar-injector")
	var cfg injectorConfigKey
	if err := yaml.UnmarshalStrict([]byte(digString(cm.u, "data", "config")), &cfg); err != nil {
		t.Fatalf("config: %v", err)
	}
	var values map[string]any
	if err := json.Unmarshal([]byte(digString(cm.u, "data", "values")), &values); err != nil {
		t.Fatalf("values is not JSON: %v", err)
	}
	return cfg, values
}

func TestInjectorConfigMapDefaults(t *testing.T) {
	ch := loadEmbeddedChart(t, "istio-control/istio-discovery")
	cfg, values := readInjectorConfigMap(t, ch, nil)
	for key, file := range map[string]string{"sidecar": "injection-template.yaml", "gateway": "gateway-injection-template.yaml"} {
		want, err := FS.ReadFile("charts/istio-control/istio-discovery/files/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Templates[key] != string(want) {
			t.Errorf("templates.%s differs from files/%s", key, file)
		}
	}
	if cfg.Policy != "enabled" || !slices.Equal(cfg.DefaultTemplates, []string{"sidecar"}) {
		t.Errorf("policy %q defaultTemplates %v", cfg.Policy, cfg.DefaultTemplates)
	}
	if got := dig(values, "global", "hub"); got != "ghcr.io/meshctl" {
		t.Errorf("values.global.hub = %v", got)
	}
	if got := dig(values, "global", "proxy", "image"); got != "mesh-proxy" {
		t.Errorf("values.global.proxy.image = %v", got)
	}
	if got := dig(values, "revision"); got != "" {
		t.Errorf("values.revision = %v", got)
	}
}

// The injection templates are Go templates for meshd: they must reach the ConfigMap byte for byte,
// whatever their whitespace, and helm must not evaluate their {{ }}.
func TestInjectorTemplatesVerbatim(t *testing.T) {
	tricky := []string{
		"{{ .Values.global.hub }}/{{ .Values.global.proxy.image }}\n",
		"  leading spaces\n\ttab\ntrailing space \nno final newline",
		"---\n# comment\nkey: \"quoted: value\"\n\n\nseveral final newlines\n\n\n",
		"{{- if .Values.istio_cni.enabled }}\n  x: |\n    {{ toYaml . }}\n{{- end }}\n",
		"",
		"blank lines\n\n\n  \n    indented blank line above\n\ttab\n \nend\n",
		"\n\nleading blank lines\n",
	}
	for i, text := range tricky {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ch := loadEmbeddedChart(t, "istio-control/istio-discovery")
			for _, f := range ch.Files {
				switch f.Name {
				case "files/injection-template.yaml":
					f.Data = []byte(text)
				case "files/gateway-injection-template.yaml":
					f.Data = []byte("gw:" + text)
				}
			}
			vals := map[string]any{"sidecarInjectorWebhook": map[string]any{
				"templates":        map[string]any{"custom": text},
				"defaultTemplates": []any{"sidecar", "custom"},
			}}
			cfg, _ := readInjectorConfigMap(t, ch, vals)
			if cfg.Templates["sidecar"] != text {
				t.Errorf("sidecar template:\n got %q\nwant %q", cfg.Templates["sidecar"], text)
			}
			if cfg.Templates["gateway"] != "gw:"+text {
				t.Errorf("gateway template:\n got %q\nwant %q", cfg.Templates["gateway"], "gw:"+text)
			}
			if cfg.Templates["custom"] != text {
				t.Errorf("custom template:\n got %q\nwant %q", cfg.Templates["custom"], text)
			}
			if !slices.Equal(cfg.DefaultTemplates, []string{"sidecar", "custom"}) {
				t.Errorf("defaultTemplates %v", cfg.DefaultTemplates)
			}
		})
	}
}

func TestInjectorConfigMapOmitted(t *testing.T) {
	objs := splitManifest(t, renderChart(t, loadEmbeddedChart(t, "istio-control/istio-discovery"),
		map[string]any{"global": map[string]any{"omitSidecarInjectorConfigMap": true}}))
	for _, o := range objs {
		if o.kind() == "ConfigMap" && o.name() == "istio-sidecar-injector" {
			t.Fatal("injector ConfigMap rendered although omitted")
		}
	}
}

func TestMeshConfigMerge(t *testing.T) {
	vals := map[string]any{
		"meshConfig": map[string]any{
			"accessLogFile": "/dev/stdout",
			"defaultConfig": map[string]any{"proxyMetadata": map[string]any{"ISTIO_META_DNS_CAPTURE": "true"}},
			"trustDomain":   "example.org",
			// false must win over a default true, and null removes a default, as in helm.
			"enablePrometheusMerge": false,
			"defaultProviders":      nil,
		},
		"global": map[string]any{"meshNetworks": map[string]any{"net1": map[string]any{"endpoints": []any{}}}},
	}
	objs := splitManifest(t, renderChart(t, loadEmbeddedChart(t, "istio-control/istio-discovery"), vals))
	cm := findObject(t, objs, "ConfigMap", "istio")
	var mesh map[string]any
	if err := yaml.Unmarshal([]byte(digString(cm.u, "data", "mesh")), &mesh); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]any{
		"accessLogFile": "/dev/stdout", "trustDomain": "example.org", "rootNamespace": "istio-system",
		"defaultConfig.discoveryAddress":                     "istiod.istio-system.svc:15012",
		"defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE": "true",
		"enablePrometheusMerge":                              false,
		"enableTracing":                                      false,
		"defaultProviders":                                   nil,
	} {
		if got := dig(mesh, strings.Split(path, ".")...); got != want {
			t.Errorf("mesh %s = %v, want %v", path, got, want)
		}
	}
	if _, ok := mesh["defaultProviders"]; ok {
		t.Error("defaultProviders set to null is still rendered")
	}
	if got := digString(cm.u, "data", "meshNetworks"); !strings.Contains(got, "net1") {
		t.Errorf("meshNetworks %q", got)
	}
}

// User env replaces the chart's variable of the same name in place; no name appears twice
// (server-side apply rejects duplicate keys in env).
func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		dir, prefix, container string
	}{
		{"istio-control/istio-discovery", "pilot", "discovery"},
		{"gateways/istio-ingress", "gateways.istio-ingressgateway", "istio-proxy"},
		{"gateways/istio-egress", "gateways.istio-egressgateway", "istio-proxy"},
		{"istio-cni", "cni", "install-cni"},
		{"ztunnel", "ztunnel", "istio-proxy"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			comp := map[string]any{
				"env":      map[string]any{"POD_NAME": "from-env", "B_VAR": 2, "A_VAR": true},
				"extraEnv": []any{map[string]any{"name": "A_VAR", "value": "from-extra"}, map[string]any{"name": "Z_VAR", "value": "z"}},
			}
			vals := nestValues(tt.prefix, comp)
			objs := splitManifest(t, renderChart(t, loadEmbeddedChart(t, tt.dir), vals))
			c := findContainer(t, objs, tt.container)
			names := containerEnvNames(c)
			seen := map[string]bool{}
			for _, n := range names {
				if seen[n] {
					t.Errorf("env %s appears twice in %v", n, names)
				}
				seen[n] = true
			}
			for name, want := range map[string]string{"POD_NAME": "from-env", "A_VAR": "from-extra", "B_VAR": "2", "Z_VAR": "z"} {
				if got := containerEnv(c, name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			// POD_NAME keeps its place among the chart's variables; new ones follow, env before extraEnv.
			if i, j, k := slices.Index(names, "POD_NAME"), slices.Index(names, "A_VAR"), slices.Index(names, "Z_VAR"); !(i < j && j < k) {
				t.Errorf("env order %v", names)
			}
		})
	}
}

// nestValues builds {"a": {"b": v}} from "a.b".
func nestValues(path string, v any) map[string]any {
	keys := strings.Split(path, ".")
	out := map[string]any{keys[len(keys)-1]: v}
	for i := len(keys) - 2; i >= 0; i-- {
		out = map[string]any{keys[i]: out}
	}
	return out
}

func findContainer(t *testing.T, objs []renderedObject, name string) map[string]any {
	t.Helper()
	for _, o := range objs {
		for _, c := range digList(workloadPodSpec(o), "containers") {
			if digString(c, "name") == name {
				return c.(map[string]any)
			}
		}
	}
	t.Fatalf("no container %s", name)
	return nil
}

func TestK8sSettings(t *testing.T) {
	tests := []struct {
		dir, prefix, workload, name string
		hasHPA                      bool
	}{
		{"istio-control/istio-discovery", "pilot", "Deployment", "istiod", true},
		{"gateways/istio-ingress", "gateways.istio-ingressgateway", "Deployment", "istio-ingressgateway", true},
		{"gateways/istio-egress", "gateways.istio-egressgateway", "Deployment", "istio-egressgateway", true},
		{"istio-cni", "cni", "DaemonSet", "istio-cni-node", false},
		{"ztunnel", "ztunnel", "DaemonSet", "ztunnel", false},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			comp := map[string]any{
				"resources":       map[string]any{"requests": map[string]any{"cpu": "1", "memory": "1Gi"}},
				"nodeSelector":    map[string]any{"disk": "ssd"},
				"tolerations":     []any{map[string]any{"key": "dedicated", "operator": "Exists"}},
				"affinity":        map[string]any{"nodeAffinity": map[string]any{}},
				"podAnnotations":  map[string]any{"example.com/a": "b"},
				"podLabels":       map[string]any{"team": "mesh", "app": "hijack", "k8s-app": "hijack"},
				"securityContext": map[string]any{"fsGroup": 2000},
			}
			vals := nestValues(tt.prefix, comp)
			vals["global"] = map[string]any{"defaultNodeSelector": map[string]any{"zone": "a", "disk": "hdd"}, "priorityClassName": "high"}
			objs := splitManifest(t, renderChart(t, loadEmbeddedChart(t, tt.dir), vals))
			w := findObject(t, objs, tt.workload, tt.name)
			spec := workloadPodSpec(w)
			checks := map[string]any{
				"nodeSelector.disk":       "ssd", // the component's selector wins over the default one
				"nodeSelector.zone":       "a",
				"priorityClassName":       "high",
				"securityContext.fsGroup": float64(2000),
				"affinity.nodeAffinity":   map[string]any{},
			}
			for path, want := range checks {
				if got := dig(spec, strings.Split(path, ".")...); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("pod spec %s = %v, want %v", path, got, want)
				}
			}
			if got := fmt.Sprint(dig(spec, "tolerations")); got != "[map[key:dedicated operator:Exists]]" {
				t.Errorf("tolerations %s", got)
			}
			c := digList(spec, "containers")[0]
			// Like helm (and Istio's overlay of k8s.resources), requests given replace requests and
			// chart limits stay unless set to null.
			if got := fmt.Sprint(dig(c, "resources", "requests")); got != "map[cpu:1 memory:1Gi]" {
				t.Errorf("resources %s", got)
			}
			meta := dig(w.u, "spec", "template", "metadata")
			if got := digString(meta, "annotations", "example.com/a"); got != "b" {
				t.Errorf("pod annotation %q", got)
			}
			if got := digString(meta, "labels", "team"); got != "mesh" {
				t.Errorf("pod label team=%q", got)
			}
			// podLabels never override the selector: the pods must stay selected.
			for k, v := range dig(w.u, "spec", "selector", "matchLabels").(map[string]any) {
				if got := digString(meta, "labels", k); got != v {
					t.Errorf("pod label %s=%q does not match selector %v", k, got, v)
				}
			}
		})
	}
}

func TestAutoscaleAndReplicas(t *testing.T) {
	tests := []struct {
		name     string
		comp     map[string]any
		replicas any  // spec.replicas of the Deployment, nil when the HPA owns it
		hpa      bool // HPA rendered
		min, max float64
	}{
		{"defaults", nil, nil, true, 1, 5},
		{"hpa off", map[string]any{"autoscaleEnabled": false, "replicaCount": 3}, float64(3), false, 0, 0},
		{"min equals max", map[string]any{"autoscaleMin": 2, "autoscaleMax": 2, "replicaCount": 2}, float64(2), false, 0, 0},
		// meshctl passes Go ints; values.yaml gives float64s: the templates must accept both.
		{"go ints", map[string]any{"autoscaleMin": 2, "autoscaleMax": int64(7), "cpu": map[string]any{"targetAverageUtilization": 60}}, nil, true, 2, 7},
	}
	for _, chart := range []struct{ dir, prefix, name string }{
		{"istio-control/istio-discovery", "pilot", "istiod"},
		{"gateways/istio-ingress", "gateways.istio-ingressgateway", "istio-ingressgateway"},
		{"gateways/istio-egress", "gateways.istio-egressgateway", "istio-egressgateway"},
	} {
		ch := loadEmbeddedChart(t, chart.dir)
		for _, tt := range tests {
			t.Run(chart.name+"/"+tt.name, func(t *testing.T) {
				var vals map[string]any
				if tt.comp != nil {
					vals = nestValues(chart.prefix, tt.comp)
				}
				objs := splitManifest(t, renderChart(t, ch, vals))
				dep := findObject(t, objs, "Deployment", chart.name)
				if got := dig(dep.u, "spec", "replicas"); got != tt.replicas {
					t.Errorf("replicas %v, want %v", got, tt.replicas)
				}
				var hpa *renderedObject
				for i, o := range objs {
					if o.kind() == "HorizontalPodAutoscaler" {
						hpa = &objs[i]
					}
				}
				if (hpa != nil) != tt.hpa {
					t.Fatalf("HPA rendered: %v, want %v", hpa != nil, tt.hpa)
				}
				if hpa != nil {
					if dig(hpa.u, "spec", "minReplicas") != tt.min || dig(hpa.u, "spec", "maxReplicas") != tt.max {
						t.Errorf("HPA %v..%v, want %v..%v", dig(hpa.u, "spec", "minReplicas"), dig(hpa.u, "spec", "maxReplicas"), tt.min, tt.max)
					}
					if got := digString(hpa.u, "spec", "scaleTargetRef", "name"); got != chart.name {
						t.Errorf("HPA targets %q", got)
					}
				}
			})
		}
	}
}

func TestPodDisruptionBudget(t *testing.T) {
	ch := loadEmbeddedChart(t, "istio-control/istio-discovery")
	tests := []struct {
		name string
		vals map[string]any
		want string // spec without selector, "" when no PDB is rendered
	}{
		{"default", nil, "map[minAvailable:1]"},
		{"override", map[string]any{"pilot": map[string]any{"podDisruptionBudget": map[string]any{"maxUnavailable": "50%"}}}, "map[maxUnavailable:50%]"},
		{"disabled", map[string]any{"global": map[string]any{"defaultPodDisruptionBudget": map[string]any{"enabled": false}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			for _, o := range splitManifest(t, renderChart(t, ch, tt.vals)) {
				if o.kind() == "PodDisruptionBudget" {
					spec := dig(o.u, "spec").(map[string]any)
					if sel := fmt.Sprint(spec["selector"]); sel != "map[matchLabels:map[app:istiod istio.io/rev:default]]" {
						t.Errorf("selector %s", sel)
					}
					delete(spec, "selector")
					got = fmt.Sprint(spec)
				}
			}
			if got != tt.want {
				t.Errorf("PDB spec %q, want %q", got, tt.want)
			}
		})
	}
}

func TestServiceOverride(t *testing.T) {
	vals := nestValues("gateways.istio-ingressgateway", map[string]any{
		"service": map[string]any{"type": "NodePort", "externalTrafficPolicy": "Local",
			"ports": []any{map[string]any{"name": "http2", "port": 80, "targetPort": 8080, "nodePort": 30080}}},
		"serviceAnnotations": map[string]any{"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
	})
	objs := splitManifest(t, renderChart(t, loadEmbeddedChart(t, "gateways/istio-ingress"), vals))
	svc := findObject(t, objs, "Service", "istio-ingressgateway")
	if got := fmt.Sprint(dig(svc.u, "spec")); got != "map[externalTrafficPolicy:Local ports:[map[name:http2 nodePort:30080 port:80 targetPort:8080]] selector:map[app:istio-ingressgateway istio:ingressgateway] type:NodePort]" {
		t.Errorf("spec %s", got)
	}
	if got := digString(svc.u, "metadata", "annotations", "service.beta.kubernetes.io/aws-load-balancer-type"); got != "nlb" {
		t.Errorf("annotation %q", got)
	}
}

func TestGatewayPorts(t *testing.T) {
	vals := nestValues("gateways.istio-ingressgateway", map[string]any{"ports": []any{
		map[string]any{"name": "http2", "port": 80, "targetPort": 8080},
		map[string]any{"name": "http-alt", "port": 8000, "targetPort": 8080}, // same container port
		map[string]any{"name": "tcp", "port": 31400},                         // targetPort defaults to port
		map[string]any{"name": "named", "port": 9000, "targetPort": "http-envoy-prom", "protocol": "TCP"},
	}})
	objs := splitManifest(t, renderChart(t, loadEmbeddedChart(t, "gateways/istio-ingress"), vals))
	c := findContainer(t, objs, "istio-proxy")
	var ports []string
	for _, p := range digList(c, "ports") {
		ports = append(ports, fmt.Sprint(dig(p, "containerPort")))
	}
	if got := strings.Join(ports, ","); got != "8080,31400,15090" {
		t.Errorf("container ports %s", got)
	}
	svc := findObject(t, objs, "Service", "istio-ingressgateway")
	if got := fmt.Sprint(dig(digList(svc.u, "spec", "ports")[3], "targetPort")); got != "http-envoy-prom" {
		t.Errorf("named targetPort %s", got)
	}
}

func TestRemoteControlPlane(t *testing.T) {
	ch := loadEmbeddedChart(t, "istio-control/istio-discovery")
	tests := []struct {
		addr, svcType, slice string
		webhookPort          float64
	}{
		{"10.1.2.3", "ClusterIP", "IPv4", 443},
		{"fd00::1", "ClusterIP", "IPv6", 443},
		{"istiod.example.com", "ExternalName", "", 15017},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			objs := splitManifest(t, renderChart(t, ch, map[string]any{"global": map[string]any{"remotePilotAddress": tt.addr}}))
			for _, o := range objs {
				switch o.kind() {
				case "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget":
					t.Errorf("%v rendered for a remote control plane", o)
				}
			}
			svc := findObject(t, objs, "Service", "istiod")
			if got := digString(svc.u, "spec", "type"); got != tt.svcType {
				t.Errorf("Service type %q, want %q", got, tt.svcType)
			}
			if dig(svc.u, "spec", "selector") != nil {
				t.Error("remote Service has a selector")
			}
			if tt.slice != "" {
				es := findObject(t, objs, "EndpointSlice", "istiod-remote")
				if got := digString(es.u, "addressType"); got != tt.slice {
					t.Errorf("addressType %q", got)
				}
				if got := fmt.Sprint(dig(digList(es.u, "endpoints")[0], "addresses")); got != "["+tt.addr+"]" {
					t.Errorf("addresses %s", got)
				}
				if got := digString(es.u, "metadata", "labels", "kubernetes.io/service-name"); got != "istiod" {
					t.Errorf("service-name label %q", got)
				}
			} else if got := digString(svc.u, "spec", "externalName"); got != tt.addr {
				t.Errorf("externalName %q", got)
			}
			for _, wh := range digList(findObject(t, objs, "MutatingWebhookConfiguration", "istio-sidecar-injector").u, "webhooks") {
				checkWebhookClient(t, wh, "istiod", "/inject", tt.webhookPort)
			}
		})
	}
}

func TestNamespacesByDefault(t *testing.T) {
	objs := splitManifest(t, renderChart(t, loadEmbeddedChart(t, "istio-control/istio-discovery"),
		map[string]any{"sidecarInjectorWebhook": map[string]any{"enableNamespacesByDefault": true, "reinvocationPolicy": "IfNeeded"}}))
	mwc := findObject(t, objs, "MutatingWebhookConfiguration", "istio-sidecar-injector")
	whs := digList(mwc.u, "webhooks")
	last := whs[len(whs)-1]
	if digString(last, "name") != "auto.sidecar-injector.istio.io" {
		t.Fatalf("last webhook %q", digString(last, "name"))
	}
	if sel := fmt.Sprint(dig(last, "namespaceSelector")); !strings.Contains(sel, "kube-system") {
		t.Errorf("auto webhook injects into kube-system: %s", sel)
	}
	for _, wh := range whs {
		if got := digString(wh, "reinvocationPolicy"); got != "IfNeeded" {
			t.Errorf("%s: reinvocationPolicy %q", digString(wh, "name"), got)
		}
	}
}

func TestGatewayControllerRBAC(t *testing.T) {
	ch := loadEmbeddedChart(t, "istio-control/istio-discovery")
	for _, enabled := range []bool{true, false} {
		objs := splitManifest(t, renderChart(t, ch, nestValues("pilot.gatewayController.enabled", enabled)))
		found := 0
		for _, o := range objs {
			if strings.HasPrefix(o.name(), "istiod-gateway-controller-") {
				found++
			}
		}
		if want := map[bool]int{true: 2, false: 0}[enabled]; found != want {
			t.Errorf("enabled=%v: %d gateway-controller objects, want %d", enabled, found, want)
		}
	}
}

func TestClusterRoleWritesAreNamed(t *testing.T) {
	// Writes to webhook configurations and configmaps are limited to meshd's own objects.
	objs := splitManifest(t, renderChart(t, loadEmbeddedChart(t, "istio-control/istio-discovery"), map[string]any{"revision": "canary"}))
	role := findObject(t, objs, "ClusterRole", "istiod-clusterrole-canary-istio-system")
	for _, rule := range digList(role.u, "rules") {
		resources := fmt.Sprint(dig(rule, "resources"))
		verbs := fmt.Sprint(dig(rule, "verbs"))
		writes := strings.Contains(verbs, "update") || strings.Contains(verbs, "patch")
		named := dig(rule, "resourceNames") != nil
		if writes && !named && (strings.Contains(resources, "webhookconfigurations") || strings.Contains(resources, "configmaps")) {
			t.Errorf("rule %v writes %s without resourceNames", verbs, resources)
		}
		// Secrets are read cluster-wide (gateways' credentialName, SDS), as istiod does; written only
		// through the namespaced Role.
		if strings.Contains(resources, "secrets") && verbs != "[get list watch]" {
			t.Errorf("ClusterRole grants %v on secrets; only get, list, watch (writes belong in the namespaced Role)", verbs)
		}
		if strings.Contains(resources, "mutatingwebhookconfigurations") && named {
			if got := fmt.Sprint(dig(rule, "resourceNames")); got != "[istio-sidecar-injector-canary]" {
				t.Errorf("mutating webhook writes on %s", got)
			}
		}
	}
}

func TestCNIAmbient(t *testing.T) {
	ch := loadEmbeddedChart(t, "istio-cni")
	for _, ambient := range []bool{false, true} {
		objs := splitManifest(t, renderChart(t, ch, nestValues("cni.ambient.enabled", ambient)))
		c := findContainer(t, objs, "install-cni")
		caps := fmt.Sprint(dig(c, "securityContext", "capabilities", "add"))
		mounts := fmt.Sprint(dig(c, "volumeMounts"))
		if ambient != strings.Contains(caps, "NET_ADMIN") || ambient != strings.Contains(mounts, "/host/var/run/netns") {
			t.Errorf("ambient=%v: capabilities %s, mounts %s", ambient, caps, mounts)
		}
		cm := findObject(t, objs, "ConfigMap", "istio-cni-config")
		if got := digString(cm.u, "data", "AMBIENT_ENABLED"); got != fmt.Sprint(ambient) {
			t.Errorf("AMBIENT_ENABLED %q", got)
		}
	}
	// privileged: true must not be combined with allowPrivilegeEscalation: false (the API rejects it).
	objs := splitManifest(t, renderChart(t, ch, nestValues("cni.privileged", true)))
	c := findContainer(t, objs, "install-cni")
	if dig(c, "securityContext", "privileged") != true || dig(c, "securityContext", "allowPrivilegeEscalation") != nil {
		t.Errorf("privileged securityContext %v", dig(c, "securityContext"))
	}
}

// Full image references in the image values are used as they are.
func TestFullImageNames(t *testing.T) {
	tests := []struct{ dir, path, container string }{
		{"istio-control/istio-discovery", "pilot.image", "discovery"},
		{"gateways/istio-ingress", "global.proxy.image", "istio-proxy"},
		{"istio-cni", "cni.image", "install-cni"},
		{"ztunnel", "ztunnel.image", "istio-proxy"},
	}
	for _, tt := range tests {
		objs := splitManifest(t, renderChart(t, loadEmbeddedChart(t, tt.dir), nestValues(tt.path, "mirror.example.com/x/y:dev")))
		if got := digString(findContainer(t, objs, tt.container), "image"); got != "mirror.example.com/x/y:dev" {
			t.Errorf("%s: image %q", tt.dir, got)
		}
	}
}

// Overrides that are false, 0 or "" must win over the chart's defaults (sprig's merge drops them).
func TestOverridesKeepZeroValues(t *testing.T) {
	vals := nestValues("gateways.istio-ingressgateway", map[string]any{
		"securityContext": map[string]any{"runAsUser": 0, "runAsNonRoot": false},
		"service":         map[string]any{"allocateLoadBalancerNodePorts": false},
		"podAnnotations":  map[string]any{"prometheus.io/scrape": "false"},
	})
	objs := splitManifest(t, renderChart(t, loadEmbeddedChart(t, "gateways/istio-ingress"), vals))
	dep := findObject(t, objs, "Deployment", "istio-ingressgateway")
	sc := dig(dep.u, "spec", "template", "spec", "securityContext")
	if dig(sc, "runAsUser") != float64(0) || dig(sc, "runAsNonRoot") != false {
		t.Errorf("pod securityContext %v", sc)
	}
	if got := digString(dep.u, "spec", "template", "metadata", "annotations", "prometheus.io/scrape"); got != "false" {
		t.Errorf("annotation prometheus.io/scrape=%q", got)
	}
	svc := findObject(t, objs, "Service", "istio-ingressgateway")
	if got := dig(svc.u, "spec", "allocateLoadBalancerNodePorts"); got != false {
		t.Errorf("allocateLoadBalancerNodePorts %v", got)
	}
}
