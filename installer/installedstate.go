package installer

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/profiles"
)

// iopGVR is where the installed-state record lives: Istio's IstioOperator resource, so that
// `kubectl get istiooperator installed-state -n istio-system -o yaml` works as it does for Istio.
var iopGVR = schema.GroupVersionResource{Group: "install.istio.io", Version: "v1alpha1", Resource: "istiooperators"}

// Installed-state status values, as Istio's operator writes them.
const (
	StatusHealthy = "HEALTHY"
	StatusError   = "ERROR"
)

// installedState is the record of an install: the resolved IstioOperator, labelled as meshctl's, annotated
// with the meshctl version that applied it.
func installedState(op *profiles.IstioOperator, namespace, owner, revision, version string) (*unstructured.Unstructured, error) {
	b, err := json.Marshal(op)
	if err != nil {
		return nil, fmt.Errorf("encode installed-state: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("encode installed-state: %w", err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(profiles.APIVersion)
	u.SetKind(profiles.Kind)
	u.SetName(owner)
	u.SetNamespace(namespace)
	lbls := u.GetLabels()
	if lbls == nil {
		lbls = map[string]string{}
	}
	for k, v := range ownerLabels(owner, revision) {
		lbls[k] = v
	}
	u.SetLabels(lbls)
	ann := u.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[AnnotationVersion] = version
	u.SetAnnotations(ann)
	unstructured.RemoveNestedField(u.Object, "status")
	return u, nil
}

// setInstalledStatus writes status.status and status.componentStatus. Its content has no timestamps, so an
// install that changes nothing writes nothing.
func (c *Clients) setInstalledStatus(ctx context.Context, namespace, owner, status string, components map[string]string) error {
	cs := map[string]any{}
	for label, st := range components {
		cs[label] = map[string]any{"status": st}
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": profiles.APIVersion,
		"kind":       profiles.Kind,
		"metadata":   map[string]any{"name": owner, "namespace": namespace},
		"status":     map[string]any{"status": status, "componentStatus": cs},
	}}
	_, err := c.Dynamic.Resource(iopGVR).Namespace(namespace).ApplyStatus(ctx, owner, u, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return wrapAPIError("patch", "IstioOperator/"+namespace+"/"+owner+" status", iopGVR, namespace, err)
	}
	return nil
}

// ControlPlane is one installed meshctl control plane, as its installed-state record describes it.
type ControlPlane struct {
	Revision  string `json:"revision"`
	Namespace string `json:"namespace"`
	// Version is the control plane's image tag: what runs, whichever meshctl installed it.
	Version string `json:"version"`
	// InstalledBy is the version of the meshctl that installed it.
	InstalledBy string `json:"installedBy,omitempty"`
	Profile     string `json:"profile,omitempty"`
	Status      string `json:"status,omitempty"`
	Name        string `json:"name"`
}

// ControlPlanes lists the control planes meshctl installed in namespace. A cluster without the
// IstioOperator CRD has none.
func (c *Clients) ControlPlanes(ctx context.Context, namespace string) ([]ControlPlane, error) {
	list, err := c.Dynamic.Resource(iopGVR).Namespace(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: LabelPartOf + "=" + PartOfMeshctl,
	})
	if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapAPIError("list", "IstioOperators", iopGVR, namespace, err)
	}
	var out []ControlPlane
	for i := range list.Items {
		out = append(out, controlPlaneOf(&list.Items[i]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func controlPlaneOf(u *unstructured.Unstructured) ControlPlane {
	rev, _, _ := unstructured.NestedString(u.Object, "spec", "revision")
	if rev == "" {
		rev = "default"
	}
	tag, _, _ := unstructured.NestedString(u.Object, "spec", "tag")
	if pilotTag, _, _ := unstructured.NestedString(u.Object, "spec", "components", "pilot", "tag"); pilotTag != "" {
		tag = pilotTag
	}
	profile, _, _ := unstructured.NestedString(u.Object, "spec", "profile")
	status, _, _ := unstructured.NestedString(u.Object, "status", "status")
	return ControlPlane{
		Name: u.GetName(), Revision: rev, Namespace: u.GetNamespace(), Version: tag,
		InstalledBy: u.GetAnnotations()[AnnotationVersion], Profile: profile, Status: status,
	}
}

// InstalledOperator reads the installed-state record of a revision as IstioOperator YAML (spec only), for
// commands that act on "what is installed" (verify-install without -f). It returns nil when there is none.
func (c *Clients) InstalledOperator(ctx context.Context, namespace, revision string) ([]byte, error) {
	owner := render.OwnerName(revision)
	u, err := c.Dynamic.Resource(iopGVR).Namespace(namespace).Get(ctx, owner, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapAPIError("get", "IstioOperator/"+namespace+"/"+owner, iopGVR, namespace, err)
	}
	spec, _, _ := unstructured.NestedMap(u.Object, "spec")
	doc := map[string]any{"apiVersion": profiles.APIVersion, "kind": profiles.Kind, "spec": spec}
	return yaml.Marshal(doc)
}
