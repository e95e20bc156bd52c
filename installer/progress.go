package installer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// EventType says what a progress Event reports. The JSON progress stream (--progress=json) carries these
// names; docs/install.md lists them, so they only ever gain new values.
type EventType string

// Event types.
const (
	// EventPhase: a phase begins (Phase: CRDs, namespaces, RBAC, config, webhooks, workloads, prune, wait).
	EventPhase EventType = "phase"
	// EventObject: one object was applied, deleted or would be (Object, Action).
	EventObject EventType = "object"
	// EventWaiting: Components wait for the objects in Waiting to become ready (or to be deleted).
	EventWaiting EventType = "waiting"
	// EventComponentDone: Component is installed (or removed) and ready.
	EventComponentDone EventType = "component-done"
	// EventComponentFailed: Component did not become ready; NotReady says which objects and why.
	EventComponentFailed EventType = "component-failed"
	// EventWarning: something the user should know that does not stop the operation.
	EventWarning EventType = "warning"
	// EventDone: the operation finished successfully (Message sums it up).
	EventDone EventType = "done"
	// EventFailed: the operation failed (Message is the error).
	EventFailed EventType = "failed"
)

// Event is one progress report. Message is always a complete sentence for people; the other fields are
// for machines.
type Event struct {
	Time      time.Time  `json:"time"`
	Type      EventType  `json:"type"`
	Operation string     `json:"operation,omitempty"` // install, uninstall
	Component string     `json:"component,omitempty"` // component title: "Istiod", "Ingress gateways"
	Phase     string     `json:"phase,omitempty"`
	Object    string     `json:"object,omitempty"` // Kind/namespace/name or Kind/name
	Action    string     `json:"action,omitempty"` // created, configured, unchanged, pruned, deleted
	Waiting   []string   `json:"waiting,omitempty"`
	NotReady  []NotReady `json:"notReady,omitempty"`
	Message   string     `json:"message,omitempty"`
	// Report is on the failed event: what the operation had done before it failed.
	Report *Report `json:"report,omitempty"`
}

// Sink receives progress events. Install and Uninstall call it from one goroutine at a time.
type Sink interface {
	Event(Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

// Event calls f.
func (f SinkFunc) Event(e Event) { f(e) }

// Discard drops every event.
var Discard Sink = SinkFunc(func(Event) {})

// JSONSink writes each event as one line of JSON: the --progress=json stream.
func JSONSink(w io.Writer) Sink {
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	return SinkFunc(func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(e)
	})
}

// LogSink writes plain lines, one per finished component and one per warning or failure: the output for a
// pipe or CI log. verbose adds a line per applied or deleted object.
func LogSink(w io.Writer, verbose bool) Sink {
	var mu sync.Mutex
	return SinkFunc(func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		if line := FormatEvent(e, verbose); line != "" {
			fmt.Fprintln(w, line)
		}
	})
}

// FormatEvent is an event as the plain log prints it, or "" for events the log leaves out.
func FormatEvent(e Event, verbose bool) string {
	switch e.Type {
	case EventComponentDone, EventDone:
		return "✔ " + e.Message
	case EventComponentFailed:
		var b strings.Builder
		b.WriteString("✘ " + e.Message)
		for _, nr := range e.NotReady {
			b.WriteString("\n" + indent(nr.String(), "  "))
		}
		return b.String()
	case EventFailed:
		if e.Report != nil {
			return "✘ " + e.Message + "\n" + indent(e.Report.String(), "  ")
		}
		return "✘ " + e.Message
	case EventWarning:
		return "! " + e.Message
	case EventObject:
		if verbose || e.Action == ActionPruned || e.Action == ActionWouldPrune {
			return "  " + e.Message
		}
	}
	return ""
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n")
}

// emitter stamps and forwards events, calls the phase hook at each phase boundary, and keeps the tally a
// failure report needs (phases done, objects applied and deleted).
type emitter struct {
	sink Sink
	op   string
	now  func() time.Time
	hook PhaseHook
	mu   sync.Mutex

	done                      []string
	current                   string
	applied, changed, deleted int
}

// PhaseHook is called at each phase boundary, before the phase named begins; an error stops the
// operation there as any failure would. Tests use it to interrupt a run at every boundary.
type PhaseHook func(ctx context.Context, phase string) error

// phase begins a phase: the hook first, then the event.
func (em *emitter) phase(ctx context.Context, name, message string) error {
	if em.hook != nil {
		if err := em.hook(ctx, name); err != nil {
			// The boundary was crossed: a report names the phase that did not run as the failed one.
			em.mu.Lock()
			if em.current != "" {
				em.done = append(em.done, em.current)
			}
			em.current = name
			em.mu.Unlock()
			return err
		}
	}
	em.emit(Event{Type: EventPhase, Phase: name, Message: message})
	return nil
}

func newEmitter(s Sink, op string) *emitter {
	if s == nil {
		s = Discard
	}
	return &emitter{sink: s, op: op, now: time.Now}
}

func (em *emitter) emit(e Event) {
	em.mu.Lock()
	defer em.mu.Unlock()
	e.Time = em.now().UTC()
	e.Operation = em.op
	switch e.Type {
	case EventPhase:
		if em.current != "" {
			em.done = append(em.done, em.current)
		}
		em.current = e.Phase
	case EventObject:
		switch e.Action {
		case ActionCreated, ActionConfigured:
			em.applied++
			em.changed++
		case ActionUnchanged:
			em.applied++
		case ActionDeleted, ActionPruned:
			em.deleted++
		}
	}
	em.sink.Event(e)
}

func (em *emitter) warn(format string, args ...any) {
	em.emit(Event{Type: EventWarning, Message: fmt.Sprintf(format, args...)})
}
