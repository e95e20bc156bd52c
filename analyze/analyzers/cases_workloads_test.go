package analyzers

import "strings"

// injectorValues is the injector ConfigMap of a control plane with the given chart values (JSON).
func injectorValues(name, values string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: istio-system}\ndata:\n  values: '" + values + "'\n---\n"
}

const autoGateway = `apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: gateways}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template:
    metadata: {labels: {istio: ingressgateway}}
    spec:
      containers:
      - {name: istio-proxy, image: auto}
---
`

// workloadCases cover pods and workloads: localhost listeners, the auto image, injection by default, proxy
// images after an upgrade, ExternalName ports, Telemetry selectors.
var workloadCases = []analyzerCase{
	{"localhost listener", "service.localhost", `apiVersion: v1
kind: Service
metadata: {name: netcat}
spec:
  selector: {app: netcat}
  ports: [{port: 8080, protocol: TCP}, {name: http-admin, port: 9000}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: netcat}
spec:
  selector: {matchLabels: {app: netcat}}
  template:
    metadata: {labels: {app: netcat}}
    spec:
      containers:
      - name: nc
        image: busybox
        command: [nc, -l, -p, "8080", -s, localhost]
      - name: admin
        image: admin
        args: ["--listen=127.0.0.1:9000"]
      - name: public
        image: web
        args: ["--listen=0.0.0.0:9000", "--metrics=localhost:9090"]
`, []string{"IST0143 Deployment netcat.default spec.template.spec.containers[0]", "IST0143 Deployment netcat.default spec.template.spec.containers[1]"}},
	// A Sidecar ingress listener that sends the port to loopback is the fix.
	{"localhost listener behind a sidecar", "service.localhost", `apiVersion: v1
kind: Service
metadata: {name: netcat}
spec:
  selector: {app: netcat}
  ports: [{port: 8080, protocol: TCP}]
---
apiVersion: v1
kind: Pod
metadata: {name: netcat, labels: {app: netcat}}
spec:
  containers:
  - name: nc
    image: busybox
    env: [{name: ADDR, value: "localhost:8080"}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: netcat}
spec:
  workloadSelector: {labels: {app: netcat}}
  ingress:
  - port: {number: 8080, protocol: TCP, name: tcp}
    defaultEndpoint: 127.0.0.1:8080
`, nil},
	{"auto image without injection", "injection.images", autoGateway + "apiVersion: v1\nkind: Namespace\nmetadata: {name: gateways}\n---\n" +
		"apiVersion: v1\nkind: Pod\nmetadata: {name: gw-pod, namespace: gateways}\nspec: {containers: [{name: istio-proxy, image: auto}]}\n",
		[]string{"IST0146 Deployment istio-ingressgateway.gateways spec.template.spec.containers[0].image", "IST0147 Pod gw-pod.gateways spec.containers[0].image"}},
	{"auto image injected", "injection.images", autoGateway + "apiVersion: v1\nkind: Namespace\nmetadata: {name: gateways, labels: {istio-injection: enabled}}\n---\n" +
		strings.Replace(autoGateway, "name: istio-ingressgateway, namespace: gateways", "name: egress, namespace: other", 1) +
		strings.Replace(strings.Replace(autoGateway, "name: istio-ingressgateway, namespace: gateways", "name: labelled, namespace: plain", 1), "labels: {istio: ingressgateway}}", "labels: {istio: ingressgateway, sidecar.istio.io/inject: \"true\"}}", 1) +
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: plain}\n---\n", nil},
	{"injection enabled by default", "injection", injectorValues("istio-sidecar-injector", `{"sidecarInjectorWebhook": {"enableNamespacesByDefault": true}}`) +
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: frod}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: off, labels: {istio-injection: disabled}}\n",
		[]string{"IST0148 Namespace frod metadata"}},
	{"proxy image after an upgrade", "injection.images", injectorValues("istio-sidecar-injector", `{"global": {"hub": "docker.io/meshctl", "tag": "1.2.0", "proxy": {"image": "mesh-proxy"}}}`) +
		injectorValues("istio-sidecar-injector-canary", `{"global": {"hub": "docker.io/meshctl", "tag": "1.3.0", "proxy": {"image": "mesh-proxy"}}}`) + `apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata: {name: current}
spec: {containers: [{name: app, image: app}, {name: istio-proxy, image: docker.io/meshctl/mesh-proxy:1.2.0}]}
---
apiVersion: v1
kind: Pod
metadata: {name: stale}
spec: {containers: [{name: app, image: app}, {name: istio-proxy, image: docker.io/meshctl/mesh-proxy:1.1.0}]}
---
apiVersion: v1
kind: Pod
metadata: {name: canary, labels: {istio.io/rev: canary}}
spec: {containers: [{name: app, image: app}, {name: istio-proxy, image: docker.io/meshctl/mesh-proxy:1.3.0}]}
---
apiVersion: v1
kind: Pod
metadata: {name: custom, annotations: {sidecar.istio.io/proxyImage: my/proxy:1}}
spec: {containers: [{name: app, image: app}, {name: istio-proxy, image: my/proxy:1}]}
`, []string{"IST0158 Namespace default metadata.labels"}},
	{"proxy images current", "injection.images", injectorValues("istio-sidecar-injector", `{"global": {"hub": "docker.io/meshctl", "tag": "1.2.0", "proxy": {"image": "mesh-proxy"}}}`) +
		injectorValues("istio-sidecar-injector-canary", `{"global": {"hub": "docker.io/meshctl", "tag": "1.3.0", "proxy": {"image": "mesh-proxy"}}}`) + `apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata: {name: current}
spec: {containers: [{name: app, image: app}, {name: istio-proxy, image: docker.io/meshctl/mesh-proxy:1.2.0}]}
---
apiVersion: v1
kind: Pod
metadata: {name: canary, labels: {istio.io/rev: canary}}
spec: {containers: [{name: app, image: app}, {name: istio-proxy, image: docker.io/meshctl/mesh-proxy:1.3.0}]}
---
apiVersion: v1
kind: Pod
metadata: {name: custom, annotations: {sidecar.istio.io/proxyImage: my/proxy:1}}
spec: {containers: [{name: app, image: app}, {name: istio-proxy, image: my/proxy:1}]}
`, nil},
	{"external name ports", "service.ports", `apiVersion: v1
kind: Service
metadata: {name: nginx}
spec:
  type: ExternalName
  externalName: nginx.example.com
  ports:
  - {name: tcp, port: 443, protocol: TCP}
  - {port: 80}
  - {name: https, port: 8443}
  - {name: foo, port: 9000}
`, []string{"IST0150 Service nginx.default spec.ports[0].name", "IST0150 Service nginx.default spec.ports[1].name", "IST0150 Service nginx.default spec.ports[3].name"}},
	{"telemetries selecting the same pods", "telemetry", deployReviews + `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: a}
spec: {selector: {matchLabels: {app: reviews}}}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: b}
spec: {selector: {matchLabels: {version: v1}}}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: c}
spec: {selector: {matchLabels: {app: ratings}}}
`, []string{"IST0159 Telemetry a.default spec.selector", "IST0159 Telemetry b.default spec.selector"}},
	{"ineffective selectors", "selectors.ineffective", `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ap-ineffective}
spec:
  selector: {matchLabels: {gateway.networking.k8s.io/gateway-name: bookinfo-gateway}}
  action: DENY
  rules: [{to: [{operation: {methods: [POST]}}]}]
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: with-target}
spec:
  selector: {matchLabels: {gateway.networking.k8s.io/gateway-name: bookinfo-gateway}}
  targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: bookinfo-gateway}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: root, namespace: istio-system}
spec:
  selector: {matchLabels: {app: reviews}}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: fine}
spec:
  selector: {matchLabels: {app: reviews}}
`, []string{"IST0166 AuthorizationPolicy ap-ineffective.default spec.selector", "IST0166 Telemetry root.istio-system spec.selector"}},
}
