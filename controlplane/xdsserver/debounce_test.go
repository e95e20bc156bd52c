package xdsserver

import (
	"testing"
	"time"
)

// The debounce rule on a given clock: due after `after` of quiet, or `max` after the first change.
func TestDebounceRule(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name     string
		changes  []int // ms of each notify
		takeAt   int
		due      bool
		wait     time.Duration
		edsOnly  []bool
		wantEDS  bool
		wantKind int
	}{
		{name: "nothing pending", takeAt: 500},
		{name: "quiet long enough", changes: []int{0, 50}, takeAt: 150, due: true, wantKind: 1},
		{name: "still noisy", changes: []int{0, 50}, takeAt: 120, wait: 30 * time.Millisecond},
		{name: "max reached while noisy", changes: []int{0, 9950}, takeAt: 10000, due: true, wantKind: 1},
		{name: "wait bounded by max", changes: []int{0, 9990}, takeAt: 9995, wait: 5 * time.Millisecond},
		{name: "endpoints only while all are", changes: []int{0, 10}, edsOnly: []bool{true, true}, takeAt: 200, due: true, wantEDS: true, wantKind: 1},
		{name: "one full change makes the push full", changes: []int{0, 10}, edsOnly: []bool{true, false}, takeAt: 200, due: true, wantKind: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDebouncer(100*time.Millisecond, 10*time.Second)
			for i, at := range tc.changes {
				eds := tc.edsOnly != nil && tc.edsOnly[i]
				d.notify(Change{Kinds: []string{"Service"}, Namespaces: []string{"ns"}, EndpointsOnly: eds}, ms(at))
			}
			c, first, due, wait := d.take(ms(tc.takeAt))
			if due != tc.due || wait != tc.wait {
				t.Fatalf("due %v wait %s, want due %v wait %s", due, wait, tc.due, tc.wait)
			}
			if !due {
				return
			}
			if !first.Equal(t0) || c.EndpointsOnly != tc.wantEDS || len(c.Kinds) != tc.wantKind || len(c.Namespaces) != 1 {
				t.Errorf("push %+v from %s", c, first)
			}
			if _, _, again, _ := d.take(ms(tc.takeAt + 1000)); again {
				t.Error("the burst was pushed twice")
			}
		})
	}
}
