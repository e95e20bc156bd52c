package installer

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/meshctl/meshctl/apiretry"
)

// pollInterval is how often waits look again. Half a second keeps a fast cluster's install short without
// loading the API server: a demo install waits for about ten objects.
const pollInterval = 500 * time.Millisecond

// componentWait is what one component waits for, in install order.
type componentWait struct {
	Title  string
	Checks []readyCheck
}

// waitReady waits until every check is ready or timeout passes. It reports each component as done, in
// install order, once it and the components before it are ready; at the deadline it diagnoses what is
// still not ready and reports the failing components.
func (c *Clients) waitReady(ctx context.Context, comps []componentWait, timeout time.Duration, em *emitter, doneMsg string) ([]NotReady, error) {
	pending := map[string]readyCheck{}
	reasons := map[string]string{}
	for _, cw := range comps {
		for _, r := range cw.Checks {
			pending[r.key()] = r
		}
	}
	announced := 0
	announce := func() {
		for announced < len(comps) {
			cw := comps[announced]
			for _, r := range cw.Checks {
				if _, ok := pending[r.key()]; ok {
					return
				}
			}
			em.emit(Event{Type: EventComponentDone, Component: cw.Title, Message: cw.Title + " " + doneMsg})
			announced++
		}
	}
	deadline := time.Now().Add(timeout)
	lastWaiting := ""
	var lastErr error
	for {
		if err := c.pollReady(ctx, pending, reasons, &lastErr); err != nil {
			return nil, err
		}
		announce()
		if len(pending) == 0 {
			return nil, nil
		}
		if w := waitingList(pending); strings.Join(w, ",") != lastWaiting {
			lastWaiting = strings.Join(w, ",")
			em.emit(Event{Type: EventWaiting, Component: pendingTitles(comps, pending), Waiting: w,
				Message: "Waiting for " + strings.Join(w, ", ")})
		}
		if !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(pollInterval, time.Until(deadline))):
		}
	}

	var all []NotReady
	for _, cw := range comps[announced:] {
		var failed []NotReady
		for _, r := range cw.Checks {
			if _, ok := pending[r.key()]; !ok {
				continue
			}
			nr := c.diagnose(ctx, r, reasons[r.key()])
			failed = append(failed, nr)
		}
		if len(failed) == 0 {
			em.emit(Event{Type: EventComponentDone, Component: cw.Title, Message: cw.Title + " " + doneMsg})
			continue
		}
		em.emit(Event{Type: EventComponentFailed, Component: cw.Title, NotReady: failed,
			Message: fmt.Sprintf("%s: not ready after %s", cw.Title, timeout)})
		all = append(all, failed...)
	}
	if lastErr != nil && len(all) > 0 {
		all[0].Events = append(all[0].Events, "last API error while waiting: "+lastErr.Error())
	}
	return all, nil
}

// pollReady checks every pending object once, in parallel, and removes the ready ones.
func (c *Clients) pollReady(ctx context.Context, pending map[string]readyCheck, reasons map[string]string, lastErr *error) error {
	checks := make([]readyCheck, 0, len(pending))
	for _, r := range pending {
		checks = append(checks, r)
	}
	var mu sync.Mutex
	err := parallel(ctx, len(checks), func(i int) error {
		ok, why, err := c.isReady(ctx, checks[i])
		mu.Lock()
		defer mu.Unlock()
		if apiretry.IsUnreachable(err) {
			// The retries gave up on the API server: waiting on would end in a misleading "not ready".
			return fmt.Errorf("wait for %s: %w", checks[i].key(), err)
		}
		if err != nil {
			*lastErr = err // an error that is not the cluster's absence: keep it for the diagnosis
			return nil
		}
		if ok {
			delete(pending, checks[i].key())
		} else {
			reasons[checks[i].key()] = why
		}
		return nil
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func waitingList(pending map[string]readyCheck) []string {
	out := make([]string, 0, len(pending))
	for k := range pending {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func pendingTitles(comps []componentWait, pending map[string]readyCheck) string {
	var titles []string
	for _, cw := range comps {
		for _, r := range cw.Checks {
			if _, ok := pending[r.key()]; ok {
				titles = append(titles, cw.Title)
				break
			}
		}
	}
	return strings.Join(titles, ", ")
}

// NotReadyError means install applied everything but some objects did not become ready in time.
type NotReadyError struct {
	Timeout  time.Duration
	NotReady []NotReady
}

func (e *NotReadyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d resource(s) not ready after %s:", len(e.NotReady), e.Timeout)
	for _, nr := range e.NotReady {
		b.WriteString("\n" + indent(nr.String(), "  "))
	}
	return b.String()
}
