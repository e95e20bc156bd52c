package xdsserver

import (
	"context"
	"time"
)

// throttle bounds how many proxies a push is being sent to at once, as istiod's
// PILOT_PUSH_THROTTLE does: gRPC holds each response encoded until the proxy reads it, so a push
// to every proxy at once holds every proxy's configuration at once. A proxy takes a slot before its
// configuration is generated and gives it back once it answered (ACK or NACK) every type the push
// sent it, or after ackTimeout: a slow or stuck proxy delays no one for longer.
type throttle struct {
	slots      chan struct{}
	ackTimeout time.Duration
}

// slot is one proxy's hold on the throttle; released once.
type slot struct {
	timer *time.Timer
}

func newThrottle(n int, ackTimeout time.Duration) *throttle {
	return &throttle{slots: make(chan struct{}, n), ackTimeout: ackTimeout}
}

// acquire gives p a slot, waiting for one unless p holds one already (from a push whose answers
// it still owes: the new push supersedes it). False when ctx ended first.
func (s *Server) acquire(ctx context.Context, p *proxyState) bool {
	p.statsMu.Lock()
	held := p.slot != nil
	p.statsMu.Unlock()
	if held {
		return true
	}
	select {
	case s.throttle.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	sl := &slot{}
	p.statsMu.Lock()
	if p.slot != nil {
		// Another worker took one for p meanwhile: one is enough.
		p.statsMu.Unlock()
		<-s.throttle.slots
		return true
	}
	p.slot = sl
	sl.timer = time.AfterFunc(s.throttle.ackTimeout, func() { s.release(p, sl) })
	p.statsMu.Unlock()
	return true
}

// release gives back p's slot if it is still sl (nil: whichever p holds).
func (s *Server) release(p *proxyState, sl *slot) {
	p.statsMu.Lock()
	defer p.statsMu.Unlock()
	s.releaseLocked(p, sl)
}

// releaseLocked is release with p.statsMu held.
func (s *Server) releaseLocked(p *proxyState, sl *slot) {
	if p.slot == nil || (sl != nil && p.slot != sl) {
		return
	}
	if p.slot.timer != nil {
		p.slot.timer.Stop()
	}
	p.slot = nil
	clear(p.unacked)
	<-s.throttle.slots
}
