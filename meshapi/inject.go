package meshapi

import (
	"strings"

	"istio.io/api/annotation"
	"istio.io/api/label"
)

// Verdict is what the injector does with a pod.
type Verdict int

const (
	// Inject: the pod gets the sidecar.
	Inject Verdict = iota
	// Skip: the pod is left as it is; Decision.Reason says why.
	Skip
	// AlreadyInjected: the pod carries sidecar.istio.io/status, so it has been injected before.
	AlreadyInjected
)

func (v Verdict) String() string {
	switch v {
	case Inject:
		return "inject"
	case AlreadyInjected:
		return "already injected"
	}
	return "skip"
}

// InjectionPolicy is the injector's policy for pods that say nothing (istio-sidecar-injector's config).
type InjectionPolicy string

const (
	// PolicyEnabled injects every pod that does not opt out. The zero value means the same.
	PolicyEnabled InjectionPolicy = "enabled"
	// PolicyDisabled injects only the pods that opt in.
	PolicyDisabled InjectionPolicy = "disabled"
)

// AnyRevision is the InjectionRequest.Revision of a caller that asks whether some control plane injects a
// pod, rather than one given revision: analyze, which does not know which revisions run.
const AnyRevision = "*"

// Metadata is the part of an object's metadata injection reads.
type Metadata struct {
	Labels, Annotations map[string]string
}

// InjectionRequest is everything the injection decision depends on. Label selectors need apimachinery,
// which this package may not import, so a caller that has the injector's neverInjectSelector and
// alwaysInjectSelector matches them itself and passes the first match of each.
type InjectionRequest struct {
	// Pod is the pod's (or the pod template's) metadata.
	Pod Metadata
	// Workload is the metadata of the workload around a pod template, when there is one (kube-inject):
	// its sidecar.istio.io/inject applies when the pod template says nothing, since people often set it
	// on the Deployment rather than on its template. meshctl's addition; Istio reads only the pod.
	Workload *Metadata
	// HostNetwork is the pod's spec.hostNetwork.
	HostNetwork bool
	// Namespace is the pod's namespace.
	Namespace string
	// NamespaceLabels are the namespace's labels, which select the revision that injects the pod (the
	// injection webhook's namespaceSelector). Nil when the caller injects whatever the namespace says:
	// kube-inject, like istioctl kube-inject, does.
	NamespaceLabels map[string]string
	// Revision is the injecting control plane's revision ("" for one installed without), or AnyRevision.
	// Only read with NamespaceLabels.
	Revision string
	// Policy is the injector's policy for pods that say nothing.
	Policy InjectionPolicy
	// NeverInjectMatch and AlwaysInjectMatch are the first of the injector's neverInjectSelector and
	// alwaysInjectSelector that match the pod's labels, as text; "" when none does.
	NeverInjectMatch, AlwaysInjectMatch string
}

// Decision is the injection decision and, for Skip, why.
type Decision struct {
	Verdict Verdict
	Reason  string
}

// Decide is THE injection decision: kube-inject, analyze (IST0103) and meshd's webhook all call it. The
// rules are Istio's injector's, in order: a pod already injected is not injected again; a pod on the host
// network or in a system namespace is never injected; with the namespace's labels known, a revision
// injects only the pods its webhook is sent (Revision's selection rules); then the pod's
// sidecar.istio.io/inject label, or else annotation (InjectValue: yes injects, anything else skips); then
// the never and always selectors; then the policy.
func Decide(r InjectionRequest) Decision {
	if _, ok := r.Pod.Annotations[annotation.SidecarStatus.Name]; ok {
		return Decision{Verdict: AlreadyInjected}
	}
	if r.HostNetwork {
		return skip("hostNetwork")
	}
	if IsSystemNamespace(r.Namespace) {
		return skip("namespace " + r.Namespace)
	}
	if r.NamespaceLabels != nil {
		if reason := notSelected(r); reason != "" {
			return skip(reason)
		}
	}
	value, where := InjectSetting(r.Pod)
	if where == "" && r.Workload != nil {
		if value, where = InjectSetting(*r.Workload); where != "" {
			where = "workload " + where
		}
	}
	if where != "" && value != "" {
		if yes, _ := InjectValue(value); yes {
			return Decision{Verdict: Inject}
		}
		return skip(where + " " + label.SidecarInject.Name + "=" + value)
	}
	if r.NeverInjectMatch != "" {
		return skip("neverInjectSelector " + r.NeverInjectMatch)
	}
	if r.AlwaysInjectMatch != "" {
		return Decision{Verdict: Inject}
	}
	if r.Policy == PolicyDisabled {
		return skip("injection policy is disabled and the pod does not ask for it")
	}
	return Decision{Verdict: Inject}
}

func skip(reason string) Decision { return Decision{Verdict: Skip, Reason: reason} }

// InjectSetting is the pod's sidecar.istio.io/inject value and where it was found ("label" or
// "annotation"; "" when neither is set). The label wins, as in Istio.
func InjectSetting(m Metadata) (value, where string) {
	if v, ok := m.Labels[label.SidecarInject.Name]; ok {
		return v, "label"
	}
	if v, ok := m.Annotations[annotation.SidecarInject.Name]; ok {
		return v, "annotation"
	}
	return "", ""
}

// InjectValue reads a sidecar.istio.io/inject value as Istio's injector does: y, yes, true and on in any
// case mean yes, anything else means no. known is false for a value that is neither one of those nor n,
// no, false, off (nor empty, which means unset): it means no too, but is likely a mistake.
func InjectValue(v string) (yes, known bool) {
	switch strings.ToLower(v) {
	case "y", "yes", "true", "on":
		return true, true
	case "", "n", "no", "false", "off":
		return false, true
	}
	return false, false
}

// notSelected applies the injection webhooks' selectors (the istio-discovery chart's
// mutatingwebhookconfiguration.yaml, Istio's): it says why the pod is sent to no webhook of r.Revision,
// or "" when it is. A namespace labelled istio-injection=enabled is the default revision's; one labelled
// istio.io/rev=R is revision R's unless it also has istio-injection; in a namespace with neither label,
// a pod labelled istio.io/rev=R is R's, and a pod labelled sidecar.istio.io/inject=true (exactly: a label
// selector) is the default revision's. A pod labelled sidecar.istio.io/inject=false is sent to none.
func notSelected(r InjectionRequest) string {
	ns := r.NamespaceLabels
	injection, hasInjection := ns[LabelInjection]
	nsRev, hasNSRev := ns[LabelRevision]
	podRev, hasPodRev := r.Pod.Labels[LabelRevision]
	podInject, hasPodInject := r.Pod.Labels[label.SidecarInject.Name]
	if hasPodInject && podInject == "false" {
		return "label " + label.SidecarInject.Name + "=false"
	}
	revision := r.Revision
	if revision == "" {
		revision = DefaultRevision
	}
	isDefault := revision == DefaultRevision || revision == AnyRevision
	serves := func(rev string) bool { return rev != "" && (revision == AnyRevision || rev == revision) }
	switch {
	case hasInjection:
		if injection != InjectionEnabled {
			return "namespace label " + LabelInjection + "=" + injection
		}
		if !isDefault {
			return "namespace label " + LabelInjection + "=" + InjectionEnabled + " selects the default revision"
		}
	case hasNSRev:
		if !serves(nsRev) {
			return "namespace label " + LabelRevision + "=" + nsRev + " selects another revision"
		}
	case hasPodRev:
		if !serves(podRev) {
			return "label " + LabelRevision + "=" + podRev + " selects another revision"
		}
	case hasPodInject && podInject == "true":
		if !isDefault {
			return "label " + label.SidecarInject.Name + "=true selects the default revision"
		}
	default:
		return "namespace " + r.Namespace + " is not labelled for injection"
	}
	return ""
}
