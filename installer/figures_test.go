package installer_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/internal/testenv"
)

// TestFaultFigures upgrades demo to default through the fault proxy once cleanly and once per fault,
// injected when the workloads phase begins and ended a few seconds later (a clean downgrade to demo
// follows each, so that no purge is needed between them). Each faulted install must succeed, and must
// not send more than twice the requests of the clean one: retries must not multiply the load on a
// struggling API server. It logs, per fault, the requests sent and the time from the fault's end to the
// install's success: the figures of docs/install.md.
func TestFaultFigures(t *testing.T) {
	env := testenv.Get(t)
	proxy := env.FaultProxy(t)
	proxy.Delay = 2 * time.Second
	c, err := installer.NewClients(proxy.Config())
	if err != nil {
		t.Fatal(err)
	}
	cleanupPurge(t, clients(t, env))
	op, m := resolve(t, "profile=default")
	demoOp, demoM := resolve(t, "profile=demo")
	demo := func() {
		if _, err := installer.Install(t.Context(), installer.InstallOptions{Clients: c, Manifest: demoM, Operator: demoOp,
			Version: testVersion, ReadinessTimeout: time.Minute}); err != nil {
			t.Fatalf("install demo: %v", err)
		}
	}

	const faultFor = 3 * time.Second
	faults := []struct {
		name   string
		inject func() (end func())
	}{
		{"none", nil},
		{"API server paused", func() func() { return env.PauseAPIServer(t) }},
		{"connections refused", func() func() { proxy.Set(testenv.Refuse); return func() { proxy.Set(testenv.Pass) } }},
		{"connections reset", func() func() { proxy.Set(testenv.Reset); return func() { proxy.Set(testenv.Pass) } }},
		{"connections dropped", func() func() { proxy.Set(testenv.Drop); return func() { proxy.Set(testenv.Pass) } }},
		{"429 Retry-After: 1", func() func() { proxy.Set(testenv.Throttle); return func() { proxy.Set(testenv.Pass) } }},
		{"2s delay per request", func() func() { proxy.Set(testenv.Delay); return func() { proxy.Set(testenv.Pass) } }},
	}
	var clean int64
	for _, f := range faults {
		demo()
		var (
			mu       sync.Mutex
			faultEnd time.Time
			timer    *time.Timer
			end      func()
		)
		hook := func(ctx context.Context, phase string) error {
			if phase == "workloads" && f.inject != nil {
				end = f.inject()
				timer = time.AfterFunc(faultFor, func() {
					end()
					mu.Lock()
					faultEnd = time.Now()
					mu.Unlock()
				})
			}
			return nil
		}
		before, faultedBefore := proxy.Requests(), proxy.Faulted()
		rec := &recorder{}
		_, err := installer.Install(t.Context(), installer.InstallOptions{Clients: c, Manifest: m, Operator: op, Version: testVersion,
			Progress: rec, ReadinessTimeout: time.Minute, PhaseHook: hook})
		done := time.Now()
		if timer != nil && timer.Stop() {
			end()
			t.Errorf("%s: the upgrade finished while the fault lasted", f.name)
		}
		requests, faulted := proxy.Requests()-before, proxy.Faulted()-faultedBefore
		mu.Lock()
		after := "-"
		if !faultEnd.IsZero() {
			after = done.Sub(faultEnd).Round(10 * time.Millisecond).String()
		}
		mu.Unlock()
		if err != nil {
			t.Errorf("%s: upgrade failed: %v\n%s", f.name, err, rec)
		}
		if f.inject == nil {
			clean = requests
		} else if requests > 2*clean {
			t.Errorf("%s: %d requests, more than twice the clean upgrade's %d", f.name, requests, clean)
		}
		t.Logf("FIGURE fault=%q requests=%d (faulted %d, clean %d) fault-end-to-success=%s", f.name, requests, faulted, clean, after)
	}
}
