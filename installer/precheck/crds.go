package precheck

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/installer"
)

func checkCRDs(ctx context.Context, in *Input) (Status, string) {
	var planned []apiextensionsv1.CustomResourceDefinition
	for _, o := range in.Manifest.Objects() {
		if o.Kind != "CustomResourceDefinition" {
			continue
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(o.YAML, &crd); err != nil {
			return couldNot("read the rendered CRD "+o.Name, err)
		}
		planned = append(planned, crd)
	}
	crdGVR := apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions")
	var live []apiextensionsv1.CustomResourceDefinition
	for _, p := range planned {
		u, err := in.Clients.Dynamic.Resource(crdGVR).Get(ctx, p.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return couldNot("read CRD "+p.Name, err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &crd); err != nil {
			return couldNot("decode CRD "+p.Name, err)
		}
		live = append(live, crd)
	}
	return crdStatus(planned, live)
}

// crdStatus compares the CRDs install brings with those on the cluster. A stored version the new CRD no
// longer serves is an error (the API server refuses the update); other versions, or another tool's CRDs,
// are warnings.
func crdStatus(planned, live []apiextensionsv1.CustomResourceDefinition) (Status, string) {
	if len(live) == 0 {
		return OK, fmt.Sprintf("none of the %d Istio CRDs is installed yet", len(planned))
	}
	plannedVersions := map[string][]string{}
	for _, p := range planned {
		for _, v := range p.Spec.Versions {
			if v.Served {
				plannedVersions[p.Name] = append(plannedVersions[p.Name], v.Name)
			}
		}
	}
	var errs, warns []string
	for _, l := range live {
		want := plannedVersions[l.Name]
		var have []string
		for _, v := range l.Spec.Versions {
			if v.Served {
				have = append(have, v.Name)
			}
		}
		for _, stored := range l.Status.StoredVersions {
			if !slices.Contains(want, stored) {
				errs = append(errs, fmt.Sprintf("%s stores objects at %s, which meshctl's CRD does not serve (it serves %s): migrate them first",
					l.Name, stored, strings.Join(want, ", ")))
			}
		}
		owner := "meshctl"
		if !installer.IsMeshctlOwned(l.Labels) {
			owner = "another tool"
			if p := l.Labels[installer.LabelPartOf]; p != "" {
				owner = p
			}
		}
		switch {
		case !sameSet(have, want):
			warns = append(warns, fmt.Sprintf("%s is at versions %s (installed by %s); install makes it %s",
				l.Name, strings.Join(have, ", "), owner, strings.Join(want, ", ")))
		case owner != "meshctl":
			warns = append(warns, fmt.Sprintf("%s is installed by %s", l.Name, owner))
		}
	}
	switch {
	case len(errs) > 0:
		return Error, errs[0] + moreOf(len(errs)+len(warns)-1)
	case len(warns) > 0:
		return Warning, warns[0] + moreOf(len(warns)-1)
	}
	return OK, fmt.Sprintf("%d of the %d Istio CRDs are installed by meshctl at the versions install applies", len(live), len(planned))
}

func moreOf(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" (and %d more)", n)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
