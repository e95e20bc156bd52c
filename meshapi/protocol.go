package meshapi

import "strings"

// Protocol is what a Service port speaks, in Istio's lower-case names ("http", "grpc", "tcp"...).
type Protocol string

// portProtocols are the protocols a Service port name may start with (name "http" or "http-web"),
// grpc-web before grpc, which is its prefix.
var portProtocols = []Protocol{"http", "http2", "https", "grpc-web", "grpc", "tcp", "tls", "mongo", "mysql", "redis", "udp", "thrift", "triple"}

// ServicePort is the part of a Service port its protocol is read from.
type ServicePort struct {
	// Name is the port's name, AppProtocol its appProtocol, Protocol its L4 protocol (TCP, UDP, SCTP).
	Name, AppProtocol, Protocol string
}

// ProtocolOf is Istio's rule for the protocol of a Service port: its appProtocol when set; else the
// protocol its name is or starts with ("http", "grpc-web-api"); else udp for a UDP port. "" means the
// protocol is left to detection: the mesh sniffs it.
func ProtocolOf(p ServicePort) Protocol {
	if p.AppProtocol != "" {
		return Protocol(strings.ToLower(p.AppProtocol))
	}
	name := strings.ToLower(p.Name)
	for _, proto := range portProtocols {
		if name == string(proto) || strings.HasPrefix(name, string(proto)+"-") {
			return proto
		}
	}
	if strings.EqualFold(p.Protocol, "UDP") {
		return "udp"
	}
	return ""
}
