// Package meshapi is the contract the mesh's programs share: the names of the control plane's objects,
// the ports the proxy and meshd listen on, the annotations and labels users set (with one validator for
// each value), which pods get a sidecar, and which protocol a Service port speaks.
//
// meshctl, meshd and mesh-proxy all import it, so a rule here is the same rule everywhere. It imports only
// the standard library and istio.io/api (whose annotation and label names it uses, never retypes): the proxy
// must not pull in client-go or apimachinery. imports_test.go holds it to that.
package meshapi
