package cluster

import (
	"context"
	"sync/atomic"

	"github.com/meshctl/meshctl/proxy/ir"
)

// limits are the circuit breakers. With HTTP/1.1 each request in flight holds a connection, so
// max_connections bounds requests in flight and the ones waiting for a connection are pending, up to
// max_pending_requests; beyond either limit a request overflows at once, as Envoy's do.
type limits struct {
	cfg     ir.Limits
	conns   chan struct{} // HTTP/1.1 with max_connections: one token per connection in use
	active  atomic.Int64
	pending atomic.Int64
	retries atomic.Int64
}

func (l *limits) init(cfg ir.Limits, http2 bool) {
	l.cfg = cfg
	if cfg.MaxConnections > 0 && !http2 {
		l.conns = make(chan struct{}, cfg.MaxConnections)
	}
}

// Acquire admits a request, waiting for a connection when all are busy; Release must follow.
func (c *Cluster) Acquire(ctx context.Context) error {
	l := &c.limits
	if n := l.active.Add(1); l.cfg.MaxRequests > 0 && n > int64(l.cfg.MaxRequests) {
		l.active.Add(-1)
		c.Stats.RqPendingOverflow.Add(1)
		return ErrOverflow
	}
	if l.conns == nil {
		return nil
	}
	select {
	case l.conns <- struct{}{}:
		return nil
	default:
	}
	if n := l.pending.Add(1); l.cfg.MaxPendingRequests > 0 && n > int64(l.cfg.MaxPendingRequests) {
		l.pending.Add(-1)
		l.active.Add(-1)
		c.Stats.RqPendingOverflow.Add(1)
		return ErrOverflow
	}
	defer l.pending.Add(-1)
	select {
	case l.conns <- struct{}{}:
		return nil
	case <-ctx.Done():
		l.active.Add(-1)
		return ctx.Err()
	}
}

// Release ends what Acquire admitted.
func (c *Cluster) Release() {
	if c.limits.conns != nil {
		<-c.limits.conns
	}
	c.limits.active.Add(-1)
}

// AcquireRetry admits a retry under max_retries; ReleaseRetry must follow when it is over.
func (c *Cluster) AcquireRetry() bool {
	l := &c.limits
	if n := l.retries.Add(1); l.cfg.MaxRetries > 0 && n > int64(l.cfg.MaxRetries) {
		l.retries.Add(-1)
		c.Stats.RqRetryOverflow.Add(1)
		return false
	}
	c.Stats.RqRetry.Add(1)
	return true
}

// ReleaseRetry ends a retry.
func (c *Cluster) ReleaseRetry() { c.limits.retries.Add(-1) }

// ActiveRequests is the number of requests in flight.
func (c *Cluster) ActiveRequests() int64 { return c.limits.active.Load() }
