package loadtest

import (
	"google.golang.org/protobuf/encoding/protowire"
)

// The simulated proxies read only what the protocol makes them follow: resource names and EDS
// clusters. They scan the wire format for those few fields instead of decoding every resource,
// so that a thousand proxies on the machine under test cost it little.

// field calls f for every top-level field of b, until f returns false or b is malformed.
func field(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, varint uint64) bool) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return
		}
		b = b[n:]
		if !f(num, typ, v, x) {
			return
		}
	}
}

// stringField is the first string (bytes) field num of b.
func stringField(b []byte, num protowire.Number) string {
	var out string
	field(b, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64) bool {
		if n == num && typ == protowire.BytesType {
			out = string(v)
			return false
		}
		return true
	})
	return out
}

// Field numbers of envoy.config.cluster.v3.Cluster and its EdsClusterConfig.
const (
	clusterName          = 1
	clusterType          = 2
	clusterEdsConfig     = 3
	edsConfigServiceName = 2
	discoveryTypeEDS     = 3
)

// edsServiceName is the name EDS knows an EDS cluster by, or "" for another kind of cluster.
func edsServiceName(b []byte) string {
	var name, service string
	eds := false
	field(b, func(n protowire.Number, typ protowire.Type, v []byte, x uint64) bool {
		switch {
		case n == clusterName && typ == protowire.BytesType:
			name = string(v)
		case n == clusterType && typ == protowire.VarintType:
			eds = x == discoveryTypeEDS
		case n == clusterEdsConfig && typ == protowire.BytesType:
			service = stringField(v, edsConfigServiceName)
		}
		return true
	})
	if !eds {
		return ""
	}
	if service != "" {
		return service
	}
	return name
}
