package validation

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// specOf reads a spec written as YAML the way a webhook reads JSON: numbers as json.Number.
func specOf(t testing.TB, y string) any {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatalf("bad test YAML %q: %v", y, err)
	}
	d := json.NewDecoder(bytes.NewReader(j))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// problems lists errors as "field rule", warnings as "field rule (warning)".
func problems(errs FieldErrors) []string {
	out := []string{}
	for _, e := range errs {
		s := e.Field + " " + string(e.Rule)
		if e.Severity == Warning {
			s += " (warning)"
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

const vsRoute = `http: [{route: [{destination: {host: reviews}}]}]`

// ruleCases give, for every semantic rule, a spec that keeps it and one that breaks it.
var ruleCases = []struct {
	name string
	kind schema.GroupKind
	spec string
	want []string
}{
	// VirtualService
	{"vs valid", KindVirtualService, `{hosts: [reviews, "*.example.com", 10.0.0.1, example.com.], gateways: [mesh, g, ns/g], exportTo: [".", "*", "~", ns-1], ` + vsRoute + `}`, nil},
	{"vs delegate bound to gateways", KindVirtualService, `{gateways: [g], ` + vsRoute + `}`, []string{"spec.hosts exclusive"}},
	{"vs delegate", KindVirtualService, `{` + vsRoute + `}`, nil},
	{"vs host wildcard inside", KindVirtualService, `{hosts: ["re*views"], ` + vsRoute + `}`, []string{"spec.hosts[0] host"}},
	{"vs host empty", KindVirtualService, `{hosts: [""], ` + vsRoute + `}`, []string{"spec.hosts[0] host"}},
	{"vs host label", KindVirtualService, `{hosts: [a..b, x_y.example.com], ` + vsRoute + `}`, []string{"spec.hosts[0] host", "spec.hosts[1] host"}},
	{"vs host too long", KindVirtualService, `{hosts: [` + strings.Repeat("a.", 128) + `com], ` + vsRoute + `}`, []string{"spec.hosts[0] host"}},
	{"vs star for mesh", KindVirtualService, `{hosts: ["*"], ` + vsRoute + `}`, []string{"spec.hosts[0] host"}},
	{"vs star for a gateway", KindVirtualService, `{hosts: ["*"], gateways: [g], ` + vsRoute + `}`, nil},
	{"vs gateway names", KindVirtualService, `{hosts: [a], gateways: [Bad/g, ns/Bad_Name, -x], ` + vsRoute + `}`, []string{"spec.gateways[0] name", "spec.gateways[1] name", "spec.gateways[2] name"}},
	{"vs exportTo", KindVirtualService, `{hosts: [a], exportTo: [Not_NS], ` + vsRoute + `}`, []string{"spec.exportTo[0] exportTo"}},
	{"vs no route", KindVirtualService, `{hosts: [a]}`, []string{"spec required"}},
	{"vs tls valid", KindVirtualService, `{hosts: ["*.example.com"], tls: [{match: [{sniHosts: [a.example.com], port: 443}], route: [{destination: {host: a}}]}]}`, nil},
	{"vs tls", KindVirtualService, `{hosts: ["*.example.com"], tls: [{route: [{destination: {host: a}}]}, {match: [{port: 70000}, {sniHosts: [other.org, "b*.example.com"]}], route: [{destination: {host: a}}]}]}`,
		[]string{"spec.tls[0].match required", "spec.tls[1].match[0].port port", "spec.tls[1].match[0].sniHosts required", "spec.tls[1].match[1].sniHosts[0] host", "spec.tls[1].match[1].sniHosts[1] host"}},
	{"vs tcp valid", KindVirtualService, `{hosts: [a], tcp: [{match: [{port: 5432, destinationSubnets: [10.0.0.0/8, "fe80::1"]}], route: [{destination: {host: a}}]}]}`, nil},
	{"vs tcp", KindVirtualService, `{hosts: [a], tcp: [{match: [{port: 70000, destinationSubnets: [300.1.1.1]}], route: []}]}`,
		[]string{"spec.tcp[0].match[0].destinationSubnets[0] address", "spec.tcp[0].match[0].port port", "spec.tcp[0].route required"}},
	{"vs weights add up", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}, weight: 60}, {destination: {host: b}, weight: 40}]}]}`, nil},
	{"vs weights", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}, weight: -10}, {destination: {host: b}, weight: 40}]}, {route: [{destination: {host: a}}, {destination: {host: b}}]}]}`,
		[]string{"spec.http[0].route weight (warning)", "spec.http[0].route[0].weight weight", "spec.http[1].route weight (warning)"}},
	{"vs destination", KindVirtualService, `{hosts: [a], http: [{route: [{weight: 100}, {destination: {host: ""}}, {destination: {host: "*.a.com", subset: Bad_Subset, port: {number: 0}}}]}]}`,
		[]string{"spec.http[0].route[0].destination required", "spec.http[0].route[1].destination.host required", "spec.http[0].route[2].destination.host host", "spec.http[0].route[2].destination.port.number port", "spec.http[0].route[2].destination.subset name"}},
	{"vs http route kinds", KindVirtualService, `{hosts: [a], http: [{name: x}, {redirect: {uri: /x}, directResponse: {status: 200}}, {delegate: {namespace: x}}]}`,
		[]string{"spec.http[0] required", "spec.http[1] exclusive", "spec.http[2].delegate.name required"}},
	{"vs string matches valid", KindVirtualService, `{hosts: [a], http: [{match: [{uri: {regex: "^/a.*"}, headers: {x-user: {exact: a}}, queryParams: {Q: {prefix: a}}, port: 80, sourceLabels: {app: a}}], route: [{destination: {host: a}}]}]}`, nil},
	{"vs string matches", KindVirtualService, `{hosts: [a], http: [{match: [{uri: {regex: "("}, method: {}, headers: {"": {exact: a}, X-Up: {exact: b}}, withoutHeaders: {x: {}}, port: 70000, sourceLabels: {"bad key!": a}}], route: [{destination: {host: a}}]}]}`,
		[]string{`spec.http[0].match[0].headers[""] name`, `spec.http[0].match[0].headers["X-Up"] name (warning)`, "spec.http[0].match[0].method required", "spec.http[0].match[0].port port",
			`spec.http[0].match[0].sourceLabels["bad key!"] labels`, "spec.http[0].match[0].uri.regex regex", `spec.http[0].match[0].withoutHeaders["x"] required`}},
	{"vs timeouts valid", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}}], timeout: 10s, retries: {attempts: 3, perTryTimeout: 2s}}]}`, nil},
	{"vs timeouts", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}}], timeout: 0.5ms, retries: {attempts: -1, perTryTimeout: 2s}}]}`,
		[]string{"spec.http[0].retries.attempts range", "spec.http[0].retries.perTryTimeout duration (warning)", "spec.http[0].timeout duration"}},
	{"vs fault valid", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}}], fault: {delay: {fixedDelay: 5s, percentage: {value: 10}}, abort: {httpStatus: 503, percentage: {value: 1}}}}]}`, nil},
	{"vs fault empty", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}}], fault: {}}]}`, []string{"spec.http[0].fault required"}},
	{"vs fault", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}}], fault: {delay: {percentage: {value: 101}}, abort: {httpStatus: 99}}}]}`,
		[]string{"spec.http[0].fault.abort.httpStatus range", "spec.http[0].fault.delay required", "spec.http[0].fault.delay.percentage.value range"}},
	{"vs mirror valid", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}}], mirror: {host: b}, mirrorPercentage: {value: 50}}]}`, nil},
	{"vs mirror", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}}], mirror: {host: b}, mirrors: [{destination: {host: c}}], mirrorPercentage: {value: 150}, mirrorPercent: 5}]}`,
		[]string{"spec.http[0].mirrorPercent deprecated (warning)", "spec.http[0].mirrorPercentage.value range", "spec.http[0].mirrors exclusive"}},
	{"vs rewrite valid", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}}], rewrite: {uriRegexRewrite: {match: "^/v1(.*)", rewrite: "/v2\\1"}}}]}`, nil},
	{"vs rewrite", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}}], rewrite: {uri: /b, uriRegexRewrite: {match: "(", rewrite: x}}}]}`,
		[]string{"spec.http[0].rewrite exclusive", "spec.http[0].rewrite.uriRegexRewrite.match regex"}},
	{"vs redirect and response valid", KindVirtualService, `{hosts: [a], http: [{redirect: {uri: /b, redirectCode: 308}}, {directResponse: {status: 204}}]}`, nil},
	{"vs redirect and response", KindVirtualService, `{hosts: [a], http: [{redirect: {uri: /b, redirectCode: 200}}, {directResponse: {status: 700}}]}`,
		[]string{"spec.http[0].redirect.redirectCode range", "spec.http[1].directResponse.status range"}},
	{"vs cors valid", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}}], corsPolicy: {allowOrigins: [{exact: a}, {regex: ".*"}]}}]}`, nil},
	{"vs cors", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}}], corsPolicy: {allowOrigins: [{regex: "*"}], allowOrigin: [a]}}]}`,
		[]string{"spec.http[0].corsPolicy.allowOrigin deprecated (warning)", "spec.http[0].corsPolicy.allowOrigins[0].regex regex"}},

	// Deprecated fields come from istio.io/api's own annotations, wherever they are.
	{"vs deprecated delay percent", KindVirtualService, `{hosts: [a], http: [{route: [{destination: {host: a}}], fault: {delay: {fixedDelay: 5s, percent: 10}}}]}`,
		[]string{"spec.http[0].fault.delay.percent deprecated (warning)"}},
	{"gw deprecated target port", KindGateway, `{servers: [{port: {number: 80, name: http, protocol: HTTP, targetPort: 8080}, hosts: ["*"]}]}`,
		[]string{"spec.servers[0].port.targetPort deprecated (warning)"}},
	{"sidecar deprecated target port", KindSidecar, `{ingress: [{port: {number: 80, name: http, protocol: HTTP, targetPort: 8080}, defaultEndpoint: "127.0.0.1:8080"}]}`,
		[]string{"spec.ingress[0].port.targetPort deprecated (warning)"}},
	{"dr deprecated ring size", KindDestinationRule, `{host: a, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x, minimumRingSize: 1024}}}}`,
		[]string{"spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize deprecated (warning)"}},

	// DestinationRule
	{"dr valid", KindDestinationRule, `{host: reviews, exportTo: ["."], workloadSelector: {matchLabels: {app: a}}, trafficPolicy: {connectionPool: {tcp: {maxConnections: 10, connectTimeout: 1s}, http: {http1MaxPendingRequests: 1, idleTimeout: 1s}}, outlierDetection: {interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50, minHealthPercent: 10}, tls: {mode: MUTUAL, credentialName: c}, loadBalancer: {consistentHash: {httpCookie: {name: c, ttl: 1s}}}, portLevelSettings: [{port: {number: 80}}, {port: {number: 81}}]}, subsets: [{name: v1, labels: {version: v1}}, {name: v2}]}`, nil},
	{"dr host", KindDestinationRule, `{exportTo: [Bad]}`, []string{"spec.exportTo[0] exportTo", "spec.host required"}},
	{"dr host invalid", KindDestinationRule, `{host: "bad host", workloadSelector: {matchLabels: {"a/b/c": x}}}`, []string{"spec.host host", `spec.workloadSelector.matchLabels["a/b/c"] labels`}},
	{"dr connection pool", KindDestinationRule, `{host: a, trafficPolicy: {connectionPool: {tcp: {maxConnections: -1, connectTimeout: 0s, maxConnectionDuration: 1us, idleTimeout: 0s}, http: {http1MaxPendingRequests: -1, http2MaxRequests: -1, maxRequestsPerConnection: -1, maxRetries: -1, maxConcurrentStreams: -1, idleTimeout: 0s}}}}`,
		[]string{"spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests range", "spec.trafficPolicy.connectionPool.http.http2MaxRequests range", "spec.trafficPolicy.connectionPool.http.idleTimeout duration",
			"spec.trafficPolicy.connectionPool.http.maxConcurrentStreams range", "spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection range", "spec.trafficPolicy.connectionPool.http.maxRetries range",
			"spec.trafficPolicy.connectionPool.tcp.connectTimeout duration", "spec.trafficPolicy.connectionPool.tcp.idleTimeout duration", "spec.trafficPolicy.connectionPool.tcp.maxConnectionDuration duration", "spec.trafficPolicy.connectionPool.tcp.maxConnections range"}},
	{"dr outlier detection", KindDestinationRule, `{host: a, trafficPolicy: {outlierDetection: {interval: 0s, baseEjectionTime: 0s, maxEjectionPercent: 101, minHealthPercent: -1, consecutiveErrors: 5}}}`,
		[]string{"spec.trafficPolicy.outlierDetection.baseEjectionTime duration", "spec.trafficPolicy.outlierDetection.consecutiveErrors deprecated (warning)", "spec.trafficPolicy.outlierDetection.interval duration",
			"spec.trafficPolicy.outlierDetection.maxEjectionPercent range", "spec.trafficPolicy.outlierDetection.minHealthPercent range"}},
	{"dr tls and cookie", KindDestinationRule, `{host: a, trafficPolicy: {tls: {mode: MUTUAL}, loadBalancer: {consistentHash: {httpCookie: {ttl: 1s}}}, portLevelSettings: [{port: {number: 443}, tls: {mode: SIMPLE, credentialName: c, caCertificates: /ca.pem}}]}}`,
		[]string{"spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name required", "spec.trafficPolicy.portLevelSettings[0].tls.credentialName exclusive", "spec.trafficPolicy.tls required"}},
	{"dr port level settings", KindDestinationRule, `{host: a, trafficPolicy: {portLevelSettings: [{loadBalancer: {simple: RANDOM}}, {port: {number: 0}}, {port: {number: 80}, outlierDetection: {maxEjectionPercent: 200}}, {port: {number: 80}, connectionPool: {tcp: {maxConnections: -1}}}]}}`,
		[]string{"spec.trafficPolicy.portLevelSettings[0].port required", "spec.trafficPolicy.portLevelSettings[1].port.number port", "spec.trafficPolicy.portLevelSettings[2].outlierDetection.maxEjectionPercent range",
			"spec.trafficPolicy.portLevelSettings[3].connectionPool.tcp.maxConnections range", "spec.trafficPolicy.portLevelSettings[3].port.number unique"}},
	{"dr subsets", KindDestinationRule, `{host: a, subsets: [{labels: {v: a}}, {name: Bad_Name, labels: {v: "v 1"}, trafficPolicy: {tls: {mode: MUTUAL}}}, {name: v2}, {name: v2}]}`,
		[]string{"spec.subsets[0].name required", `spec.subsets[1].labels["v"] labels`, "spec.subsets[1].name name", "spec.subsets[1].trafficPolicy.tls required", "spec.subsets[3].name unique"}},

	// Gateway
	{"gw valid", KindGateway, `{selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*", "ns/a.example.com", "./b.example.com"], tls: {httpsRedirect: true}}, {port: {number: 443, name: https, protocol: HTTPS}, hosts: [a.example.com], tls: {mode: SIMPLE, credentialName: c}}]}`, nil},
	{"gw no servers", KindGateway, `{selector: {"bad key!": x}}`, []string{`spec.selector["bad key!"] labels`, "spec.servers required"}},
	{"gw ports", KindGateway, `{servers: [{hosts: [a]}, {port: {number: 70000, name: a, protocol: SMTP}, hosts: [a]}, {port: {number: 81, name: a, protocol: https}, hosts: [a]}, {port: {number: 82, name: b, protocol: TLS}, hosts: [a], tls: {mode: PASSTHROUGH, httpsRedirect: true}}]}`,
		[]string{"spec.servers[0].port required", "spec.servers[1].port.number port", "spec.servers[1].port.protocol value", "spec.servers[2].port.name unique", "spec.servers[2].tls required", "spec.servers[3].tls.httpsRedirect value (warning)"}},
	{"gw hosts", KindGateway, `{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: []}, {port: {number: 81, name: h, protocol: HTTP}, hosts: [Bad_NS/a.example.com, "*/c*.example.com"]}]}`,
		[]string{"spec.servers[0].hosts required", "spec.servers[1].hosts[0] name", "spec.servers[1].hosts[1] host"}},
	{"gw tls credentials", KindGateway, `{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a], tls: {mode: MUTUAL, serverCertificate: /c.pem}}]}`, []string{"spec.servers[0].tls required"}},

	// ServiceEntry
	{"se valid", KindServiceEntry, `{hosts: [db.example.com], addresses: [10.0.0.1, 10.1.0.0/16], exportTo: ["*"], ports: [{number: 5432, name: tcp, targetPort: 5433}], resolution: STATIC, endpoints: [{address: 10.0.0.2, ports: {tcp: 5432}}, {address: "unix:///x.sock"}]}`, nil},
	{"se hosts", KindServiceEntry, `{resolution: STATIC}`, []string{"spec.hosts required", "spec.resolution required (warning)"}},
	{"se host rules", KindServiceEntry, `{hosts: ["*", bad_host, "*.example.org"], resolution: DNS, ports: [{number: 443, name: https}]}`,
		[]string{"spec.hosts[0] host", "spec.hosts[0] host", "spec.hosts[1] host", "spec.hosts[2] host"}},
	{"se addresses and ports", KindServiceEntry, `{hosts: [a.example.com], addresses: [10.0.0.0/99], exportTo: [Nope], ports: [{number: 0, name: a}, {number: 80}, {number: 81, name: a}, {number: 81, name: b, targetPort: 70000}]}`,
		[]string{"spec.addresses[0] address", "spec.exportTo[0] exportTo", "spec.ports[0].number port", "spec.ports[1].name required", "spec.ports[2].name unique", "spec.ports[3].number unique", "spec.ports[3].targetPort port"}},
	{"se endpoints", KindServiceEntry, `{hosts: [a.example.com], resolution: STATIC, workloadSelector: {labels: {app: a}}, endpoints: [{}, {address: not-an-ip}, {address: 10.0.0.1, ports: {http: 0}}]}`,
		[]string{"spec.endpoints[0].address required", "spec.endpoints[1].address address", `spec.endpoints[2].ports["http"] port`, "spec.workloadSelector exclusive"}},

	// Sidecar
	{"sidecar valid", KindSidecar, `{workloadSelector: {labels: {app: a}}, egress: [{hosts: ["./*", "istio-system/*", "~/*"], port: {number: 80}}], ingress: [{port: {number: 9080}, defaultEndpoint: "127.0.0.1:8080"}, {port: {number: 9081}, defaultEndpoint: "unix:///a.sock"}]}`, nil},
	{"sidecar egress", KindSidecar, `{workloadSelector: {labels: {"bad key!": a}}, egress: [{hosts: []}, {hosts: [nohost, Bad_NS/a.example.com, "*/b*.example.com"], port: {number: 70000}}]}`,
		[]string{"spec.egress[0].hosts required", "spec.egress[1].hosts[0] host", "spec.egress[1].hosts[1] name", "spec.egress[1].hosts[2] host", "spec.egress[1].port.number port", `spec.workloadSelector.labels["bad key!"] labels`}},
	{"sidecar ingress", KindSidecar, `{ingress: [{defaultEndpoint: "127.0.0.1:8080"}, {port: {number: 0}, defaultEndpoint: "10.0.0.1:8080"}]}`,
		[]string{"spec.ingress[0].port required", "spec.ingress[1].defaultEndpoint address", "spec.ingress[1].port.number port"}},

	// WorkloadEntry, WorkloadGroup, EnvoyFilter, ProxyConfig
	{"we valid", KindWorkloadEntry, `{address: 10.0.0.1, labels: {app: a}, ports: {http: 8080}}`, nil},
	{"we network only", KindWorkloadEntry, `{network: n1}`, nil},
	{"we", KindWorkloadEntry, `{labels: {app: "bad value!"}, ports: {http: 0}}`, []string{"spec.address required", `spec.labels["app"] labels`, `spec.ports["http"] port`}},
	{"wg valid", KindWorkloadGroup, `{metadata: {labels: {app: a}}, template: {ports: {http: 80}, serviceAccount: sa}}`, nil},
	{"wg", KindWorkloadGroup, `{metadata: {labels: {app: "bad value!"}}, template: {labels: {"bad key!": a}, ports: {http: 0}}}`,
		[]string{`spec.metadata.labels["app"] labels`, `spec.template.labels["bad key!"] labels`, `spec.template.ports["http"] port`}},
	{"ef valid", KindEnvoyFilter, `{workloadSelector: {labels: {app: a}}}`, nil},
	{"ef", KindEnvoyFilter, `{workloadSelector: {labels: {"bad key!": a}}}`, []string{`spec.workloadSelector.labels["bad key!"] labels`}},
	{"proxyconfig valid", KindProxyConfig, `{selector: {matchLabels: {app: a}}, concurrency: 2}`, nil},
	{"proxyconfig", KindProxyConfig, `{selector: {matchLabels: {"a/b/c": a}}}`, []string{`spec.selector.matchLabels["a/b/c"] labels`}},

	// AuthorizationPolicy
	{"ap valid", KindAuthorizationPolicy, `{selector: {matchLabels: {app: a}}, action: ALLOW, rules: [{}, {from: [{source: {ipBlocks: [10.0.0.0/8, 1.2.3.4], remoteIpBlocks: ["::1/128"]}}], to: [{operation: {ports: ["8080"], notPorts: ["9090"]}}], when: [{key: "request.headers[x-user]", values: [a]}, {key: source.ip, notValues: [1.2.3.4]}, {key: experimental.envoy.filters.a, values: [b]}]}]}`, nil},
	{"ap custom valid", KindAuthorizationPolicy, `{action: CUSTOM, provider: {name: ext}, targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: g}]}`, nil},
	{"ap refs", KindAuthorizationPolicy, `{selector: {matchLabels: {app: a}}, targetRef: {kind: Gateway, name: g}, targetRefs: [{kind: Gateway, name: g}], action: CUSTOM}`,
		[]string{"spec.provider required", "spec.selector exclusive", "spec.targetRefs exclusive"}},
	{"ap rules", KindAuthorizationPolicy, `{action: DENY, provider: {name: ext}, rules: [{}, {from: [{}, {source: {ipBlocks: [300.0.0.1], notIpBlocks: [10.0.0.0/x], notRemoteIpBlocks: ["::1/200"]}}], to: [{}, {operation: {ports: [http], notPorts: ["70000"]}}], when: [{key: nope, values: [a]}, {key: source.ip}]}]}`,
		[]string{"spec.provider exclusive", "spec.rules[0] value (warning)", "spec.rules[1].from[0].source required", "spec.rules[1].from[1].source.ipBlocks[0] address",
			"spec.rules[1].from[1].source.notIpBlocks[0] address", "spec.rules[1].from[1].source.notRemoteIpBlocks[0] address", "spec.rules[1].to[0].operation required",
			"spec.rules[1].to[1].operation.notPorts[0] port", "spec.rules[1].to[1].operation.ports[0] port", "spec.rules[1].when[0].key value", "spec.rules[1].when[1] required"}},

	// PeerAuthentication, RequestAuthentication, Telemetry, WasmPlugin
	{"pa valid", KindPeerAuthentication, `{selector: {matchLabels: {app: a}}, mtls: {mode: STRICT}, portLevelMtls: {"8080": {mode: DISABLE}}}`, nil},
	{"pa", KindPeerAuthentication, `{selector: {matchLabels: {app: "bad value!"}}, portLevelMtls: {"0": {mode: DISABLE}, "70000": {mode: DISABLE}}}`,
		[]string{`spec.portLevelMtls["0"] port`, `spec.portLevelMtls["70000"] port`, `spec.selector.matchLabels["app"] labels`}},
	{"ra valid", KindRequestAuthentication, `{selector: {matchLabels: {app: a}}, jwtRules: [{issuer: a, jwksUri: "https://a.example.com/jwks", fromHeaders: [{name: Authorization}], timeout: 5s}, {issuer: b, jwks: "{}"}]}`, nil},
	{"ra", KindRequestAuthentication, `{selector: {matchLabels: {app: a}}, targetRef: {kind: Gateway, name: g}, jwtRules: [{}, {issuer: a, jwksUri: "https://a/jwks", jwks: "{}"}, {issuer: a, jwksUri: "ftp://x", fromHeaders: [{name: ""}], timeout: 0s}]}`,
		[]string{"spec.jwtRules[0].issuer required", "spec.jwtRules[1] exclusive", "spec.jwtRules[2].fromHeaders[0].name required", "spec.jwtRules[2].issuer unique (warning)",
			"spec.jwtRules[2].jwksUri value", "spec.jwtRules[2].timeout duration", "spec.selector exclusive"}},
	{"telemetry valid", KindTelemetry, `{selector: {matchLabels: {app: a}}, tracing: [{randomSamplingPercentage: 10}]}`, nil},
	{"telemetry", KindTelemetry, `{selector: {matchLabels: {"bad key!": a}}, targetRefs: [{kind: Gateway, name: g}]}`, []string{`spec.selector exclusive`, `spec.selector.matchLabels["bad key!"] labels`}},
	{"wasm valid", KindWasmPlugin, `{url: "oci://x", targetRef: {kind: Gateway, name: g}}`, nil},
	{"wasm", KindWasmPlugin, `{url: "oci://x", selector: {matchLabels: {app: "bad value!"}}, targetRef: {kind: Gateway, name: g}}`, []string{"spec.selector exclusive", `spec.selector.matchLabels["app"] labels`}},
}

func TestRules(t *testing.T) {
	for _, tc := range ruleCases {
		t.Run(tc.name, func(t *testing.T) {
			msg, errs := DecodeSpec(tc.kind.WithVersion(""), specOf(t, tc.spec))
			errs = slices.DeleteFunc(errs, func(e FieldError) bool { return e.Field == "apiVersion" })
			if len(errs) > 0 {
				t.Fatalf("the case must decode: %v", errs)
			}
			got := problems(Validate(msg, "spec"))
			want := slices.Clone(tc.want)
			if want == nil {
				want = []string{}
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("\n got: %q\nwant: %q", got, want)
			}
		})
	}
}

// TestDeprecatedFieldsSayWhatToUse: a deprecated field's warning names its replacement.
func TestDeprecatedFieldsSayWhatToUse(t *testing.T) {
	msg, errs := DecodeSpec(KindVirtualService.WithVersion("v1"), specOf(t, `{hosts: [a], http: [{route: [{destination: {host: a}}], mirror: {host: b}, mirrorPercent: 5}]}`))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := Validate(msg, "spec")
	if len(got) != 1 || got[0].Message != "mirrorPercent is deprecated: use mirrorPercentage" || got[0].Severity != Warning {
		t.Fatalf("got %v", got)
	}
}

// TestEveryRuleIsTested: each semantic rule has a case that breaks it and the kind has a valid case.
func TestEveryRuleIsTested(t *testing.T) {
	broken := map[Rule]bool{}
	valid := map[schema.GroupKind]bool{}
	for _, tc := range ruleCases {
		if len(tc.want) == 0 {
			valid[tc.kind] = true
		}
		for _, w := range tc.want {
			broken[Rule(strings.Fields(w)[1])] = true
		}
	}
	for _, r := range []Rule{RuleRequired, RuleExclusive, RuleHost, RuleName, RulePort, RuleAddress, RuleDuration, RuleRange,
		RuleWeight, RuleRegex, RuleLabels, RuleExportTo, RuleUnique, RuleValue, RuleDeprecated} {
		if !broken[r] {
			t.Errorf("no case breaks rule %s", r)
		}
	}
	for _, k := range Kinds() {
		if !valid[k.GroupKind] {
			t.Errorf("no valid case for %s", k.Kind)
		}
	}
}
