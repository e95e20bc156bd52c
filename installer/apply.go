package installer

import (
	"context"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// applyObject applies one object with server-side apply as field manager "meshctl" and says what
// happened, comparing resource versions (an apply that changes nothing does not write, so the version
// stays). A dry run compares content instead: the server returns what it would store.
//
// Conflicts are forced. By the time an object is applied, install has checked that it is absent or was
// installed by meshctl, so a conflict means someone changed by hand a field meshctl declares (kubectl edit,
// kubectl scale); install restores the declared configuration, as istioctl install and helm upgrade do.
// Fields meshctl does not declare (the caBundle the control plane patches into its webhooks, a
// replica count an autoscaler owns when the chart leaves it out) stay with their managers.
func (c *Clients) applyObject(ctx context.Context, o *object, live *unstructured.Unstructured, dryRun bool) (string, *unstructured.Unstructured, error) {
	if o.mapping == nil {
		if err := c.resolve(o); err != nil {
			if dryRun && live == nil {
				return ActionWouldCreate, nil, nil // its CRD is part of the same install
			}
			return "", nil, err
		}
	}
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	got, err := c.objResource(o).Apply(ctx, o.Name, o.u, opts)
	if err != nil {
		if dryRun && live == nil && apierrors.IsNotFound(err) {
			return ActionWouldCreate, nil, nil // its namespace is part of the same install
		}
		return "", nil, applyError(o, err)
	}
	switch {
	case live == nil && dryRun:
		return ActionWouldCreate, got, nil
	case live == nil:
		return ActionCreated, got, nil
	case dryRun && reflect.DeepEqual(normalized(live), normalized(got)):
		return ActionUnchanged, got, nil
	case dryRun:
		return ActionWouldConfigure, got, nil
	case got.GetResourceVersion() == live.GetResourceVersion():
		return ActionUnchanged, got, nil
	}
	return ActionConfigured, got, nil
}

func applyError(o *object, err error) error {
	switch {
	case apierrors.IsForbidden(err):
		return wrapAPIError("patch", o.Key(), o.mapping.Resource, o.Namespace, err)
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return fmt.Errorf("the API server rejected %s: %w", o.Key(), err)
	}
	return fmt.Errorf("apply %s: %w", o.Key(), err)
}
