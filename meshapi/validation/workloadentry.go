package validation

import networking "istio.io/api/networking/v1alpha3"

func (v *validator) workloadEntry(p string, we *networking.WorkloadEntry) {
	if we.Address == "" && we.Network == "" {
		v.errorf(RuleRequired, p+".address", "address is required")
	}
	v.labels(p, ".labels", we.Labels)
	v.portMap(p+".ports", we.Ports)
}

// workloadGroup checks the template of the WorkloadEntries the group creates; their address comes from
// each workload.
func (v *validator) workloadGroup(p string, wg *networking.WorkloadGroup) {
	if wg.Metadata != nil {
		v.labels(p, ".metadata.labels", wg.Metadata.Labels)
	}
	if t := wg.Template; t != nil {
		v.labels(p, ".template.labels", t.Labels)
		v.portMap(p+".template.ports", t.Ports)
	}
}
