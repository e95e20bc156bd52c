package dashboard

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/kubeyaml"
)

// istioCRDsFile is Istio's own CRD file, shipped in the istio.io/api module this project builds against.
func istioCRDsFile(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "istio.io/api").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("find the istio.io/api module: %v", err)
	}
	path := filepath.Join(dir, "kubernetes", "customresourcedefinitions.gen.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("Istio's CRDs: %v", err)
	}
	return path
}

// installIstioCRDs creates Istio's CRDs and waits until the API server serves them.
func installIstioCRDs(t *testing.T, env *testenv.Env) {
	t.Helper()
	path := istioCRDsFile(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crds := env.APIExtensions().ApiextensionsV1().CustomResourceDefinitions()
	var names []string
	r := kubeyaml.NewReader(bytes.NewReader(data), path)
	for {
		doc, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextv1.CustomResourceDefinition
		if err := yaml.Unmarshal(doc.Raw, &crd); err != nil {
			t.Fatalf("%s: %v", doc.Position(), err)
		}
		if _, err := crds.Create(t.Context(), &crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create CRD %s: %v", crd.Name, err)
		}
		names = append(names, crd.Name)
	}
	testenv.Poll(t, "Istio's CRDs Established", func(ctx context.Context) (bool, error) {
		for _, name := range names {
			crd, err := crds.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			established := false
			for _, c := range crd.Status.Conditions {
				established = established || (c.Type == apiextv1.Established && c.Status == apiextv1.ConditionTrue)
			}
			if !established {
				return false, nil
			}
		}
		return true, nil
	})
}

// TestSamplesServerSideDryRun: the API server, with Istio's CRDs installed, accepts every object of every
// sample with strict field validation, as `kubectl apply --dry-run=server` would.
func TestSamplesServerSideDryRun(t *testing.T) {
	env := testenv.Get(t)
	installIstioCRDs(t, env)
	ns := env.Namespace(t)
	_, err := env.Client().CoreV1().Namespaces().Create(t.Context(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "istio-system"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(env.Client().Discovery()))

	total := 0
	for _, sf := range loadSamples(t) {
		t.Run(sf.path, func(t *testing.T) {
			for _, o := range sf.objects {
				obj := &unstructured.Unstructured{Object: o.Value}
				gvk := obj.GroupVersionKind()
				m, err := mapper.RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}, gvk.Version)
				if err != nil {
					t.Errorf("%s: %s: %v", o.Position(), gvk, err)
					continue
				}
				client := env.Dynamic().Resource(m.Resource)
				opts := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict}
				if m.Scope.Name() == "namespace" {
					target := obj.GetNamespace()
					if target == "" {
						target = ns
					}
					_, err = client.Namespace(target).Create(t.Context(), obj, opts)
				} else {
					_, err = client.Create(t.Context(), obj, opts)
				}
				if err != nil {
					t.Errorf("%s: %s %s: %v", o.Position(), gvk.Kind, obj.GetName(), err)
				}
				total++
			}
		})
	}
	if total < 60 {
		t.Fatalf("dry-ran %d objects; the samples hold more", total)
	}
}
