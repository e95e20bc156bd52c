package precheck

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/meshapi"
)

// Pod Security levels that forbid istio-init's NET_ADMIN and NET_RAW capabilities.
var blockingLevels = map[string]bool{"baseline": true, "restricted": true}

const enforceLabel = "pod-security.kubernetes.io/enforce"

func checkPodSecurity(ctx context.Context, in *Input) (Status, string) {
	if cniEnabled(in) {
		return OK, "the CNI plugin sets up traffic capture, so injected pods need no extra capabilities"
	}
	nss, err := in.Clients.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return couldNot("list namespaces", err)
	}
	return podSecurityStatus(nss.Items, in.namespace())
}

func cniEnabled(in *Input) bool {
	if in.Operator == nil {
		return false
	}
	if c := in.Operator.Spec.Components; c != nil && c.Cni != nil && c.Cni.Enabled != nil && *c.Cni.Enabled {
		return true
	}
	if ic, ok := in.Operator.Spec.Values["istio_cni"].(map[string]any); ok && ic["enabled"] == true {
		return true
	}
	return false
}

// podSecurityStatus: injected namespaces that enforce baseline or restricted would reject every injected
// pod (error); other namespaces that enforce them would reject pods once labelled for injection (warning).
func podSecurityStatus(nss []corev1.Namespace, meshNamespace string) (Status, string) {
	var injected, others []string
	for _, ns := range nss {
		level := ns.Labels[enforceLabel]
		if !blockingLevels[level] || ns.Name == meshNamespace {
			continue
		}
		entry := fmt.Sprintf("%s (%s)", ns.Name, level)
		if ns.Labels[meshapi.LabelInjection] == meshapi.InjectionEnabled || ns.Labels[meshapi.LabelRevision] != "" {
			injected = append(injected, entry)
		} else {
			others = append(others, entry)
		}
	}
	sort.Strings(injected)
	sort.Strings(others)
	const fix = "the istio-init container needs NET_ADMIN and NET_RAW; install with the CNI plugin instead (--set components.cni.enabled=true)"
	switch {
	case len(injected) > 0:
		return Error, "injected namespaces enforce a Pod Security level that rejects their pods: " + strings.Join(injected, ", ") + "; " + fix
	case len(others) > 0:
		return Warning, "namespaces enforce a Pod Security level that would reject injected pods: " + strings.Join(others, ", ") + "; " + fix
	}
	return OK, "no namespace enforces a Pod Security level that blocks istio-init"
}
