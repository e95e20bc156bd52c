package dashboard

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/meshctl/meshctl/internal/testenv"
)

func TestFindPodOnCluster(t *testing.T) {
	env := testenv.Get(t)
	ns := env.Namespace(t)
	client := env.Client()
	kiali, _ := Lookup("kiali")

	_, err := FindPod(t.Context(), client, ns, kiali.Selectors, kiali.InstallHint)
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Namespace != ns {
		t.Fatalf("empty namespace: %v; want a *NotFoundError for %s", err, ns)
	}

	// Only a pod no node takes: the diagnosis says what the scheduler said.
	createPod(t, client, ns, unschedulable(podSpec("kiali-pending", map[string]string{"app": "kiali"}, 20001)))
	waitPod(t, client, ns, "kiali-pending", "unschedulable", isUnschedulable)
	_, err = FindPod(t.Context(), client, ns, kiali.Selectors, kiali.InstallHint)
	var nr *NotReadyError
	if !errors.As(err, &nr) || nr.Name != "kiali-pending" {
		t.Fatalf("pending pod: %v; want a *NotReadyError for kiali-pending", err)
	}
	want := "pod " + ns + "/kiali-pending is not ready: phase Pending; PodScheduled=False (Unschedulable: 0/1 nodes are available:"
	if !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("diagnosis\n  %s\nwant it to start with\n  %s", err, want)
	}

	// Selectors are tried in order and the first that matches any pod decides: a ready pod with only the
	// upstream chart's label does not hide that the pod with our label is stuck.
	readyPod(t, env, ns, podSpec("kiali-upstream", map[string]string{"app.kubernetes.io/name": "kiali"}, 20001))
	if _, err := FindPod(t.Context(), client, ns, kiali.Selectors, kiali.InstallHint); !errors.As(err, &nr) {
		t.Fatalf("first selector matches only a pending pod: %v; want *NotReadyError", err)
	}
	got, err := FindPod(t.Context(), client, ns, kiali.Selectors[1:], kiali.InstallHint)
	if err != nil || got.Name != "kiali-upstream" {
		t.Fatalf("second selector: %v, %v", got, err)
	}

	// With a ready pod next to the pending one, the ready one is picked.
	readyPod(t, env, ns, podSpec("kiali-ready", map[string]string{"app": "kiali"}, 20001))
	got, err = FindPod(t.Context(), client, ns, kiali.Selectors, kiali.InstallHint)
	if err != nil || got.Name != "kiali-ready" {
		t.Fatalf("FindPod = %v, %v; want kiali-ready", got, err)
	}

	if _, err := GetPod(t.Context(), client, PodRef{Name: "kiali-ready", Namespace: ns}); err != nil {
		t.Fatalf("GetPod(ready) = %v", err)
	}
	var pnf *PodNotFoundError
	if _, err := GetPod(t.Context(), client, PodRef{Name: "nope", Namespace: ns}); !errors.As(err, &pnf) ||
		err.Error() != "pod nope not found in namespace "+ns {
		t.Fatalf("GetPod(missing) = %v", err)
	}
	if _, err := GetPod(t.Context(), client, PodRef{Name: "kiali-pending", Namespace: ns}); !errors.As(err, &nr) {
		t.Fatalf("GetPod(pending) = %v", err)
	}
	var se *SelectorError
	if _, err := FindPod(t.Context(), client, ns, []string{"app in ("}, ""); !errors.As(err, &se) {
		t.Fatalf("bad selector: %v", err)
	}
}

// startSession forwards a free local port to the pod's port 20001, which KWOK sends to the backend.
func startSession(t *testing.T, env *testenv.Env, ns string, fw *Forwarder, pod *corev1.Pod, b *backend) (*Session, context.CancelFunc) {
	t.Helper()
	env.PortForward(t, ns, pod.Name, 20001, b.addr())
	ctx, cancel := context.WithCancel(t.Context())
	s, err := fw.Start(ctx, pod, ForwardOptions{LocalPort: 0, RemotePort: 20001})
	if err != nil {
		cancel()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = s.Wait() })
	return s, cancel
}

func TestForwardReachesPodAndStopsOnCancel(t *testing.T) {
	env := testenv.Get(t)
	base := goroutineBaseline()
	ns := env.Namespace(t)
	pod := readyPod(t, env, ns, podSpec("kiali", map[string]string{"app": "kiali"}, 20001))
	b := newBackend(t, "kiali")
	fw := &Forwarder{Config: env.Config(), Client: env.Client()}

	s, cancel := startSession(t, env, ns, fw, pod, b)
	if s.Pod() != ns+"/kiali" || !strings.HasPrefix(s.URL("/kiali"), "http://localhost:") || !strings.HasSuffix(s.URL("/kiali"), "/kiali") {
		t.Fatalf("session %s at %s", s.Pod(), s.URL("/kiali"))
	}
	for range 3 { // several requests, each on its own connection and stream
		body, hdr := get(t, s.URL("/kiali"))
		if body != "kiali says hello at /kiali" || hdr.Get("X-Backend") != "kiali" {
			t.Fatalf("through the forward: %q %v", body, hdr)
		}
	}
	select {
	case <-s.Done():
		t.Fatalf("session ended by itself: %v", s.Wait())
	default:
	}
	assertOpen(t, s)
	// The leak check itself: it sees the goroutines of a running session.
	if err := goleak.Find(append([]goleak.Option{base}, idleConnections...)...); err == nil || !strings.Contains(err.Error(), "(*Session).run") {
		t.Fatalf("the leak check does not see the running session: %v", err)
	}

	cancel()
	if err := s.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait after cancel = %v; want context.Canceled", err)
	}
	assertClosed(t, s)
	b.Close()
	assertNoLeaks(t, base)
}

func TestForwardEndsWhenPodIsDeleted(t *testing.T) {
	env := testenv.Get(t)
	base := goroutineBaseline()
	ns := env.Namespace(t)
	pod := readyPod(t, env, ns, podSpec("grafana", map[string]string{"app": "grafana"}, 20001))
	fw := &Forwarder{Config: env.Config(), Client: env.Client()}
	b := newBackend(t, "grafana")
	s, _ := startSession(t, env, ns, fw, pod, b)
	get(t, s.URL("/"))

	if err := env.Client().CoreV1().Pods(ns).Delete(t.Context(), pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	err := s.Wait()
	var gone *PodGoneError
	if !errors.As(err, &gone) || gone.Name != "grafana" {
		t.Fatalf("Wait after the pod was deleted = %v; want a *PodGoneError", err)
	}
	if !strings.Contains(err.Error(), "pod "+ns+"/grafana ") || !strings.Contains(err.Error(), "run the command again") {
		t.Fatalf("message: %s", err)
	}
	assertClosed(t, s)
	b.Close()
	assertNoLeaks(t, base)
}

// cutter is a TCP proxy in front of the API server whose connections the test can cut: what the client sees
// when the API server (or a load balancer in front of it) drops a port-forward stream.
type cutter struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
	once  sync.Once
}

func newCutter(t *testing.T, target string) *cutter {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{l: l}
	t.Cleanup(c.close)
	c.wg.Go(func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			c.mu.Lock()
			c.conns = append(c.conns, in, out)
			c.mu.Unlock()
			c.wg.Go(func() { _, _ = io.Copy(out, in); out.Close() })
			c.wg.Go(func() { _, _ = io.Copy(in, out); in.Close() })
		}
	})
	return c
}

// close stops the proxy and waits for its goroutines.
func (c *cutter) close() {
	c.once.Do(func() {
		c.l.Close()
		c.cut()
		c.wg.Wait()
	})
}

func (c *cutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		conn.Close()
	}
	c.conns = nil
}

func TestForwardEndsWhenStreamCloses(t *testing.T) {
	env := testenv.Get(t)
	base := goroutineBaseline()
	ns := env.Namespace(t)
	pod := readyPod(t, env, ns, podSpec("jaeger", map[string]string{"app": "jaeger"}, 20001))

	cfg := env.Config()
	apiserver := strings.TrimPrefix(cfg.Host, "https://")
	c := newCutter(t, apiserver)
	cfg.Host = "https://" + c.l.Addr().String()
	if host, _, err := net.SplitHostPort(apiserver); err == nil {
		cfg.TLSClientConfig.ServerName = host // the certificate names the API server's address, not the cutter's
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fw := &Forwarder{Config: cfg, Client: client}
	b := newBackend(t, "jaeger")
	s, _ := startSession(t, env, ns, fw, pod, b)
	get(t, s.URL("/"))

	c.cut()
	err = s.Wait()
	var lost *LostConnectionError
	if !errors.As(err, &lost) || lost.Name != "jaeger" {
		t.Fatalf("Wait after the stream was cut = %v; want a *LostConnectionError", err)
	}
	if !strings.Contains(err.Error(), "the API server closed the stream") {
		t.Fatalf("message: %s", err)
	}
	assertClosed(t, s)
	b.Close()
	c.close()
	assertNoLeaks(t, base)
}

func TestForwardBusyPort(t *testing.T) {
	env := testenv.Get(t)
	base := goroutineBaseline()
	ns := env.Namespace(t)
	pod := readyPod(t, env, ns, podSpec("prometheus", map[string]string{"app": "prometheus"}, 20001))
	busy := hold(t)
	fw := &Forwarder{Config: env.Config(), Client: env.Client()}

	_, err := fw.Start(t.Context(), pod, ForwardOptions{LocalPort: busy, RemotePort: 20001})
	var inUse *PortInUseError
	if !errors.As(err, &inUse) || inUse.Port != busy {
		t.Fatalf("Start on a busy port = %v; want a *PortInUseError", err)
	}

	// Two sessions side by side, each on its own port; one falls back from the busy port.
	b := newBackend(t, "prometheus")
	env.PortForward(t, ns, pod.Name, 20001, b.addr())
	s1, err := fw.Start(t.Context(), pod, ForwardOptions{LocalPort: busy, FallbackToFreePort: true, RemotePort: 20001})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := fw.Start(t.Context(), pod, ForwardOptions{Address: "127.0.0.1", RemotePort: 20001})
	if err != nil {
		t.Fatal(err)
	}
	if s1.LocalPort() == busy || s1.LocalPort() == s2.LocalPort() {
		t.Fatalf("ports %d and %d (busy %d)", s1.LocalPort(), s2.LocalPort(), busy)
	}
	get(t, s1.URL("/a"))
	get(t, s2.URL("/b"))
	if err := s1.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v", err)
	}
	assertClosed(t, s1)
	assertOpen(t, s2) // closing one leaves the other running
	get(t, s2.URL("/c"))
	if err := s2.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v", err)
	}
	assertClosed(t, s2)
	b.Close()
	assertNoLeaks(t, base)
}

// TestForwardEndsWhenPodRefuses: when the pod's port refuses a connection, client-go ends the whole
// forward (kubectl port-forward does the same); the session says so instead of hanging.
func TestForwardEndsWhenPodRefuses(t *testing.T) {
	env := testenv.Get(t)
	base := goroutineBaseline()
	ns := env.Namespace(t)
	pod := readyPod(t, env, ns, podSpec("zipkin", map[string]string{"app": "zipkin"}, 20001))
	b := newBackend(t, "zipkin")
	fw := &Forwarder{Config: env.Config(), Client: env.Client()}
	s, _ := startSession(t, env, ns, fw, pod, b)
	get(t, s.URL("/"))

	b.Close() // the UI in the pod stops listening
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Get(s.URL("/")); err == nil {
		resp.Body.Close()
	}
	var lost *LostConnectionError
	if err := s.Wait(); !errors.As(err, &lost) || !strings.Contains(err.Error(), "refused a connection") {
		t.Fatalf("Wait = %v; want a *LostConnectionError", err)
	}
	assertClosed(t, s)
	assertNoLeaks(t, base)
}
