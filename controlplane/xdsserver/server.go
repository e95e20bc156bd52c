package xdsserver

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
)

// Server serves ADS (state of the world and delta) from one snapshot per connected proxy.
type Server struct {
	opts Options
	log  *slog.Logger
	// deltaCache serves delta streams; state-of-the-world ones are served by the ADS loop (ads).
	deltaCache cache.SnapshotCache
	marshal    *marshalCache
	xds        serverv3.Server // serves delta streams
	ctx        context.Context // ends the stream loops when Run returns
	cancel     context.CancelFunc

	debounce *debouncer
	queue    *pushQueue
	throttle *throttle

	mu      sync.RWMutex
	proxies map[string]*proxyState
	sotw    map[int64]*streamState
	delta   map[int64]*streamState
	sotwIDs atomic.Int64 // numbers state-of-the-world streams

	statusMu sync.Mutex
	status   PushStatus
}

// streamState ties a stream to its proxy once the first request named the node.
type streamState struct {
	proxy *proxyState
	delta bool
}

// New builds a server; Run starts its push loop, Register exposes it on a gRPC server.
func New(opts Options) (*Server, error) {
	if err := opts.complete(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		ctx:      ctx,
		cancel:   cancel,
		debounce: newDebouncer(opts.DebounceAfter, opts.DebounceMax),
		queue:    newPushQueue(),
		throttle: newThrottle(opts.PushThrottle, opts.PushAckTimeout),
		proxies:  map[string]*proxyState{},
		sotw:     map[int64]*streamState{},
		delta:    map[int64]*streamState{},
	}
	// The delta cache is not in ADS mode: go-control-plane's ADS mode withholds an EDS or RDS answer until the request
	// names every resource of the snapshot, which stalls a proxy whose view is narrower than ours;
	// Istio answers what is asked. The order of types is kept by the proxies requesting CDS before
	// EDS and LDS before RDS, as Envoy does.
	s.deltaCache = cache.NewSnapshotCache(false, nodeKey{}, cacheLogger{s.log})
	s.marshal = newMarshalCache()
	s.xds = serverv3.NewServer(ctx, watcher{s}, callbacks{s})
	return s, nil
}

// Register exposes ADS on g.
func (s *Server) Register(g *grpc.Server) {
	discovery.RegisterAggregatedDiscoveryServiceServer(g, ads{AggregatedDiscoveryServiceServer: s.xds, s: s})
}

// Notify hands a change to the debouncer. It never blocks.
func (s *Server) Notify(c Change) {
	s.debounce.notify(c, time.Now())
}

// Run debounces changes and pushes them until ctx is done, then ends every stream.
func (s *Server) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Go(s.worker)
	}
	s.debounce.run(ctx, s.pushAll)
	s.queue.close()
	s.cancel()
	wg.Wait()
	return nil
}

func (s *Server) worker() {
	for {
		p, r, ok := s.queue.dequeue()
		if !ok {
			return
		}
		if !s.opts.Generator.Affects(p.proxy, r.change) {
			continue
		}
		// Waiting here leaves the proxies behind in the queue, where their pushes merge.
		if !s.acquire(s.ctx, p) {
			return
		}
		_ = s.push(p, r, false) // logged and counted by push
		p.statsMu.Lock()
		if len(p.unacked) == 0 {
			// Nothing to send, or all of it answered already.
			s.releaseLocked(p, nil)
		}
		p.statsMu.Unlock()
	}
}

// pushAll queues a debounced change for every connected proxy; the workers decide, per proxy,
// whether the change is visible to it.
func (s *Server) pushAll(c Change, first time.Time) {
	if m := s.opts.Metrics; m != nil {
		m.Debounced.Observe(time.Since(first).Seconds())
		kind := "full"
		if c.EndpointsOnly {
			kind = "eds"
		}
		m.PushTriggers.WithLabelValues(kind).Inc()
	}
	s.marshal.rotate()
	s.mu.RLock()
	proxies := make([]*proxyState, 0, len(s.proxies))
	for _, p := range s.proxies {
		proxies = append(proxies, p)
	}
	s.mu.RUnlock()
	for _, p := range proxies {
		s.queue.enqueue(p, pushRequest{change: c, start: first})
	}
	s.statusMu.Lock()
	s.status.Pushes++
	s.status.LastPush = time.Now()
	s.status.LastChange = c
	s.status.LastProxies = len(proxies)
	s.statusMu.Unlock()
	s.log.Debug("push", "kinds", c.Kinds, "namespaces", c.Namespaces, "endpointsOnly", c.EndpointsOnly, "proxies", len(proxies))
}

// push generates p's configuration and hands the new snapshot to the cache, which answers the
// proxy's open watches. It never waits for the proxy: a response sits in the stream's buffered
// channel until the stream's own goroutine sends it.
func (s *Server) push(p *proxyState, r pushRequest, initial bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isClosed() {
		return nil
	}
	began := time.Now()
	res, err := s.opts.Generator.Generate(p.proxy)
	if err != nil {
		s.log.Error("generate configuration", "proxy", p.key, "error", err)
		if m := s.opts.Metrics; m != nil {
			m.Pushes.WithLabelValues("builderr").Inc()
		}
		return fmt.Errorf("generate configuration for %s: %w", p.key, err)
	}
	edsOnly := r.change.EndpointsOnly && !initial && p.snap != nil
	update := func(t types.ResponseType) bool { return !edsOnly || t == types.Endpoint }
	next, err := p.snap.next(res, update, s.marshal.typeSet)
	if err != nil {
		s.log.Error("serialize configuration", "proxy", p.key, "error", err)
		if m := s.opts.Metrics; m != nil {
			m.Pushes.WithLabelValues("builderr").Inc()
		}
		return fmt.Errorf("configuration for %s: %w", p.key, err)
	}
	prev := p.snap
	p.pushes++
	p.snap = next
	if !initial {
		s.await(p, prev, next, r.start)
	}
	if err := s.publish(p, next); err != nil {
		return fmt.Errorf("set snapshot for %s: %w", p.key, err)
	}
	if m := s.opts.Metrics; m != nil {
		took := time.Since(began).Seconds()
		for t := types.ResponseType(0); t <= types.Route; t++ {
			if update(t) {
				m.PushTime.WithLabelValues(shortType(t)).Observe(took)
			}
		}
	}
	return nil
}

// await notes which of the proxy's subscribed types this push changes, so that the response
// completing them observes pilot_proxy_convergence_time.
func (s *Server) await(p *proxyState, prev, next *snapshot, start time.Time) {
	p.statsMu.Lock()
	defer p.statsMu.Unlock()
	// The new push supersedes what the last one still had to send; the proxy has waited since
	// the earlier start.
	pending := len(p.awaiting) > 0
	clear(p.awaiting)
	if pending && p.awaitingSince.Before(start) {
		start = p.awaitingSince
	}
	for t := types.ResponseType(0); t < types.UnknownType; t++ {
		url, _ := cache.GetResponseTypeURL(t)
		// A type whose content did not change sends nothing.
		if next.sets[t] == nil || next.sets[t].version == prev.set(url).version || p.stats[url] == nil || !p.stats[url].subscribed {
			continue
		}
		if p.awaiting == nil {
			p.awaiting = map[string]bool{}
		}
		p.awaitingSince = start
		p.awaiting[url] = true
		p.unacked[url] = true
	}
}

// attach binds a stream to its node's proxy state, creating it (and its first snapshot) for a new node.
func (s *Server) attach(id int64, delta bool, req nodeRequest) (*streamState, error) {
	streams := s.sotw
	if delta {
		streams = s.delta
	}
	s.mu.RLock()
	st := streams[id]
	s.mu.RUnlock()
	if st != nil {
		return st, nil
	}
	proxy, err := parseNode(req.GetNode())
	if err != nil {
		s.log.Warn("reject stream", "node", req.GetNode().GetId(), "error", err)
		return nil, fmt.Errorf("xds stream %d: %w", id, err)
	}
	key := req.GetNode().GetId()
	s.mu.Lock()
	p := s.proxies[key]
	created := p == nil
	if created {
		p = newProxyState(key, proxy)
		s.proxies[key] = p
	}
	p.streams++
	st = &streamState{proxy: p, delta: delta}
	streams[id] = st
	s.mu.Unlock()
	if m := s.opts.Metrics; m != nil {
		m.XDS.WithLabelValues(proxy.Meta.IstioVersion).Inc()
	}
	s.log.Info("proxy connected", "proxy", key, "stream", id, "delta", delta)
	if created {
		// The first snapshot is built on the stream's goroutine, before its first request is
		// answered: that answer carries it.
		if err := s.push(p, pushRequest{start: time.Now()}, true); err != nil {
			return st, err
		}
	}
	return st, nil
}

// detach forgets a closed stream, and its node's state with its last stream.
func (s *Server) detach(id int64, delta bool) {
	streams := s.sotw
	if delta {
		streams = s.delta
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := streams[id]
	if st == nil {
		return
	}
	delete(streams, id)
	p := st.proxy
	p.streams--
	if m := s.opts.Metrics; m != nil {
		m.XDS.WithLabelValues(p.proxy.Meta.IstioVersion).Dec()
	}
	s.log.Info("proxy disconnected", "proxy", p.key, "stream", id)
	if p.streams > 0 {
		return
	}
	delete(s.proxies, p.key)
	s.release(p, nil)
	// Under s.mu, so that a reconnection of the same node id builds its state after this clear;
	// under watchMu, never held during a generation, so that a push in flight publishes nothing
	// after it.
	p.watchMu.Lock()
	p.closed = true
	clear(p.sotwStreams)
	s.deltaCache.ClearSnapshot(p.key)
	p.watchMu.Unlock()
}

type nodeRequest interface {
	GetNode() *core.Node
}
