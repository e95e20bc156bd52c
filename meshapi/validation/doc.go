// Package validation decides whether Istio configuration is valid, for every program of the mesh: meshctl
// analyze, the install profiles, sidecar injection, and meshd's validating webhook all call it.
//
// Decoding turns JSON-shaped values (what YAML and JSON decoders produce: maps, lists, strings, booleans,
// and numbers as int64, float64 or json.Number) into istio.io/api messages, the way Istio's API server reads
// them, and reports every problem with the exact path of its field: spec.http[0].route[1].weight.
// Validate then applies the semantic rules Istio documents for each kind (hosts, ports, durations,
// weights, regexes, label maps, exportTo, fields that exclude each other). Object does both for one object.
package validation
