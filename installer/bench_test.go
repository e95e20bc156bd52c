package installer_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/internal/testenv"
)

type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// BenchmarkNoopInstall measures an install that finds the cluster already as configured (the common
// re-run in CI): wall time, and API requests per run, which do not depend on the machine.
func BenchmarkNoopInstall(b *testing.B) {
	env := testenv.Get(b)
	var requests atomic.Int64
	cfg := env.Config()
	cfg.QPS, cfg.Burst = 100, 200
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt, &requests} }
	c, err := installer.NewClients(cfg)
	if err != nil {
		b.Fatal(err)
	}
	op, m := resolveB(b, "profile=demo")
	opts := installer.InstallOptions{Clients: c, Manifest: m, Operator: op, Version: testVersion, ReadinessTimeout: time.Minute}
	if _, err := installer.Install(b.Context(), opts); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_, _ = installer.Uninstall(context.Background(), installer.UninstallOptions{Clients: c, Purge: true, Timeout: time.Minute})
	})
	requests.Store(0)
	b.ResetTimer()
	runs := 0
	for b.Loop() {
		res, err := installer.Install(b.Context(), opts)
		if err != nil || res.Changed {
			b.Fatalf("no-op install: changed=%v err=%v", res != nil && res.Changed, err)
		}
		runs++
	}
	b.ReportMetric(float64(requests.Load())/float64(runs), "requests/op")
}
