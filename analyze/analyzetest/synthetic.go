// Package analyzetest generates analysis input for benchmarks and tests, like net/http/httptest for HTTP.
package analyzetest

import (
	"bytes"
	"fmt"
)

// SyntheticInput generates n objects in equal shares — Services, Deployments, VirtualServices,
// DestinationRules, Gateways — over 100 namespaces, and the ingress gateway they bind to: consistent
// configuration, the shape of a large application, for benchmarks. Every fifth application also gets a
// finding to report.
func SyntheticInput(n int) []byte {
	var b bytes.Buffer
	b.WriteString(ingressGateway)
	apps := n / 5
	for i := range apps {
		ns := fmt.Sprintf("ns-%d", i%100)
		app := fmt.Sprintf("app-%d", i)
		subset := "v1"
		if i%5 == 4 {
			subset = "v9" // IST0101: no such subset
		}
		fmt.Fprintf(&b, `apiVersion: v1
kind: Service
metadata:
  name: %[1]s
  namespace: %[2]s
  labels:
    app: %[1]s
spec:
  selector:
    app: %[1]s
  ports:
  - name: http
    port: 8080
    targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s-v1
  namespace: %[2]s
  labels:
    app: %[1]s
spec:
  replicas: 2
  selector:
    matchLabels:
      app: %[1]s
      version: v1
  template:
    metadata:
      labels:
        app: %[1]s
        version: v1
    spec:
      containers:
      - name: %[1]s
        image: docker.io/example/%[1]s:1.0.%[4]d
        ports:
        - containerPort: 8080
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: %[1]s
  namespace: %[2]s
spec:
  hosts:
  - %[1]s
  - "%[1]s.example.com"
  gateways:
  - mesh
  - %[1]s-gw
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    route:
    - destination:
        host: %[1]s
        subset: %[3]s
  - route:
    - destination:
        host: %[1]s
        subset: v1
      weight: 100
    timeout: 10s
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: %[1]s
  namespace: %[2]s
spec:
  host: %[1]s
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 100
    outlierDetection:
      consecutive5xxErrors: 5
      interval: 30s
  subsets:
  - name: v1
    labels:
      version: v1
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: %[1]s-gw
  namespace: %[2]s
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - "%[1]s.example.com"
    - %[1]s
---
`, app, ns, subset, i)
	}
	return b.Bytes()
}

// ingressGateway is the gateway deployment and Service the applications' Gateways select.
const ingressGateway = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: istio-ingressgateway
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  template:
    metadata:
      labels:
        istio: ingressgateway
    spec:
      containers:
      - name: istio-proxy
        image: auto
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: istio-ingressgateway
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  ports:
  - name: http2
    port: 80
    targetPort: 80
---
`
