package debug

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/meshctl/meshctl/controlplane/metrics"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

func TestReadyOnlyWhenSynced(t *testing.T) {
	var synced atomic.Bool
	h := Readiness(func() error {
		if !synced.Load() {
			return errors.New("no CA loaded yet")
		}
		return nil
	})
	if code, body := get(t, h, "/ready"); code != http.StatusServiceUnavailable || !strings.Contains(body, "no CA loaded yet") {
		t.Errorf("before sync: %d %q, want 503 naming the reason", code, body)
	}
	synced.Store(true)
	if code, _ := get(t, h, "/ready"); code != http.StatusOK {
		t.Errorf("after sync: %d, want 200", code)
	}
}

func TestMonitoringEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	m.RegEvent("Services", "add")
	m.Pushes.WithLabelValues("cds").Inc()
	h := Monitoring(Sources{
		Gatherer: reg,
		Version:  map[string]string{"version": "1.2.3"},
		Syncz:    func() any { return []map[string]any{{"proxy": "sidecar~10.0.0.1~a.ns~ns.svc.cluster.local"}} },
		Configz:  func() any { return []string{"VirtualService/ns/reviews"} },
		ConfigDump: func(id string) (proto.Message, error) {
			if id != "a.ns" {
				return nil, fmt.Errorf("proxy %q: %w", id, ErrNotFound)
			}
			return &adminv3.ConfigDump{}, nil
		},
	})
	tests := []struct {
		path string
		code int
		want string
	}{
		{"/metrics", 200, `pilot_info{version="1.2.3"} 1`},
		{"/metrics", 200, `pilot_k8s_reg_events{event="add",type="Services"} 1`},
		{"/metrics", 200, `pilot_xds_pushes{type="cds"} 1`},
		{"/version", 200, `"version": "1.2.3"`},
		{"/debug/syncz", 200, `sidecar~10.0.0.1~a.ns~ns.svc.cluster.local`},
		{"/debug/configz", 200, `VirtualService/ns/reviews`},
		{"/debug/registryz", 200, `[]`},
		{"/debug/endpointz", 200, `[]`},
		{"/debug/push_status", 200, `[]`},
		{"/debug/config_dump", 400, `proxyID`},
		{"/debug/config_dump?proxyID=b.ns", 404, `not found`},
		{"/debug/config_dump?proxyID=a.ns", 200, `{`},
	}
	for _, tc := range tests {
		code, body := get(t, h, tc.path)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d %q, want %d containing %q", tc.path, code, body, tc.code, tc.want)
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", ErrNotFound), ErrNotFound) {
		t.Fatal("ErrNotFound does not wrap")
	}
}
