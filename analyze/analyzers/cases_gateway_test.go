package analyzers

import (
	"context"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/analyze"
)

const httpsServer = "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [a.example.com]\n    tls: {mode: SIMPLE, credentialName: cert}"

// gatewayCases cover Gateways: credentials where the pods run, conflicts between selectors that pick
// the same pods, shared certificates, ports behind named target ports.
var gatewayCases = []analyzerCase{
	// The Secret exists, but in the Gateway's namespace, not where the gateway pods run.
	{"credential in the wrong namespace", "gateway.credentials", ingress + "apiVersion: v1\nkind: Secret\nmetadata: {name: cert}\ntype: kubernetes.io/tls\ndata: {tls.crt: YQ==, tls.key: YQ==}\n---\n" + gw("g", httpsServer),
		[]string{"IST0101 Gateway g.default spec.servers[0].tls.credentialName"}},
	{"credential without a key", "gateway.credentials", ingress + "apiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: istio-system}\ndata: {tls.crt: YQ==}\n---\n" + gw("g", httpsServer),
		[]string{"IST0161 Gateway g.default spec.servers[0].tls.credentialName"}},
	{"credential fine", "gateway.credentials", ingress + "apiVersion: v1\nkind: Secret\nmetadata: {name: cert, namespace: istio-system}\ntype: kubernetes.io/tls\ndata: {tls.crt: YQ==, tls.key: YQ==}\n---\n" + gw("g", httpsServer), nil},
	// Certificates are rarely in the repository: without Secrets or workloads there, nothing is said.
	{"credential not in the input", "gateway.credentials", gw("g", httpsServer), nil},
	// A selector that is a subset of another selects the same pods.
	{"conflicting gateways with subset selectors", "gateway.conflicts", gw("a", "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [x.example.com]") +
		strings.Replace(gw("b", "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [x.example.com]"), "selector: {istio: ingressgateway}", "selector: {istio: ingressgateway, app: istio-ingressgateway}", 1),
		[]string{"IST0145 Gateway b.default spec.servers[0]"}},
	{"gateways on other pods", "gateway.conflicts", gw("a", "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [x.example.com]") +
		strings.Replace(gw("b", "  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [x.example.com]"), "selector: {istio: ingressgateway}", "selector: {istio: eastwestgateway}", 1),
		nil},
	// The same certificate files count as the same certificate.
	{"duplicate certificate files", "gateway.conflicts", gw("a", "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [a.example.com]\n    tls: {mode: SIMPLE, serverCertificate: /etc/c.pem, privateKey: /etc/k.pem}") +
		gw("b", "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [b.example.com]\n    tls: {mode: SIMPLE, serverCertificate: /etc/c.pem, privateKey: /etc/k.pem}") +
		strings.Replace(gw("c", "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [c.example.com]\n    tls: {mode: SIMPLE, serverCertificate: /etc/c.pem, privateKey: /etc/k.pem}"), "selector: {istio: ingressgateway}", "selector: {istio: other}", 1),
		[]string{"IST0138 Gateway a.default spec.servers", "IST0138 Gateway b.default spec.servers"}},
	// A named targetPort resolves to the container port of that name.
	{"gateway port behind a named target port", "gateway.workloads", strings.Replace(strings.Replace(ingress, "- {containerPort: 8080}", "- {containerPort: 8080, name: web}", 1), "targetPort: 8080}", "targetPort: web}", 1) +
		gw("g", "  servers:\n  - port: {number: 8080, name: http, protocol: HTTP}\n    hosts: [\"*\"]"), nil},
}

// TestCredentialInWrongNamespaceSaysWhere: a Secret in the Gateway's namespace, when the gateway pods run
// elsewhere, is reported with where it is and where it must be.
func TestCredentialInWrongNamespaceSaysWhere(t *testing.T) {
	path := writeInput(t, "in.yaml", ingress+"apiVersion: v1\nkind: Secret\nmetadata: {name: cert}\ntype: kubernetes.io/tls\ndata: {tls.crt: YQ==, tls.key: YQ==}\n---\n"+gw("g", httpsServer))
	sel, _ := Select([]string{"gateway.credentials"})
	res, err := analyze.Run(context.Background(), analyze.Options{Paths: []string{path}, Namespace: "default", RootNamespace: "istio-system", Analyzers: sel})
	if err != nil {
		t.Fatal(err)
	}
	want := `Referenced credentialName not found: "cert" (it is in namespace default, but the gateway pods run in namespace istio-system, where the Secret must be)`
	if len(res.Findings) != 1 || res.Findings[0].Message != want {
		t.Fatalf("got %v\nwant one finding: %s", res.Findings, want)
	}
}
