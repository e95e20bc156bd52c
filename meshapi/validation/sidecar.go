package validation

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

// sidecarEndpointPrefixes are the forms an ingress listener's defaultEndpoint may take.
var sidecarEndpointPrefixes = []string{"unix://", "127.0.0.1:", "0.0.0.0:", "[::1]:", "[::]:"}

func (v *validator) sidecar(p string, sc *networking.Sidecar) {
	if sc.WorkloadSelector != nil {
		v.labels(p, ".workloadSelector.labels", sc.WorkloadSelector.Labels)
	}
	for i, e := range sc.Egress {
		ep := idx(p+".egress", i)
		if len(e.Hosts) == 0 {
			v.errorf(RuleRequired, ep+".hosts", "an egress listener needs at least one host")
		}
		for j, h := range e.Hosts {
			v.namespacedHost(ep, j, h, true, false)
		}
		if e.Port != nil {
			v.port(ep+".port.number", e.Port.Number)
		}
	}
	for i, in := range sc.Ingress {
		ip := idx(p+".ingress", i)
		if in.Port == nil {
			v.errorf(RuleRequired, ip+".port", "an ingress listener needs a port")
		} else {
			v.port(ip+".port.number", in.Port.Number)
		}
		if d := in.DefaultEndpoint; d != "" && !hasAnyPrefix(d, sidecarEndpointPrefixes) {
			v.errorf(RuleAddress, ip+".defaultEndpoint", "defaultEndpoint %q must be 127.0.0.1:PORT, 0.0.0.0:PORT, [::1]:PORT, [::]:PORT or unix:///path", d)
		}
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
