package ir

import (
	"net/netip"
	"time"
)

// Config is one complete configuration of the proxy.
type Config struct {
	// Version identifies the configuration in logs and the admin page (the xDS versions it came from).
	Version   string
	Listeners []*Listener
	// Routes are the route tables HTTP connection managers refer to by name (RDS).
	Routes map[string]*RouteConfig
	// Clusters by name, each with its endpoints.
	Clusters map[string]*Cluster
	// Secrets are the SDS secrets meshd sent, by name (kubernetes://...): TLS settings naming one
	// resolve it at each handshake.
	Secrets map[string]*Secret
}

// Listener accepts connections on an address, or (BindToPort false) only receives the connections a
// UseOriginalDst listener hands over because their original destination port is its port.
type Listener struct {
	Name           string
	Address        netip.AddrPort
	BindToPort     bool
	UseOriginalDst bool
	// OriginalDst restores the original destination of a redirected connection for chain matching
	// (the inbound listener's original_dst listener filter); UseOriginalDst implies it.
	OriginalDst bool
	// InspectTLS reads the TLS ClientHello so chains can match server names and transport protocol;
	// InspectHTTP recognises HTTP/1.x and HTTP/2 cleartext so chains can match application protocols.
	// Either waits at most the proxy's sniffing timeout for the client's first bytes.
	InspectTLS, InspectHTTP bool
	Chains                  []*FilterChain
	DefaultChain            *FilterChain // nil: close unmatched connections
}

// Transport and application protocols a chain can match, as Envoy's inspectors name them.
const (
	TransportTLS  = "tls"
	TransportRaw  = "raw_buffer"
	ProtocolHTTP1 = "http/1.1"
	ProtocolH2C   = "h2c"
)

// FilterChain handles the connections its match selects, with exactly one of HTTP or TCP.
type FilterChain struct {
	Name  string
	Match ChainMatch
	HTTP  *HTTPManager
	TCP   *TCPProxy
	// TLS terminates TLS on the chain's connections before its filter (nil: plaintext).
	TLS *TLS
	// Warming says why the chain cannot be used yet (a secret the proxy cannot resolve): it is left
	// out of chain matching.
	Warming string
}

// TLS is one side of a TLS connection (Envoy's Upstream/DownstreamTlsContext): the certificate the
// proxy presents and how it verifies the peer. Secrets named by SDS name are resolved at each
// handshake, so a renewed certificate is used at once.
type TLS struct {
	// CertificateSecret names the certificate (xdscontract.SecretWorkload); else CertificatePEM and
	// KeyPEM, else none.
	CertificateSecret      string
	CertificatePEM, KeyPEM []byte
	// ValidationSecret names the trusted roots (xdscontract.SecretRootCA); else TrustedCAPEM; else
	// the peer is not verified (Envoy's behaviour without a validation context).
	ValidationSecret string
	TrustedCAPEM     []byte
	// SubjectAltNames: the peer's certificate must have a SAN matching one (none: any).
	SubjectAltNames []SANMatch
	ALPN            []string
	SNI             string // upstream: the server name sent
	// RequireClientCert: downstream, a client without a certificate is refused.
	RequireClientCert      bool
	MinVersion, MaxVersion uint16 // crypto/tls versions; 0: Go's defaults
}

// Secret is one SDS secret meshd sent (a gateway's kubernetes:// credential): a certificate with
// its key, or trusted roots, PEM.
type Secret struct {
	CertificatePEM, KeyPEM []byte
	TrustedCAPEM           []byte
}

// SANMatch matches a certificate's subject alternative name of one type.
type SANMatch struct {
	Type  SANType
	Value StringMatch
}

// SANType is the kind of subject alternative name a SANMatch reads.
type SANType int

const (
	SANURI SANType = iota
	SANDNS
)

// TLSMatch picks a transport for the endpoints whose metadata (envoy.transport_socket_match) has
// every pair of Match; TLS nil: plaintext.
type TLSMatch struct {
	Name  string
	Match map[string]string
	TLS   *TLS
}

// ChainMatch: every set field must hold. Among the chains that match, the most specific wins at each
// level in Envoy's order: destination port, destination prefix, server name, transport protocol,
// application protocol.
type ChainMatch struct {
	DestinationPort      uint16         // 0: any
	PrefixRanges         []netip.Prefix // destination address in one of them
	ServerNames          []string       // SNI; "*.example.com" matches subdomains
	TransportProtocol    string         // TransportTLS, TransportRaw or "" (any)
	ApplicationProtocols []string       // ProtocolHTTP1, ProtocolH2C
}

// HTTPManager serves HTTP/1.1 and HTTP/2 (prior knowledge) with a route table, named (RouteName,
// looked up in Config.Routes at each request, so route updates reach open connections) or inline.
type HTTPManager struct {
	StatPrefix string
	RouteName  string
	Route      *RouteConfig
	// UseRemoteAddress: the peer is the client; x-forwarded-for gets its address appended (gateways).
	UseRemoteAddress bool
	// Inbound: the connection came into the workload (15006), which access logs and metrics report.
	Inbound bool
	// AccessLogs are the files each request is logged to, in Istio's default text format; none:
	// the proxy's own access log (--accessLogFile).
	AccessLogs []string
	// JWT verifies tokens before RBAC (nil: no RequestAuthentication); RBAC filters run in order.
	JWT  *JWTAuthn
	RBAC []*RBAC
}

// TCPProxy forwards the connection's bytes to one cluster, picked per connection by weight.
type TCPProxy struct {
	StatPrefix string
	Clusters   []WeightedCluster
	Inbound    bool     // the connection came into the workload (metrics' reporter)
	AccessLogs []string // as HTTPManager's, per connection
	RBAC       []*RBAC  // network RBAC filters, before any byte goes upstream
}

// WeightedCluster is a destination with its relative weight (0: never picked).
type WeightedCluster struct {
	Name    string
	Weight  uint32
	Headers Headers // HTTP only: applied after the route's
}

// Cluster is a set of endpoints and how to reach them.
type Cluster struct {
	Name string
	Type ClusterType
	// Endpoints: from EDS for ClusterEDS, from the cluster itself for ClusterStatic and ClusterStrictDNS
	// (hostnames, resolved every DNSRefresh); none for ClusterOriginalDst.
	Endpoints      []Endpoint
	DNSRefresh     time.Duration
	ConnectTimeout time.Duration
	LB             LBPolicy
	RingSize       int // RING_HASH minimum entries
	Limits         Limits
	HTTP2          bool // speak HTTP/2 (h2c) to the endpoints instead of HTTP/1.1
	// DownstreamProtocol: each request goes upstream in its own protocol, HTTP/2 (h2c) or HTTP/1.1
	// (use_downstream_protocol_config: Istio's sniffed ports).
	DownstreamProtocol bool
	IdleTimeout        time.Duration
	// MaxRequestsPerConnection closes an upstream connection after that many requests (0: no limit).
	MaxRequestsPerConnection int
	Outlier                  *OutlierDetection
	// PanicThreshold: below this percentage of healthy endpoints, balance over all of them.
	PanicThreshold float64
	// BindAddress is the local address of upstream connections (invalid: the system's choice).
	BindAddress netip.Addr
	Keepalive   *TCPKeepalive
	// TLS originates TLS to the endpoints (nil: plaintext); TLSMatches, tried in order, choose per
	// endpoint first (auto mTLS), TLS being the transport of the endpoints none matches.
	TLS        *TLS
	TLSMatches []TLSMatch
	// Warming says why the cluster cannot be used yet (a secret the proxy cannot resolve): it has no
	// endpoints.
	Warming string
}

// ClusterType is how a cluster finds its endpoints.
type ClusterType int

const (
	ClusterEDS ClusterType = iota
	ClusterStatic
	ClusterStrictDNS
	ClusterOriginalDst // the downstream connection's original destination
)

func (t ClusterType) String() string {
	return [...]string{"EDS", "STATIC", "STRICT_DNS", "ORIGINAL_DST"}[t]
}

// Endpoint is one upstream address with its weight (within its locality) and locality weight.
type Endpoint struct {
	Address        string // host:port; the host is an IP except in STRICT_DNS clusters
	Weight         uint32
	Locality       string
	LocalityWeight uint32
	// Priority is the endpoint's locality failover level: requests go to level 0 while it is healthy
	// enough, spilling to the next levels as its endpoints are ejected (Envoy's priorities).
	Priority uint32
	// TLSMatch is the endpoint's envoy.transport_socket_match metadata (the cluster's TLSMatches).
	TLSMatch map[string]string
}

// LBPolicy picks an endpoint per request (or connection).
type LBPolicy int

const (
	LBRoundRobin LBPolicy = iota
	LBLeastRequest
	LBRandom
	LBRingHash // also Maglev: consistent hashing of the route's hash policy
)

func (p LBPolicy) String() string {
	return [...]string{"ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "RING_HASH"}[p]
}

// Limits are the circuit breakers; beyond them a request fails at once with 503 (flag UO). 0: no limit.
type Limits struct {
	MaxConnections, MaxPendingRequests, MaxRequests, MaxRetries int
}

// OutlierDetection ejects endpoints that fail consecutively.
type OutlierDetection struct {
	Consecutive5xx            int // 0: off
	ConsecutiveGatewayFailure int // 0: off
	// SplitLocalOrigin counts connection failures and timeouts apart from 5xx answers, against
	// ConsecutiveLocalOrigin (0: off).
	SplitLocalOrigin       bool
	ConsecutiveLocalOrigin int
	Interval               time.Duration
	BaseEjectionTime       time.Duration
	MaxEjectionPercent     int
}

// TCPKeepalive for upstream connections.
type TCPKeepalive struct {
	Probes         int
	Time, Interval time.Duration
}
