package installer

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Report is what a failed install or uninstall had done when it failed, and what to do next. The failed
// progress event carries it in every output mode: re-running is safe only if the user knows it is.
type Report struct {
	// PhasesDone are the phases that finished, in order; FailedPhase is the one that did not.
	PhasesDone  []string `json:"phasesDone"`
	FailedPhase string   `json:"failedPhase,omitempty"`
	// Applied counts objects applied (created, configured or found up to date); Changed those of them
	// that were written; Deleted objects deleted or pruned.
	Applied int `json:"applied"`
	Changed int `json:"changed"`
	Deleted int `json:"deleted"`
	// Reason is the error's first line.
	Reason string `json:"reason"`
	// Next says what to do: for most failures, re-run the same command.
	Next string `json:"next"`
}

// String is the report as the plain log and the spinner print it under the failure line.
func (r *Report) String() string {
	done := "no phase"
	if len(r.PhasesDone) > 0 {
		done = "phases " + strings.Join(r.PhasesDone, ", ")
	}
	return fmt.Sprintf("Done before the failure: %s; %d object(s) applied (%d changed), %d deleted\n%s",
		done, r.Applied, r.Changed, r.Deleted, r.Next)
}

// failure builds the failed event of an operation that stopped with err.
func (em *emitter) failure(ctx context.Context, title string, err error, dryRun bool) Event {
	em.mu.Lock()
	r := &Report{PhasesDone: append([]string{}, em.done...), FailedPhase: em.current, Applied: em.applied,
		Changed: em.changed, Deleted: em.deleted, Reason: firstLine(err.Error())}
	em.mu.Unlock()
	if r.PhasesDone == nil {
		r.PhasesDone = []string{}
	}
	r.Next = nextStep(ctx, em.op, err, r, dryRun)
	msg := title + " failed"
	if r.FailedPhase != "" {
		msg += " in phase " + r.FailedPhase
	}
	return Event{Type: EventFailed, Message: msg + ": " + r.Reason, Report: r}
}

// nextStep is the advice of a report. Install applies with server-side apply and prunes by owner labels,
// and uninstall finds its objects by label, so running either again after any failure converges on what
// an uninterrupted run gives: the advice says so, and adds what must be fixed first when a re-run alone
// would fail the same way.
func nextStep(ctx context.Context, op string, err error, r *Report, dryRun bool) string {
	cmd := "meshctl " + op
	rerun := fmt.Sprintf("Re-running the same %s command is safe: it converges on what an uninterrupted run gives", cmd)
	if op == "uninstall" {
		rerun = fmt.Sprintf("Re-running the same %s command is safe: it finds what is left and removes it", cmd)
	}
	var (
		forbidden *ForbiddenError
		notReady  *NotReadyError
		foreign   *ForeignInstallError
		webhook   *WebhookConflictError
	)
	switch {
	case dryRun:
		return "Nothing was changed (dry run)."
	case errors.As(err, &foreign), errors.As(err, &webhook):
		return "Nothing was changed."
	case errors.As(err, &forbidden):
		if r.Changed == 0 && r.Deleted == 0 {
			return "Nothing was changed. Once the permissions above are granted, run the command again."
		}
		return "Once the permissions above are granted: " + lower(rerun) + "."
	case errors.As(err, &notReady):
		return "Every object is applied; fix what keeps the objects above from becoming ready, then re-run the command or `meshctl verify-install`."
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return "Interrupted. " + rerun + "."
	case isUnreachable(err):
		return "Once the API server answers again: " + lower(rerun) + "."
	}
	return rerun + "."
}

func lower(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
