package analyzers

// envoyFilter is an EnvoyFilter with the given spec lines.
func envoyFilter(name, spec string) string {
	return "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: " + name + "}\nspec:\n" + spec + "\n---\n"
}

// envoyFilterCases cover the EnvoyFilter operations the API says are ignored or order-dependent.
var envoyFilterCases = []analyzerCase{
	{"envoy filter operations", "envoyfilter", envoyFilter("relative", `  configPatches:
  - applyTo: HTTP_FILTER
    match: {context: SIDECAR_INBOUND}
    patch: {operation: INSERT_BEFORE, value: {name: envoy.lua}}
  - applyTo: HTTP_FILTER
    match: {context: SIDECAR_OUTBOUND, proxy: {proxyVersion: '^1\.11.*'}}
    patch: {operation: REPLACE, value: {name: envoy.lua}}
  - applyTo: CLUSTER
    patch: {operation: REPLACE, value: {name: c}}
  - applyTo: ROUTE_CONFIGURATION
    patch: {operation: ADD, value: {name: r}}
  - applyTo: HTTP_ROUTE
    patch: {operation: REMOVE}`),
		[]string{"IST0151 EnvoyFilter relative.default spec.configPatches[0].patch.operation", "IST0155 EnvoyFilter relative.default spec.configPatches[1].patch.operation",
			"IST0152 EnvoyFilter relative.default spec.configPatches[2].patch.operation", "IST0153 EnvoyFilter relative.default spec.configPatches[3].patch.operation",
			"IST0154 EnvoyFilter relative.default spec.configPatches[4].patch.operation"}},
	// A priority orders relative operations; absolute ones need none.
	{"envoy filter ordered", "envoyfilter", envoyFilter("prioritized", `  priority: 10
  configPatches:
  - applyTo: HTTP_FILTER
    match: {context: SIDECAR_OUTBOUND, proxy: {proxyVersion: '^1\.11.*'}}
    patch: {operation: REPLACE, value: {name: envoy.lua}}
  - applyTo: ROUTE_CONFIGURATION
    patch: {operation: MERGE, value: {name: r}}`) + envoyFilter("absolute", `  configPatches:
  - applyTo: HTTP_FILTER
    patch: {operation: INSERT_FIRST, value: {name: envoy.lua}}
  - applyTo: CLUSTER
    patch: {operation: ADD, value: {name: c}}`), nil},
}
