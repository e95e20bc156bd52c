package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/meshctl/meshctl/controlplane/metrics"
	"github.com/meshctl/meshctl/controlplane/server"
	"github.com/meshctl/meshctl/internal/freeaddr"
)

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--log-level", "loud"},
		{"--tls-cert-file", "c.pem"},
		{"--debounce-after", "1s", "--debounce-max", "10ms"},
		{"extra"},
		{"--no-such-flag"},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, &bytes.Buffer{}, &stderr, server.NewBackend); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, stderr.String())
		}
	}
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, &stdout, &bytes.Buffer{}, server.NewBackend); code != exitOK || stdout.Len() == 0 {
		t.Errorf("--version: exit %d, %q", code, stdout.String())
	}
}

// The flags reach the server; cancelling the context, as SIGTERM does, stops it with exit 0.
func TestServesUntilCancelled(t *testing.T) {
	a := freeaddr.Loopback(t, 3)
	ready := a[2]
	args := []string{"--xds-addr", a[0], "--secure-xds-addr", "", "--monitoring-addr", a[1], "--ready-addr", ready,
		"--kubeconfig", "/nonexistent", "--no-security", "--log-level", "debug", "--debounce-after", "50ms"}
	var gotConfigErr error
	backend := func(restConfig func() (*rest.Config, error), m *metrics.Metrics, log *slog.Logger) (*server.Backend, error) {
		_, gotConfigErr = restConfig()
		return server.EmptyBackend(), nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, &bytes.Buffer{}, &stderr, backend) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + ready + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("/ready: %d", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
	if gotConfigErr == nil || !strings.Contains(gotConfigErr.Error(), "/nonexistent") {
		t.Errorf("--kubeconfig did not reach the client configuration: %v", gotConfigErr)
	}
	if !strings.Contains(stderr.String(), `"msg":"shutting down"`) {
		t.Errorf("no JSON shutdown log line:\n%s", stderr.String())
	}
}
