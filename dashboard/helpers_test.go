package dashboard

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

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

// assertClosed checks that nothing listens on the port any more.
func assertClosed(t *testing.T, port int) {
	t.Helper()
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", fmt.Sprint(port)), 5*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("port %d still accepts connections after the session ended", port)
	}
}

// sessionFrames are stack frames of goroutines a session starts, directly or through client-go.
var sessionFrames = []string{
	"meshctl/dashboard.(*Session)",
	"meshctl/dashboard.(*Forwarder)",
	"meshctl/dashboard.watchPod",
	"client-go/tools/portforward.",
	"client-go/tools/watch.",
	"client-go/tools/cache.(*Reflector)",
	"client-go/tools/cache.(*controller)",
	"streaming/pkg/httpstream/spdy.",
	"moby/spdystream.",
}

// assertNoSessionGoroutines fails if goroutines of a session outlive it. Like goleak, it retries for a
// while: a goroutine may be between its last statement and its exit when Wait returns.
func assertNoSessionGoroutines(t *testing.T) {
	t.Helper()
	var leaked []string
	for range 100 {
		leaked = sessionGoroutines()
		if len(leaked) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%d goroutine(s) of the session still run:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
}

func sessionGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, f := range sessionFrames {
			if strings.Contains(g, f) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}
