package dashboard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/utils/ptr"

	lib "github.com/meshctl/meshctl/dashboard"
	"github.com/meshctl/meshctl/internal/testenv"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// newPod is a pod KWOK runs once scheduled; containers default to one called "app".
func newPod(name string, labels map[string]string, containers ...string) *corev1.Pod {
	if len(containers) == 0 {
		containers = []string{"app"}
	}
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c, Image: "registry.invalid/" + c + ":1"})
	}
	return p
}

// createPod creates p and waits until cond holds; it retries while the namespace has no default
// ServiceAccount yet. The pod is deleted when the test ends.
func createPod(t *testing.T, env *testenv.Env, ns string, p *corev1.Pod, what string, cond func(*corev1.Pod) bool) {
	t.Helper()
	pods := env.Client().CoreV1().Pods(ns)
	testenv.Poll(t, "create pod "+p.Name, func(ctx context.Context) (bool, error) {
		_, err := pods.Create(ctx, p, metav1.CreateOptions{})
		if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "serviceaccount") {
			return false, err
		}
		if err != nil {
			t.Fatalf("create pod %s/%s: %v", ns, p.Name, err)
		}
		return true, nil
	})
	t.Cleanup(func() {
		err := pods.Delete(context.Background(), p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
		if err != nil && !apierrors.IsNotFound(err) { // a test may have deleted it
			t.Errorf("delete pod %s/%s: %v", ns, p.Name, err)
		}
	})
	testenv.Poll(t, fmt.Sprintf("pod %s/%s %s", ns, p.Name, what), func(ctx context.Context) (bool, error) {
		got, err := pods.Get(ctx, p.Name, metav1.GetOptions{})
		return err == nil && cond(got), err
	})
}

func ready(p *corev1.Pod) bool { return lib.Usable(p) == nil }

func unschedulable(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == "Unschedulable" {
			return true
		}
	}
	return false
}

// backend answers for the pod: KWOK's port-forward rule sends the forwarded connection to it.
func backend(t *testing.T, name string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s at %s", name, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func get(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Minute}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read the body: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(body)
}

// syncBuffer is stderr for a command running in another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run is `meshctl --kubeconfig … ARGS` running in the background, as a user would start it in a terminal.
type run struct {
	root   *testRoot
	cancel context.CancelFunc // Ctrl-C
	done   chan error
	lines  chan string // stdout, line by line
	stderr *syncBuffer
}

func start(t *testing.T, env *testenv.Env, args ...string) *run {
	t.Helper()
	pr, pw := io.Pipe()
	r := &run{done: make(chan error, 1), lines: make(chan string, 16), stderr: &syncBuffer{}}
	r.root = newTestRootWith(genericiooptions.IOStreams{In: strings.NewReader(""), Out: pw, ErrOut: r.stderr}, nil)
	r.root.cmd.SetArgs(append([]string{"--kubeconfig", env.Kubeconfig}, args...))
	ctx, cancel := context.WithCancel(t.Context())
	r.cancel = cancel
	go func() {
		err := r.root.cmd.ExecuteContext(ctx)
		pw.Close()
		r.done <- err
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// url waits for the first line of stdout, or fails with what the command said if it ended instead.
func (r *run) url(t *testing.T) string {
	t.Helper()
	line, ok := <-r.lines
	if !ok {
		err := <-r.done
		r.done <- err
		t.Fatalf("command ended without printing a URL: %v\nstderr:\n%s", err, r.stderr)
	}
	return line
}

// end waits for the command to return and gives its error and exit code.
func (r *run) end() (int, error) {
	err := <-r.done
	r.done <- err // t.Cleanup reads it again
	return exitcode.For(err), err
}

// runToEnd runs a command that is expected to fail before it forwards anything.
func runToEnd(t *testing.T, env *testenv.Env, args ...string) (int, string, error) {
	t.Helper()
	r := start(t, env, args...)
	if line, ok := <-r.lines; ok {
		t.Fatalf("printed %q; want an error", line)
	}
	code, err := r.end()
	return code, r.stderr.String(), err
}

var urlPattern = regexp.MustCompile(`^http://localhost:(\d+)(/.*)?$`)

func portOf(t *testing.T, url, path string) int {
	t.Helper()
	m := urlPattern.FindStringSubmatch(url)
	if m == nil || m[2] != path {
		t.Fatalf("stdout %q; want http://localhost:PORT%s", url, path)
	}
	port, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatalf("port of %q: %v", url, err)
	}
	return port
}

// assertClosed checks both loopbacks: a localhost forward listens on 127.0.0.1 and on ::1.
func assertClosed(t *testing.T, port int) {
	t.Helper()
	for _, ip := range []string{"127.0.0.1", "::1"} {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, strconv.Itoa(port)), 5*time.Second); err == nil {
			c.Close()
			t.Fatalf("port %d still listens on %s after the command returned", port, ip)
		}
	}
}

// TestKialiEndToEnd is the scenario: `meshctl dashboard kiali --browser=false -p 0` with no other flag
// finds the add-on in istio-system, prints its URL, serves it through the API server and ends on Ctrl-C.
func TestKialiEndToEnd(t *testing.T) {
	env := testenv.Get(t)
	_, err := env.Client().CoreV1().Namespaces().Create(t.Context(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "istio-system"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	createPod(t, env, "istio-system", newPod("kiali-e2e", map[string]string{"app": "kiali"}), "ready", ready)
	env.PortForward(t, "istio-system", "kiali-e2e", 20001, backend(t, "kiali"))

	r := start(t, env, "dashboard", "kiali", "--browser=false", "-p", "0")
	url := r.url(t)
	port := portOf(t, url, "/kiali")
	if got := get(t, url); got != "kiali at /kiali" {
		t.Fatalf("GET %s = %q", url, got)
	}
	if got := get(t, url+"/console/graph"); got != "kiali at /kiali/console/graph" {
		t.Fatalf("second request = %q", got)
	}

	r.cancel() // Ctrl-C
	code, err := r.end()
	if err != nil || code != exitcode.OK {
		t.Fatalf("after Ctrl-C: %v (exit %d); want a clean exit", err, code)
	}
	stderr := r.stderr.String()
	for _, want := range []string{
		"Forwarding to pod istio-system/kiali-e2e port 20001. Press Ctrl-C to stop.\n",
		"Stopped forwarding to pod istio-system/kiali-e2e\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if len(r.root.opened) != 0 {
		t.Errorf("--browser=false opened %q", r.root.opened)
	}
	assertClosed(t, port)
}

func TestMissingAddon(t *testing.T) {
	env := testenv.Get(t)
	ns := env.Namespace(t)

	code, _, err := runToEnd(t, env, "dashboard", "grafana", "-n", ns)
	want := `no pod with label "app=grafana" or "app.kubernetes.io/name=grafana" in namespace ` + ns +
		`; install it with: kubectl apply -f samples/addons/grafana.yaml (the samples install into istio-system)`
	if err == nil || err.Error() != want || code != exitcode.Error {
		t.Fatalf("got %v (exit %d)\nwant %s (exit 1)", err, code, want)
	}
	code, _, err = runToEnd(t, env, "-i", ns, "dashboard", "zipkin")
	want = `no pod with label "app=zipkin" in namespace ` + ns + `; install it with: kubectl apply -f samples/addons/extras/zipkin.yaml`
	if err == nil || !strings.HasPrefix(err.Error(), want) || code != exitcode.Error {
		t.Fatalf("got %v (exit %d)\nwant %s", err, code, want)
	}
	code, _, err = runToEnd(t, env, "dashboard", "jaeger", "-n", ns, "-l", "app=my-jaeger")
	if err == nil || !strings.HasPrefix(err.Error(), `no pod with label "app=my-jaeger" in namespace `+ns) || code != exitcode.Error {
		t.Fatalf("--selector: %v (exit %d)", err, code)
	}
}

func TestAddonNotReady(t *testing.T) {
	env := testenv.Get(t)
	ns := env.Namespace(t)
	p := newPod("prometheus-0", map[string]string{"app": "prometheus"})
	p.Spec.NodeSelector = map[string]string{"meshctl.io/no-such-node": "true"}
	createPod(t, env, ns, p, "unschedulable", unschedulable)

	code, _, err := runToEnd(t, env, "dashboard", "prometheus", "-n", ns)
	want := "pod " + ns + "/prometheus-0 is not ready: phase Pending; PodScheduled=False (Unschedulable: 0/1 nodes are available: "
	if err == nil || !strings.HasPrefix(err.Error(), want) || code != exitcode.Error {
		t.Fatalf("got %v (exit %d)\nwant it to start with %s", err, code, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("the message spans lines: %q", err)
	}
}

func TestProxyPod(t *testing.T) {
	env := testenv.Get(t)
	ns := env.Namespace(t)
	createPod(t, env, ns, newPod("web", map[string]string{"app": "web"}, "web", lib.ProxyContainer), "ready", ready)
	createPod(t, env, ns, newPod("outside", map[string]string{"app": "outside"}), "ready", ready)
	env.PortForward(t, ns, "web", 15000, backend(t, "envoy admin"))

	// The browser is opened (the injected one records it) on the URL printed.
	r := start(t, env, "dashboard", "proxy", "web."+ns, "-p", "0")
	url := r.url(t)
	port := portOf(t, url, "")
	if got := get(t, url+"/stats"); got != "envoy admin at /stats" {
		t.Fatalf("GET = %q", got)
	}
	r.cancel()
	if code, err := r.end(); err != nil || code != 0 {
		t.Fatalf("after Ctrl-C: %v (exit %d)", err, code)
	}
	if fmt.Sprint(r.root.opened) != "["+url+"]" {
		t.Errorf("browser opened %q; want %q", r.root.opened, url)
	}
	assertClosed(t, port)

	code, _, err := runToEnd(t, env, "dashboard", "envoy", "pod/outside", "-n", ns)
	want := "pod " + ns + "/outside has no istio-proxy container: it is not in the mesh"
	if err == nil || !strings.HasPrefix(err.Error(), want) || code != exitcode.Error {
		t.Fatalf("pod without sidecar: %v (exit %d)", err, code)
	}
	code, _, err = runToEnd(t, env, "dashboard", "proxy", "gone."+ns)
	if err == nil || err.Error() != "pod gone not found in namespace "+ns || code != exitcode.Error {
		t.Fatalf("missing pod: %v (exit %d)", err, code)
	}
}

// TestSeveralAtOnce: two dashboards run side by side, a third asking for a port in use fails naming it, and
// deleting the pod ends the running ones with a message.
func TestSeveralAtOnce(t *testing.T) {
	env := testenv.Get(t)
	ns := env.Namespace(t)
	createPod(t, env, ns, newPod("grafana-0", map[string]string{"app": "grafana"}), "ready", ready)
	env.PortForward(t, ns, "grafana-0", 3000, backend(t, "grafana"))

	a := start(t, env, "dashboard", "grafana", "-n", ns, "--browser=false", "-p", "0")
	urlA := a.url(t)
	b := start(t, env, "dashboard", "grafana", "-n", ns, "--browser=false") // prefers 3000, falls back if taken
	urlB := b.url(t)
	if urlA == urlB {
		t.Fatalf("both on %s", urlA)
	}
	if get(t, urlA+"/a") != "grafana at /a" || get(t, urlB+"/b") != "grafana at /b" {
		t.Fatal("one of the two forwards does not reach the pod")
	}

	portA := portOf(t, urlA, "")
	code, _, err := runToEnd(t, env, "dashboard", "grafana", "-n", ns, "--browser=false", "-p", strconv.Itoa(portA))
	want := fmt.Sprintf("local port localhost:%d is already in use", portA)
	if err == nil || !strings.HasPrefix(err.Error(), want) || code != exitcode.Error {
		t.Fatalf("busy port: %v (exit %d); want %q…", err, code, want)
	}

	if err := env.Client().CoreV1().Pods(ns).Delete(t.Context(), "grafana-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*run{a, b} {
		code, err := r.end()
		var gone *lib.PodGoneError
		if !errors.As(err, &gone) || code != exitcode.Error ||
			!strings.HasPrefix(err.Error(), "pod "+ns+"/grafana-0 ") {
			t.Fatalf("after the pod was deleted: %v (exit %d); want a *PodGoneError", err, code)
		}
	}
	assertClosed(t, portA)
	assertClosed(t, portOf(t, urlB, ""))
}
