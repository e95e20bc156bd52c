package installer

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/apiretry"
	"github.com/meshctl/meshctl/installer/render"
)

// Object actions reported in events and results.
const (
	ActionCreated        = "created"
	ActionConfigured     = "configured"
	ActionUnchanged      = "unchanged"
	ActionPruned         = "pruned"
	ActionDeleted        = "deleted"
	ActionWouldCreate    = "would create"
	ActionWouldConfigure = "would configure"
	ActionWouldPrune     = "would prune"
	ActionWouldDelete    = "would delete"
)

// Deletion groups, in the order that avoids deadlocks: webhooks first (a webhook whose server is gone
// would block every later write it intercepts), then workloads, then what they use, then the CRDs (which
// take every custom resource with them), and namespaces last.
var deleteGroups = []string{"webhooks", "workloads", "config", "RBAC", "CRDs", "namespaces"}

func deleteRank(kind string) int {
	switch kind {
	case "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration":
		return 0
	case "CustomResourceDefinition":
		return 4
	case "Namespace":
		return 5
	}
	switch render.PhaseOf(kind) {
	case render.PhaseConfig:
		return 2
	case render.PhaseRBAC:
		return 3
	}
	return 1 // workloads, their pods and replica sets, custom resources such as the installed-state
}

// Leftover is an object an operation could not remove, or chose to keep, and why.
type Leftover struct {
	Object string `json:"object"`
	Reason string `json:"reason"`
}

func (l Leftover) String() string { return l.Object + ": " + l.Reason }

// deleteInOrder deletes objs group by group (deleteGroups), waiting up to timeout per group until the
// group's objects are gone before starting the next. It returns what it removed and what is left.
// reportGroups adds a component-done event per finished group, which uninstall's progress shows as its
// lines ("✔ Removed webhooks (2)").
func (c *Clients) deleteInOrder(ctx context.Context, objs []liveObject, timeout time.Duration, em *emitter, dryRun bool, action string, reportGroups bool) ([]string, []Leftover, error) {
	groups := make([][]liveObject, len(deleteGroups))
	for _, o := range objs {
		r := deleteRank(o.U.GetKind())
		groups[r] = append(groups[r], o)
	}
	var removed []string
	var left []Leftover
	for i, g := range groups {
		if len(g) == 0 {
			continue
		}
		if err := em.phase(ctx, "delete "+deleteGroups[i], fmt.Sprintf("Removing %s (%d)", deleteGroups[i], len(g))); err != nil {
			return removed, left, err
		}
		if dryRun {
			for _, o := range g {
				em.emit(Event{Type: EventObject, Object: o.key(), Action: "would " + action, Message: fmt.Sprintf("would %s %s", action, o.key())})
				removed = append(removed, o.key())
			}
			continue
		}
		rm, lo, err := c.deleteGroup(ctx, g, timeout, em, action)
		removed = append(removed, rm...)
		left = append(left, lo...)
		if err != nil {
			return removed, left, err
		}
		if reportGroups && len(rm) > 0 {
			em.emit(Event{Type: EventComponentDone, Component: deleteGroups[i], Message: fmt.Sprintf("Removed %s (%d)", deleteGroups[i], len(rm))})
		}
	}
	return removed, left, nil
}

func (c *Clients) deleteGroup(ctx context.Context, g []liveObject, timeout time.Duration, em *emitter, action string) ([]string, []Leftover, error) {
	var (
		mu      sync.Mutex
		deleted []liveObject
		left    []Leftover
	)
	background := metav1.DeletePropagationBackground
	err := parallel(ctx, len(g), func(i int) error {
		o := g[i]
		ri := c.scanResource(o.Kind, o.U.GetNamespace())
		err := ri.Delete(ctx, o.U.GetName(), metav1.DeleteOptions{PropagationPolicy: &background})
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil || apierrors.IsNotFound(err):
			deleted = append(deleted, o)
			em.emit(Event{Type: EventObject, Object: o.key(), Action: action, Message: action + " " + o.key()})
		case apierrors.IsForbidden(err):
			left = append(left, Leftover{Object: o.key(), Reason: "forbidden: " + err.Error()})
		case apiretry.IsUnreachable(err):
			// The retries gave up: later deletes would fail the same way. Stop; a re-run finishes.
			return fmt.Errorf("delete %s: %w", o.key(), err)
		default:
			left = append(left, Leftover{Object: o.key(), Reason: "delete failed: " + err.Error()})
		}
		return nil
	})
	if err != nil {
		return nil, left, err
	}
	gone, stuck, err := c.waitGone(ctx, deleted, timeout, em)
	return gone, append(left, stuck...), err
}

// waitGone waits until each object is gone (not found, or replaced by a new object of the same name).
func (c *Clients) waitGone(ctx context.Context, objs []liveObject, timeout time.Duration, em *emitter) ([]string, []Leftover, error) {
	pending := map[string]liveObject{}
	for _, o := range objs {
		pending[o.id()] = o
	}
	var gone []string
	deadline := time.Now().Add(timeout)
	lastWaiting := ""
	for {
		var mu sync.Mutex
		list := make([]liveObject, 0, len(pending))
		for _, o := range pending {
			list = append(list, o)
		}
		err := parallel(ctx, len(list), func(i int) error {
			o := list[i]
			got, err := c.scanResource(o.Kind, o.U.GetNamespace()).Get(ctx, o.U.GetName(), metav1.GetOptions{})
			mu.Lock()
			defer mu.Unlock()
			if apiretry.IsUnreachable(err) {
				return fmt.Errorf("wait for %s to be deleted: %w", o.key(), err)
			}
			if apierrors.IsNotFound(err) || err == nil && got.GetUID() != o.U.GetUID() {
				delete(pending, o.id())
				gone = append(gone, o.key())
			} else if err == nil {
				pending[o.id()] = liveObject{U: got, Kind: o.Kind}
			}
			return nil
		})
		if ctx.Err() != nil {
			return gone, nil, ctx.Err()
		}
		if err != nil {
			return gone, nil, err
		}
		if len(pending) == 0 {
			sort.Strings(gone)
			return gone, nil, nil
		}
		var waiting []string
		for _, o := range pending {
			waiting = append(waiting, o.key())
		}
		sort.Strings(waiting)
		if w := strings.Join(waiting, ","); w != lastWaiting {
			lastWaiting = w
			em.emit(Event{Type: EventWaiting, Waiting: waiting, Message: "Waiting for " + strings.Join(waiting, ", ") + " to be deleted"})
		}
		if !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return gone, nil, ctx.Err()
		case <-time.After(min(pollInterval, time.Until(deadline))):
		}
	}
	var left []Leftover
	for _, o := range pending {
		reason := fmt.Sprintf("still being deleted after %s", timeout)
		if f := o.U.GetFinalizers(); len(f) > 0 {
			reason += fmt.Sprintf(": waiting for finalizers %s, which the controllers that set them must remove", strings.Join(f, ", "))
		}
		left = append(left, Leftover{Object: o.key(), Reason: reason})
	}
	sort.Slice(left, func(i, j int) bool { return left[i].Object < left[j].Object })
	sort.Strings(gone)
	return gone, left, nil
}
