package testenv

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress writes one line per step to stderr-like writers, each with the time since the
// whole operation began, so a ten-minute cold build shows where it is.
type progress struct {
	w     io.Writer
	start time.Time
	mu    sync.Mutex
}

func newProgress(w io.Writer) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w, start: time.Now()}
}

func (p *progress) stepf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "testenv [%6.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

// heartbeat repeats a line every interval until stop is called: a silent compile of several
// minutes is otherwise indistinguishable from a hang.
func (p *progress) heartbeat(interval time.Duration, what string) (stop func()) {
	done := make(chan struct{})
	began := time.Now()
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.stepf("%s: still running (%s)", what, time.Since(began).Round(time.Second))
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}
