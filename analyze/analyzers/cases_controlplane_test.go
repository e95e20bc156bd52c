package analyzers

import "strings"

// istiod is a control plane Deployment with the given image and environment lines.
func istiod(image, env string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system, labels: {app: istiod}}
spec:
  selector: {matchLabels: {app: istiod}}
  template:
    metadata: {labels: {app: istiod}}
    spec:
      containers:
      - name: discovery
        image: ` + image + `
        env: [` + env + `]
---
`
}

const meshNetworksConfig = `apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  meshNetworks: |
    networks:
      network1:
        endpoints:
        - fromRegistry: cluster2
        - fromRegistry: Kubernetes
        gateways:
        - {registryServiceName: istio-eastwestgateway.istio-system.svc.cluster.local, port: 15443}
      network2:
        endpoints:
        - fromRegistry: cluster3
        - fromCidr: 192.0.2.0/24
        gateways:
        - {address: 192.0.2.10, port: 15443}
---
apiVersion: v1
kind: Secret
metadata: {name: istio-remote-secret-cluster3, namespace: istio-system, labels: {istio/multiCluster: "true"}}
stringData: {cluster3: "kubeconfig"}
---
apiVersion: v1
kind: Service
metadata: {name: istiod, namespace: istio-system}
---
`

const externalWebhooks = `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: istio-sidecar-injector-external-istiod, labels: {istio.io/rev: default}}
webhooks:
- name: rev.namespace.sidecar-injector.istio.io
  clientConfig: {url: null}
  namespaceSelector: {matchLabels: {istio.io/rev: default}}
- name: rev.object.sidecar-injector.istio.io
  clientConfig: {url: "https://192.0.2.10:15017/inject"}
  namespaceSelector: {matchLabels: {istio.io/rev: default}}
- name: namespace.sidecar-injector.istio.io
  clientConfig: {url: "https://istiod.example.com:15017/inject"}
  namespaceSelector: {matchLabels: {istio-injection: enabled}}
- name: object.sidecar-injector.istio.io
  clientConfig: {url: "https://nowhere.example.com:15017/inject"}
  namespaceSelector: {matchLabels: {istio-injection: enabled}}
---
`

// controlPlaneCases cover the control plane's own configuration: mesh networks, external control plane
// webhooks, JWKS fetches, and upgrades from older Istio releases.
var controlPlaneCases = []analyzerCase{
	{"mesh networks", "meshnetworks", meshNetworksConfig,
		[]string{"IST0126 ConfigMap istio.istio-system data.meshNetworks", "IST0101 ConfigMap istio.istio-system data.meshNetworks"}},
	{"mesh networks known", "meshnetworks", strings.ReplaceAll(meshNetworksConfig, "fromRegistry: cluster2", "fromRegistry: cluster1") +
		injectorValues("istio-sidecar-injector", `{"global": {"multiCluster": {"clusterName": "cluster1"}}}`) +
		"apiVersion: v1\nkind: Service\nmetadata: {name: istio-eastwestgateway, namespace: istio-system}\n", nil},
	// Without DNS (files alone), only the URL's form is checked.
	{"external control plane webhooks", "webhooks", externalWebhooks,
		[]string{"IST0163 MutatingWebhookConfiguration istio-sidecar-injector-external-istiod webhooks[0].clientConfig.url",
			"IST0164 MutatingWebhookConfiguration istio-sidecar-injector-external-istiod webhooks[1].clientConfig.url"}},
	{"jwks fetch unrestricted", "requestauthentication.jwks", istiod("docker.io/meshctl/meshd:1.0", "") +
		"apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt-example}\nspec: {jwtRules: [{issuer: a, jwksUri: \"https://a.example.com/jwks\"}]}\n",
		[]string{"IST0175 Deployment istiod.istio-system spec.template.spec.containers"}},
	{"jwks fetch restricted", "requestauthentication.jwks", istiod("docker.io/meshctl/meshd:1.0", `{name: BLOCKED_CIDRS_IN_JWKS_URIS, value: "10.0.0.0/8"}`) +
		"apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt-example}\nspec: {jwtRules: [{issuer: a, jwksUri: \"https://a.example.com/jwks\"}]}\n", nil},
	// The cluster runs Istio 1.19: defaults changed in 1.20 and 1.21 apply to these resources.
	{"upgrade from istio 1.19", "upgrade.compatibility", istiod("docker.io/istio/pilot:1.19.3", "") + `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: tls}
spec:
  host: db.example.com
  trafficPolicy:
    tls: {mode: SIMPLE, caCertificates: /etc/ca.pem}
    portLevelSettings:
    - port: {number: 443}
      tls: {mode: SIMPLE, sni: db.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: db.example.com}
`, []string{"IST0168 DestinationRule tls.default spec.trafficPolicy.tls", "IST0168 DestinationRule tls.default spec.trafficPolicy.portLevelSettings[0].tls",
		"IST0169 Service ext.default spec.type"}},
	// Istio 1.21 with compatibilityVersion 1.20 keeps 1.20's behaviour: only the 1.21 change applies.
	{"upgrade from a compatibility version", "upgrade.compatibility", istiod("docker.io/istio/pilot:1.21.0", "") +
		injectorValues("istio-sidecar-injector", `{"compatibilityVersion": "1.20"}`) + `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: tls}
spec:
  host: db.example.com
  trafficPolicy: {tls: {mode: SIMPLE}}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: db.example.com}
`, []string{"IST0169 Service ext.default spec.type"}},
	{"meshd control plane", "upgrade.compatibility", istiod("docker.io/meshctl/meshd:0.9.0", "") +
		"apiVersion: v1\nkind: Service\nmetadata: {name: ext}\nspec: {type: ExternalName, externalName: db.example.com}\n", nil},
}

const helloworld = `apiVersion: v1
kind: Service
metadata: {name: helloworld, namespace: sample}
spec:
  selector: {app: helloworld}
  ports: [{name: http, port: 5000}]
---
apiVersion: v1
kind: Service
metadata: {name: other, namespace: sample}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
---
`

// wideCases need more than one input: other clusters, or DNS.
var wideCases = []wideCase{
	{analyzerCase: analyzerCase{"inconsistent across clusters", "multicluster.services", helloworld,
		[]string{"IST0170 Service helloworld.sample spec", "IST0170 Service other.sample spec"}},
		remotes: map[string]string{
			"cluster2": strings.Replace(helloworld, "port: 5000", "port: 5001", 1),
			"cluster3": strings.Replace(helloworld, "clusterIP: None\n", "", 1),
		}},
	{analyzerCase: analyzerCase{"consistent across clusters", "multicluster.services", helloworld, nil},
		remotes: map[string]string{"cluster2": helloworld}},
	// With DNS, an address that does not resolve is reported.
	{analyzerCase: analyzerCase{"external control plane webhooks resolved", "webhooks", externalWebhooks,
		[]string{"IST0163 MutatingWebhookConfiguration istio-sidecar-injector-external-istiod webhooks[0].clientConfig.url",
			"IST0164 MutatingWebhookConfiguration istio-sidecar-injector-external-istiod webhooks[1].clientConfig.url",
			"IST0163 MutatingWebhookConfiguration istio-sidecar-injector-external-istiod webhooks[3].clientConfig.url"}},
		hosts: map[string][]string{"istiod.example.com": {"192.0.2.20"}}},
}

// policyCases cover ServiceEntries, and fields deprecated in the API.
var policyCases = []analyzerCase{
	{"service entry protocols", "serviceentry.protocols", `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api-http}
spec:
  hosts: [api.example.com]
  exportTo: ["."]
  ports: [{number: 443, name: http, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api-tls}
spec:
  hosts: [api.example.com]
  exportTo: ["."]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api-private, namespace: team}
spec:
  hosts: [api.example.com]
  exportTo: ["."]
  ports: [{number: 443, name: grpc, protocol: GRPC}]
  resolution: DNS
`, []string{"IST0177 ServiceEntry api-http.default spec.ports[0].protocol", "IST0177 ServiceEntry api-tls.default spec.ports[0].protocol"}},
	{"service entry protocols agree", "serviceentry.protocols", `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: a}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: b}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}, {number: 80, name: http, protocol: HTTP}]
  resolution: DNS
`, nil},
	{"deprecated fields", "schema", vs("  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n    mirror: {host: reviews-shadow}\n    mirrorPercent: 10") +
		"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\nspec:\n  host: reviews\n  trafficPolicy: {outlierDetection: {consecutiveErrors: 5}}\n",
		[]string{"IST0002 VirtualService reviews.default spec.http[0].mirrorPercent", "IST0002 DestinationRule d.default spec.trafficPolicy.outlierDetection.consecutiveErrors"}},
}

// clusterStateCases cover what the control plane wrote back into status.
var clusterStateCases = []analyzerCase{
	{"negative conditions", "status.conditions", `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: httpbin}
spec:
  parentRefs: [{name: gw}]
status:
  parents:
  - parentRef: {name: gw}
    controllerName: istio.io/gateway-controller
    conditions:
    - {type: Accepted, status: "True", reason: Accepted}
    - {type: ResolvedRefs, status: "False", reason: BackendNotFound, message: backend(httpbin.default.svc.cluster.local) not found}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: partial}
spec: {}
status:
  conditions:
  - {type: WaypointAccepted, status: "True", reason: PartiallyInvalid, message: some rules are not supported}
---
apiVersion: v1
kind: Service
metadata: {name: waypointed}
status:
  conditions:
  - {type: istio.io/WaypointBound, status: "False", reason: WaypointNotFound}
---
apiVersion: v1
kind: Service
metadata: {name: bound}
status:
  conditions:
  - {type: istio.io/WaypointBound, status: "True"}
`, []string{"IST0171 HTTPRoute httpbin.default status.parents[0].conditions[1]", "IST0171 AuthorizationPolicy partial.default status.conditions[0]", "IST0171 Service waypointed.default status.conditions[0]"}},
}
