package translate

import (
	"strconv"

	"github.com/meshctl/meshctl/meshapi"
)

// Names of resources, Istio's, which tools (istioctl proxy-config, dashboards) key on.
const (
	virtualOutbound    = "virtualOutbound"
	virtualInbound     = "virtualInbound"
	passthroughCluster = "PassthroughCluster"
	blackHoleCluster   = "BlackHoleCluster"
	inboundPassthrough = "InboundPassthroughCluster"
)

// OutboundCluster is "outbound|PORT|SUBSET|HOST".
func OutboundCluster(port uint32, subset, host string) string {
	return "outbound|" + strconv.Itoa(int(port)) + "|" + subset + "|" + host
}

// InboundCluster is "inbound|PORT||".
func InboundCluster(port uint32) string { return "inbound|" + strconv.Itoa(int(port)) + "||" }

// isHTTP: the protocol is served through the HTTP connection manager and routes.
func isHTTP(p meshapi.Protocol) bool {
	switch p {
	case "http", "http2", "grpc", "grpc-web":
		return true
	}
	return false
}

// isSniffed: the port's protocol is unknown (no appProtocol, no protocol name prefix); as Istio,
// the proxy sniffs each connection and serves HTTP by routes, anything else as TCP.
func isSniffed(p meshapi.Protocol) bool { return p == "" }

// isHTTP2: the endpoints speak HTTP/2.
func isHTTP2(p meshapi.Protocol) bool { return p == "http2" || p == "grpc" || p == "grpc-web" }
