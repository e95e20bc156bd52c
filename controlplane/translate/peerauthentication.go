package translate

import (
	"cmp"

	security "istio.io/api/security/v1beta1"

	"github.com/meshctl/meshctl/controlplane/model"
)

// mtlsMode is a PeerAuthentication mode: UNSET, DISABLE, PERMISSIVE or STRICT.
type mtlsMode = security.PeerAuthentication_MutualTLS_Mode

const (
	modeUnset      = security.PeerAuthentication_MutualTLS_UNSET
	modeDisable    = security.PeerAuthentication_MutualTLS_DISABLE
	modePermissive = security.PeerAuthentication_MutualTLS_PERMISSIVE
	modeStrict     = security.PeerAuthentication_MutualTLS_STRICT
)

// peerPolicy is a workload's inbound mTLS: the workload's mode and, per target port, the
// workload-level policy's portLevelMtls.
type peerPolicy struct {
	mode  mtlsMode
	ports map[uint32]mtlsMode
}

// at is the mode of a target port.
func (p peerPolicy) at(port uint32) mtlsMode {
	if m, ok := p.ports[port]; ok {
		return m
	}
	return p.mode
}

// workloadPeerPolicy applies Istio's precedence: the mesh-wide policy (root namespace, no
// selector), then the namespace's (no selector), then the workload's (the oldest whose selector
// matches the workload's labels in its namespace), each mode that is UNSET inheriting its parent's;
// PERMISSIVE when nothing says otherwise. portLevelMtls counts only on a workload-level policy, as
// Istio, keyed by the workload's (target) port; UNSET there inherits the workload's mode.
func workloadPeerPolicy(s *model.Snapshot, ns string, labels map[string]string) peerPolicy {
	mode := namespaceMode(s, ns)
	var workload *model.Config[*security.PeerAuthentication]
	for _, pa := range s.PeerAuthentications {
		sel := pa.Spec.GetSelector().GetMatchLabels()
		if pa.Namespace != ns || len(sel) == 0 || !matchesLabels(sel, labels) {
			continue
		}
		if workload == nil || older(pa, workload) {
			workload = pa
		}
	}
	out := peerPolicy{mode: mode}
	if workload == nil {
		return out
	}
	out.mode = inherit(workload.Spec.GetMtls().GetMode(), mode)
	for port, m := range workload.Spec.GetPortLevelMtls() {
		if out.ports == nil {
			out.ports = map[uint32]mtlsMode{}
		}
		out.ports[port] = inherit(m.GetMode(), out.mode)
	}
	return out
}

// namespaceMode is the mode of a namespace's workloads before workload-level policies: the
// namespace's policy over the mesh's, PERMISSIVE by default.
func namespaceMode(s *model.Snapshot, ns string) mtlsMode {
	mode := inherit(selectorless(s, s.RootNamespace()), modePermissive)
	if ns != s.RootNamespace() {
		mode = inherit(selectorless(s, ns), mode)
	}
	return mode
}

// selectorless is the mode of the oldest policy of ns without a selector (UNSET: none).
func selectorless(s *model.Snapshot, ns string) mtlsMode {
	var best *model.Config[*security.PeerAuthentication]
	for _, pa := range s.PeerAuthentications {
		if pa.Namespace == ns && len(pa.Spec.GetSelector().GetMatchLabels()) == 0 && (best == nil || older(pa, best)) {
			best = pa
		}
	}
	if best == nil {
		return modeUnset
	}
	return best.Spec.GetMtls().GetMode()
}

func inherit(m, parent mtlsMode) mtlsMode {
	if m == modeUnset {
		return parent
	}
	return m
}

// older: Istio's conflict rule, the oldest policy wins, then the name.
func older(a, b *model.Config[*security.PeerAuthentication]) bool {
	return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.Name, b.Name)) < 0
}
