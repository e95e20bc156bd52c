package analyzers

const k8sGateway = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes: {namespaces: {from: All}}
  - name: local
    port: 8080
    protocol: HTTP
  - name: tls
    port: 443
    protocol: HTTPS
    tls:
      certificateRefs:
      - {name: cert}
      - {name: shared, namespace: certs}
---
apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: infra}
type: kubernetes.io/tls
---
apiVersion: v1
kind: Secret
metadata: {name: shared, namespace: certs}
type: kubernetes.io/tls
---
`

// gatewayAPICases cover Gateway API references and the Gateway API CRDs.
var gatewayAPICases = []analyzerCase{
	{"gateway api references", "gatewayapi.references", k8sGateway + svcReviews + `apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  ports: [{name: http, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs:
  - {name: gw, namespace: infra, sectionName: http}
  - {name: gw, namespace: infra, sectionName: local}
  - {name: gw, namespace: infra, sectionName: nope}
  - {name: missing, namespace: infra}
  rules:
  - backendRefs:
    - {name: reviews, port: 9080}
    - {name: reviews, port: 80}
    - {name: ratings, port: 9080}
    - {name: cart, namespace: shop, port: 8080}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: db}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: http}]
  rules: [{backendRefs: [{name: reviews, port: 9080}]}]
`, []string{
		"IST0101 HTTPRoute web.default spec.parentRefs[2].sectionName",
		"IST0101 HTTPRoute web.default spec.parentRefs[3]",
		"IST0101 HTTPRoute web.default spec.rules[0].backendRefs[1].port",
		"IST0101 HTTPRoute web.default spec.rules[0].backendRefs[2]",
		"MSH1103 Gateway gw.infra spec.listeners[2].tls.certificateRefs[1]",
		"MSH1103 HTTPRoute web.default spec.parentRefs[1]",
		"MSH1103 HTTPRoute web.default spec.rules[0].backendRefs[3]",
		"MSH1103 TCPRoute db.default spec.parentRefs[0]",
	}},
	// The same references, allowed: grants in the target namespaces, and a mesh route to a Service.
	{"gateway api references granted", "gatewayapi.references", k8sGateway + svcReviews + `apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  ports: [{name: http, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-default, namespace: shop}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
  to: [{group: "", kind: Service}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: certs, namespace: certs}
spec:
  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: infra}]
  to: [{group: "", kind: Secret, name: shared}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs:
  - {name: gw, namespace: infra, sectionName: http}
  - {group: "", kind: Service, name: reviews}
  rules:
  - backendRefs:
    - {name: reviews, port: 9080}
    - {name: cart, namespace: shop, port: 8080}
`, nil},
	{"gateway api crds", "gatewayapi.crds", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: httproutes.gateway.networking.k8s.io
  annotations: {gateway.networking.k8s.io/bundle-version: v0.6.2}
spec:
  group: gateway.networking.k8s.io
  names: {kind: HTTPRoute, plural: httproutes}
  scope: Namespaced
  versions:
  - {name: v1alpha2, served: true, storage: true}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: grpcroutes.gateway.networking.k8s.io
  annotations: {gateway.networking.k8s.io/bundle-version: v1.0.0}
spec:
  group: gateway.networking.k8s.io
  names: {kind: GRPCRoute, plural: grpcroutes}
  scope: Namespaced
  versions:
  - {name: v1alpha2, served: true, storage: true}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: tlsroutes.gateway.networking.k8s.io
  annotations: {gateway.networking.k8s.io/bundle-version: v1.2.0}
spec:
  group: gateway.networking.k8s.io
  names: {kind: TLSRoute, plural: tlsroutes}
  scope: Namespaced
  versions:
  - {name: v1alpha2, served: true, storage: true}
`, []string{
		"IST0156 CustomResourceDefinition httproutes.gateway.networking.k8s.io spec.versions",
		`IST0176 CustomResourceDefinition httproutes.gateway.networking.k8s.io metadata.annotations["gateway.networking.k8s.io/bundle-version"]`,
		"IST0172 CustomResourceDefinition grpcroutes.gateway.networking.k8s.io spec.versions",
		`IST0176 CustomResourceDefinition grpcroutes.gateway.networking.k8s.io metadata.annotations["gateway.networking.k8s.io/bundle-version"]`,
		`IST0176 CustomResourceDefinition tlsroutes.gateway.networking.k8s.io metadata.annotations["gateway.networking.k8s.io/bundle-version"]`,
	}},
	{"gateway api crds current", "gatewayapi.crds", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: httproutes.gateway.networking.k8s.io
  annotations: {gateway.networking.k8s.io/bundle-version: v1.3.0}
spec:
  group: gateway.networking.k8s.io
  names: {kind: HTTPRoute, plural: httproutes}
  scope: Namespaced
  versions:
  - {name: v1beta1, served: true, storage: false}
  - {name: v1, served: true, storage: true}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1alpha1, served: true, storage: true}]
`, nil},
}
