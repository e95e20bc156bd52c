// Package proxy is the root of the mesh's data plane: mesh-init's capture rules and mesh-proxy, the
// sidecar and gateway proxy that meshd configures over xDS. Its packages, one per capability:
//
//	capture   the traffic capture rules (nftables over netlink), mesh-init's library
//	ir        the proxy's own configuration: listeners, filter chains, routes, clusters, endpoints
//	listener  accepting connections, original destinations, protocol sniffing, filter chain choice
//	route     HTTP routing: the route table compiled into a Handler stack (retries, faults, mirrors ...)
//	cluster   upstream clusters: endpoints, load balancers, connection limits, outlier detection
//	tcpproxy  opaque TCP forwarding
//	accesslog Istio's access log format and Envoy's response flags
//	admin     the admin (15000), health (15021) and status (15020) servers
//	xds       the ADS client: Envoy v3 resources from meshd translated into ir
//	agent     bootstrap from the injected flags and environment, and the process's lifecycle
//
// Nothing here imports client-go, apimachinery, helm or kustomize (imports_test.go holds the
// binaries to that): the proxy talks only to meshd.
package proxy
