package xdsserver

import (
	"sync"
	"time"
)

// pushRequest is what one proxy still has to receive. Requests for a proxy that has not been
// served yet merge into one (latest state wins: the generator always reads the newest snapshot), so
// the queue holds at most one entry per proxy however slow the workers or the proxy are.
type pushRequest struct {
	change Change
	start  time.Time // first change behind this push, for pilot_proxy_convergence_time
}

func (r pushRequest) merge(o pushRequest) pushRequest {
	out := pushRequest{change: r.change.merge(o.change), start: r.start}
	if o.start.Before(out.start) {
		out.start = o.start
	}
	return out
}

type pushQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending map[*proxyState]pushRequest
	order   []*proxyState
	closed  bool
}

func newPushQueue() *pushQueue {
	q := &pushQueue{pending: map[*proxyState]pushRequest{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *pushQueue) enqueue(p *proxyState, r pushRequest) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if old, ok := q.pending[p]; ok {
		q.pending[p] = old.merge(r)
		return
	}
	q.pending[p] = r
	q.order = append(q.order, p)
	q.cond.Signal()
}

// dequeue blocks until a request is there or the queue is closed.
func (q *pushQueue) dequeue() (*proxyState, pushRequest, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.order) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil, pushRequest{}, false
	}
	p := q.order[0]
	q.order[0] = nil
	q.order = q.order[1:]
	r := q.pending[p]
	delete(q.pending, p)
	return p, r, true
}

func (q *pushQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

func (q *pushQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.order)
}
