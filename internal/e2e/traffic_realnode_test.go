package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/portforward"

	"github.com/meshctl/meshctl/internal/testenv"
)

// curlFunc runs the curl sample's curl with args and returns its output.
type curlFunc func(t *testing.T, args ...string) string

// tryCurl runs the curl sample's curl with args, for polls: a run that fails (a name, route or
// endpoint the mesh has not got yet) is "not yet" there, not the end of the test.
func tryCurl(ctx context.Context, env *testenv.Env, ns string, args ...string) (string, error) {
	return env.Kubectl(ctx, append([]string{"exec", "-n", ns, "deploy/curl", "-c", "curl", "--", "curl", "-s"}, args...)...)
}

// statusArgs are curl's arguments for n GETs of url, each printing "<status> <seconds>".
func statusArgs(n int, url string, headers ...string) []string {
	args := []string{"-w", "%{http_code} %{time_total}\n"}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	for range n {
		args = append(args, "-o", "/dev/null", url)
	}
	return args
}

// parseStatuses turns curl's output of statusArgs into "<status>|<seconds>" items.
func parseStatuses(out string) []string {
	return strings.Fields(strings.ReplaceAll(strings.TrimSpace(out), " ", "|"))
}

// statuses asks curl for n GETs of url, each line "<status> <seconds>" (the bodies are dropped).
func statuses(t *testing.T, curl curlFunc, n int, url string, headers ...string) []string {
	t.Helper()
	return parseStatuses(curl(t, statusArgs(n, url, headers...)...))
}

// tryStatuses is statuses for polls (see tryCurl).
func tryStatuses(ctx context.Context, env *testenv.Env, ns string, n int, url string, headers ...string) ([]string, error) {
	out, err := tryCurl(ctx, env, ns, statusArgs(n, url, headers...)...)
	return parseStatuses(out), err
}

// ingressGatewayCase reaches the nginx sample through istio-ingressgateway (the sample's Gateway and
// VirtualService) from the test process, over a port-forward to the gateway's pod on loopback.
func ingressGatewayCase(t *testing.T, env *testenv.Env) {
	ctx := t.Context()
	svc, err := env.Client().CoreV1().Services("istio-system").Get(ctx, "istio-ingressgateway", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target := 0
	for _, p := range svc.Spec.Ports {
		if p.Port == 80 && p.TargetPort.Type == intstr.Int {
			target = p.TargetPort.IntValue()
		}
	}
	if target == 0 {
		t.Fatalf("istio-ingressgateway has no port 80 with a numeric targetPort: %+v", svc.Spec.Ports)
	}
	pods, err := env.Client().CoreV1().Pods("istio-system").List(ctx, metav1.ListOptions{LabelSelector: "istio=ingressgateway"})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("ingress gateway pods: %v (%d)", err, len(pods.Items))
	}
	pod := pods.Items[0]
	url := env.Client().CoreV1().RESTClient().Post().Resource("pods").Namespace(pod.Namespace).Name(pod.Name).SubResource("portforward").URL()
	dialer, err := portforward.NewSPDYOverWebsocketDialerForStreaming(url, env.Config())
	if err != nil {
		t.Fatal(err)
	}
	stop, ready := make(chan struct{}), make(chan struct{})
	fw, err := portforward.NewOnAddressesForStreaming(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", target)}, stop, ready, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- fw.ForwardPorts() }()
	defer func() { close(stop); <-errc }()
	select {
	case <-ready:
	case err := <-errc:
		t.Fatalf("port-forward to %s:%d: %v", pod.Name, target, err)
	}
	ports, err := fw.GetPorts()
	if err != nil {
		t.Fatal(err)
	}
	get := func(ctx context.Context, path string, header ...string) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", ports[0].Local, path), nil)
		if err != nil {
			return 0, "", err
		}
		req.Host = "nginx.hihihiai.com"
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	// The gateway's routes may follow the Gateway by a push.
	testenv.Poll(t, "nginx v2 through the gateway for test: true", func(ctx context.Context) (bool, error) {
		code, body, err := get(ctx, "/", "test", "true")
		return code == 200 && strings.Contains(body, "<h1>nginx v2</h1>"), err
	})
	v1, v2 := 0, 0
	for range 50 {
		code, body, err := get(ctx, "/")
		if err != nil || code != 200 {
			t.Fatalf("GET / through the gateway: %d, %v", code, err)
		}
		v1 += strings.Count(body, "<h1>nginx v1</h1>")
		v2 += strings.Count(body, "<h1>nginx v2</h1>")
	}
	t.Logf("through the gateway: v1 %d, v2 %d of 50", v1, v2)
	if v1+v2 != 50 || v1 < 6 || v1 > 24 {
		t.Errorf("through the gateway v1 %d, v2 %d of 50; want 30%% ±~15 to v1", v1, v2)
	}
	for range 10 {
		if code, body, err := get(ctx, "/test.html"); err != nil || code != 200 || !strings.Contains(body, "<h1>nginx v2</h1>") {
			t.Fatalf("GET /test.html through the gateway: %d %v %q; want nginx v2", code, err, tail(body, 200))
		}
	}
}

// faultRules is a second name for the nginx pods whose VirtualService aborts or delays by header.
const faultRules = `apiVersion: v1
kind: Service
metadata:
  name: nginx-fault
spec:
  selector:
    app: nginx
  ports:
  - name: http
    port: 80
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: nginx-fault
spec:
  hosts:
  - nginx-fault
  http:
  - name: abort
    match:
    - headers:
        fault:
          exact: abort
    fault:
      abort:
        httpStatus: 503
        percentage:
          value: 100
    route:
    - destination:
        host: nginx-fault
  - name: delay
    match:
    - headers:
        fault:
          exact: delay
    fault:
      delay:
        fixedDelay: 1s
        percentage:
          value: 100
    route:
    - destination:
        host: nginx-fault
  - name: plain
    route:
    - destination:
        host: nginx-fault
`

func faultCase(t *testing.T, env *testenv.Env, ns string, curl curlFunc) {
	ctx := t.Context()
	if out, err := env.KubectlInput(ctx, []byte(faultRules), "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	url := "http://nginx-fault/"
	// The abort rule proves the VirtualService reached the curl pod's sidecar.
	testenv.Poll(t, "503 for fault: abort", func(ctx context.Context) (bool, error) {
		got, err := tryStatuses(ctx, env, ns, 1, url, "fault: abort")
		return err == nil && len(got) == 1 && strings.HasPrefix(got[0], "503|"), err
	})
	t.Run("abort 503 on the header", func(t *testing.T) {
		for _, s := range statuses(t, curl, 20, url, "fault: abort") {
			if !strings.HasPrefix(s, "503|") {
				t.Errorf("fault: abort answered %s; want 503 every time", s)
			}
		}
	})
	t.Run("no header passes", func(t *testing.T) {
		for _, s := range statuses(t, curl, 10, url) {
			if !strings.HasPrefix(s, "200|") {
				t.Errorf("no fault header answered %s; want 200", s)
			}
		}
	})
	t.Run("delay holds the request at least 1s", func(t *testing.T) {
		// A lower bound on the elapsed time is the delay's property; no upper bound is asserted.
		for _, s := range statuses(t, curl, 3, url, "fault: delay") {
			code, secs, _ := strings.Cut(s, "|")
			d, err := strconv.ParseFloat(secs, 64)
			if code != "200" || err != nil || d < 1.0 {
				t.Errorf("fault: delay answered %s after %ss; want 200 after at least 1s", code, secs)
			}
		}
	})
}

// flakyRules name the pods labelled flaky=true twice: flaky retries 5xx, flaky-eject has no retries and
// ejects a pod at its first 5xx.
const flakyRules = `apiVersion: v1
kind: Service
metadata:
  name: flaky
spec:
  selector:
    flaky: "true"
  ports:
  - name: http
    port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: flaky-eject
spec:
  selector:
    flaky: "true"
  ports:
  - name: http
    port: 80
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: flaky
spec:
  hosts:
  - flaky
  http:
  - route:
    - destination:
        host: flaky
    retries:
      attempts: 3
      retryOn: 5xx
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: flaky-eject
spec:
  hosts:
  - flaky-eject
  http:
  - route:
    - destination:
        host: flaky-eject
    retries:
      attempts: 0
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: flaky-eject
spec:
  host: flaky-eject
  trafficPolicy:
    outlierDetection:
      consecutive5xxErrors: 1
      interval: 1s
      baseEjectionTime: 10m
      maxEjectionPercent: 100
`

// retryEjectCase puts the nginx v1 pod and an injected pod with nothing listening on port 80 (its
// sidecar answers 503) behind one Service: retries hide the dead pod, and outlier detection ejects it.
func retryEjectCase(t *testing.T, env *testenv.Env, ns string, curl curlFunc) {
	ctx := t.Context()
	if out, err := env.Kubectl(ctx, "label", "pod", "-n", ns, "-l", "app=nginx,version=v1", "flaky=true"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	dead := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "dead", Namespace: ns, Labels: map[string]string{"flaky": "true"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "ghcr.io/meshctl/samples/curl:" + testenv.TestImageVersion, Command: []string{"sleep", "3600"}}}}}
	testenv.OnRealNode(&dead.Spec)
	if _, err := env.Client().CoreV1().Pods(ns).Create(ctx, dead, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if out, err := env.KubectlInput(ctx, []byte(flakyRules), "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if err := pollFor(ctx, 2*time.Minute, func(ctx context.Context) (bool, error) {
		p, err := env.Client().CoreV1().Pods(ns).Get(ctx, "dead", metav1.GetOptions{})
		return err == nil && podReady(p), err
	}); err != nil {
		t.Fatalf("pod dead not Ready: %v", err)
	}
	t.Run("outlier ejected after its first 5xx", func(t *testing.T) {
		// Until the curl pod's sidecar knows the dead pod every answer is 200; the first 503 shows it
		// does, and from then on the pod must be out of the pool.
		testenv.Poll(t, "a 503 from the dead pod through flaky-eject", func(ctx context.Context) (bool, error) {
			got, err := tryStatuses(ctx, env, ns, 5, "http://flaky-eject/")
			for _, s := range got {
				if strings.HasPrefix(s, "503|") {
					return true, nil
				}
			}
			return false, err
		})
		for _, s := range statuses(t, curl, 30, "http://flaky-eject/") {
			if !strings.HasPrefix(s, "200|") {
				t.Errorf("after ejection flaky-eject answered %s; want 200 from nginx v1 only", s)
			}
		}
	})
	t.Run("retries recover from the dead pod", func(t *testing.T) {
		body := curl(t, "http://flaky/", "http://flaky/", "http://flaky/", "http://flaky/", "http://flaky/",
			"http://flaky/", "http://flaky/", "http://flaky/", "http://flaky/", "http://flaky/",
			"http://flaky/", "http://flaky/", "http://flaky/", "http://flaky/", "http://flaky/",
			"http://flaky/", "http://flaky/", "http://flaky/", "http://flaky/", "http://flaky/")
		if n := strings.Count(body, "<h1>nginx v1</h1>"); n != 20 {
			t.Errorf("flaky with retries: %d of 20 answers from nginx v1; want all\n%s", n, tail(body, 600))
		}
	})
}
