package analyzers

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/analyze"
)

// analyzerCase is one case of TestAnalyzers: the analyzer to run, its YAML input, and the findings
// expected as "CODE Kind name.namespace field".
type analyzerCase struct {
	name, analyzer, input string
	want                  []string
}

// wideCase is a case with more input: other clusters' YAML by cluster name, and the DNS the analyzers
// may resolve names with (nil: no resolution, as for files alone).
type wideCase struct {
	analyzerCase
	remotes map[string]string
	hosts   map[string][]string
}

// run analyzes YAML with one analyzer and returns "CODE Kind name.ns field" per finding.
func run(t *testing.T, name, input string) []string {
	t.Helper()
	return runCase(t, wideCase{analyzerCase: analyzerCase{analyzer: name, input: input}})
}

func writeInput(t *testing.T, name, input string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCase(t *testing.T, tc wideCase) []string {
	t.Helper()
	path := writeInput(t, "in.yaml", tc.input)
	sel, err := Select([]string{tc.analyzer})
	if err != nil {
		t.Fatal(err)
	}
	opts := analyze.Options{Paths: []string{path}, Namespace: "default", RootNamespace: "istio-system", Analyzers: sel, ClusterName: "cluster1"}
	for _, name := range sortedKeys(tc.remotes) {
		opts.Remotes = append(opts.Remotes, analyze.RemoteInput{Name: name, Paths: []string{writeInput(t, name+".yaml", tc.remotes[name])}})
	}
	if tc.hosts != nil {
		opts.LookupHost = func(_ context.Context, host string) ([]string, error) {
			if addrs, ok := tc.hosts[host]; ok {
				return addrs, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
	}
	res, err := analyze.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range res.Findings {
		if f.Origin.Line == 0 {
			t.Errorf("finding without a line: %v", f)
		}
		if !strings.HasPrefix(f.Documentation, analyze.DocsBase) {
			t.Errorf("finding without documentation URL: %v", f)
		}
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", f.Code, f.Resource, f.Field)))
		fired.record(f.Analyzer, f.Code)
	}
	return out
}

const (
	svcReviews = `apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  selector: {app: reviews}
  ports:
  - {name: http, port: 9080}
---
`
	deployReviews = `apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1}
spec:
  selector: {matchLabels: {app: reviews}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec:
      containers:
      - name: reviews
        image: reviews
        ports:
        - {containerPort: 9080, name: http}
---
`
	drReviews = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
---
`
	ingress = `apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template:
    metadata: {labels: {istio: ingressgateway}}
    spec:
      containers:
      - name: istio-proxy
        image: proxy
        ports:
        - {containerPort: 8080}
        - {containerPort: 8443}
---
apiVersion: v1
kind: Service
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  ports:
  - {name: http2, port: 80, targetPort: 8080}
  - {name: https, port: 443, targetPort: 8443}
---
`
)

func vs(body string) string {
	return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n" + body + "\n---\n"
}

func gw(name, body string) string {
	return "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: " + name + "}\nspec:\n  selector: {istio: ingressgateway}\n" + body + "\n---\n"
}

func TestAnalyzers(t *testing.T) {
	cases := wideCases
	for _, c := range slices.Concat(coreCases, referenceCases, ruleCases, gatewayCases, gatewayAPICases, workloadCases, envoyFilterCases,
		controlPlaneCases, policyCases, clusterStateCases) {
		cases = append(cases, wideCase{analyzerCase: c})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := runCase(t, tc)
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("analyzer %s\n got: %q\nwant: %q", tc.analyzer, got, want)
			}
		})
	}
}

// coreCases make each analyzer report, and keep it quiet on valid input.
var coreCases = []analyzerCase{
	// schema
	{"valid virtual service", "schema", vs("  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}"), nil},
	{"bad duration and unknown field", "schema", vs("  hosts: [reviews]\n  http:\n  - timeout: 10 seconds\n    rout: []\n    route:\n    - destination: {host: reviews}"),
		[]string{"IST0106 VirtualService reviews.default spec.http[0].rout", "IST0106 VirtualService reviews.default spec.http[0].timeout"}},
	{"weights and regex", "schema", vs("  hosts: [reviews]\n  http:\n  - match:\n    - uri: {regex: \"(\"}\n    route:\n    - {destination: {host: a}, weight: 50}\n    - {destination: {host: b}, weight: 40}"),
		[]string{"IST0122 VirtualService reviews.default spec.http[0].match[0].uri.regex", "IST0133 VirtualService reviews.default spec.http[0].route"}},
	{"bad host, port and enum", "schema", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\nspec:\n  host: \"re*views\"\n  trafficPolicy:\n    loadBalancer: {simple: FASTEST}\n    portLevelSettings:\n    - port: {number: 70000}\n",
		// Semantic rules (the port range) wait until the decoding errors are fixed.
		[]string{"IST0106 DestinationRule d.default spec.trafficPolicy.loadBalancer.simple"}},
	{"port range", "schema", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\nspec:\n  host: reviews\n  trafficPolicy:\n    portLevelSettings:\n    - port: {number: 70000}\n",
		[]string{"IST0106 DestinationRule d.default spec.trafficPolicy.portLevelSettings[0].port.number"}},
	{"wildcard in the middle", "schema", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\nspec:\n  host: \"re*views\"\n", []string{"IST0106 DestinationRule d.default spec.host"}},
	{"subset label map", "schema", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\nspec:\n  host: reviews\n  subsets:\n  - name: v1\n    labels: {\"bad key!\": v1}\n",
		[]string{`IST0106 DestinationRule d.default spec.subsets[0].labels["bad key!"]`}},
	{"mutually exclusive", "schema", vs("  hosts: [reviews]\n  http:\n  - match:\n    - uri: {exact: /a, prefix: /b}\n    route:\n    - destination: {host: reviews}"),
		[]string{"IST0106 VirtualService reviews.default spec.http[0].match[0].uri.prefix"}},
	{"gateway servers", "schema", gw("g", "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [\"*.example.com\"]"), []string{"IST0106 Gateway g.default spec.servers[0].tls"}},
	// references
	{"subset not found", "virtualservice.destinations", svcReviews + drReviews + vs("  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v4}"),
		[]string{"IST0101 VirtualService reviews.default spec.http[0].route[0].destination.subset"}},
	{"host not found", "virtualservice.destinations", svcReviews + vs("  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: ratings}"),
		[]string{"IST0101 VirtualService reviews.default spec.http[0].route[0].destination.host"}},
	{"destinations fine", "virtualservice.destinations", svcReviews + drReviews + vs("  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews.default.svc.cluster.local, subset: v1}"), nil},
	{"port required", "virtualservice.destinations", "apiVersion: v1\nkind: Service\nmetadata: {name: reviews}\nspec:\n  ports: [{name: http, port: 80}, {name: grpc, port: 81}]\n---\n" + vs("  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}"),
		[]string{"IST0112 VirtualService reviews.default spec.http[0].route[0].destination"}},
	{"gateway not found", "virtualservice.gateways", vs("  hosts: [a.example.com]\n  gateways: [nope]\n  http:\n  - route:\n    - destination: {host: reviews}"),
		[]string{"IST0101 VirtualService reviews.default spec.gateways[0]"}},
	{"host not in gateway", "virtualservice.gateways", gw("g", "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [a.example.com]") + vs("  hosts: [b.example.com]\n  gateways: [g]\n  http:\n  - route:\n    - destination: {host: reviews}"),
		[]string{"IST0132 VirtualService reviews.default spec.hosts"}},
	{"host in gateway", "virtualservice.gateways", gw("g", "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [\"*.example.com\"]") + vs("  hosts: [b.example.com]\n  gateways: [g]\n  http:\n  - route:\n    - destination: {host: reviews}"), nil},
	{"delegate missing", "virtualservice.delegates", vs("  hosts: [reviews]\n  http:\n  - delegate: {name: other}"), []string{"IST0101 VirtualService reviews.default spec.http[0].delegate"}},
	{"mesh host conflict", "virtualservice.conflicts", vs("  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}") + strings.Replace(vs("  hosts: [reviews.default.svc.cluster.local]\n  http:\n  - route:\n    - destination: {host: reviews}"), "name: reviews", "name: reviews2", 1),
		[]string{"IST0109 VirtualService reviews.default spec.hosts", "IST0109 VirtualService reviews2.default spec.hosts"}},
	{"unreachable and duplicate", "virtualservice.rules", vs("  hosts: [reviews]\n  http:\n  - match: [{uri: {prefix: /a}}]\n    route: [{destination: {host: reviews}}]\n  - match: [{uri: {prefix: /a}}, {uri: {prefix: /b}}]\n    route: [{destination: {host: reviews}}]\n  - route: [{destination: {host: reviews}}]\n  - route: [{destination: {host: reviews}}]"),
		[]string{"IST0131 VirtualService reviews.default spec.http[1].match[0]", "IST0130 VirtualService reviews.default spec.http[3]"}},
	{"dr host unknown", "destinationrule.hosts", svcReviews + "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\nspec: {host: reveiws}\n", []string{"IST0174 DestinationRule d.default spec.host"}},
	{"subset selects no pods", "destinationrule.hosts", svcReviews + deployReviews + drReviews + "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d4}\nspec:\n  host: reviews\n  subsets:\n  - {name: v4, labels: {version: v4}}\n",
		[]string{"IST0173 DestinationRule d4.default spec.subsets[0]"}},
	{"tls without ca", "destinationrule.tls", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: db}\nspec:\n  host: db.example.com\n  trafficPolicy:\n    tls: {mode: SIMPLE}\n    portLevelSettings:\n    - port: {number: 443}\n      tls: {mode: SIMPLE, caCertificates: /ca.pem}\n    - port: {number: 8443}\n      tls: {mode: SIMPLE}\n",
		[]string{"IST0128 DestinationRule db.default spec.trafficPolicy.tls", "IST0129 DestinationRule db.default spec.trafficPolicy.portLevelSettings[1].tls"}},
	{"tls off towards strict", "destinationrule.tls", svcReviews + deployReviews + "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default}\nspec: {mtls: {mode: STRICT}}\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews\n  trafficPolicy: {tls: {mode: DISABLE}}\n",
		[]string{"IST0113 DestinationRule r.default spec.trafficPolicy.tls.mode"}},
	// Files alone are all there is: a selector that no pod or workload matches is reported, as istioctl does.
	{"gateway selects nothing", "gateway.workloads", strings.ReplaceAll(ingress, "istio: ingressgateway}", "istio: other}") + gw("g", "  servers:\n  - port: {number: 8080, name: http, protocol: HTTP}\n    hosts: [\"*\"]"),
		[]string{"IST0101 Gateway g.default spec.selector"}},
	{"gateway without pods in the input", "gateway.workloads", gw("g", "  servers:\n  - port: {number: 8080, name: http, protocol: HTTP}\n    hosts: [\"*\"]"),
		[]string{"IST0101 Gateway g.default spec.selector"}},
	{"gateway selects pods", "gateway.workloads", ingress + gw("g", "  servers:\n  - port: {number: 8080, name: http, protocol: HTTP}\n    hosts: [\"*\"]"), nil},
	// With workloads known in the Gateway's namespace and the mesh's, a selector that matches none is a finding.
	{"gateway selector not found", "gateway.workloads", strings.ReplaceAll(ingress, "istio: ingressgateway}", "istio: other}") + deployReviews + gw("g", "  servers:\n  - port: {number: 8080, name: http, protocol: HTTP}\n    hosts: [\"*\"]"),
		[]string{"IST0101 Gateway g.default spec.selector"}},
	{"gateway port not on service", "gateway.workloads", ingress + gw("g", "  servers:\n  - port: {number: 8080, name: http, protocol: HTTP}\n    hosts: [\"*\"]\n  - port: {number: 9999, name: other, protocol: HTTP}\n    hosts: [\"*\"]"),
		[]string{"IST0104 Gateway g.default spec.servers[1].port.number", "IST0162 Gateway g.default spec.servers[1].port.number"}},
	{"conflicting gateways", "gateway.conflicts", gw("a", "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [x.example.com]") + gw("b", "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [\"*.example.com\"]"),
		[]string{"IST0145 Gateway b.default spec.servers[0]"}},
	{"duplicate certificate", "gateway.conflicts", gw("a", "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [a.example.com]\n    tls: {mode: SIMPLE, credentialName: cert}") + gw("b", "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [b.example.com]\n    tls: {mode: SIMPLE, credentialName: cert}"),
		[]string{"IST0138 Gateway a.default spec.servers", "IST0138 Gateway b.default spec.servers"}},
	{"missing credential", "gateway.credentials", ingress + "apiVersion: v1\nkind: Secret\nmetadata: {name: other, namespace: istio-system}\n---\n" + gw("g", "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [a.example.com]\n    tls: {mode: SIMPLE, credentialName: cert}"),
		[]string{"IST0101 Gateway g.default spec.servers[0].tls.credentialName"}},
	// workloads and namespaces
	{"namespace labels", "injection", "apiVersion: v1\nkind: Namespace\nmetadata: {name: frod}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: both, labels: {istio-injection: enabled, istio.io/rev: canary}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ok, labels: {istio-injection: enabled}}\n",
		[]string{"IST0123 Namespace both metadata.labels", "IST0102 Namespace frod metadata"}},
	{"pod missing proxy", "injection", "apiVersion: v1\nkind: Namespace\nmetadata: {name: default, labels: {istio-injection: enabled}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: x}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec:\n  containers: [{name: app, image: x}, {name: istio-proxy, image: y}]\n",
		[]string{"IST0103 Pod p.default spec.containers"}},
	{"port naming", "service.ports", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{name: foo, port: 80}, {name: http-api, port: 81}, {name: x, appProtocol: grpc, port: 82}]\n", []string{"IST0118 Service s.default spec.ports[0].name"}},
	{"named target port missing", "service.ports", deployReviews + "apiVersion: v1\nkind: Service\nmetadata: {name: reviews}\nspec:\n  selector: {app: reviews}\n  ports: [{name: http, port: 80, targetPort: web}]\n",
		[]string{"MSH1101 Service reviews.default spec.ports[0].targetPort"}},
	{"several services", "deployment.services", deployReviews + svcReviews + "apiVersion: v1\nkind: Service\nmetadata: {name: reviews-tcp}\nspec:\n  selector: {app: reviews}\n  ports: [{name: tcp, port: 9080}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: reviews-80}\nspec:\n  selector: {app: reviews}\n  ports: [{name: http, port: 80, targetPort: 9080}]\n",
		[]string{"IST0116 Deployment reviews-v1.default", "IST0137 Deployment reviews-v1.default"}},
	{"uid 1337", "workload.uid", strings.Replace(deployReviews, "      - name: reviews\n", "      - name: reviews\n        securityContext: {runAsUser: 1337}\n", 1),
		[]string{"IST0144 Deployment reviews-v1.default spec.template.spec.containers[0].securityContext.runAsUser"}},
	{"selector matches nothing", "selectors", deployReviews + "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec:\n  selector: {matchLabels: {app: ratings}}\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\nspec:\n  selector: {matchLabels: {app: reviews}}\n",
		[]string{"IST0127 AuthorizationPolicy a.default spec.selector.matchLabels"}},
	// security and sidecars
	{"ineffective and deny-all", "security.policies", "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\nspec:\n  portLevelMtls: {\"8080\": {mode: DISABLE}}\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny}\nspec: {}\n",
		[]string{"MSH1102 AuthorizationPolicy deny.default spec", "IST0167 PeerAuthentication p.default spec.portLevelMtls"}},
	{"jwt claims without request authentication", "virtualservice.jwtclaims", ingress + gw("g", "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [\"*\"]") + vs("  hosts: [\"*\"]\n  gateways: [g]\n  http:\n  - match:\n    - headers: {\"@request.auth.claims.group\": {exact: admin}}\n    route: [{destination: {host: reviews}}]"),
		[]string{"IST0149 VirtualService reviews.default spec.http[0].match[0].headers"}},
	{"sidecars", "sidecar.selectors", deployReviews + "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: a}\nspec: {egress: [{hosts: [\"./*\"]}]}\n---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: b}\nspec: {egress: [{hosts: [\"./*\"]}]}\n---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: c}\nspec: {workloadSelector: {labels: {app: reviews}}, egress: [{hosts: [\"./*\"]}]}\n---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: d}\nspec: {workloadSelector: {labels: {version: v1}}, egress: [{hosts: [\"./*\"]}]}\n",
		[]string{"IST0111 Sidecar a.default spec", "IST0111 Sidecar b.default spec", "IST0110 Sidecar c.default spec.workloadSelector", "IST0110 Sidecar d.default spec.workloadSelector"}},
	// annotations, webhooks, API versions
	{"annotations", "annotations", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations: {sidecar.istio.io/injet: \"true\", sidecar.istio.io/inject: \"true\", example.com/x: y}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: {sidecar.istio.io/inject: \"enabled\"}\nspec: {containers: [{name: a, image: b}]}\n",
		[]string{`IST0125 Pod p.default metadata.annotations["sidecar.istio.io/inject"]`, `IST0135 Pod p.default metadata.annotations["sidecar.istio.io/inject"]`, `IST0107 Service s.default metadata.annotations["sidecar.istio.io/inject"]`, `IST0108 Service s.default metadata.annotations["sidecar.istio.io/injet"]`}},
	// sidecar.istio.io/proxyCPU is FeatureStatus Alpha in istio.io/api; inject is not, and is not reported.
	{"alpha annotation", "annotations", strings.Replace(deployReviews, "labels: {app: reviews, version: v1}}", "labels: {app: reviews, version: v1}, annotations: {sidecar.istio.io/proxyCPU: 100m}}", 1),
		[]string{`IST0136 Deployment reviews-v1.default spec.template.metadata.annotations["sidecar.istio.io/proxyCPU"]`}},
	{"webhook service missing", "webhooks", "apiVersion: v1\nkind: Service\nmetadata: {name: istiod, namespace: istio-system}\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: istio-sidecar-injector, labels: {istio.io/rev: canary}}\nwebhooks:\n- name: a.sidecar-injector.istio.io\n  clientConfig: {service: {name: istiod-canary, namespace: istio-system}}\n  namespaceSelector: {matchLabels: {istio.io/rev: canary}}\n",
		[]string{"IST0139 MutatingWebhookConfiguration istio-sidecar-injector webhooks[0].clientConfig.service"}},
	{"removed api version", "apiversions", "apiVersion: admissionregistration.k8s.io/v1beta1\nkind: MutatingWebhookConfiguration\nmetadata: {name: w}\n---\napiVersion: networking.istio.io/v1alpha3\nkind: Gateway\nmetadata: {name: g}\nspec: {}\n",
		[]string{"MSH1005 Gateway g.default apiVersion", "MSH1004 MutatingWebhookConfiguration w apiVersion"}},
	{"metadata", "metadata", "apiVersion: v1\nkind: Service\nmetadata: {name: Bad_Name}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", []string{"MSH1002 ConfigMap .default metadata.name", "MSH1002 Service Bad_Name.default metadata.name"}},
	{"service entry addresses", "serviceentry", "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: db}\nspec:\n  hosts: [db.example.com]\n  resolution: DNS\n  ports: [{number: 5432, name: tcp, protocol: TCP}]\n",
		[]string{"IST0134 ServiceEntry db.default spec.ports[0].protocol"}},
	{"telemetry", "telemetry", "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: a}\nspec: {tracing: [{providers: [{name: \"\"}]}]}\n---\napiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: b}\nspec: {}\n",
		[]string{"IST0157 Telemetry a.default spec", "IST0160 Telemetry a.default spec", "IST0160 Telemetry b.default spec"}},
}

// TestEveryAnalyzerDeclaresKnownCodes: every analyzer describes itself and declares only codes of the code
// table. That each declared code fires in a case of TestAnalyzers is TestEveryDeclaredCodeFires.
func TestEveryAnalyzerDeclaresKnownCodes(t *testing.T) {
	for _, a := range All() {
		m := a.Metadata()
		if m.Name == "" || m.Description == "" || len(m.Codes) == 0 {
			t.Errorf("analyzer %q: incomplete metadata", m.Name)
		}
		for _, c := range m.Codes {
			if _, ok := analyze.LookupCode(c); !ok {
				t.Errorf("analyzer %s declares unknown code %s", m.Name, c)
			}
		}
	}
}

func TestAnnotationSuppresses(t *testing.T) {
	in := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: frod\n  annotations: {galley.istio.io/analyze-suppress: \"IST0102\"}\n"
	if got := run(t, "injection", in); len(got) != 0 {
		t.Fatalf("suppressed by annotation, got %v", got)
	}
}
