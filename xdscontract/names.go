package xdscontract

// The extension names the contract allows (docs/xds.md): meshd sets them and the proxy dispatches on
// them, so both read them from here.
const (
	FilterOriginalDst      = "envoy.filters.listener.original_dst"
	FilterTLSInspector     = "envoy.filters.listener.tls_inspector"
	FilterHTTPInspector    = "envoy.filters.listener.http_inspector"
	FilterHCM              = "envoy.filters.network.http_connection_manager"
	FilterTCPProxy         = "envoy.filters.network.tcp_proxy"
	FilterFault            = "envoy.filters.http.fault"
	FilterCORS             = "envoy.filters.http.cors"
	FilterRouter           = "envoy.filters.http.router"
	FilterHTTPRBAC         = "envoy.filters.http.rbac"
	FilterNetworkRBAC      = "envoy.filters.network.rbac"
	FilterJWTAuthn         = "envoy.filters.http.jwt_authn"
	TransportTLS           = "envoy.transport_sockets.tls"
	RetryPreviousHosts     = "envoy.retry_host_predicates.previous_hosts"
	AccessLoggerFile       = "envoy.access_loggers.file"
	HTTPProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

	// The SDS secrets every proxy resolves itself, from its own agent (Istio's names): its workload
	// certificate and the mesh's roots.
	SecretWorkload = "default"
	SecretRootCA   = "ROOTCA"
	// SecretKubernetesPrefix starts the names of the secrets meshd serves by SDS (gateways'
	// credentialName): kubernetes://NAME, kubernetes://NAME-cacert.
	SecretKubernetesPrefix = "kubernetes://"
	// TransportSocketMatch is the endpoint metadata filter transport_socket_matches read; meshd sets
	// TLSModeKey to TLSModeIstio on endpoints with a sidecar (auto mTLS).
	TransportSocketMatch = "envoy.transport_socket_match"
	TLSModeKey           = "tlsMode"
	TLSModeIstio         = "istio"
)
