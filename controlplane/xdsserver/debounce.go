package xdsserver

import (
	"context"
	"sync"
	"time"
)

// debouncer merges a burst of changes into one push, as Istio's pilot does: the push starts once
// no change arrived for `after`, or `max` after the first change of the burst, whichever is first.
// Notify never blocks the store that calls it.
type debouncer struct {
	after, max time.Duration

	mu      sync.Mutex
	pending *Change
	first   time.Time // first change of the pending burst
	last    time.Time // latest change of the pending burst
	signal  chan struct{}
}

func newDebouncer(after, max time.Duration) *debouncer {
	return &debouncer{after: after, max: max, signal: make(chan struct{}, 1)}
}

func (d *debouncer) notify(c Change, now time.Time) {
	d.mu.Lock()
	if d.pending == nil {
		d.pending = &Change{EndpointsOnly: c.EndpointsOnly}
		d.first = now
	}
	merged := d.pending.merge(c)
	d.pending = &merged
	d.last = now
	d.mu.Unlock()
	select {
	case d.signal <- struct{}{}:
	default:
	}
}

// take returns the pending burst when it is due, else how long to wait before asking again.
func (d *debouncer) take(now time.Time) (c Change, first time.Time, due bool, wait time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pending == nil {
		return Change{}, time.Time{}, false, 0
	}
	quiet := now.Sub(d.last)
	if quiet >= d.after || now.Sub(d.first) >= d.max {
		c, first = *d.pending, d.first
		d.pending = nil
		return c, first, true, 0
	}
	wait = d.after - quiet
	if untilMax := d.max - now.Sub(d.first); untilMax < wait {
		wait = untilMax
	}
	return Change{}, time.Time{}, false, wait
}

// run calls push with every due burst until ctx is done.
func (d *debouncer) run(ctx context.Context, push func(c Change, first time.Time)) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-d.signal:
			if !armed {
				timer.Reset(d.after)
				armed = true
			}
		case <-timer.C:
			armed = false
			c, first, due, wait := d.take(time.Now())
			switch {
			case due:
				push(c, first)
			case wait > 0:
				timer.Reset(wait)
				armed = true
			}
		}
	}
}
