package xdsserver

import (
	"context"
	"errors"
	"fmt"
	"maps"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// watcher is the cache go-control-plane's servers ask for responses. State-of-the-world watches
// are answered here, from resources serialized once for all proxies (go-control-plane's snapshot
// cache serializes every resource again for every proxy); delta watches go to its snapshot cache,
// which computes the per-resource differences.
type watcher struct {
	s *Server
}

var _ cache.Cache = watcher{}

// sotwWatch is an open state-of-the-world request waiting for a newer version.
type sotwWatch struct {
	req *discovery.DiscoveryRequest
	sub cache.Subscription
	ch  chan cache.Response
}

func (w watcher) CreateWatch(req *cache.Request, sub cache.Subscription, ch chan cache.Response) (func(), error) {
	p := w.s.lookup(req.GetNode().GetId())
	if p == nil {
		return nil, fmt.Errorf("watch %s: node %q is not connected", req.GetTypeUrl(), req.GetNode().GetId())
	}
	p.watchMu.Lock()
	defer p.watchMu.Unlock()
	if resp := sotwRespond(p.published, nil, req, sub, true); resp != nil {
		// The channel holds one response per type and the server opens a type's next watch only
		// after sending the previous response: this never blocks.
		ch <- resp
		return func() {}, nil
	}
	p.watchSeq++
	id := p.watchSeq
	p.watches[id] = sotwWatch{req: req, sub: sub, ch: ch}
	return func() {
		p.watchMu.Lock()
		delete(p.watches, id)
		p.watchMu.Unlock()
	}, nil
}

func (w watcher) CreateDeltaWatch(req *cache.DeltaRequest, sub cache.Subscription, ch chan cache.DeltaResponse) (func(), error) {
	return w.s.deltaCache.CreateDeltaWatch(req, sub, ch)
}

func (w watcher) Fetch(context.Context, *cache.Request) (cache.Response, error) {
	return nil, errors.New("REST xDS is not served: use ADS")
}

// publish makes next the proxy's configuration and answers its open watches whose version it changes.
func (s *Server) publish(p *proxyState, next *snapshot) error {
	p.watchMu.Lock()
	if p.closed {
		p.watchMu.Unlock()
		return nil
	}
	prev := p.published
	p.published = next
	for id, w := range p.watches {
		if resp := sotwRespond(next, prev, w.req, w.sub, false); resp != nil {
			w.ch <- resp
			delete(p.watches, id)
		}
	}
	// Still under watchMu: a disconnection clears the delta cache's entry after this, never before.
	defer p.watchMu.Unlock()
	return s.deltaCache.SetSnapshot(s.ctx, p.key, next)
}

// sotwRespond builds the response a request gets from snap, or nil when the proxy is up to date,
// following the protocol as go-control-plane's snapshot cache does: a different version is
// answered; on a new watch, so are resources subscribed but not yet returned.
//
// A wildcard subscription (clusters, listeners) gets the whole set, as the protocol wants. A
// subscription by name (endpoints, routes) gets only the resources whose version the stream does
// not have: the protocol lets those types be sent in part, and the proxy keeps the others. The
// versions the stream has are its returned resources: per resource for a subscription by name,
// one entry for the whole set of a wildcard one (never a map per resource per stream).
//
// prev, when given, is the snapshot the proxy was published before snap: a stream that had its
// version gets the difference computed once for all the proxies making the same move.
func sotwRespond(snap, prev *snapshot, req *discovery.DiscoveryRequest, sub cache.Subscription, newWatch bool) cache.Response {
	if snap == nil {
		return nil
	}
	set := snap.set(req.GetTypeUrl())
	if set.version == "" {
		// Not a type this proxy is given (or no snapshot yet): wait.
		return nil
	}
	known := sub.ReturnedResources()
	if sub.IsWildcard() {
		if req.GetVersionInfo() == set.version && (!newWatch || known[wholeSet] == set.version) {
			return nil
		}
		return &sotwResponse{req: req, version: set.version, resources: set.allAnys(),
			returned: map[string]string{wholeSet: set.version}}
	}
	subscribed := sub.SubscribedResources()
	if req.GetVersionInfo() == set.version {
		if !newWatch || !missing(set, subscribed, known) {
			return nil
		}
	}
	if old := prev.set(req.GetTypeUrl()); prev != nil && !newWatch && old.version != "" && req.GetVersionInfo() == old.version {
		// The stream has old (its returned resources say so, name by name).
		changed, removed := set.changedSince(old)
		out := &sotwResponse{req: req, version: set.version, returned: maps.Clone(known)}
		if out.returned == nil {
			out.returned = map[string]string{}
		}
		for _, n := range removed {
			delete(out.returned, n)
		}
		for _, n := range changed {
			if _, ok := subscribed[n]; ok {
				m := set.entries[n].m
				out.returned[n] = m.hash
				out.resources = append(out.resources, m.any)
			}
		}
		return out
	}
	out := &sotwResponse{req: req, version: set.version, returned: make(map[string]string, len(subscribed))}
	all := true
	for _, n := range set.names {
		if _, ok := subscribed[n]; !ok {
			all = false
			continue
		}
		m := set.entries[n].m
		out.returned[n] = m.hash
		if known[n] != m.hash {
			out.resources = append(out.resources, m.any)
		} else {
			all = false
		}
	}
	if all {
		// The whole set, as a first response usually is: the list is shared.
		out.resources = set.allAnys()
	}
	return out
}

// wholeSet keys a wildcard stream's returned resources: it holds the version of the set it has.
// No resource is named so (names are never empty-prefixed with NUL).
const wholeSet = "\x00*"

// missing: a subscribed resource of set whose version the stream does not have.
func missing(set *typeSet, subscribed map[string]struct{}, known map[string]string) bool {
	if len(known) == len(subscribed) {
		// The library drops what is no longer subscribed from known: known's names are the
		// subscribed ones, and only their versions need looking at.
		for n, v := range known {
			if e, ok := set.entries[n]; ok && v != e.m.hash {
				return true
			}
		}
		return false
	}
	for n := range subscribed {
		if e, ok := set.entries[n]; ok && known[n] != e.m.hash {
			return true
		}
	}
	return false
}

// sotwResponse carries resources already serialized.
type sotwResponse struct {
	req       *discovery.DiscoveryRequest
	version   string
	returned  map[string]string
	resources []*anypb.Any
}

var _ cache.Response = (*sotwResponse)(nil)

// GetDiscoveryResponse returns a new message each time: the server stamps its nonce on it. The
// resources are shared (read-only) with other proxies' responses.
func (r *sotwResponse) GetDiscoveryResponse() (*discovery.DiscoveryResponse, error) {
	return &discovery.DiscoveryResponse{VersionInfo: r.version, Resources: r.resources, TypeUrl: r.req.GetTypeUrl()}, nil
}
func (r *sotwResponse) GetRequest() *discovery.DiscoveryRequest { return r.req }
func (r *sotwResponse) GetVersion() (string, error)             { return r.version, nil }
func (r *sotwResponse) GetResponseVersion() string              { return r.version }
func (r *sotwResponse) GetReturnedResources() map[string]string { return r.returned }
func (r *sotwResponse) GetContext() context.Context             { return context.Background() }
