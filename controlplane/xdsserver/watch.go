package xdsserver

import (
	"context"
	"errors"

	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
)

// watcher is the cache go-control-plane's delta server asks for responses: its snapshot cache,
// which computes the per-resource differences. State-of-the-world streams are served by the
// server's own loop (ads), never by the library's.
type watcher struct {
	s *Server
}

var _ cache.Cache = watcher{}

func (w watcher) CreateWatch(*cache.Request, cache.Subscription, chan cache.Response) (func(), error) {
	return nil, errors.New("state-of-the-world streams are served by the ADS loop, not by the library's cache")
}

func (w watcher) CreateDeltaWatch(req *cache.DeltaRequest, sub cache.Subscription, ch chan cache.DeltaResponse) (func(), error) {
	return w.s.deltaCache.CreateDeltaWatch(req, sub, ch)
}

func (w watcher) Fetch(context.Context, *cache.Request) (cache.Response, error) {
	return nil, errors.New("REST xDS is not served: use ADS")
}

// publish makes next the proxy's configuration and wakes its state-of-the-world streams, which
// send what it changed; delta streams are answered by the delta cache.
func (s *Server) publish(p *proxyState, next *snapshot) error {
	p.watchMu.Lock()
	// Held until the delta cache has the snapshot: a disconnection clears its entry after this,
	// never before.
	defer p.watchMu.Unlock()
	if p.closed {
		return nil
	}
	p.published = next
	for ss := range p.sotwStreams {
		select {
		case ss.wake <- struct{}{}:
		default: // a wake-up is pending: the stream reads the latest snapshot when it comes
		}
	}
	return s.deltaCache.SetSnapshot(s.ctx, p.key, next)
}
