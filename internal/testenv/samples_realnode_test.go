package testenv

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/images"
	"github.com/meshctl/meshctl/sampleapps/localize"
)

// Bookinfo, as the tutorials deploy it, runs on the real node from the project's own images:
// productpage answers through its ClusterIP with the details and the reviews in the page, which it
// fetched from the details and reviews pods (reviews v2/v3 from ratings) by their Service names.
func TestRealNodeBookinfo(t *testing.T) {
	env := GetRealNode(t)
	ns := env.Namespace(t)
	var programs []images.Program
	for _, p := range images.Programs {
		if strings.HasPrefix(p.Name, "samples/examples-bookinfo-") {
			programs = append(programs, p)
		}
	}
	if len(programs) != 6 {
		t.Fatalf("%d bookinfo images in images.Programs, want 6", len(programs))
	}
	env.BuildImages(t, programs...)
	moduleDir, err := images.ModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	yaml, err := localize.Manifests(os.DirFS(moduleDir), "manifests/samples/bookinfo/platform/kube/bookinfo.yaml", TestImageVersion)
	if err != nil {
		t.Fatal(err)
	}
	if yaml, err = PlaceOnRealNode(yaml, "bookinfo.yaml"); err != nil {
		t.Fatal(err)
	}
	if out, err := env.KubectlInput(t.Context(), yaml, "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var pods *corev1.PodList
	Poll(t, "bookinfo's 6 pods Ready", func(ctx context.Context) (bool, error) {
		pods, err = env.Client().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		ready := 0
		for _, p := range pods.Items {
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.Spec.NodeName == RealNodeName {
					ready++
				}
			}
		}
		return ready == 6, nil
	})
	svc, err := env.Client().CoreV1().Services(ns).Get(t.Context(), "productpage", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + svc.Spec.ClusterIP + ":9080/productpage?u=normal"
	var page string
	Poll(t, "GET "+url, func(ctx context.Context) (bool, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		page = string(b)
		return err == nil && resp.StatusCode == http.StatusOK, err
	})
	for _, want := range []string{"Book Details", "PublisherA", "Book Reviews", "An extremely entertaining play by Shakespeare."} {
		if !strings.Contains(page, want) {
			t.Errorf("productpage lacks %q", want)
		}
	}
	for _, bad := range []string{"Error fetching", "unavailable"} {
		if strings.Contains(page, bad) {
			t.Errorf("productpage says %q: a backend was not reached", bad)
		}
	}
}
