package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/images"
	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/profiles"
	"github.com/meshctl/meshctl/sampleapps/localize"
)

// placement pins the mesh's own pods (istiod, the gateways) to the real node and names the images
// the test builds.
var placement = fmt.Sprintf(`apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  profile: demo
  values:
    global:
      tag: %s
      defaultNodeSelector:
        %s: "true"
      defaultTolerations:
      - key: %s
        operator: Exists
        effect: NoSchedule
`, testenv.TestImageVersion, testenv.RealNodeLabel, testenv.RealNodeTaint)

// TestMeshOnRealNode installs the demo profile, deploys the nginx v1/v2 sample into a namespace
// labelled for injection, and checks from the curl sample that the VirtualService's rules hold.
// The subtests share the one install and run in order.
func TestMeshOnRealNode(t *testing.T) {
	env := testenv.GetRealNode(t)
	ctx := t.Context()
	var programs []images.Program
	for _, name := range append([]string{"meshd", "mesh-proxy", "mesh-init", "samples/static-nginx", "samples/curl"}, bookinfoPrograms...) {
		p, ok := images.Find(name)
		if !ok {
			t.Fatalf("no program %s in images.Programs", name)
		}
		programs = append(programs, p)
	}
	env.BuildImages(t, programs...)

	r, err := profiles.Resolve(profiles.Input{Files: []string{"-"}, Stdin: strings.NewReader(placement),
		Charts: render.EmbeddedCharts(), DefaultTag: testenv.TestImageVersion})
	if err != nil {
		t.Fatal(err)
	}
	m, err := render.Generate(r.Operator, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clients, err := installer.NewClients(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := installer.Install(ctx, installer.InstallOptions{Clients: clients, Manifest: m, Operator: r.Operator,
		Version: testenv.TestImageVersion, ReadinessTimeout: 3 * time.Minute})
	t.Logf("install: %s, err %v", time.Since(start).Round(time.Millisecond), err)
	if res != nil {
		for _, nr := range res.NotReady {
			t.Logf("not ready: %s: %s", nr.Object, nr.Reason)
		}
	}

	t.Run("istiod Ready", func(t *testing.T) {
		testenv.Poll(t, "istiod's pod Running and Ready on the real node", func(ctx context.Context) (bool, error) {
			pods, err := env.Client().CoreV1().Pods("istio-system").List(ctx, metav1.ListOptions{LabelSelector: "app=istiod"})
			if err != nil || len(pods.Items) == 0 {
				return false, err
			}
			p := pods.Items[0]
			return p.Spec.NodeName == testenv.RealNodeName && podReady(&p), nil
		})
	})
	if t.Failed() {
		out, _ := env.Kubectl(ctx, "logs", "-n", "istio-system", "deploy/istiod", "--tail", "50")
		t.Fatalf("meshd's log:\n%s", out)
	}

	ns := env.Namespace(t)
	if _, err := env.Kubectl(ctx, "label", "namespace", ns, "istio-injection=enabled"); err != nil {
		t.Fatal(err)
	}
	moduleDir, err := images.ModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var docs []byte
	for _, f := range []string{"manifests/samples/nginx/nginx.yaml", "manifests/samples/curl/curl.yaml"} {
		y, err := localize.Manifests(os.DirFS(moduleDir), f, testenv.TestImageVersion)
		if err != nil {
			t.Fatal(err)
		}
		if y, err = testenv.PlaceOnRealNode(y, f); err != nil {
			t.Fatal(err)
		}
		docs = append(append(docs, y...), "\n---\n"...)
	}
	applied := time.Now()
	if out, err := env.KubectlInput(ctx, docs, "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := env.Kubectl(ctx, "apply", "-n", ns, "-f", moduleDir+"/manifests/samples/nginx/networking/"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}

	t.Run("pods injected and Ready", func(t *testing.T) {
		var last string
		err := pollFor(ctx, 3*time.Minute, func(ctx context.Context) (bool, error) {
			pods, err := env.Client().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			ready := 0
			var b strings.Builder
			for _, p := range pods.Items {
				fmt.Fprintf(&b, "%s %s ready=%v init=%v containers=%v\n", p.Name, p.Status.Phase, podReady(&p), names(p.Spec.InitContainers), names(p.Spec.Containers))
				if podReady(&p) {
					ready++
				}
			}
			last = b.String()
			return ready == 3 && len(pods.Items) == 3, nil
		})
		if err != nil {
			desc, _ := env.Kubectl(ctx, "describe", "pods", "-n", ns)
			t.Fatalf("nginx v1, v2 and curl not Ready: %v\n%s\n%s", err, last, tail(desc, 4000))
		}
		t.Logf("label+apply → 3 injected pods Ready: %s", time.Since(applied).Round(100*time.Millisecond))
		pods, _ := env.Client().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		for _, p := range pods.Items {
			if !hasContainer(p.Spec.InitContainers, "istio-init") && !hasContainer(p.Spec.Containers, "istio-init") {
				t.Errorf("pod %s has no istio-init: init %v", p.Name, names(p.Spec.InitContainers))
			}
			if !hasContainer(p.Spec.Containers, "istio-proxy") && !hasContainer(p.Spec.InitContainers, "istio-proxy") {
				t.Errorf("pod %s has no istio-proxy: %v", p.Name, names(p.Spec.Containers))
			}
		}
	})
	if t.Failed() {
		return
	}

	curl := func(t *testing.T, args ...string) string {
		t.Helper()
		out, err := tryCurl(ctx, env, ns, args...)
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return out
	}
	counts := func(body string) (v1, v2 int) {
		return strings.Count(body, "<h1>nginx v1</h1>"), strings.Count(body, "<h1>nginx v2</h1>")
	}
	urls := func(path string, n int) []string {
		var out []string
		for range n {
			out = append(out, "http://nginx"+path)
		}
		return out
	}
	t.Run("header test: true goes to v2", func(t *testing.T) {
		var body string
		// The first requests may precede the sidecar's routes.
		testenv.Poll(t, "a v2 answer to test: true", func(ctx context.Context) (bool, error) {
			var err error
			body, err = tryCurl(ctx, env, ns, append([]string{"-H", "test: true"}, urls("/", 20)...)...)
			v1, v2 := counts(body)
			return err == nil && v1 == 0 && v2 == 20, err
		})
	})
	t.Run("prefix /test.html goes to v2", func(t *testing.T) {
		v1, v2 := counts(curl(t, urls("/test.html", 20)...))
		if v1 != 0 || v2 != 20 {
			t.Errorf("/test.html: v1 %d, v2 %d of 20; want v2 only", v1, v2)
		}
	})
	t.Run("split 30/70", func(t *testing.T) {
		v1, v2 := counts(curl(t, urls("/", 100)...))
		t.Logf("v1 %d, v2 %d of 100", v1, v2)
		if v1+v2 != 100 || v1 < 22 || v1 > 38 {
			t.Errorf("v1 %d, v2 %d of 100; want 30±8 to v1", v1, v2)
		}
	})
	t.Run("inject false is not injected", func(t *testing.T) {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "plain", Namespace: ns,
			Annotations: map[string]string{"sidecar.istio.io/inject": "false"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "ghcr.io/meshctl/samples/curl:" + testenv.TestImageVersion, Command: []string{"sleep", "3600"}}}}}
		testenv.OnRealNode(&pod.Spec)
		got, err := env.Client().CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Spec.Containers) != 1 || len(got.Spec.InitContainers) != 0 {
			t.Errorf("annotated pod injected: init %v, containers %v", names(got.Spec.InitContainers), names(got.Spec.Containers))
		}
	})
	t.Run("ingress gateway routes nginx.hihihiai.com", func(t *testing.T) { ingressGatewayCase(t, env) })
	t.Run("fault abort and delay", func(t *testing.T) { faultCase(t, env, ns, curl) })
	t.Run("retries and outlier ejection", func(t *testing.T) { retryEjectCase(t, env, ns, curl) })
	t.Run("bookinfo reviews: jason v2, others v1", func(t *testing.T) { bookinfoReviewsCase(t, env, ns, moduleDir, curl) })
	t.Run("STRICT PeerAuthentication: mesh traffic flows, plaintext refused", func(t *testing.T) { strictCase(t, env, ns, curl) })
	t.Run("authorization and request authentication", func(t *testing.T) { authzCase(t, env, ns, curl) })
	t.Run("meshd figures", func(t *testing.T) {
		out, err := env.Kubectl(ctx, "exec", "-n", "istio-system", "deploy/istiod", "--", "/meshd", "--version")
		t.Logf("meshd --version: %s %v", strings.TrimSpace(out), err)
		// Through the curl pod's sidecar: the mesh's own Service is in its configuration too.
		metrics := curl(t, "http://istiod.istio-system:15014/metrics")
		for _, line := range strings.Split(metrics, "\n") {
			for _, name := range []string{"process_resident_memory_bytes ", "pilot_xds{", "sidecar_injection_success_total ", "go_goroutines "} {
				if strings.HasPrefix(line, name) {
					t.Logf("meshd %s", line)
				}
			}
		}
		if !strings.Contains(metrics, "pilot_k8s_reg_events") {
			t.Errorf("meshd's /metrics through the sidecar lacks pilot_k8s_reg_events:\n%s", tail(metrics, 1000))
		}
	})
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func names(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func hasContainer(cs []corev1.Container, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// pollFor is testenv.Poll with a longer bound (pods pulling nothing still take seconds each).
func pollFor(ctx context.Context, d time.Duration, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var last error
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
			}
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
