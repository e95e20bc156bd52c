package analyze_test

import (
	"context"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/analyze/analyzers"
	"github.com/meshctl/meshctl/analyze/analyzetest"
	"github.com/meshctl/meshctl/internal/yamlbomb"
)

// FuzzRun feeds arbitrary input through reading, decoding and every analyzer: nothing may panic (an
// analyzer panic shows as IST0001), every unreadable document is reported with its file, and findings
// from files carry a line.
func FuzzRun(f *testing.F) {
	f.Add(string(analyzetest.SyntheticInput(10)))
	f.Add("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec:\n  hosts: [\"*\"]\n  http: [{route: [{destination: {host: b, port: {number: -1}}}]}]\n")
	f.Add("kind: List\napiVersion: v1\nitems: [{kind: Gateway, apiVersion: networking.istio.io/v1, metadata: {name: g}, spec: {servers: 3}}]\n")
	f.Add("a: [\n---\nkind: Service\n")
	f.Add(yamlbomb.Laughs)
	// The shapes the newer analyzers read from maps rather than decoded specs.
	f.Add("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  parentRefs: [{name: gw, sectionName: x}, {kind: Service, group: \"\", name: s}]\n  rules: [{backendRefs: [{name: b, namespace: o, port: 80}]}]\nstatus: {parents: [{conditions: [{type: Accepted, status: \"False\"}]}]}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec: {listeners: [{name: x, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {a: b}}}, kinds: [{kind: GRPCRoute}]}, tls: {certificateRefs: [{name: c, namespace: z}]}}]}\n")
	f.Add("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata: {meshNetworks: \"networks: {n: {endpoints: [{fromRegistry: c}], gateways: [{registryServiceName: x}]}}\"}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-sidecar-injector, namespace: istio-system}\ndata: {values: '{\"global\": {\"hub\": 1, \"proxy\": []}, \"compatibilityVersion\": 1.2}'}\n")
	f.Add("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: tlsroutes.gateway.networking.k8s.io, annotations: {gateway.networking.k8s.io/bundle-version: vx.y}}\nspec: {versions: [{name: v1beta9alpha, served: true}, 3]}\n")
	f.Add("apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: w, labels: {istio.io/rev: x}}\nwebhooks: [{name: a, clientConfig: {url: \"http://[::1\"}}, {name: b, clientConfig: {url: 7}}]\n")
	f.Fuzz(func(t *testing.T, in string) {
		res, err := analyze.Run(context.Background(), analyze.Options{Paths: []string{"-"}, Stdin: strings.NewReader(in),
			Namespace: "default", RootNamespace: "istio-system", Analyzers: analyzers.All()})
		if err != nil {
			t.Fatalf("Run failed instead of reporting: %v", err)
		}
		for _, f := range res.Findings {
			if f.Code == "IST0001" {
				t.Fatalf("analyzer panicked: %s", f.Message)
			}
			if f.Origin.File != "-" {
				t.Fatalf("finding without its file: %v", f)
			}
		}
	})
}
