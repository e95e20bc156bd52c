package validation

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

func (v *validator) serviceEntry(p string, se *networking.ServiceEntry) {
	if len(se.Hosts) == 0 {
		v.errorf(RuleRequired, p+".hosts", "a ServiceEntry needs at least one host")
	}
	for i, h := range se.Hosts {
		v.host(idx(p+".hosts", i), h, false)
		if h == "*" {
			v.errorf(RuleHost, idx(p+".hosts", i), "the host \"*\" is not allowed in a ServiceEntry")
		}
		if se.Resolution == networking.ServiceEntry_DNS && strings.HasPrefix(h, "*") && len(se.Endpoints) == 0 {
			v.errorf(RuleHost, idx(p+".hosts", i), "a wildcard host cannot be resolved with DNS without endpoints")
		}
	}
	for i, a := range se.Addresses {
		v.address(idx(p+".addresses", i), a)
	}
	v.exportTo(p, se.ExportTo)
	numbers, names := map[uint32]bool{}, map[string]bool{}
	for i, pt := range se.Ports {
		pp := idx(p+".ports", i)
		v.port(pp+".number", pt.Number)
		if pt.Name == "" {
			v.errorf(RuleRequired, pp+".name", "port name is required")
		} else if names[pt.Name] {
			v.errorf(RuleUnique, pp+".name", "duplicate port name %q", pt.Name)
		}
		if numbers[pt.Number] {
			v.errorf(RuleUnique, pp+".number", "duplicate port %d", pt.Number)
		}
		names[pt.Name], numbers[pt.Number] = true, true
		if pt.TargetPort != 0 {
			v.port(pp+".targetPort", pt.TargetPort)
		}
	}
	if se.WorkloadSelector != nil && len(se.Endpoints) > 0 {
		v.errorf(RuleExclusive, p+".workloadSelector", "workloadSelector and endpoints exclude each other")
	}
	for i, ep := range se.Endpoints {
		epp := idx(p+".endpoints", i)
		if ep.Address == "" && ep.Network == "" {
			v.errorf(RuleRequired, epp+".address", "endpoint address is required")
		}
		if se.Resolution == networking.ServiceEntry_STATIC && ep.Address != "" && !strings.HasPrefix(ep.Address, "unix://") {
			v.address(epp+".address", ep.Address)
		}
		v.portMap(epp+".ports", ep.Ports)
	}
	if se.Resolution == networking.ServiceEntry_STATIC && len(se.Endpoints) == 0 && se.WorkloadSelector == nil {
		v.warnf(RuleRequired, p+".resolution", "STATIC resolution without endpoints or workloadSelector has no endpoints")
	}
}
