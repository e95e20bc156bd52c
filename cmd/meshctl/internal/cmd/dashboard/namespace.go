package dashboard

import (
	lib "github.com/meshctl/meshctl/dashboard"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
)

// flagNamespace is -n/--namespace as the user set it (flag, MESHCTL_NAMESPACE or config file), or "".
// Unlike Factory.Namespace it does not fall back to the kubeconfig context: add-ons live with the mesh,
// not in whatever namespace the context happens to point at.
func flagNamespace(f *factory.Factory) string {
	if f.ConfigFlags == nil || f.ConfigFlags.Namespace == nil {
		return ""
	}
	return *f.ConfigFlags.Namespace
}

// namespaceFor decides where the pod is looked for, first match wins:
//  1. the namespace the POD argument names (NAME.NAMESPACE), as in istioctl;
//  2. -n/--namespace;
//  3. for add-ons and meshd: the mesh's namespace, -i/--istioNamespace (istio-system);
//  4. for sidecars: the kubeconfig context's namespace, else "default".
func namespaceFor(d lib.Dashboard, ref *lib.PodRef, flagNS, istioNS string, contextNS func() string) string {
	switch {
	case ref != nil && ref.Namespace != "":
		return ref.Namespace
	case flagNS != "":
		return flagNS
	case d.Where == lib.InMeshNamespace:
		if istioNS == "" {
			return factory.DefaultIstioNamespace
		}
		return istioNS
	default:
		return contextNS()
	}
}
