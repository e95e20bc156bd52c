package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/sampleapps/localize"
)

// bookinfoPrograms are the images of the part of bookinfo the reviews case deploys.
var bookinfoPrograms = []string{"samples/examples-bookinfo-reviews-v1", "samples/examples-bookinfo-reviews-v2"}

// bookinfoReviewsCase deploys only reviews v1 and v2 of bookinfo (the rest would slow the package for
// nothing this rule needs) and checks the tutorial's rule: end-user jason sees v2, everyone else v1.
// v2 calls ratings, which is not deployed: its answer carries no stars, which the rule does not look at.
func bookinfoReviewsCase(t *testing.T, env *testenv.Env, ns, moduleDir string, curl curlFunc) {
	ctx := t.Context()
	const f = "manifests/samples/bookinfo/platform/kube/bookinfo.yaml"
	y, err := localize.Manifests(os.DirFS(moduleDir), f, testenv.TestImageVersion)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, doc := range strings.Split(string(y), "\n---\n") {
		// metadata.name, two spaces in: the containers' names are deeper.
		doc += "\n"
		if strings.Contains(doc, "\n  name: reviews\n") || strings.Contains(doc, "\n  name: bookinfo-reviews\n") ||
			strings.Contains(doc, "\n  name: reviews-v1\n") || strings.Contains(doc, "\n  name: reviews-v2\n") {
			keep = append(keep, doc)
		}
	}
	docs, err := testenv.PlaceOnRealNode([]byte(strings.Join(keep, "\n---\n")), f)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := env.KubectlInput(ctx, docs, "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, n := range []string{"destination-rule-all.yaml", "virtual-service-reviews-test-v2.yaml"} {
		if out, err := env.Kubectl(ctx, "apply", "-n", ns, "-f", moduleDir+"/manifests/samples/bookinfo/networking/"+n); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	if err := pollFor(ctx, 2*time.Minute, func(ctx context.Context) (bool, error) {
		pods, err := env.Client().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=reviews"})
		if err != nil {
			return false, err
		}
		ready := 0
		for _, p := range pods.Items {
			if podReady(&p) {
				ready++
			}
		}
		return ready == 2 && len(pods.Items) == 2, nil
	}); err != nil {
		desc, _ := env.Kubectl(ctx, "describe", "pods", "-n", ns, "-l", "app=reviews")
		events, _ := env.Kubectl(ctx, "get", "events", "-n", ns)
		logs, _ := env.Kubectl(ctx, "logs", "-n", "istio-system", "deploy/istiod", "--tail", "30")
		t.Fatalf("reviews v1 and v2 not Ready: %v\n%s\nevents:\n%s\nmeshd:\n%s", err, tail(desc, 3000), tail(events, 3000), tail(logs, 3000))
	}
	urls := func(n int) []string {
		var out []string
		for range n {
			out = append(out, "http://reviews:9080/reviews/0")
		}
		return out
	}
	count := func(body string) (v1, v2 int) {
		return strings.Count(body, `"podname":"reviews-v1-`), strings.Count(body, `"podname":"reviews-v2-`)
	}
	testenv.Poll(t, "reviews v2 for end-user jason", func(ctx context.Context) (bool, error) {
		body, err := tryCurl(ctx, env, ns, append([]string{"-H", "end-user: jason"}, urls(1)...)...)
		_, v2 := count(body)
		return v2 == 1, err
	})
	t.Run("jason sees v2", func(t *testing.T) {
		body := curl(t, append([]string{"-H", "end-user: jason"}, urls(10)...)...)
		if v1, v2 := count(body); v1 != 0 || v2 != 10 {
			t.Errorf("end-user jason: v1 %d, v2 %d of 10; want v2 only\n%s", v1, v2, tail(body, 500))
		}
	})
	t.Run("others see v1", func(t *testing.T) {
		for _, h := range []string{"end-user: someone", "x-other: jason"} {
			body := curl(t, append([]string{"-H", h}, urls(10)...)...)
			if v1, v2 := count(body); v1 != 10 || v2 != 0 {
				t.Errorf("%s: v1 %d, v2 %d of 10; want v1 only\n%s", h, v1, v2, tail(body, 500))
			}
		}
	})
}
