package analyze

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/kubeyaml"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// readObjects reads a YAML file's objects as values.
func readObjects(t *testing.T, path string, edit func(string) string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := kubeyaml.NewReader(strings.NewReader(edit(string(data))), path)
	var out []map[string]any
	for {
		d, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		objs, err := d.Objects()
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			out = append(out, o.Value)
		}
	}
}

// installIstioCRDs applies the base chart's CRDs (its only template directive is the labels line).
func installIstioCRDs(t *testing.T, env *testenv.Env) {
	t.Helper()
	crds := readObjects(t, "../../../../../manifests/charts/base/templates/crds.gen.yaml", func(s string) string {
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "{{") {
				l = `    meshctl.io/test: "true"`
			}
			lines = append(lines, l)
		}
		return strings.Join(lines, "\n")
	})
	for _, v := range crds {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(v, &crd); err != nil {
			t.Fatal(err)
		}
		_, err := env.APIExtensions().ApiextensionsV1().CustomResourceDefinitions().Create(t.Context(), &crd, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create CRD %s: %v", crd.Name, err)
		}
	}
	for _, name := range []string{"virtualservices.networking.istio.io", "destinationrules.networking.istio.io", "gateways.networking.istio.io"} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			crd, err := env.APIExtensions().ApiextensionsV1().CustomResourceDefinitions().Get(t.Context(), name, metav1.GetOptions{})
			if err == nil && slices.ContainsFunc(crd.Status.Conditions, func(c apiextensionsv1.CustomResourceDefinitionCondition) bool {
				return c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue
			}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CRD %s not established: %v", name, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

type findingKey struct{ Code, Resource, Message string }

func findingsOf(t *testing.T, out string) []findingKey {
	t.Helper()
	var doc struct {
		Findings []analyze.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var keys []findingKey
	for _, f := range doc.Findings {
		keys = append(keys, findingKey{f.Code, f.Resource.String(), f.Message})
	}
	slices.SortFunc(keys, func(a, b findingKey) int {
		return strings.Compare(a.Code+a.Resource+a.Message, b.Code+b.Resource+b.Message)
	})
	return keys
}

// TestLiveAndFileModesAgree applies objects through the API server, analyzes the namespace live, and
// analyzes the same YAML offline: the findings must be the same. Then a file overlays the cluster.
func TestLiveAndFileModesAgree(t *testing.T) {
	env := testenv.Get(t)
	installIstioCRDs(t, env)
	ns := env.Namespace(t)
	// Say the namespace is deliberately outside the mesh, as the file input has no Namespace object.
	patch := []byte(`{"metadata":{"labels":{"istio-injection":"disabled"}}}`)
	if _, err := env.Client().CoreV1().Namespaces().Patch(t.Context(), ns, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, v := range readObjects(t, "testdata/cluster.yaml", func(s string) string { return s }) {
		u := &unstructured.Unstructured{Object: v}
		k, ok := analyze.LookupKind(u.GroupVersionKind().GroupKind())
		if !ok {
			t.Fatalf("no resource known for %s", u.GroupVersionKind())
		}
		gvr := k.GVR()
		gvr.Version = u.GroupVersionKind().Version
		if _, err := env.Dynamic().Resource(gvr).Namespace(ns).Create(t.Context(), u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}

	live, _, liveCode := runCmd(t, "", "--kubeconfig", env.Kubeconfig, "-n", ns, "-o", "json")
	offline, _, fileCode := runCmd(t, "", "--use-kube=false", "-n", ns, "-o", "json", "testdata/cluster.yaml")
	liveKeys, fileKeys := findingsOf(t, live), findingsOf(t, offline)
	if liveCode != exitcode.IssuesFound || fileCode != exitcode.IssuesFound {
		t.Errorf("exit codes live %d, file %d; want %d", liveCode, fileCode, exitcode.IssuesFound)
	}
	if len(liveKeys) == 0 || !slices.Equal(liveKeys, fileKeys) {
		t.Fatalf("live and file findings differ:\nlive: %v\nfile: %v", liveKeys, fileKeys)
	}
	if !slices.ContainsFunc(liveKeys, func(k findingKey) bool { return k.Code == "IST0101" && strings.Contains(k.Message, "reviews+v4") }) {
		t.Errorf("want IST0101 for subset v4: %v", liveKeys)
	}

	// The file's version of the VirtualService replaces the cluster's: the subset problem is gone.
	overlay, stderr, code := runCmd(t, "", "--kubeconfig", env.Kubeconfig, "-n", ns, "-o", "json", "testdata/cluster-fix.yaml")
	if code != exitcode.IssuesFound { // the other findings stay
		t.Fatalf("overlay: exit %d, want %d\n%s", code, exitcode.IssuesFound, stderr)
	}
	for _, k := range findingsOf(t, overlay) {
		if k.Code == "IST0101" {
			t.Errorf("the file overlay did not replace the cluster's VirtualService: %v", k)
		}
	}
}

// TestWarnsAboutVersionSkew: analyze talks to the cluster, so it warns when the installed control plane is
// more than one minor release away from this meshctl, on stderr, without changing the result.
func TestWarnsAboutVersionSkew(t *testing.T) {
	env := testenv.Get(t)
	installIstioCRDs(t, env)
	mesh := env.Namespace(t)
	iop := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator",
		"metadata": map[string]any{"name": "installed-state", "labels": map[string]any{"app.kubernetes.io/part-of": "meshctl"}},
		"spec":     map[string]any{"profile": "demo", "tag": "9.9.0"},
	}}
	gvr := schema.GroupVersionResource{Group: "install.istio.io", Version: "v1alpha1", Resource: "istiooperators"}
	if _, err := env.Dynamic().Resource(gvr).Namespace(mesh).Create(t.Context(), iop, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCmd(t, "", "--kubeconfig", env.Kubeconfig, "-i", mesh, "-n", env.Namespace(t))
	if code != 0 || !strings.Contains(stderr, "Warning: meshctl") || !strings.Contains(stderr, "the control plane 9.9.0") {
		t.Errorf("exit %d, stderr %q: want a skew warning naming 9.9.0", code, stderr)
	}
}
