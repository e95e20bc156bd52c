package dashboard

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshctl/meshctl/internal/testenv"
)

// podSpec is a pod KWOK runs: scheduled onto a fake node, it turns Running and Ready.
func podSpec(name string, labels map[string]string, port int32, containers ...string) *corev1.Pod {
	if len(containers) == 0 {
		containers = []string{"app"}
	}
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{
			Name: c, Image: "registry.invalid/" + c + ":1",
			Ports: []corev1.ContainerPort{{ContainerPort: port}},
		})
	}
	return p
}

// unschedulable makes a pod no node accepts: it stays Pending with PodScheduled=False.
func unschedulable(p *corev1.Pod) *corev1.Pod {
	p.Spec.NodeSelector = map[string]string{"meshctl.io/no-such-node": "true"}
	return p
}

// createPod creates p in ns, retrying while the namespace's default ServiceAccount does not exist yet
// (the admission plugin rejects pods until the controller-manager has made it).
func createPod(t testing.TB, client kubernetes.Interface, ns string, p *corev1.Pod) *corev1.Pod {
	t.Helper()
	var created *corev1.Pod
	testenv.Poll(t, "create pod "+p.Name, func(ctx context.Context) (bool, error) {
		var err error
		created, err = client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
		if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "serviceaccount") {
			return false, err
		}
		if err != nil {
			t.Fatalf("create pod %s/%s: %v", ns, p.Name, err)
		}
		return true, nil
	})
	return created
}

// waitPod waits until the pod satisfies cond and returns it.
func waitPod(t testing.TB, client kubernetes.Interface, ns, name, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var got *corev1.Pod
	testenv.Poll(t, fmt.Sprintf("pod %s/%s %s", ns, name, what), func(ctx context.Context) (bool, error) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		got = p
		return cond(p), nil
	})
	return got
}

func isUsable(p *corev1.Pod) bool { return Usable(p) == nil }

func isUnschedulable(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == "Unschedulable" {
			return true
		}
	}
	return false
}

// readyPod creates a pod KWOK makes Running and Ready, and returns it once it is.
func readyPod(t testing.TB, env *testenv.Env, ns string, p *corev1.Pod) *corev1.Pod {
	t.Helper()
	createPod(t, env.Client(), ns, p)
	return waitPod(t, env.Client(), ns, p.Name, "Running and Ready", isUsable)
}

// backend is the HTTP server a KWOK port-forward rule sends the forwarded bytes to.
type backend struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func newBackend(t *testing.T, name string) *backend {
	t.Helper()
	b := &backend{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.paths = append(b.paths, r.URL.Path)
		b.mu.Unlock()
		w.Header().Set("X-Backend", name)
		fmt.Fprintf(w, "%s says hello at %s", name, r.URL.Path)
	}))
	t.Cleanup(b.Close)
	return b
}

// addr is the backend's 127.0.0.1:PORT, the target of a port-forward rule.
func (b *backend) addr() string { return strings.TrimPrefix(b.URL, "http://") }

// get fetches url on a fresh connection, so that no kept-alive connection holds a forward open.
func get(t *testing.T, url string) (string, http.Header) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Minute}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, body)
	}
	return string(body), resp.Header
}

// assertClosed checks that nothing listens on the session's port any more, on every address the forward
// bound: 127.0.0.1 and ::1 for localhost. (Where the host has no IPv6 loopback, dialling ::1 fails, which
// is what is wanted.)
func assertClosed(t *testing.T, s *Session) {
	t.Helper()
	for _, a := range listenIPs(s.address) {
		c, err := net.DialTimeout(a.network(), joinHostPort(a.ip, s.LocalPort()), 5*time.Second)
		if err == nil {
			c.Close()
			t.Fatalf("%s still accepts connections after the session ended", joinHostPort(a.ip, s.LocalPort()))
		}
	}
}

// assertOpen checks that the session's port accepts connections on every address the forward bound.
func assertOpen(t *testing.T, s *Session) {
	t.Helper()
	for _, a := range listenIPs(s.address) {
		c, err := net.DialTimeout(a.network(), joinHostPort(a.ip, s.LocalPort()), 5*time.Second)
		if err != nil {
			if a.v6 && s.address == DefaultAddress && !ipv6Loopback() {
				continue
			}
			t.Fatalf("%s does not accept connections while the session runs: %v", joinHostPort(a.ip, s.LocalPort()), err)
		}
		c.Close()
	}
}

func ipv6Loopback() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// goroutineBaseline is the set of goroutines running when a test starts (after the shared cluster is up);
// assertNoLeaks fails on any goroutine started since that still runs.
func goroutineBaseline() goleak.Option { return goleak.IgnoreCurrent() }

// idleConnections are the goroutines of client connections kept alive in an http.Transport's pool: the
// shared test client's connection to the API server may be opened, or re-opened after an idle timeout,
// during any test. A session's own streams are upgraded connections, which these frames do not cover.
var idleConnections = []goleak.Option{
	goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
	goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
	goleak.IgnoreAnyFunction("golang.org/x/net/http2.(*ClientConn).readLoop"),
	goleak.IgnoreAnyFunction("net/http.(*http2ClientConn).readLoop"),
}

// findLeaks reports the goroutines started since base that still run, after giving them a few seconds to
// finish: one may be between its last statement and its exit when Wait returns.
func findLeaks(base goleak.Option) error {
	opts := append([]goleak.Option{base}, idleConnections...)
	var err error
	for range 5 {
		if err = goleak.Find(opts...); err == nil {
			return nil
		}
	}
	return err
}

// assertNoLeaks fails if goroutines started since base still run. Close the test's own servers first.
func assertNoLeaks(t *testing.T, base goleak.Option) {
	t.Helper()
	if err := findLeaks(base); err != nil {
		t.Fatalf("goroutines started during the test still run: %v", err)
	}
}
