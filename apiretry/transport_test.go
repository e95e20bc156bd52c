package apiretry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

var fast = wait.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 6}

// server answers with status codes from script in turn, then 200 with an empty list.
func server(t *testing.T, script func(n int, w http.ResponseWriter, r *http.Request) bool) (*rest.Config, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1))
		if script(i, w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[]}`))
	}))
	t.Cleanup(srv.Close)
	cfg := &rest.Config{Host: srv.URL}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &Transport{Next: rt, Backoff: fast} })
	return cfg, &n
}

func status(w http.ResponseWriter, code int, reason metav1.StatusReason, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"` + string(reason) + `","code":` + strconv.Itoa(code) + `}`))
}

func list(t *testing.T, cfg *rest.Config) error {
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{})
	return err
}

func TestRetriesTransientThenSucceeds(t *testing.T) {
	cfg, n := server(t, func(i int, w http.ResponseWriter, r *http.Request) bool {
		switch i {
		case 1:
			status(w, 500, metav1.StatusReasonInternalError, "")
		case 2:
			status(w, 503, metav1.StatusReasonServiceUnavailable, "")
		default:
			return false
		}
		return true
	})
	if err := list(t, cfg); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 3 {
		t.Errorf("%d requests, want 3", n.Load())
	}
}

// A 429's Retry-After is waited for: the retry comes no sooner than it asks.
func TestHonoursRetryAfter(t *testing.T) {
	var first, second time.Time
	cfg, _ := server(t, func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i == 1 {
			first = time.Now()
			status(w, 429, metav1.StatusReasonTooManyRequests, "1")
			return true
		}
		second = time.Now()
		return false
	})
	if err := list(t, cfg); err != nil {
		t.Fatal(err)
	}
	if second.Sub(first) < time.Second {
		t.Errorf("retried %v after a Retry-After of 1s", second.Sub(first))
	}
}

// Out of attempts: exactly Steps requests reach the server, client-go adds none of its own (the
// Retry-After is taken off the last answer), and the error is the server's.
func TestGivesUpWithoutMultiplying(t *testing.T) {
	cfg, n := server(t, func(i int, w http.ResponseWriter, r *http.Request) bool {
		status(w, 503, metav1.StatusReasonServiceUnavailable, "0")
		return true
	})
	err := list(t, cfg)
	if !apierrors.IsServiceUnavailable(err) {
		t.Fatalf("err = %v", err)
	}
	if int(n.Load()) != fast.Steps {
		t.Errorf("%d requests, want %d", n.Load(), fast.Steps)
	}
}

func TestNotTransientNotRetried(t *testing.T) {
	for _, code := range []int{403, 422, 400} {
		cfg, n := server(t, func(i int, w http.ResponseWriter, r *http.Request) bool {
			status(w, code, metav1.StatusReasonForbidden, "")
			return true
		})
		if err := list(t, cfg); err == nil {
			t.Fatalf("%d: no error", code)
		}
		if n.Load() != 1 {
			t.Errorf("%d: %d requests, want 1", code, n.Load())
		}
	}
}

// A cut connection: retried for a GET, which then gives up with a one-line GaveUpError that client-go
// does not retry again.
func TestConnectionCut(t *testing.T) {
	cfg, n := server(t, func(i int, w http.ResponseWriter, r *http.Request) bool {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return true
		}
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
		return true
	})
	err := list(t, cfg)
	var g *GaveUpError
	if !errors.As(err, &g) || g.Kind != Reset || !IsUnreachable(err) {
		t.Fatalf("err = %#v", err)
	}
	if int(n.Load()) != fast.Steps {
		t.Errorf("%d requests, want %d", n.Load(), fast.Steps)
	}
}

// A cancelled context stops the retries at once.
func TestContextStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg, n := server(t, func(i int, w http.ResponseWriter, r *http.Request) bool {
		cancel()
		status(w, 503, metav1.StatusReasonServiceUnavailable, "")
		return true
	})
	c, _ := kubernetes.NewForConfig(cfg)
	_, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests after cancel", n.Load())
	}
}

// An API server that accepts a request and never answers (paused): the attempt is abandoned after
// AttemptTimeout and sent again; a watch-like stream that has its headers is not cut.
func TestStalledAttemptRetried(t *testing.T) {
	release := make(chan struct{})
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[]}`))
	}))
	defer srv.Close()
	defer close(release)
	cfg := &rest.Config{Host: srv.URL}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		// 1 s: the second attempt must have its answer within it on a loaded machine, or a
		// third is sent.
		return &Transport{Next: rt, Backoff: fast, AttemptTimeout: time.Second}
	})
	if err := list(t, cfg); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Errorf("%d requests, want 2", n.Load())
	}
}

// A stream whose headers came in time is not cut by AttemptTimeout, however long its body takes.
func TestStreamOutlivesAttemptTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond) // three attempt timeouts
		w.Write([]byte("still here"))
	}))
	defer srv.Close()
	tr := &Transport{Next: http.DefaultTransport, Backoff: fast, AttemptTimeout: 100 * time.Millisecond}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/watch", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || string(b) != "still here" {
		t.Fatalf("body %q, %v", b, err)
	}
}

// Once a request gave up on an unreachable server, the next ones of the same config try once each; the
// first that gets through turns retries back on.
func TestBreaker(t *testing.T) {
	b := &Breaker{}
	var attempts []int
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tr := &Transport{Next: http.DefaultTransport, Backoff: fast, Breaker: b}
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+addr+"/api", nil)
		_, err := tr.RoundTrip(req)
		var g *GaveUpError
		if !errors.As(err, &g) {
			t.Fatalf("attempt %d: %v", i, err)
		}
		attempts = append(attempts, g.Attempts)
	}
	if attempts[0] != fast.Steps || attempts[1] != 1 {
		t.Errorf("attempts %v, want [%d 1]", attempts, fast.Steps)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if b.isOpen() {
		t.Error("a request that got through left the breaker open")
	}
}
