package testenv

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
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
	get := func(ctx context.Context) (string, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		return string(b), err
	}
	// problems are what keeps a page from being whole.
	problems := func(page string) []string {
		var out []string
		for _, want := range []string{"Book Details", "PublisherA", "Book Reviews", "An extremely entertaining play by Shakespeare."} {
			if !strings.Contains(page, want) {
				out = append(out, "lacks "+strconv.Quote(want))
			}
		}
		for _, bad := range []string{"Error fetching", "unavailable"} {
			if strings.Contains(page, bad) {
				out = append(out, "says "+strconv.Quote(bad)+": a backend was not reached")
			}
		}
		return out
	}
	// productpage answers 200 with an error in the page while a backend's Service is not routed yet
	// (its pod Ready comes before its endpoints and the node's rules): wait for a whole page, then
	// every page must be whole (six of them, spread by the node over reviews v1, v2 and v3).
	Poll(t, "a whole page from "+url, func(ctx context.Context) (bool, error) {
		page, err := get(ctx)
		if err != nil {
			return false, err
		}
		if p := problems(page); len(p) > 0 {
			return false, fmt.Errorf("productpage %s", strings.Join(p, ", "))
		}
		return true, nil
	})
	for range 6 {
		page, err := get(t.Context())
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		for _, p := range problems(page) {
			t.Errorf("productpage %s", p)
		}
	}
}
