package manifests

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes/scheme"
)

// contractCase describes what every render of one chart must satisfy.
type contractCase struct {
	dir       string
	component string            // operator.istio.io/component label value
	images    map[string]string // container name -> our image name
	// rootAgent marks the node agents that must run as uid 0 (see their values.yaml); they may
	// add only the listed capabilities back after dropping ALL.
	rootAgent   bool
	allowedCaps []string
	// revisioned: every object name carries "-<revision>" (the control plane only; gateways keep
	// their user-chosen name and node agents are shared by all revisions).
	revisioned bool
}

var contractCases = []contractCase{
	{dir: "istio-control/istio-discovery", component: "Pilot", images: map[string]string{"discovery": "meshd"}, revisioned: true},
	{dir: "gateways/istio-ingress", component: "IngressGateways", images: map[string]string{"istio-proxy": "mesh-proxy"}},
	{dir: "gateways/istio-egress", component: "EgressGateways", images: map[string]string{"istio-proxy": "mesh-proxy"}},
	{dir: "istio-cni", component: "Cni", images: map[string]string{"install-cni": "mesh-init"}, rootAgent: true,
		allowedCaps: []string{"DAC_OVERRIDE", "NET_ADMIN", "NET_RAW", "SYS_ADMIN", "SYS_PTRACE"}},
	{dir: "ztunnel", component: "Ztunnel", images: map[string]string{"istio-proxy": "mesh-proxy"}, rootAgent: true,
		allowedCaps: []string{"NET_ADMIN", "NET_RAW", "SYS_ADMIN"}},
}

// contractValueSets are the variants every chart is rendered with.
var contractValueSets = []struct {
	name     string
	vals     map[string]any
	hub, tag string
	rev      string
}{
	{name: "defaults", hub: "ghcr.io/meshctl", tag: "latest"},
	{name: "revision", vals: map[string]any{"revision": "canary"}, hub: "ghcr.io/meshctl", tag: "latest", rev: "canary"},
	// Every optional global switched on, so that strict rendering visits those branches too.
	{name: "globals", vals: map[string]any{
		"ownerName": "my-iop",
		"global": map[string]any{
			"hub": "registry.example.com/team", "tag": "1.2.3", "imagePullPolicy": "Always",
			"imagePullSecrets": []any{"regcred"}, "priorityClassName": "high", "logAsJson": true,
			"meshID": "mesh1", "network": "net1", "multiCluster": map[string]any{"clusterName": "c1"},
			"externalIstiod": true, "proxy": map[string]any{"holdApplicationUntilProxyStarts": true},
		},
	}, hub: "registry.example.com/team", tag: "1.2.3"},
	{name: "ambient", vals: map[string]any{"cni": map[string]any{"ambient": map[string]any{"enabled": true}}}, hub: "ghcr.io/meshctl", tag: "latest"},
}

var clusterScopedKinds = map[string]bool{
	"ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
	"MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true, "Namespace": true,
}

func TestChartsContract(t *testing.T) {
	decoder := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
	for _, cc := range contractCases {
		ch := loadEmbeddedChart(t, cc.dir)
		for _, vs := range contractValueSets {
			t.Run(cc.dir+"/"+vs.name, func(t *testing.T) {
				out := renderChart(t, ch, vs.vals)
				if again := renderChart(t, ch, vs.vals); again != out {
					t.Fatal("two renders with the same values differ")
				}
				for i, line := range strings.Split(out, "\n") {
					if strings.TrimRight(line, " \t") != line {
						t.Errorf("line %d has trailing whitespace: %q", i+1, line)
					}
				}
				objs := splitManifest(t, out)
				if len(objs) == 0 {
					t.Fatal("chart rendered no objects")
				}
				owner := "installed-state"
				if o, ok := vs.vals["ownerName"].(string); ok {
					owner = o
				}
				wantRev := vs.rev
				if wantRev == "" {
					wantRev = "default"
				}
				for _, o := range objs {
					if _, _, err := decoder.Decode([]byte(o.raw), nil, nil); err != nil {
						t.Errorf("%v: strict decode: %v", o, err)
					}
					checkObjectLabels(t, o, map[string]string{
						"install.operator.istio.io/owning-resource": owner,
						"operator.istio.io/component":               cc.component,
						"istio.io/rev":                              wantRev,
						"app.kubernetes.io/part-of":                 "meshctl",
					})
					ns := digString(o.u, "metadata", "namespace")
					if clusterScopedKinds[o.kind()] && ns != "" {
						t.Errorf("%v: cluster-scoped object has namespace %q", o, ns)
					}
					if !clusterScopedKinds[o.kind()] && ns != chartsNamespace {
						t.Errorf("%v: namespace %q, want %q", o, ns, chartsNamespace)
					}
					if cc.revisioned && vs.rev != "" && !strings.Contains(o.name(), "-"+vs.rev) {
						t.Errorf("%v: name lacks the revision suffix -%s", o, vs.rev)
					}
					checkObjectMetadata(t, o)
					if spec := workloadPodSpec(o); spec != nil {
						checkPodSpec(t, o, spec, cc, vs.hub, vs.tag)
						checkWorkloadSelector(t, o)
					}
				}
			})
		}
	}
}

// checkObjectMetadata applies the API server's rules that a strict decode cannot see: name syntax,
// label syntax and port names.
func checkObjectMetadata(t *testing.T, o renderedObject) {
	t.Helper()
	if errs := validation.IsDNS1123Subdomain(o.name()); len(errs) > 0 {
		t.Errorf("%v: name: %v", o, errs)
	}
	for _, field := range [][]string{{"metadata", "labels"}, {"spec", "template", "metadata", "labels"}} {
		labels := map[string]string{}
		for k, v := range digMap(dig(o.u, field...)) {
			s, ok := v.(string)
			if !ok {
				t.Errorf("%v: %s.%s is not a string: %v", o, strings.Join(field, "."), k, v)
			}
			labels[k] = s
		}
		if errs := metavalidation.ValidateLabels(labels, nil); len(errs) > 0 {
			t.Errorf("%v: %s: %v", o, strings.Join(field, "."), errs.ToAggregate())
		}
	}
	if o.kind() == "Service" {
		for _, p := range digList(o.u, "spec", "ports") {
			if errs := validation.IsDNS1123Label(digString(p, "name")); len(errs) > 0 {
				t.Errorf("%v: port name %q: %v", o, digString(p, "name"), errs)
			}
		}
	}
	for _, c := range digList(workloadPodSpec(o), "containers") {
		for _, p := range digList(c, "ports") {
			if name := digString(p, "name"); name != "" {
				if errs := validation.IsValidPortName(name); len(errs) > 0 {
					t.Errorf("%v: container port name %q: %v", o, name, errs)
				}
			}
		}
	}
}

// checkWorkloadSelector asserts a workload's selector selects its own pod template.
func checkWorkloadSelector(t *testing.T, o renderedObject) {
	t.Helper()
	selector := digMap(dig(o.u, "spec", "selector", "matchLabels"))
	if len(selector) == 0 {
		t.Errorf("%v: empty selector", o)
	}
	for k, v := range selector {
		if got := dig(o.u, "spec", "template", "metadata", "labels", k); got != v {
			t.Errorf("%v: pod label %s=%v, selector wants %v", o, k, got, v)
		}
	}
}

func digMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func checkObjectLabels(t *testing.T, o renderedObject, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := digString(o.u, "metadata", "labels", k); got != v {
			t.Errorf("%v: label %s = %q, want %q", o, k, got, v)
		}
	}
}

// workloadPodSpec returns the pod template spec of a workload, nil for other kinds.
func workloadPodSpec(o renderedObject) map[string]any {
	switch o.kind() {
	case "Deployment", "DaemonSet", "StatefulSet", "Job":
		spec, _ := dig(o.u, "spec", "template", "spec").(map[string]any)
		if spec == nil {
			return map[string]any{} // fails the container checks below
		}
		return spec
	}
	return nil
}

func checkPodSpec(t *testing.T, o renderedObject, spec map[string]any, cc contractCase, hub, tag string) {
	t.Helper()
	containers := append(digList(spec, "containers"), digList(spec, "initContainers")...)
	if len(containers) == 0 {
		t.Errorf("%v: no containers", o)
	}
	for _, c := range containers {
		name := digString(c, "name")
		where := fmt.Sprintf("%v container %s", o, name)
		image, ok := cc.images[name]
		if !ok {
			t.Errorf("%s: unexpected container", where)
			continue
		}
		if got, want := digString(c, "image"), hub+"/"+image+":"+tag; got != want {
			t.Errorf("%s: image %q, want %q", where, got, want)
		}
		if req, _ := dig(c, "resources", "requests").(map[string]any); len(req) == 0 {
			t.Errorf("%s: no resource requests", where)
		}
		if dig(c, "readinessProbe") == nil {
			t.Errorf("%s: no readiness probe", where)
		}
		if caps := digList(c, "securityContext", "capabilities", "drop"); !slices.Contains(caps, any("ALL")) {
			t.Errorf("%s: capabilities.drop = %v, want ALL", where, caps)
		}
		if dig(c, "securityContext", "readOnlyRootFilesystem") != true {
			t.Errorf("%s: root filesystem is writable", where)
		}
		if dig(c, "securityContext", "privileged") == true {
			t.Errorf("%s: privileged by default", where)
		}
		added := digList(c, "securityContext", "capabilities", "add")
		user := effectiveSecurity(c, spec, "runAsUser")
		nonRoot := effectiveSecurity(c, spec, "runAsNonRoot")
		if cc.rootAgent {
			for _, capability := range added {
				if !slices.Contains(cc.allowedCaps, capability.(string)) {
					t.Errorf("%s: adds capability %v beyond the documented %v", where, capability, cc.allowedCaps)
				}
			}
			continue
		}
		if len(added) > 0 {
			t.Errorf("%s: adds capabilities %v", where, added)
		}
		if nonRoot != true || user == nil || user == float64(0) {
			t.Errorf("%s: runAsNonRoot=%v runAsUser=%v, want non-root", where, nonRoot, user)
		}
		if dig(c, "securityContext", "allowPrivilegeEscalation") != false {
			t.Errorf("%s: allowPrivilegeEscalation is not false", where)
		}
	}
}

// effectiveSecurity returns a securityContext field from the container, else from the pod.
func effectiveSecurity(container any, pod map[string]any, field string) any {
	if v := dig(container, "securityContext", field); v != nil {
		return v
	}
	return dig(pod, "securityContext", field)
}

func TestIstiodNamesAndWebhooks(t *testing.T) {
	ch := loadEmbeddedChart(t, "istio-control/istio-discovery")
	tests := []struct {
		rev          string
		names        []string // kind/name that must exist
		webhooks     []string
		selectsRev   string
		validatorHas []string
	}{
		{
			rev: "",
			names: []string{"Deployment/istiod", "Service/istiod", "ConfigMap/istio", "ConfigMap/istio-sidecar-injector",
				"MutatingWebhookConfiguration/istio-sidecar-injector", "ValidatingWebhookConfiguration/istio-validator-istio-system",
				"ServiceAccount/istiod", "ClusterRole/istiod-clusterrole-istio-system", "ClusterRoleBinding/istiod-clusterrole-istio-system",
				"Role/istiod", "RoleBinding/istiod", "PodDisruptionBudget/istiod", "HorizontalPodAutoscaler/istiod"},
			webhooks: []string{"rev.namespace.sidecar-injector.istio.io", "rev.object.sidecar-injector.istio.io",
				"namespace.sidecar-injector.istio.io", "object.sidecar-injector.istio.io"},
			selectsRev:   "default",
			validatorHas: []string{"rev.validation.istio.io", "validation.istio.io"},
		},
		{
			rev: "canary",
			names: []string{"Deployment/istiod-canary", "Service/istiod-canary", "ConfigMap/istio-canary",
				"ConfigMap/istio-sidecar-injector-canary", "MutatingWebhookConfiguration/istio-sidecar-injector-canary",
				"ValidatingWebhookConfiguration/istio-validator-canary-istio-system", "ServiceAccount/istiod-canary",
				"ClusterRole/istiod-clusterrole-canary-istio-system", "Role/istiod-canary", "PodDisruptionBudget/istiod-canary",
				"HorizontalPodAutoscaler/istiod-canary"},
			webhooks:     []string{"rev.namespace.sidecar-injector.istio.io", "rev.object.sidecar-injector.istio.io"},
			selectsRev:   "canary",
			validatorHas: []string{"rev.validation.istio.io"},
		},
	}
	for _, tt := range tests {
		t.Run("rev="+tt.rev, func(t *testing.T) {
			objs := splitManifest(t, renderChart(t, ch, map[string]any{"revision": tt.rev}))
			for _, kn := range tt.names {
				kind, name, _ := strings.Cut(kn, "/")
				findObject(t, objs, kind, name)
			}
			suffix := ""
			if tt.rev != "" {
				suffix = "-" + tt.rev
			}
			mwc := findObject(t, objs, "MutatingWebhookConfiguration", "istio-sidecar-injector"+suffix)
			var names []string
			for _, wh := range digList(mwc.u, "webhooks") {
				names = append(names, digString(wh, "name"))
				checkWebhookClient(t, wh, "istiod"+suffix, "/inject", 443)
				if got := digString(wh, "failurePolicy"); got != "Fail" {
					t.Errorf("%s: failurePolicy %q", digString(wh, "name"), got)
				}
				if got := digString(wh, "sideEffects"); got != "None" {
					t.Errorf("%s: sideEffects %q", digString(wh, "name"), got)
				}
				if got := digString(wh, "reinvocationPolicy"); got != "Never" {
					t.Errorf("%s: reinvocationPolicy %q", digString(wh, "name"), got)
				}
				if got := fmt.Sprint(dig(wh, "admissionReviewVersions")); got != "[v1]" {
					t.Errorf("%s: admissionReviewVersions %s", digString(wh, "name"), got)
				}
				if obj := fmt.Sprint(dig(wh, "objectSelector")); !strings.Contains(obj, "sidecar.istio.io/inject") {
					t.Errorf("%s: objectSelector %s ignores sidecar.istio.io/inject", digString(wh, "name"), obj)
				}
			}
			if !slices.Equal(names, tt.webhooks) {
				t.Errorf("webhooks %v, want %v", names, tt.webhooks)
			}
			// The revision webhook selects namespaces labelled istio.io/rev=<rev>.
			ns := fmt.Sprint(dig(digList(mwc.u, "webhooks")[0], "namespaceSelector"))
			if !strings.Contains(ns, "key:istio.io/rev operator:In values:["+tt.selectsRev+"]") {
				t.Errorf("rev.namespace selector %s does not select istio.io/rev=%s", ns, tt.selectsRev)
			}

			vwc := findObject(t, objs, "ValidatingWebhookConfiguration", "istio-validator"+suffix+"-istio-system")
			names = nil
			for _, wh := range digList(vwc.u, "webhooks") {
				names = append(names, digString(wh, "name"))
				checkWebhookClient(t, wh, "istiod"+suffix, "/validate", 443)
				if got := digString(wh, "failurePolicy"); got != "Ignore" {
					t.Errorf("%s: failurePolicy %q, want Ignore until meshd is ready", digString(wh, "name"), got)
				}
				groups := fmt.Sprint(dig(digList(wh, "rules")[0], "apiGroups"))
				for _, g := range []string{"networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io"} {
					if !strings.Contains(groups, g) {
						t.Errorf("%s: rules miss %s", digString(wh, "name"), g)
					}
				}
			}
			if !slices.Equal(names, tt.validatorHas) {
				t.Errorf("validating webhooks %v, want %v", names, tt.validatorHas)
			}

			svc := findObject(t, objs, "Service", "istiod"+suffix)
			wantPorts := map[string][2]float64{"grpc-xds": {15010, 15010}, "https-dns": {15012, 15012}, "https-webhook": {443, 15017}, "http-monitoring": {15014, 15014}}
			checkServicePorts(t, svc, wantPorts)
			if got := digString(svc.u, "spec", "selector", "istio.io/rev"); got != tt.selectsRev {
				t.Errorf("Service selects istio.io/rev=%q, want %q", got, tt.selectsRev)
			}
			mesh := digString(findObject(t, objs, "ConfigMap", "istio"+suffix).u, "data", "mesh")
			if !strings.Contains(mesh, "discoveryAddress: istiod"+suffix+".istio-system.svc:15012") {
				t.Errorf("mesh config has no discoveryAddress for istiod%s:\n%s", suffix, mesh)
			}
		})
	}
}

func checkWebhookClient(t *testing.T, wh any, service, path string, port float64) {
	t.Helper()
	name := digString(wh, "name")
	if got := digString(wh, "clientConfig", "service", "name"); got != service {
		t.Errorf("%s: service %q, want %q", name, got, service)
	}
	if got := digString(wh, "clientConfig", "service", "namespace"); got != chartsNamespace {
		t.Errorf("%s: service namespace %q", name, got)
	}
	if got := digString(wh, "clientConfig", "service", "path"); got != path {
		t.Errorf("%s: path %q, want %q", name, got, path)
	}
	if got := dig(wh, "clientConfig", "service", "port"); got != port {
		t.Errorf("%s: port %v, want %v", name, got, port)
	}
	if dig(wh, "clientConfig", "caBundle") != nil {
		t.Errorf("%s: has a caBundle; meshd patches it at run time", name)
	}
}

// checkServicePorts asserts the Service has exactly these ports: name -> {port, targetPort}.
func checkServicePorts(t *testing.T, svc renderedObject, want map[string][2]float64) {
	t.Helper()
	got := map[string][2]float64{}
	for _, p := range digList(svc.u, "spec", "ports") {
		port, _ := dig(p, "port").(float64)
		target, _ := dig(p, "targetPort").(float64)
		got[digString(p, "name")] = [2]float64{port, target}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%v: ports %v, want %v", svc, got, want)
	}
}

func TestGatewayServices(t *testing.T) {
	tests := []struct {
		dir, name, svcType, istioLabel string
		ports                          map[string][2]float64
	}{
		{"gateways/istio-ingress", "istio-ingressgateway", "LoadBalancer", "ingressgateway",
			map[string][2]float64{"status-port": {15021, 15021}, "http2": {80, 8080}, "https": {443, 8443}}},
		{"gateways/istio-egress", "istio-egressgateway", "ClusterIP", "egressgateway",
			map[string][2]float64{"http2": {80, 8080}, "https": {443, 8443}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := splitManifest(t, renderChart(t, loadEmbeddedChart(t, tt.dir), nil))
			svc := findObject(t, objs, "Service", tt.name)
			checkServicePorts(t, svc, tt.ports)
			if got := digString(svc.u, "spec", "type"); got != tt.svcType {
				t.Errorf("Service type %q, want %q", got, tt.svcType)
			}
			for _, o := range []renderedObject{svc, findObject(t, objs, "Deployment", tt.name)} {
				checkObjectLabels(t, o, map[string]string{"app": tt.name, "istio": tt.istioLabel})
			}
			if got := digString(svc.u, "spec", "selector", "istio"); got != tt.istioLabel {
				t.Errorf("Service selects istio=%q, want %q", got, tt.istioLabel)
			}
			dep := findObject(t, objs, "Deployment", tt.name)
			c := digList(dep.u, "spec", "template", "spec", "containers")[0]
			if got := digString(c, "readinessProbe", "httpGet", "path"); got != "/healthz/ready" {
				t.Errorf("readiness path %q", got)
			}
			if got := dig(c, "readinessProbe", "httpGet", "port"); got != float64(15021) {
				t.Errorf("readiness port %v", got)
			}
			if got := fmt.Sprint(digList(c, "args")[:2]); got != "[proxy router]" {
				t.Errorf("args start %s, want [proxy router]", got)
			}
			if got := containerEnv(c, "CA_ADDR"); got != "istiod.istio-system.svc:15012" {
				t.Errorf("CA_ADDR %q", got)
			}
			findObject(t, objs, "ServiceAccount", tt.name+"-service-account")
			findObject(t, objs, "Role", tt.name+"-sds")
			findObject(t, objs, "RoleBinding", tt.name+"-sds")
			findObject(t, objs, "PodDisruptionBudget", tt.name)
			findObject(t, objs, "HorizontalPodAutoscaler", tt.name)
		})
	}
}

// A second ingress gateway is the same chart rendered with another name and labels.
func TestGatewayRenamed(t *testing.T) {
	vals := map[string]any{
		"revision": "canary",
		"gateways": map[string]any{"istio-ingressgateway": map[string]any{
			"name":   "internal-gw",
			"labels": map[string]any{"app": "internal-gw", "istio": "internal"},
			"type":   "ClusterIP",
		}},
	}
	objs := splitManifest(t, renderChart(t, loadEmbeddedChart(t, "gateways/istio-ingress"), vals))
	for _, o := range objs {
		if !strings.HasPrefix(o.name(), "internal-gw") {
			t.Errorf("%v: not named after the gateway", o)
		}
		if got := digString(o.u, "metadata", "labels", "istio"); got != "internal" {
			t.Errorf("%v: label istio=%q", o, got)
		}
		if strings.Contains(o.raw, "ingressgateway") {
			t.Errorf("%v: still mentions ingressgateway:\n%s", o, o.raw)
		}
	}
	dep := findObject(t, objs, "Deployment", "internal-gw")
	if got := fmt.Sprint(dig(dep.u, "spec", "selector", "matchLabels")); got != "map[app:internal-gw istio:internal]" {
		t.Errorf("selector %s", got)
	}
	c := digList(dep.u, "spec", "template", "spec", "containers")[0]
	if got := containerEnv(c, "CA_ADDR"); got != "istiod-canary.istio-system.svc:15012" {
		t.Errorf("CA_ADDR %q, want the canary control plane", got)
	}
	if got := digString(findObject(t, objs, "Service", "internal-gw").u, "spec", "type"); got != "ClusterIP" {
		t.Errorf("Service type %q", got)
	}
}

func containerEnv(container any, name string) string {
	for _, e := range digList(container, "env") {
		if digString(e, "name") == name {
			return digString(e, "value")
		}
	}
	return ""
}

func containerEnvNames(container any) []string {
	var names []string
	for _, e := range digList(container, "env") {
		names = append(names, digString(e, "name"))
	}
	return names
}
