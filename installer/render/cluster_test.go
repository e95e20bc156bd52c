package render

import (
	"context"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/profiles"
)

// unknownField is put at the top of each object for a negative control: no API has it.
const unknownField = "meshctlTestUnknownField"

// TestAPIServerAcceptsEveryProfile sends every profile's manifest to a real API server as a server-side
// dry run with strict field validation: schema, defaulting and admission all run, nothing is stored.
// Each object is sent again with an unknown field added and with a key given twice, both of which must be
// rejected: that shows the validation really runs for every kind the profiles render (a kind whose schema
// keeps unknown fields, or a request that lost its fieldValidation, would let a mistake through silently).
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
			for _, o := range generate(t, p, goldenSets[p]...).Objects() {
				var u unstructured.Unstructured
				if err := yaml.Unmarshal(o.YAML, &u.Object); err != nil {
					t.Fatalf("%s: %v", o.Key(), err)
				}
				mapping, err := mapper.RESTMapping(u.GroupVersionKind().GroupKind(), u.GroupVersionKind().Version)
				if err != nil {
					t.Fatalf("%s: %v", o.Key(), err)
				}
				good, err := u.MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				if err := strictDryRunApply(ctx, env, mapping, o.Namespace, o.Name, good); err != nil {
					t.Errorf("%s: the API server rejects it: %v", o.Key(), err)
				}

				// Negative controls, each of which must be rejected.
				bad := u.DeepCopy()
				bad.Object[unknownField] = "x"
				unknown, err := bad.MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				if err := strictDryRunApply(ctx, env, mapping, o.Namespace, o.Name, unknown); err == nil || !strings.Contains(err.Error(), unknownField) {
					t.Errorf("%s with the unknown field %s: the API server says %v; want it rejected", o.Key(), unknownField, err)
				}
				// A key given twice passes unless validation is strict: this shows the request really asks
				// for fieldValidation=Strict (server-side apply rejects an unknown field even without it).
				twice := append([]byte(`{"kind":`+strconv.Quote(u.GetKind())+`,`), good[1:]...)
				if err := strictDryRunApply(ctx, env, mapping, o.Namespace, o.Name, twice); err == nil || !strings.Contains(err.Error(), "strict decoding") || !strings.Contains(err.Error(), `"kind"`) {
					t.Errorf("%s with kind given twice: the API server says %v; want a strict-validation error", o.Key(), err)
				}
			}
		})
	}
}

// strictDryRunApply is `kubectl apply --server-side --dry-run=server --validate=strict` of one object.
func strictDryRunApply(ctx context.Context, env *testenv.Env, mapping *meta.RESTMapping, namespace, name string, data []byte) error {
	force := true
	_, err := env.Dynamic().Resource(mapping.Resource).Namespace(namespace).Patch(ctx, name, types.ApplyPatchType, data, metav1.PatchOptions{
		FieldManager: "meshctl-test", Force: &force, DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict,
	})
	return err
}
