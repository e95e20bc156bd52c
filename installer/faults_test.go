package installer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/profiles"
)

// meshState is what an interrupted run followed by a re-run must leave exactly as an uninterrupted run
// does: every object meshctl applied (it carries the mesh's labels and meshctl's field manager applied
// it), by its labels, the annotations meshctl sets and its content (all but metadata and status), and the
// installed-state record with its status. Values the cluster assigns (a Service's cluster IP and node
// ports) and annotations controllers write (deployment.kubernetes.io/revision) are left out.
func meshState(t *testing.T, env *testenv.Env) map[string]string {
	t.Helper()
	dyn, err := quietDynamic(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	err = eachObject(context.Background(), env.Client().Discovery(), dyn, func(r listable, u *unstructured.Unstructured) {
		if !strings.HasPrefix(meshObject(r, u), "label ") || !appliedByMeshctl(u) {
			return
		}
		content := map[string]any{}
		for k, v := range u.Object {
			if k != "metadata" && (k != "status" || r.Kind == "IstioOperator") {
				content[k] = v
			}
		}
		unstructured.RemoveNestedField(content, "spec", "clusterIP")
		unstructured.RemoveNestedField(content, "spec", "clusterIPs")
		unstructured.RemoveNestedField(content, "spec", "healthCheckNodePort")
		if ports, ok, _ := unstructured.NestedSlice(content, "spec", "ports"); ok {
			for _, p := range ports {
				if m, ok := p.(map[string]any); ok {
					delete(m, "nodePort")
				}
			}
			_ = unstructured.SetNestedSlice(content, ports, "spec", "ports")
		}
		ann := map[string]string{}
		for k, v := range u.GetAnnotations() {
			if !strings.Contains(k, "kubernetes.io/") {
				ann[k] = v
			}
		}
		b, err := json.Marshal([]any{u.GetLabels(), ann, content})
		if err != nil {
			t.Fatal(err)
		}
		out[objectID(r, u)] = string(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// appliedByMeshctl: meshctl's field manager applied the object. Endpoints and pods copy the mesh's labels
// from their Services and Deployments but belong to their controllers.
func appliedByMeshctl(u *unstructured.Unstructured) bool {
	for _, e := range u.GetManagedFields() {
		if e.Manager == installer.FieldManager && e.Operation == "Apply" {
			return true
		}
	}
	return false
}

// stateDiff lists the objects that differ between two meshStates.
func stateDiff(want, got map[string]string) []string {
	var out []string
	for k, v := range want {
		switch g, ok := got[k]; {
		case !ok:
			out = append(out, "missing "+k)
		case g != v:
			out = append(out, "differs "+k+":\n    want "+v+"\n    got  "+g)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, "extra "+k)
		}
	}
	sort.Strings(out)
	return out
}

// interruption is how a run is stopped at a phase boundary.
type interruption string

const (
	ctrlC  interruption = "ctrl-c" // the context is cancelled, as by Ctrl-C
	cut    interruption = "cut"    // every connection is cut and new ones are refused until the run fails
	paused interruption = "paused" // the API server is paused for a few seconds; the run goes on
)

// interrupter stops a run at its at-th phase boundary; phases records the boundaries it crossed.
type interrupter struct {
	t      *testing.T
	env    *testenv.Env
	proxy  *testenv.FaultProxy
	at     int
	how    interruption
	cancel context.CancelFunc
	phases []string
	fired  string
}

func (in *interrupter) hook(ctx context.Context, phase string) error {
	i := len(in.phases)
	in.phases = append(in.phases, phase)
	if i != in.at {
		return nil
	}
	in.fired = phase
	switch in.how {
	case ctrlC:
		in.cancel()
		return ctx.Err()
	case cut:
		in.proxy.Set(testenv.Refuse)
	case paused:
		resume := in.env.PauseAPIServer(in.t)
		time.AfterFunc(3*time.Second, resume)
	}
	return nil
}

// run runs op (an install or uninstall given the hook and context) interrupted as in says, then again
// without interruption, and returns the report of the interrupted run's failure (nil if it did not fail).
func (in *interrupter) run(name string, op func(ctx context.Context, hook installer.PhaseHook, rec *recorder) error) *installer.Report {
	t := in.t
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	in.cancel, in.phases, in.fired = cancel, nil, ""
	rec := &recorder{}
	err := op(ctx, in.hook, rec)
	in.proxy.Set(testenv.Pass)
	var report *installer.Report
	if err != nil {
		for _, e := range rec.events {
			if e.Type == installer.EventFailed {
				report = e.Report
			}
		}
		if report == nil {
			t.Fatalf("%s interrupted (%s) before %s failed without a report: %v", name, in.how, in.fired, err)
		}
		t.Logf("%s interrupted (%s) before %s: %v\n%s", name, in.how, in.fired, err, rec)
	}
	if in.how == ctrlC && in.fired != "" {
		if !errors.Is(err, context.Canceled) || report.FailedPhase != in.fired || !strings.Contains(report.Next, "Re-running the same") {
			t.Errorf("%s cancelled before %s: err %v, report %+v", name, in.fired, err, report)
		}
	}
	if in.how == cut && in.fired != "" && (err == nil || !strings.Contains(report.Next, "Once the API server answers again")) {
		t.Errorf("%s with connections cut before %s: err %v, report %+v", name, in.fired, err, report)
	}
	rec2 := &recorder{}
	if err := op(t.Context(), nil, rec2); err != nil {
		t.Fatalf("%s re-run after the interruption (%s) before %s: %v\n%s", name, in.how, in.fired, err, rec2)
	}
	return report
}

// TestInterruptedRunsConverge: install (demo), upgrade (demo → default) and uninstall --purge, each
// interrupted at every phase boundary, then run again, end exactly as an uninterrupted run does: the same
// objects, labels and installed-state, and nothing left by purge (the tests' own sweep). Every boundary of
// the three is interrupted, by Ctrl-C, a paused API server or cut connections in turn; an upgrade (both
// ways) meets a paused API server and cut connections at every boundary.
func TestInterruptedRunsConverge(t *testing.T) {
	env := testenv.Get(t)
	proxy := env.FaultProxy(t)
	c, err := installer.NewClients(proxy.Config())
	if err != nil {
		t.Fatal(err)
	}
	cleanupPurge(t, clients(t, env))
	opDemo, mDemo := resolve(t, "profile=demo")
	opDefault, mDefault := resolve(t, "profile=default")
	installOp := func(op *profiles.IstioOperator, m *render.Manifest) func(ctx context.Context, hook installer.PhaseHook, rec *recorder) error {
		return func(ctx context.Context, hook installer.PhaseHook, rec *recorder) error {
			_, err := installer.Install(ctx, installer.InstallOptions{Clients: c, Manifest: m, Operator: op, Version: testVersion,
				Progress: rec, ReadinessTimeout: time.Minute, PhaseHook: hook})
			return err
		}
	}
	purgeOp := func(ctx context.Context, hook installer.PhaseHook, rec *recorder) error {
		_, err := installer.Uninstall(ctx, installer.UninstallOptions{Clients: c, Purge: true, Timeout: time.Minute, Progress: rec, PhaseHook: hook})
		return err
	}

	// The uninterrupted runs: the states to reach and the phase boundaries to interrupt at.
	in := &interrupter{t: t, env: env, proxy: proxy, at: -1, how: ctrlC}
	in.run("install demo", installOp(opDemo, mDemo))
	wantDemo, installPhases := meshState(t, env), in.phases
	in.run("upgrade to default", installOp(opDefault, mDefault))
	wantDefault, upgradePhases := meshState(t, env), in.phases
	in.run("uninstall --purge", purgeOp)
	purgePhases := in.phases
	if left := leftovers(t, env); len(left) > 0 {
		t.Fatalf("uninterrupted purge left %v", left)
	}
	t.Logf("boundaries: install %v; upgrade %v; purge %v", installPhases, upgradePhases, purgePhases)

	type step struct {
		name  string
		op    func(ctx context.Context, hook installer.PhaseHook, rec *recorder) error
		n     int
		check func(string)
	}
	check := func(name string, want map[string]string) func(string) {
		return func(how string) {
			if d := stateDiff(want, meshState(t, env)); len(d) > 0 {
				t.Errorf("%s interrupted %s, then re-run: the state differs from an uninterrupted run's:\n  %s", name, how, strings.Join(d, "\n  "))
			}
		}
	}
	steps := []step{
		{"install demo", installOp(opDemo, mDemo), len(installPhases), check("install demo", wantDemo)},
		{"upgrade to default", installOp(opDefault, mDefault), len(upgradePhases), check("upgrade", wantDefault)},
		{"uninstall --purge", purgeOp, len(purgePhases), func(how string) {
			if left := leftovers(t, env); len(left) > 0 {
				t.Errorf("uninstall --purge interrupted %s, then re-run, left:\n  %s", how, strings.Join(left, "\n  "))
			}
		}},
	}
	// Every boundary of the three, from a clean cluster each time, the interruption rotating through
	// Ctrl-C, a paused API server and cut connections, so that each operation meets all three.
	kinds := []interruption{ctrlC, paused, cut}
	for k := 0; k < max(len(installPhases), len(upgradePhases), len(purgePhases)); k++ {
		for i, s := range steps {
			at := -1
			if k < s.n {
				at = k
			}
			how := kinds[(k+i)%len(kinds)]
			in := &interrupter{t: t, env: env, proxy: proxy, at: at, how: how}
			in.run(s.name, s.op)
			s.check(fmt.Sprintf("(%s) at boundary %d (%s)", how, k, in.fired))
			if t.Failed() {
				return
			}
		}
	}

	// A paused API server and cut connections at every boundary of an upgrade, each way (demo → default
	// with the API server paused, default → demo with the connections cut), which needs no purge between
	// runs.
	if err := steps[0].op(t.Context(), nil, &recorder{}); err != nil {
		t.Fatalf("install demo: %v", err)
	}
	in = &interrupter{t: t, env: env, proxy: proxy, at: -1, how: ctrlC}
	in.run("upgrade to default", installOp(opDefault, mDefault))
	in.run("downgrade to demo", installOp(opDemo, mDemo))
	downgradePhases := in.phases
	for k := 0; k < max(len(upgradePhases), len(downgradePhases)); k++ {
		for _, s := range []step{
			{"upgrade to default", installOp(opDefault, mDefault), len(upgradePhases), check("upgrade", wantDefault)},
			{"downgrade to demo", installOp(opDemo, mDemo), len(downgradePhases), check("downgrade", wantDemo)},
		} {
			how := paused
			if s.name == "downgrade to demo" {
				how = cut
			}
			at := -1
			if k < s.n {
				at = k
			}
			in := &interrupter{t: t, env: env, proxy: proxy, at: at, how: how}
			in.run(s.name, s.op)
			s.check(fmt.Sprintf("(%s) at boundary %d (%s)", how, k, in.fired))
			if t.Failed() {
				return
			}
		}
	}
}
