package meshapi

import (
	"net/netip"
	"strconv"
	"strings"
)

// Port is a TCP port number.
type Port uint16

func (p Port) String() string { return strconv.Itoa(int(p)) }

// The sidecar's ports, Istio's numbers: dashboards, probes, Prometheus scrape configs and the capture rules
// all know them.
const (
	// ProxyAdminPort is the proxy's admin page (config dump, stats, logging), on localhost only.
	ProxyAdminPort Port = 15000
	// ProxyOutboundPort receives the pod's captured outbound traffic.
	ProxyOutboundPort Port = 15001
	// ProxyInboundPort receives the pod's captured inbound traffic.
	ProxyInboundPort Port = 15006
	// ProxyStatusPort serves merged Prometheus metrics (proxy and application) and the rewritten
	// application probes; the values' statusPort, which status.sidecar.istio.io/port overrides.
	ProxyStatusPort Port = 15020
	// ProxyHealthPort serves /healthz/ready, the sidecar's readiness probe.
	ProxyHealthPort Port = 15021
	// ProxyPrometheusPort serves the proxy's own metrics at /stats/prometheus.
	ProxyPrometheusPort Port = 15090
)

// meshd's ports.
const (
	// DiscoveryPlaintextPort serves xDS without TLS, for proxies inside a trusted network.
	DiscoveryPlaintextPort Port = 15010
	// DiscoveryPort serves xDS and the certificate authority over TLS: what proxies dial.
	DiscoveryPort Port = 15012
	// ControlPlaneMonitoringPort serves meshd's metrics and its /debug pages.
	ControlPlaneMonitoringPort Port = 15014
	// WebhookPort serves the injection and validation webhooks (the Service maps 443 to it).
	WebhookPort Port = 15017
	// ControlPlaneHTTPPort is meshd's plain-HTTP port, on the container only: /ready (its readiness probe)
	// and the debug interface.
	ControlPlaneHTTPPort Port = 8080
)

// ProxyUID and ProxyGID are the user and group the proxy runs as: the capture rules let their traffic
// through uncaptured, so an application must not run as them.
const (
	ProxyUID = 1337
	ProxyGID = 1337
)

// InboundPassthroughSource4 and InboundPassthroughSource6 are the local addresses the proxy connects to
// the application from: the capture rules leave connections from them alone, which would otherwise
// loop back into the proxy (they cross the loopback interface to the pod's own IP). Istio's numbers.
var (
	InboundPassthroughSource4 = netip.AddrFrom4([4]byte{127, 0, 0, 6})
	InboundPassthroughSource6 = netip.AddrFrom16([16]byte{15: 6})
)

// ProxyOwnInboundPorts are the ports the inbound capture always leaves alone, whatever the pod's
// excludeInboundPorts says: the proxy's own servers, which must not be redirected into the proxy.
// statusPort is the pod's status port (ProxyStatusPort unless status.sidecar.istio.io/port says), left
// out when it is "" or 0 (no status server), as Istio's template does.
func ProxyOwnInboundPorts(statusPort string) string {
	own := ProxyPrometheusPort.String() + "," + ProxyHealthPort.String()
	if s := strings.TrimSpace(statusPort); s != "" && s != "0" {
		own += "," + s
	}
	return own
}

// IsValidPort reports whether n is a TCP port a workload or a resource may name: 1-65535. Zero is never
// one (it means "none" where a field allows that, which the caller decides).
func IsValidPort(n uint64) bool { return n >= 1 && n <= 65535 }
