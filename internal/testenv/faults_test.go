package testenv

import (
	"context"
	"errors"

	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestFaultProxy: each fault does what it says to a client that does not retry, the proxy counts the
// requests it sees, and Pass restores service.
func TestFaultProxy(t *testing.T) {
	env := Get(t)
	p := env.FaultProxy(t)
	cfg := p.Config()
	cfg.Timeout = 10 * time.Second
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	get := func() error {
		_, err := c.CoreV1().Namespaces().Get(context.Background(), "default", metav1.GetOptions{})
		return err
	}
	before := p.Requests()
	if err := get(); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	if n := p.Requests() - before; n != 1 {
		t.Errorf("one Get counted as %d requests", n)
	}

	p.Set(Throttle)
	p.RetryAfter = 0 // client-go would wait and retry a Retry-After itself
	if err := get(); !apierrors.IsTooManyRequests(err) {
		t.Errorf("Throttle: %v, want 429", err)
	}

	p.Set(Refuse)
	if err := get(); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Refuse: %v, want connection refused", err)
	}
	p.Set(Reset)
	if err := get(); err == nil || apierrors.ReasonForError(err) != "" {
		t.Errorf("Reset: %v, want a broken connection", err)
	}
	p.Set(Drop)
	if err := get(); err == nil {
		t.Error("Drop: the request got an answer")
	}
	p.Set(Pass)
	if err := get(); err != nil {
		t.Errorf("after Pass: %v", err)
	}
}

// TestPauseAPIServer: a paused API server answers nothing until resumed; the request waiting meanwhile
// then completes.
func TestPauseAPIServer(t *testing.T) {
	env := Get(t)
	cfg := env.Config()
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	resume := env.PauseAPIServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_, err = c.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("paused: %v, want the deadline", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.CoreV1().Namespaces().Get(context.Background(), "default", metav1.GetOptions{})
		done <- err
	}()
	resume()
	if err := <-done; err != nil {
		t.Errorf("after resume: %v", err)
	}
}
