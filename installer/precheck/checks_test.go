package precheck

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/installer"
)

func TestVersionStatus(t *testing.T) {
	tests := []struct {
		version string
		want    Status
		inMsg   []string
	}{
		{"v1.37.1", OK, []string{"v1.37.1", "1.33 to 1.37"}},
		{"v1.33.13", OK, nil},
		{"v1.32.0", Error, []string{"v1.32.0", "1.33"}},
		{"v1.38.0-alpha.1", Warning, []string{"v1.38.0-alpha.1", "1.37"}},
		{"garbage", Error, []string{"garbage"}},
	}
	for _, tc := range tests {
		st, msg := versionStatus(tc.version)
		if st != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.version, st, msg, tc.want)
		}
		for _, w := range tc.inMsg {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q lacks %q", tc.version, msg, w)
			}
		}
	}
}

func TestPermissionsStatus(t *testing.T) {
	if st, msg := permissionsStatus(40, nil); st != OK || !strings.Contains(msg, "all 40") {
		t.Errorf("none denied: %s %s", st, msg)
	}
	denied := []installer.Permission{
		{Verb: "create", Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"},
		{Verb: "patch", Group: "apps", Resource: "deployments", Namespace: "istio-system"},
		{Verb: "get", Resource: "services", Namespace: "istio-system"},
		{Verb: "delete", Resource: "services", Namespace: "istio-system"},
	}
	st, msg := permissionsStatus(40, denied)
	if st != Error || !strings.Contains(msg, "missing 4 of 40") || !strings.Contains(msg, "create customresourcedefinitions.apiextensions.k8s.io at the cluster scope") || !strings.Contains(msg, "and 1 more") {
		t.Errorf("denied: %s %s", st, msg)
	}
}

func TestExistingStatus(t *testing.T) {
	planes := []installer.ControlPlane{{Revision: "default", Version: "1.2.0", Profile: "demo"}}
	tests := []struct {
		name     string
		planes   []installer.ControlPlane
		foreign  []foreignIstiod
		revision string
		want     Status
		inMsg    string
	}{
		{"nothing", nil, nil, "default", OK, "no control plane"},
		{"upgrade", planes, nil, "default", OK, "upgrades revision default in place"},
		{"canary", planes, nil, "canary", OK, "installs next to it"},
		{"istio", nil, []foreignIstiod{{Name: "istiod", Namespace: "istio-system", Image: "docker.io/istio/pilot:1.24.0"}}, "default", Error, "docker.io/istio/pilot:1.24.0"},
	}
	for _, tc := range tests {
		st, msg := existingStatus(tc.planes, tc.foreign, tc.revision)
		if st != tc.want || !strings.Contains(msg, tc.inMsg) {
			t.Errorf("%s: %s %q, want %s with %q", tc.name, st, msg, tc.want, tc.inMsg)
		}
	}
}

func TestWebhookStatus(t *testing.T) {
	if st, _ := webhookStatus(nil); st != OK {
		t.Errorf("no conflicts: %s", st)
	}
	st, msg := webhookStatus([]installer.WebhookConflict{{Configuration: "istio-sidecar-injector", Webhook: "namespace.sidecar-injector.istio.io", PartOf: "istio"}})
	if st != Error || !strings.Contains(msg, "istio-sidecar-injector") {
		t.Errorf("conflict: %s %s", st, msg)
	}
}

func crd(name string, labels map[string]string, stored []string, versions ...string) apiextensionsv1.CustomResourceDefinition {
	c := apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	for _, v := range versions {
		c.Spec.Versions = append(c.Spec.Versions, apiextensionsv1.CustomResourceDefinitionVersion{Name: v, Served: true})
	}
	c.Status.StoredVersions = stored
	return c
}

func TestCRDStatus(t *testing.T) {
	ours := map[string]string{installer.LabelPartOf: installer.PartOfMeshctl}
	istio := map[string]string{installer.LabelPartOf: "istio"}
	planned := []apiextensionsv1.CustomResourceDefinition{crd("virtualservices.networking.istio.io", ours, nil, "v1alpha3", "v1beta1", "v1")}
	tests := []struct {
		name  string
		live  []apiextensionsv1.CustomResourceDefinition
		want  Status
		inMsg string
	}{
		{"none", nil, OK, "none of the 1"},
		{"same, ours", []apiextensionsv1.CustomResourceDefinition{crd("virtualservices.networking.istio.io", ours, []string{"v1"}, "v1alpha3", "v1beta1", "v1")}, OK, "installed by meshctl"},
		{"older versions, istio", []apiextensionsv1.CustomResourceDefinition{crd("virtualservices.networking.istio.io", istio, []string{"v1alpha3"}, "v1alpha3", "v1beta1")}, Warning, "v1alpha3, v1beta1 (installed by istio)"},
		{"same versions, istio", []apiextensionsv1.CustomResourceDefinition{crd("virtualservices.networking.istio.io", istio, []string{"v1"}, "v1alpha3", "v1beta1", "v1")}, Warning, "installed by istio"},
		{"stored version dropped", []apiextensionsv1.CustomResourceDefinition{crd("virtualservices.networking.istio.io", istio, []string{"v1alpha2"}, "v1alpha2", "v1alpha3")}, Error, "stores objects at v1alpha2"},
	}
	for _, tc := range tests {
		st, msg := crdStatus(planned, tc.live)
		if st != tc.want || !strings.Contains(msg, tc.inMsg) {
			t.Errorf("%s: %s %q, want %s with %q", tc.name, st, msg, tc.want, tc.inMsg)
		}
	}
}

func TestPodSecurityStatus(t *testing.T) {
	ns := func(name string, labels map[string]string) corev1.Namespace {
		return corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	tests := []struct {
		name  string
		nss   []corev1.Namespace
		want  Status
		inMsg string
	}{
		{"none", []corev1.Namespace{ns("default", nil), ns("privileged", map[string]string{enforceLabel: "privileged"})}, OK, "no namespace"},
		{"mesh namespace ignored", []corev1.Namespace{ns("istio-system", map[string]string{enforceLabel: "restricted"})}, OK, ""},
		{"not injected", []corev1.Namespace{ns("shop", map[string]string{enforceLabel: "baseline"})}, Warning, "shop (baseline)"},
		{"injected", []corev1.Namespace{ns("shop", map[string]string{enforceLabel: "restricted", "istio-injection": "enabled"})}, Error, "components.cni.enabled=true"},
		{"revision label", []corev1.Namespace{ns("shop", map[string]string{enforceLabel: "baseline", "istio.io/rev": "canary"})}, Error, "shop (baseline)"},
	}
	for _, tc := range tests {
		st, msg := podSecurityStatus(tc.nss, "istio-system")
		if st != tc.want || !strings.Contains(msg, tc.inMsg) {
			t.Errorf("%s: %s %q, want %s with %q", tc.name, st, msg, tc.want, tc.inMsg)
		}
	}
}

func TestDryRunStatus(t *testing.T) {
	st, msg := dryRunStatus(&installer.DryRunReport{Checked: 40, Elsewhere: []string{"istio-system"}, Fallback: "default"})
	if st != OK || !strings.Contains(msg, "all 40") || !strings.Contains(msg, "tried in namespace default") {
		t.Errorf("ok: %s %s", st, msg)
	}
	st, msg = dryRunStatus(&installer.DryRunReport{Checked: 40, Rejected: []installer.Rejection{{Object: "Deployment/istio-system/istiod", Reason: "spec.replicas: Invalid value"}}})
	if st != Error || !strings.Contains(msg, "rejects 1 of 40") || !strings.Contains(msg, "Deployment/istio-system/istiod") {
		t.Errorf("rejected: %s %s", st, msg)
	}
}
