package render

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/profiles"
)

// TestAPIServerAcceptsEveryProfile sends every profile's manifest to a real API server as a server-side
// dry run with strict field validation: schema, defaulting and admission all run, nothing is stored.
func TestAPIServerAcceptsEveryProfile(t *testing.T) {
	env := testenv.Get(t)
	ctx := context.Background()
	// Namespaced objects need their namespace to exist; a dry run of the Namespace object does not create it.
	_, err := env.Client().CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "istio-system"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(env.Client().Discovery()))
	for _, p := range profiles.Names() {
		t.Run(p, func(t *testing.T) {
			objs := generate(t, p, goldenSets[p]...).Objects()
			for _, o := range objs {
				var u unstructured.Unstructured
				if err := yaml.Unmarshal(o.YAML, &u.Object); err != nil {
					t.Fatalf("%s: %v", o.Key(), err)
				}
				mapping, err := mapper.RESTMapping(u.GroupVersionKind().GroupKind(), u.GroupVersionKind().Version)
				if err != nil {
					t.Fatalf("%s: %v", o.Key(), err)
				}
				data, err := u.MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				force := true
				_, err = env.Dynamic().Resource(mapping.Resource).Namespace(o.Namespace).Patch(ctx, o.Name, types.ApplyPatchType, data, metav1.PatchOptions{
					FieldManager: "meshctl-test", Force: &force, DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict",
				})
				if err != nil {
					t.Errorf("%s: the API server rejects it: %v", o.Key(), err)
				}
			}
		})
	}
}
