package meshapi_test

import (
	"testing"

	"github.com/meshctl/meshctl/meshapi"
)

func TestInjectValue(t *testing.T) {
	for v, want := range map[string][2]bool{ // yes, known
		"y": {true, true}, "yes": {true, true}, "true": {true, true}, "on": {true, true}, "TRUE": {true, true}, "Yes": {true, true},
		"n": {false, true}, "no": {false, true}, "No": {false, true}, "false": {false, true}, "off": {false, true}, "": {false, true},
		"enabled": {false, false}, "1": {false, false}, " true": {false, false},
	} {
		if yes, known := meshapi.InjectValue(v); yes != want[0] || known != want[1] {
			t.Errorf("InjectValue(%q) = %v, %v; want %v, %v", v, yes, known, want[0], want[1])
		}
	}
}

func TestDecide(t *testing.T) {
	const inject = "sidecar.istio.io/inject"
	l := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	pod := func(labels, annotations map[string]string) meshapi.Metadata {
		return meshapi.Metadata{Labels: labels, Annotations: annotations}
	}
	enabled := l("istio-injection", "enabled")
	for _, tc := range []struct {
		name   string
		req    meshapi.InjectionRequest
		want   meshapi.Verdict
		reason string
	}{
		{"nothing said", meshapi.InjectionRequest{Namespace: "default"}, meshapi.Inject, ""},
		{"already injected", meshapi.InjectionRequest{Pod: pod(nil, l("sidecar.istio.io/status", "{}", inject, "false")), HostNetwork: true}, meshapi.AlreadyInjected, ""},
		{"host network", meshapi.InjectionRequest{Pod: pod(l(inject, "true"), nil), HostNetwork: true}, meshapi.Skip, "hostNetwork"},
		{"system namespace", meshapi.InjectionRequest{Pod: pod(l(inject, "true"), nil), Namespace: "kube-system"}, meshapi.Skip, "namespace kube-system"},
		{"label no", meshapi.InjectionRequest{Pod: pod(l(inject, "no"), nil)}, meshapi.Skip, "label sidecar.istio.io/inject=no"},
		{"annotation Off", meshapi.InjectionRequest{Pod: pod(nil, l(inject, "Off"))}, meshapi.Skip, "annotation sidecar.istio.io/inject=Off"},
		{"unknown value is no", meshapi.InjectionRequest{Pod: pod(nil, l(inject, "enabled"))}, meshapi.Skip, "annotation sidecar.istio.io/inject=enabled"},
		{"label wins", meshapi.InjectionRequest{Pod: pod(l(inject, "Y"), l(inject, "false"))}, meshapi.Inject, ""},
		{"label wins the other way", meshapi.InjectionRequest{Pod: pod(l(inject, "n"), l(inject, "true"))}, meshapi.Skip, "label sidecar.istio.io/inject=n"},
		{"empty value is unset", meshapi.InjectionRequest{Pod: pod(l(inject, ""), nil), Policy: meshapi.PolicyDisabled}, meshapi.Skip, "injection policy is disabled and the pod does not ask for it"},
		{"workload says no", meshapi.InjectionRequest{Workload: &meshapi.Metadata{Annotations: l(inject, "false")}}, meshapi.Skip, "workload annotation sidecar.istio.io/inject=false"},
		{"pod overrides workload", meshapi.InjectionRequest{Pod: pod(nil, l(inject, "on")), Workload: &meshapi.Metadata{Labels: l(inject, "false")}}, meshapi.Inject, ""},
		{"never selector", meshapi.InjectionRequest{NeverInjectMatch: "tier=batch", AlwaysInjectMatch: "mesh"}, meshapi.Skip, "neverInjectSelector tier=batch"},
		{"pod beats never selector", meshapi.InjectionRequest{Pod: pod(l(inject, "true"), nil), NeverInjectMatch: "tier=batch"}, meshapi.Inject, ""},
		{"always selector beats policy", meshapi.InjectionRequest{AlwaysInjectMatch: "mesh", Policy: meshapi.PolicyDisabled}, meshapi.Inject, ""},
		{"policy disabled", meshapi.InjectionRequest{Policy: meshapi.PolicyDisabled}, meshapi.Skip, "injection policy is disabled and the pod does not ask for it"},
		{"policy disabled, opted in", meshapi.InjectionRequest{Pod: pod(nil, l(inject, "yes")), Policy: meshapi.PolicyDisabled}, meshapi.Inject, ""},

		// The webhooks' selection, with the namespace's labels known.
		{"namespace enabled", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: enabled}, meshapi.Inject, ""},
		{"namespace enabled, pod says false", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: enabled, Pod: pod(l(inject, "false"), nil)}, meshapi.Skip, "label sidecar.istio.io/inject=false"},
		{"namespace enabled, canary revision", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: enabled, Revision: "canary"}, meshapi.Skip, "namespace label istio-injection=enabled selects the default revision"},
		{"namespace disabled", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l("istio-injection", "disabled"), Pod: pod(l(inject, "true"), nil)}, meshapi.Skip, "namespace label istio-injection=disabled"},
		{"namespace disabled beats its rev label", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l("istio-injection", "disabled", "istio.io/rev", "default")}, meshapi.Skip, "namespace label istio-injection=disabled"},
		{"namespace unlabelled", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l()}, meshapi.Skip, "namespace a is not labelled for injection"},
		{"namespace unlabelled, pod label true", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l(), Pod: pod(l(inject, "true"), nil)}, meshapi.Inject, ""},
		{"namespace unlabelled, pod label yes is no selector match", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l(), Pod: pod(l(inject, "yes"), nil)}, meshapi.Skip, "namespace a is not labelled for injection"},
		{"namespace unlabelled, pod annotation true", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l(), Pod: pod(nil, l(inject, "true"))}, meshapi.Skip, "namespace a is not labelled for injection"},
		{"namespace rev", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l("istio.io/rev", "canary"), Revision: "canary"}, meshapi.Inject, ""},
		{"namespace rev default", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l("istio.io/rev", "default")}, meshapi.Inject, ""},
		{"namespace rev, other revision", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l("istio.io/rev", "canary")}, meshapi.Skip, "namespace label istio.io/rev=canary selects another revision"},
		{"namespace rev, any revision", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l("istio.io/rev", "canary"), Revision: meshapi.AnyRevision}, meshapi.Inject, ""},
		{"namespace rev empty", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l("istio.io/rev", ""), Revision: meshapi.AnyRevision}, meshapi.Skip, "namespace label istio.io/rev= selects another revision"},
		{"pod rev", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l(), Pod: pod(l("istio.io/rev", "canary"), nil), Revision: "canary"}, meshapi.Inject, ""},
		{"pod rev, other revision", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l(), Pod: pod(l("istio.io/rev", "canary", inject, "true"), nil)}, meshapi.Skip, "label istio.io/rev=canary selects another revision"},
		{"pod inject true, canary revision", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: l(), Pod: pod(l(inject, "true"), nil), Revision: "canary"}, meshapi.Skip, "label sidecar.istio.io/inject=true selects the default revision"},
		{"selected, then policy", meshapi.InjectionRequest{Namespace: "a", NamespaceLabels: enabled, Policy: meshapi.PolicyDisabled}, meshapi.Skip, "injection policy is disabled and the pod does not ask for it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := meshapi.Decide(tc.req)
			if d.Verdict != tc.want || d.Reason != tc.reason {
				t.Errorf("Decide = %v %q, want %v %q", d.Verdict, d.Reason, tc.want, tc.reason)
			}
		})
	}
}
