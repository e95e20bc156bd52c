// Package e2e runs the whole mesh on the test cluster's real node: meshctl's installer puts meshd
// (as istiod) there, meshd's webhook injects mesh-init and mesh-proxy into sample pods, and traffic
// between them follows Istio's routing rules. It holds tests only.
package e2e
