package installer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshctl/meshctl/apiretry"
)

// The failed event carries what was done before the failure, counted from the events the operation sent,
// and advice that fits the error.
func TestFailureReport(t *testing.T) {
	var got []Event
	em := newEmitter(SinkFunc(func(e Event) { got = append(got, e) }), "install")
	ctx := context.Background()
	for _, p := range []string{"preflight", "CRDs", "workloads"} {
		if err := em.phase(ctx, p, "Applying "+p); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []string{ActionCreated, ActionCreated, ActionConfigured, ActionUnchanged} {
		em.emit(Event{Type: EventObject, Action: a})
	}
	em.hook = func(ctx context.Context, phase string) error {
		return fmt.Errorf("stopped before %s: %w", phase, context.Canceled)
	}
	err := em.phase(ctx, "prune", "Pruning")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("hook error not returned: %v", err)
	}
	e := em.failure(ctx, "Installation", err, false)
	r := e.Report
	if e.Type != EventFailed || r == nil || !slices.Equal(r.PhasesDone, []string{"preflight", "CRDs", "workloads"}) ||
		r.FailedPhase != "prune" || r.Applied != 4 || r.Changed != 3 || r.Deleted != 0 {
		t.Fatalf("failed event %+v report %+v", e, r)
	}
	if !strings.HasPrefix(r.Next, "Interrupted. Re-running the same meshctl install command is safe") {
		t.Errorf("next after Ctrl-C: %q", r.Next)
	}
	if want := "Installation failed in phase prune: stopped before prune: context canceled"; e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
	if last := got[len(got)-1]; len(got) != 7 || last.Type != EventObject {
		t.Errorf("the interrupted phase was announced: %+v", got)
	}
}

func TestNextStep(t *testing.T) {
	gr := schema.GroupResource{Resource: "configmaps"}
	cases := []struct {
		name    string
		op      string
		err     error
		changed int
		want    string
	}{
		{"transient gave up", "install", fmt.Errorf("apply: %w", &apiretry.GaveUpError{Kind: apiretry.Refused, Attempts: 6}), 3, "Once the API server answers again: re-running the same meshctl install command is safe"},
		{"forbidden before writes", "install", &ForbiddenError{}, 0, "Nothing was changed."},
		{"forbidden after writes", "install", &ForbiddenError{}, 2, "Once the permissions above are granted: re-running"},
		{"not ready", "install", &NotReadyError{}, 40, "Every object is applied"},
		{"foreign", "install", &ForeignInstallError{}, 0, "Nothing was changed."},
		{"server error", "install", apierrors.NewInternalError(errors.New("boom")), 5, "Re-running the same meshctl install command is safe: it converges"},
		{"uninstall", "uninstall", apierrors.NewConflict(gr, "x", errors.New("c")), 0, "Re-running the same meshctl uninstall command is safe: it finds what is left"},
	}
	for _, tc := range cases {
		got := nextStep(context.Background(), tc.op, tc.err, &Report{Changed: tc.changed}, false)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want it to begin %q", tc.name, got, tc.want)
		}
	}
}
