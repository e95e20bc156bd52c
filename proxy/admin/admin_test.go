package admin_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshctl/meshctl/proxy/admin"
	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/proxytest"
	"github.com/meshctl/meshctl/proxy/stats"
)

func body(t *testing.T, h http.Handler, method, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code, rec.Body.String()
}

func TestAdminEndpoints(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := stats.NewRecorder(stats.Workload{Name: "productpage-v1", Namespace: "default", App: "productpage", Version: "v1"})
	m := listener.New(ctx, listener.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Observe: rec.Observe})
	defer m.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(rec, stats.Envoy{Proxy: m})
	level := new(slog.LevelVar)
	quit := make(chan struct{}, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app_requests_total 7\n") }))
	defer app.Close()
	s := &admin.Server{Proxy: m, Metrics: reg, Level: level, Quit: func() { quit <- struct{}{} }, AppMetrics: &admin.AppMetrics{URL: app.URL + "/metrics"}}
	a, health, status := s.Admin(), s.Health(), s.Status()

	if code, _ := body(t, health, "GET", "/healthz/ready"); code != 503 {
		t.Errorf("ready before any configuration: %d, want 503", code)
	}
	if code, b := body(t, a, "GET", "/ready"); code != 503 || !strings.Contains(b, "PRE_INITIALIZING") {
		t.Errorf("/ready before any configuration: %d %q", code, b)
	}
	b1 := proxytest.NewBackend(t, "reviews-v1")
	c := proxytest.Cluster("outbound|9080||reviews.default.svc.cluster.local", b1)
	c.Limits.MaxConnections = 3
	if err := m.Apply(&ir.Config{Clusters: proxytest.Clusters(c),
		Listeners: []*ir.Listener{proxytest.HTTPListener("0.0.0.0_9080", proxytest.Routes("9080", proxytest.To(c.Name)))}}); err != nil {
		t.Fatal(err)
	}
	if code, _ := body(t, health, "GET", "/healthz/ready"); code != 200 {
		t.Errorf("ready after the configuration: %d, want 200", code)
	}
	p := &proxytest.Proxy{Manager: m}
	for i := 0; i < 3; i++ {
		p.Get(t, "0.0.0.0_9080", "reviews", "/")
	}
	_, clusters := body(t, a, "GET", "/clusters")
	for _, want := range []string{
		c.Name + "::default_priority::max_connections::3",
		c.Name + "::" + b1.Addr() + "::rq_total::3",
		c.Name + "::" + b1.Addr() + "::health_flags::healthy",
	} {
		if !strings.Contains(clusters, want+"\n") {
			t.Errorf("/clusters lacks %q:\n%s", want, clusters)
		}
	}
	if _, l := body(t, a, "GET", "/listeners"); !strings.HasPrefix(l, "0.0.0.0_9080::127.0.0.1:") {
		t.Errorf("/listeners: %q", l)
	}
	_, metrics := body(t, status, "GET", "/stats/prometheus")
	for _, want := range []string{
		`istio_requests_total{connection_security_policy="none",destination_app="unknown"`,
		`destination_service="reviews.default.svc.cluster.local",destination_service_name="reviews",destination_service_namespace="default"`,
		`reporter="source",request_protocol="http",response_code="200",response_flags="-",source_app="productpage"`,
		`envoy_cluster_upstream_rq_total{cluster_name="` + c.Name + `"} 3`,
		"app_requests_total 7",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("merged metrics lack %q", want)
		}
	}
	if code, _ := body(t, a, "POST", "/logging?level=debug"); code != 200 || level.Level() != slog.LevelDebug {
		t.Errorf("/logging?level=debug: %d, level %v", code, level.Level())
	}
	if code, _ := body(t, a, "POST", "/logging?level=chatty"); code != 400 {
		t.Errorf("/logging with an unknown level: %d, want 400", code)
	}
	if code, _ := body(t, a, "GET", "/quitquitquit"); code != 405 {
		t.Errorf("GET /quitquitquit: %d, want 405", code)
	}
	body(t, a, "POST", "/quitquitquit")
	select {
	case <-quit:
	default:
		t.Error("POST /quitquitquit did not ask the process to quit")
	}
	if code, page := body(t, a, "GET", "/"); code != 200 || !strings.Contains(page, "config_dump") {
		t.Errorf("index: %d", code)
	}
}
