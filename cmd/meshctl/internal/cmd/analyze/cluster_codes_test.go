package analyze

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
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
	"k8s.io/client-go/tools/clientcmd"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/kubeyaml"
)

// createObjects creates the objects of a YAML text in namespace ns (cluster-scoped ones as they are, and
// deleted when the test ends), and returns them by "Kind/name".
func createObjects(t *testing.T, env *testenv.Env, ns, text string) map[string]*unstructured.Unstructured {
	t.Helper()
	out := map[string]*unstructured.Unstructured{}
	r := kubeyaml.NewReader(strings.NewReader(text), "input")
	for {
		d, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		objs, err := d.Objects()
		if err != nil || len(objs) != 1 {
			t.Fatalf("want one object: %v", err)
		}
		v := objs[0].Value
		u := &unstructured.Unstructured{Object: v}
		k, ok := analyze.LookupKind(u.GroupVersionKind().GroupKind())
		if !ok {
			t.Fatalf("no resource known for %s", u.GroupVersionKind())
		}
		gvr := k.GVR()
		gvr.Version = u.GroupVersionKind().Version
		ri := env.Dynamic().Resource(gvr)
		var created *unstructured.Unstructured
		if k.Namespaced {
			created, err = ri.Namespace(ns).Create(t.Context(), u, metav1.CreateOptions{})
		} else {
			created, err = ri.Create(t.Context(), u, metav1.CreateOptions{})
			// t.Context() is cancelled when cleanups run.
			t.Cleanup(func() { _ = ri.Delete(context.Background(), u.GetName(), metav1.DeleteOptions{}) })
		}
		if err != nil {
			t.Fatalf("create %s %s: %v", u.GetKind(), u.GetName(), err)
		}
		out[u.GetKind()+"/"+u.GetName()] = created
	}
	return out
}

// setStatus writes an object's status, as a controller would.
func setStatus(t *testing.T, env *testenv.Env, gvr schema.GroupVersionResource, u *unstructured.Unstructured, status map[string]any) {
	t.Helper()
	u.Object["status"] = status
	if _, err := env.Dynamic().Resource(gvr).Namespace(u.GetNamespace()).UpdateStatus(t.Context(), u, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status of %s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

// installGatewayAPICRDs installs the reduced Gateway API CRDs of testdata and removes them, waiting until
// they are gone, when the test ends: the other tests of the package run without them.
func installGatewayAPICRDs(t *testing.T, env *testenv.Env) {
	t.Helper()
	crds := env.APIExtensions().ApiextensionsV1().CustomResourceDefinitions()
	for _, v := range readObjects(t, "testdata/gatewayapi-crds.yaml", func(s string) string { return s }) {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(v, &crd); err != nil {
			t.Fatal(err)
		}
		if _, err := crds.Create(t.Context(), &crd, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create CRD %s: %v", crd.Name, err)
		}
		name := crd.Name
		t.Cleanup(func() {
			ctx := context.Background() // t.Context() is cancelled when cleanups run
			_ = crds.Delete(ctx, name, metav1.DeleteOptions{})
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if _, err := crds.Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
					return
				}
			}
			t.Errorf("CRD %s still there", name)
		})
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			got, err := crds.Get(t.Context(), name, metav1.GetOptions{})
			if err == nil && slices.ContainsFunc(got.Status.Conditions, func(c apiextensionsv1.CustomResourceDefinitionCondition) bool {
				return c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue
			}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CRD %s not established: %v", name, err)
			}
		}
	}
}

const liveCodesInput = `apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, labels: {app: istiod}}
spec:
  selector: {matchLabels: {app: istiod}}
  template:
    metadata: {labels: {app: istiod}}
    spec:
      containers: [{name: discovery, image: docker.io/istio/pilot:1.19.3}]
`

const liveAppInput = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: tls}
spec:
  host: db.example.com
  trafficPolicy: {tls: {mode: SIMPLE, caCertificates: /etc/ca.pem}}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: db.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: waypointed}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  rules:
  - backendRefs: [{name: ghost, port: 80}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: meshctl-test-external-istiod, labels: {istio.io/rev: meshctl-test-external}}
webhooks:
- name: rev.object.sidecar-injector.istio.io
  clientConfig: {url: "https://192.0.2.10:15017/inject"}
  namespaceSelector: {matchLabels: {meshctl.io/test-external: "true"}}
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
- name: object.sidecar-injector.istio.io
  clientConfig: {url: "https://localhost:15017/inject"}
  namespaceSelector: {matchLabels: {meshctl.io/test-external: "true"}}
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
`

// TestLiveClusterCodes: what only a cluster shows — the control plane's Istio release (IST0168, IST0169),
// status conditions a controller wrote (IST0171), external control plane webhooks (IST0164), the Gateway
// API's CRDs and resources — is read from a real API server. Without the Gateway API CRDs, their kinds
// are skipped silently.
func TestLiveClusterCodes(t *testing.T) {
	env := testenv.Get(t)
	installIstioCRDs(t, env)
	mesh, ns := env.Namespace(t), env.Namespace(t)
	args := []string{"--kubeconfig", env.Kubeconfig, "-i", mesh, "-n", ns, "-o", "json"}

	out, stderr, code := runCmd(t, "", args...)
	if code == exitcode.Error || strings.Contains(stderr, "gateway.networking.k8s.io") {
		t.Fatalf("without the Gateway API CRDs: exit %d\n%s", code, stderr)
	}
	if keys := findingsOf(t, out); len(keys) != 1 || keys[0].Code != "IST0102" {
		t.Fatalf("an empty namespace: want only IST0102, got %v", keys)
	}

	installGatewayAPICRDs(t, env)
	// Of the CRDs, only the Gateway API's are read, one by one: not Istio's, whose schemas are large.
	crdKind, _ := analyze.LookupKind(analyze.KindCRD)
	crds, err := (&dynamicReader{client: env.Dynamic()}).List(t.Context(), crdKind, "")
	if err != nil || len(crds) != 4 {
		t.Fatalf("read %d CRDs (%v), want the 4 Gateway API CRDs installed", len(crds), err)
	}
	for _, c := range crds {
		if name := (&unstructured.Unstructured{Object: c}).GetName(); !slices.Contains(analyze.GatewayAPICRDs, name) {
			t.Errorf("read CRD %s", name)
		}
	}
	createObjects(t, env, mesh, liveCodesInput)
	objs := createObjects(t, env, ns, liveAppInput)
	setStatus(t, env, schema.GroupVersionResource{Version: "v1", Resource: "services"}, objs["Service/waypointed"], map[string]any{
		"conditions": []any{map[string]any{"type": "istio.io/WaypointBound", "status": "False", "reason": "WaypointNotFound", "message": "waypoint not found", "lastTransitionTime": "2025-01-01T00:00:00Z"}},
	})
	setStatus(t, env, schema.GroupVersionResource{Group: analyze.GatewayAPIGroup, Version: "v1", Resource: "httproutes"}, objs["HTTPRoute/web"], map[string]any{
		"parents": []any{map[string]any{"parentRef": map[string]any{"name": "gw"}, "controllerName": "istio.io/gateway-controller",
			"conditions": []any{map[string]any{"type": "ResolvedRefs", "status": "False", "reason": "BackendNotFound", "message": "backend(ghost) not found"}}}},
	})

	out, stderr, code = runCmd(t, "", args...)
	if code != exitcode.IssuesFound {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitcode.IssuesFound, out, stderr)
	}
	got := map[string]bool{}
	for _, k := range findingsOf(t, out) {
		got[k.Code+" "+k.Resource] = true
	}
	for _, want := range []string{
		"IST0168 DestinationRule tls." + ns,
		"IST0169 Service ext." + ns,
		"IST0171 Service waypointed." + ns,
		"IST0171 HTTPRoute web." + ns,
		"IST0101 HTTPRoute web." + ns,
		"IST0164 MutatingWebhookConfiguration meshctl-test-external-istiod",
		"IST0176 CustomResourceDefinition tlsroutes.gateway.networking.k8s.io",
	} {
		if !got[want] {
			t.Errorf("live analysis does not report %s; got %v", want, got)
		}
	}
	// localhost resolves: the second webhook is fine.
	if n := strings.Count(out, `"code": "IST0164"`) + strings.Count(out, `"code": "IST0163"`); n != 1 {
		t.Errorf("want one external control plane finding, got %d:\n%s", n, out)
	}
}

// TestRemoteContexts: --remote-contexts reads another context of the kubeconfig. Here it is the same
// cluster under another name, so its Services agree — until a file overlays this cluster's Service with
// another port. A context that does not exist is an error that names it.
func TestRemoteContexts(t *testing.T) {
	env := testenv.Get(t)
	ns := env.Namespace(t)
	createObjects(t, env, ns, "apiVersion: v1\nkind: Service\nmetadata: {name: helloworld}\nspec: {ports: [{name: http, port: 5000}]}\n")
	cfg, err := clientcmd.LoadFromFile(env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Contexts["remote"] = cfg.Contexts[cfg.CurrentContext].DeepCopy()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kc); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runCmd(t, "", "--kubeconfig", kc, "-n", ns, "--analyzers", "multicluster.", "--remote-contexts", "remote", "-o", "json")
	if code != 0 || len(findingsOf(t, out)) != 0 {
		t.Fatalf("the same Services in both contexts: exit %d\n%s%s", code, out, stderr)
	}
	changed := filepath.Join(t.TempDir(), "svc.yaml")
	if err := os.WriteFile(changed, []byte("apiVersion: v1\nkind: Service\nmetadata: {name: helloworld, namespace: "+ns+"}\nspec: {ports: [{name: http, port: 5001}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, _ = runCmd(t, "", "--kubeconfig", kc, "-n", ns, "--analyzers", "multicluster.", "--remote-contexts", "remote", "-o", "json", changed)
	if keys := findingsOf(t, out); len(keys) != 1 || keys[0].Code != "IST0170" || !strings.Contains(keys[0].Message, `"remote"]`) {
		t.Fatalf("a Service that differs from the remote cluster's: %v\n%s", keys, stderr)
	}
	_, stderr, code = runCmd(t, "", "--kubeconfig", kc, "-n", ns, "--remote-contexts", "nope")
	if code != exitcode.Error || !strings.Contains(stderr, "--remote-contexts nope") {
		t.Fatalf("a missing context: exit %d\n%s", code, stderr)
	}
}
