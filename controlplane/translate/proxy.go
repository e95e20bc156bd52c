package translate

import (
	"maps"
	"slices"
	"strings"

	"github.com/meshctl/meshctl/meshapi"
)

// Proxy is a connected proxy as it identified itself: node id and Istio's node metadata.
type Proxy struct {
	ID   meshapi.NodeID
	Meta meshapi.NodeMetadata
}

// Namespace is the proxy's namespace: the metadata's, else the node id's.
func (p *Proxy) Namespace() string {
	if p.Meta.Namespace != "" {
		return p.Meta.Namespace
	}
	return p.ID.Namespace()
}

// Labels are the workload's labels.
func (p *Proxy) Labels() map[string]string { return p.Meta.Labels }

// IsGateway: a router (ingress or egress gateway) rather than a sidecar.
func (p *Proxy) IsGateway() bool { return p.ID.Type == meshapi.Router }

// labelKey is the proxy's labels in a stable text, part of the keys under which proxies share work.
func (p *Proxy) labelKey() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(p.Meta.Labels)) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(p.Meta.Labels[k])
		b.WriteByte(',')
	}
	return b.String()
}

// matchesLabels: every pair of sel is among the labels (an empty selector matches everything).
func matchesLabels(sel, labels map[string]string) bool {
	for k, v := range sel {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}
