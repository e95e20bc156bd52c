package installer

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/installer/render"
)

// Rejection is an object the API server would not accept.
type Rejection struct {
	Object string `json:"object"`
	Reason string `json:"reason"`
}

// DryRunReport is the outcome of DryRunManifest.
type DryRunReport struct {
	// Checked counts the objects the API server accepted or rejected.
	Checked  int         `json:"checked"`
	Rejected []Rejection `json:"rejected,omitempty"`
	// Elsewhere are the namespaces install would create, whose objects were dry-run in Fallback instead.
	Elsewhere []string `json:"elsewhere,omitempty"`
	Fallback  string   `json:"fallback,omitempty"`
	// Unchecked are objects of kinds whose CRDs the same install brings, which cannot be dry-run before.
	Unchecked []string `json:"unchecked,omitempty"`
}

// DryRunManifest asks the API server to accept every object of the manifest with a server-side apply dry
// run: schema validation, defaulting and admission (webhooks, Pod Security, quotas) run, nothing is stored.
// A namespace the install would create does not exist yet, and the server refuses objects in it even in a
// dry run; they are tried in the fallback namespace (usually "default") instead.
func (c *Clients) DryRunManifest(ctx context.Context, m *render.Manifest, fallback string) (*DryRunReport, error) {
	objs, err := parseObjects(m.Objects())
	if err != nil {
		return nil, err
	}
	existing := map[string]bool{}
	nsList, err := c.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, wrapAPIError("list", "namespaces", corev1.SchemeGroupVersion.WithResource("namespaces"), "", err)
	}
	for _, ns := range nsList.Items {
		existing[ns.Name] = true
	}
	rep := &DryRunReport{}
	elsewhere := map[string]bool{}
	var mu sync.Mutex
	err = parallel(ctx, len(objs), func(i int) error {
		o := objs[i]
		if err := c.resolve(o); err != nil {
			if errors.Is(err, errNoKind) {
				mu.Lock()
				rep.Unchecked = append(rep.Unchecked, o.Key())
				mu.Unlock()
				return nil
			}
			return err
		}
		u := o.u.DeepCopy()
		ns := o.Namespace
		if ns != "" && !existing[ns] && o.mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			ns = fallback
			u.SetNamespace(fallback)
			mu.Lock()
			elsewhere[o.Namespace] = true
			mu.Unlock()
		}
		_, err := c.resource(o.mapping, ns).Apply(ctx, o.Name, u, metav1.ApplyOptions{
			FieldManager: FieldManager, Force: true, DryRun: []string{metav1.DryRunAll},
		})
		mu.Lock()
		defer mu.Unlock()
		rep.Checked++
		switch {
		case err == nil:
		case apierrors.IsForbidden(err) && !isAdmissionDenial(err):
			return wrapAPIError("patch", o.Key(), o.mapping.Resource, ns, err)
		default:
			rep.Rejected = append(rep.Rejected, Rejection{Object: o.Key(), Reason: err.Error()})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for ns := range elsewhere {
		rep.Elsewhere = append(rep.Elsewhere, ns)
	}
	if len(rep.Elsewhere) > 0 {
		rep.Fallback = fallback
	}
	sort.Strings(rep.Elsewhere)
	sort.Strings(rep.Unchecked)
	sort.Slice(rep.Rejected, func(i, j int) bool { return rep.Rejected[i].Object < rep.Rejected[j].Object })
	return rep, nil
}

// isAdmissionDenial tells a refusal by admission (Pod Security, a webhook: the object is the problem) from
// one by RBAC (the user is).
func isAdmissionDenial(err error) bool {
	var se apierrors.APIStatus
	if !errors.As(err, &se) {
		return false
	}
	st := se.Status()
	return st.Details != nil && len(st.Details.Causes) > 0 || strings.Contains(st.Message, "admission webhook") || strings.Contains(st.Message, "violates PodSecurity")
}

// InstallPermissions lists the permissions installing m needs.
func (c *Clients) InstallPermissions(m *render.Manifest, namespace string) ([]Permission, error) {
	objs, err := parseObjects(m.Objects())
	if err != nil {
		return nil, err
	}
	return c.installPermissions(objs, namespace), nil
}
