package meshapi

import (
	"fmt"
	"net/netip"
	"strings"
)

// ProxyType is the first field of a node id: what kind of proxy connects.
type ProxyType string

const (
	// Sidecar proxies run beside an application container and capture its traffic.
	Sidecar ProxyType = "sidecar"
	// Router proxies are gateways (istio-ingressgateway, istio-egressgateway).
	Router ProxyType = "router"
)

// NodeID is a proxy's identity on an xDS stream, in Istio's format:
//
//	sidecar~10.244.0.7~productpage-v1-5f9dbcd669-abcde.default~default.svc.cluster.local
//	router~10.244.0.9~istio-ingressgateway-6c5d7b-x2k.istio-system~istio-system.svc.cluster.local
//
// Type, one IP, "POD.NAMESPACE" and the DNS domain "NAMESPACE.svc.CLUSTER_DOMAIN", separated by "~".
type NodeID struct {
	Type ProxyType
	// IP is the proxy's first address; the node metadata's INSTANCE_IPS lists all of them.
	IP netip.Addr
	// ID is "POD.NAMESPACE".
	ID string
	// DNSDomain is "NAMESPACE.svc.CLUSTER_DOMAIN".
	DNSDomain string
}

// ParseNodeID parses Istio's node id format.
func ParseNodeID(s string) (NodeID, error) {
	parts := strings.Split(s, "~")
	if len(parts) != 4 {
		return NodeID{}, fmt.Errorf("node id %q: want 4 fields separated by ~ (type~ip~pod.namespace~domain), got %d", s, len(parts))
	}
	n := NodeID{Type: ProxyType(parts[0]), ID: parts[2], DNSDomain: parts[3]}
	switch n.Type {
	case Sidecar, Router:
	default:
		return NodeID{}, fmt.Errorf("node id %q: proxy type %q: want %q or %q", s, parts[0], Sidecar, Router)
	}
	ip, err := netip.ParseAddr(parts[1])
	if err != nil {
		return NodeID{}, fmt.Errorf("node id %q: IP address %q: %w", s, parts[1], err)
	}
	n.IP = ip
	if n.ID == "" {
		return NodeID{}, fmt.Errorf("node id %q: empty pod.namespace field", s)
	}
	return n, nil
}

// String formats the id as ParseNodeID reads it.
func (n NodeID) String() string {
	return string(n.Type) + "~" + n.IP.String() + "~" + n.ID + "~" + n.DNSDomain
}

// Namespace is the proxy's namespace: the first label of the DNS domain, or, when the domain is
// empty, what follows the last dot of the id.
func (n NodeID) Namespace() string {
	if ns, _, ok := strings.Cut(n.DNSDomain, "."); ok && ns != "" {
		return ns
	}
	if i := strings.LastIndexByte(n.ID, '.'); i >= 0 {
		return n.ID[i+1:]
	}
	return ""
}

// PodName is the id without its ".NAMESPACE" suffix.
func (n NodeID) PodName() string {
	return strings.TrimSuffix(n.ID, "."+n.Namespace())
}

// NewNodeID builds the id a proxy of pod name.namespace at ip presents, as Istio's agent does.
func NewNodeID(t ProxyType, ip netip.Addr, pod, namespace, clusterDomain string) NodeID {
	return NodeID{Type: t, IP: ip, ID: pod + "." + namespace, DNSDomain: namespace + ".svc." + clusterDomain}
}
