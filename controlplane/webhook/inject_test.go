package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/kubeyaml"
)

// podFromWorkload is the pod a controller creates from a workload's template: the template's metadata
// with generateName and the controller's owner reference (and pod-template-hash for a Deployment's
// ReplicaSet), as the API server then sends it to the webhook.
func podFromWorkload(obj map[string]any) map[string]any {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	path, _ := inject.TemplatePath(apiVersion, kind)
	if path == nil {
		return obj
	}
	var tmpl any = obj
	for _, p := range path {
		tmpl = tmpl.(map[string]any)[p]
	}
	t := tmpl.(map[string]any)
	meta, _ := t["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	wmeta := obj["metadata"].(map[string]any)
	owner := map[string]any{"apiVersion": apiVersion, "kind": kind, "name": wmeta["name"], "controller": true, "uid": "u"}
	switch kind {
	case "Deployment":
		labels, _ := meta["labels"].(map[string]any)
		if labels == nil {
			labels = map[string]any{}
			meta["labels"] = labels
		}
		labels["pod-template-hash"] = "5d4f8b9c7"
		owner["kind"], owner["name"] = "ReplicaSet", wmeta["name"].(string)+"-5d4f8b9c7"
	case "CronJob":
		owner["kind"], owner["name"] = "Job", wmeta["name"].(string)+"-29000000"
	}
	meta["generateName"] = wmeta["name"].(string) + "-"
	meta["ownerReferences"] = []any{owner}
	meta["namespace"] = wmeta["namespace"]
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": t["spec"]}
}

// TestSameAsKubeInject sends the pod each workload of package inject's golden inputs makes through the
// webhook (as JSON, the patch applied as the API server applies it) and compares it with what
// `meshctl kube-inject` writes for the workload: the same containers, volumes, labels and annotations.
func TestSameAsKubeInject(t *testing.T) {
	inputs, err := filepath.Glob("../../inject/testdata/golden/*.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	h := testInjector(t)
	cfg, podOpts, _ := h.Config.Config()
	compared := 0
	for _, file := range inputs {
		if strings.HasSuffix(file, ".out.yaml") || strings.Contains(file, "values-") || strings.Contains(file, "deploymentconfig") {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		r := kubeyaml.NewReader(bytes.NewReader(data), file)
		for {
			doc, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			objs, err := doc.ObjectValues()
			if err != nil || len(objs) != 1 {
				continue
			}
			obj := objs[0].Value
			meta, _ := obj["metadata"].(map[string]any)
			if _, ok := inject.TemplatePath(str(obj["apiVersion"]), str(obj["kind"])); !ok || meta == nil {
				continue
			}
			if meta["namespace"] == nil {
				meta["namespace"] = "test-ns"
			}
			name := filepath.Base(file) + ":" + str(meta["name"])
			in, _ := json.Marshal(obj)

			// kube-inject.
			var out bytes.Buffer
			var outcome inject.Outcome = inject.Skipped
			s := inject.NewStream(cfg, &out, inject.StreamOptions{Pod: podOpts, SkipUninjectable: true,
				Report: func(res inject.Result) { outcome = res.Outcome }})
			if err := s.Inject(context.Background(), kubeyaml.NewReader(bytes.NewReader(in), name)); err != nil {
				t.Fatalf("%s: kube-inject: %v", name, err)
			}
			if outcome != inject.Injected {
				continue // a workload-level opt-out is kube-inject's own; the webhook sees only the pod
			}
			kdoc, err := kubeyaml.NewReader(&out, name).Next()
			if err != nil {
				t.Fatal(err)
			}
			kobjs, err := kdoc.ObjectValues()
			if err != nil {
				t.Fatal(err)
			}
			want := podFromWorkload(kobjs[0].Value)

			// The webhook, on the pod the controller would create from the workload as written.
			var orig map[string]any
			_ = json.Unmarshal(in, &orig)
			pod := podFromWorkload(orig)
			body := review(t, podKind, podResource, str(meta["namespace"]), admissionv1.Create, pod)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/inject", bytes.NewReader(body)))
			var resp admissionv1.AdmissionReview
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Response == nil {
				t.Fatalf("%s: bad answer %d %s", name, rec.Code, rec.Body)
			}
			if !resp.Response.Allowed || resp.Response.UID != "uid-1" {
				t.Fatalf("%s: answer %+v", name, resp.Response)
			}
			raw, _ := json.Marshal(pod)
			patched, err := applyPatch(raw, resp.Response.Patch)
			if err != nil {
				t.Fatalf("%s: the patch does not apply: %v\n%s", name, err, resp.Response.Patch)
			}
			got := normalize(t, patched)
			wantN := normalize(t, mustJSON(t, want))
			if !reflect.DeepEqual(got["spec"], wantN["spec"]) {
				t.Errorf("%s: webhook and kube-inject specs differ:\nwebhook:     %s\nkube-inject: %s", name, mustJSON(t, got["spec"]), mustJSON(t, wantN["spec"]))
			}
			for _, k := range []string{"labels", "annotations"} {
				g, w := got["metadata"].(map[string]any)[k], wantN["metadata"].(map[string]any)[k]
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s: metadata.%s differ:\nwebhook:     %s\nkube-inject: %s", name, k, mustJSON(t, g), mustJSON(t, w))
				}
			}
			compared++
		}
	}
	t.Logf("compared %d workloads", compared)
	if compared < 10 {
		t.Fatalf("compared %d workloads, want the golden inputs' (at least 10)", compared)
	}
}

// applyPatch applies a JSON patch with the library the API server applies webhook patches with.
func applyPatch(doc, patch []byte) ([]byte, error) {
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return nil, err
	}
	return p.Apply(doc)
}

func str(v any) string { s, _ := v.(string); return s }

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// normalize decodes JSON with plain encoding/json, so that int64 and float64 of equal values compare
// equal: what the API server would store.
func normalize(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
