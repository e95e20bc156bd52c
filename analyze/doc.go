// Package analyze finds problems in mesh configuration — Istio resources and the Kubernetes objects they
// refer to — read from files, from a live cluster, or both (files overlay the cluster, so that a change can
// be checked before it is applied).
//
// It is a library: the `meshctl analyze` command fills an Options value, and the analyzers in
// analyze/analyzers, the writers in analyze/report and the suppressions in analyze/suppress do the rest.
// Findings carry Istio's IST codes where Istio has one, with the same meaning, and meshctl's own MSH codes
// (codes.go) for the rest.
package analyze
