package xdsserver

import (
	"strconv"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ads serves ADS: state-of-the-world streams with the server's own loop, delta streams with
// go-control-plane's server. The library's state-of-the-world server keeps, per stream and
// type, the decoded request, a set of its resource names and a map of their returned versions:
// with 1,000 EDS clusters that is ~200 KB per proxy. The loop below keeps per type the version
// and nonce sent and a slice of names, shared with the snapshot's when they are the same.
type ads struct {
	discovery.AggregatedDiscoveryServiceServer // the library's: delta streams
	s                                          *Server
}

// StreamAggregatedResources serves one state-of-the-world ADS stream until it ends or the
// server stops.
func (a ads) StreamAggregatedResources(stream discovery.AggregatedDiscoveryService_StreamAggregatedResourcesServer) error {
	s := a.s
	// SendMsg rather than Send: the response's own type is what the server's codec recognizes.
	ss := s.newSotwStream(func(r *response) error { return stream.SendMsg(r) })
	defer ss.close()
	// Requests are read on their own goroutine so that the loop below also hears pushes; it ends
	// with the stream, whose context gRPC cancels when this handler returns.
	reqs := make(chan *discovery.DiscoveryRequest)
	go func() {
		defer close(reqs)
		for {
			req, err := stream.Recv()
			if err != nil {
				return
			}
			select {
			case reqs <- req:
			case <-stream.Context().Done():
				return
			case <-s.ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-s.ctx.Done():
			return nil
		case req, ok := <-reqs:
			if !ok {
				return nil
			}
			if err := ss.request(req); err != nil {
				return err
			}
		case <-ss.wake:
			if err := ss.answer(); err != nil {
				return err
			}
		}
	}
}

// sotwStream is one state-of-the-world stream's state: what it was sent, per type.
type sotwStream struct {
	s    *Server
	id   int64
	send func(*response) error
	// wake is signalled (never blocking: one pending signal is enough) when the proxy is
	// published a new snapshot.
	wake  chan struct{}
	st    *streamState // set by the first request
	nonce int64
	subs  [types.UnknownType]sotwSub
}

func (s *Server) newSotwStream(send func(*response) error) *sotwStream {
	return &sotwStream{s: s, id: s.sotwIDs.Add(1), send: send, wake: make(chan struct{}, 1)}
}

// close forgets the stream: its proxy no longer wakes it, and the proxy goes with its last stream.
func (ss *sotwStream) close() {
	if ss.st != nil {
		p := ss.st.proxy
		p.watchMu.Lock()
		delete(p.sotwStreams, ss)
		p.watchMu.Unlock()
	}
	ss.s.detach(ss.id, false)
}

// request handles one DiscoveryRequest: the first binds the stream to its proxy; each is
// accounted (ACK, NACK), updates its type's subscription and is answered if the stream lacks
// something of it.
func (ss *sotwStream) request(req *discovery.DiscoveryRequest) error {
	url := req.GetTypeUrl()
	if url == "" {
		return status.Errorf(codes.InvalidArgument, "type URL is required for ADS")
	}
	s := ss.s
	first := ss.st == nil
	st, err := s.attach(ss.id, false, req)
	if err != nil {
		return err
	}
	ss.st = st
	p := st.proxy
	if first {
		p.watchMu.Lock()
		if !p.closed {
			p.sotwStreams[ss] = struct{}{}
		}
		p.watchMu.Unlock()
	}
	s.account(st, url, req.GetResponseNonce(), req.GetVersionInfo(), req.GetErrorDetail())
	t := cache.GetResponseType(url)
	if t == types.UnknownType {
		// Never answered, as the library's cache did not either.
		return nil
	}
	sub := &ss.subs[t]
	if sub.requested && sub.nonce != "" && req.GetResponseNonce() != sub.nonce {
		// An answer to an older response: the protocol says to ignore it.
		return nil
	}
	set := ss.published().set(url)
	if !sub.requested {
		sub.requested, sub.legacy = true, true
	}
	sub.subscribe(req.GetResourceNames(), set.names)
	sub.open = true
	return ss.respond(t, url, set, true)
}

// answer sends what a new snapshot changed, for each type whose latest response was answered.
func (ss *sotwStream) answer() error {
	snap := ss.published()
	for t := range ss.subs {
		sub := &ss.subs[t]
		if !sub.requested || !sub.open {
			continue
		}
		url, _ := cache.GetResponseTypeURL(types.ResponseType(t))
		if err := ss.respond(types.ResponseType(t), url, snap.set(url), false); err != nil {
			return err
		}
	}
	return nil
}

func (ss *sotwStream) published() *snapshot {
	if ss.st == nil {
		return nil
	}
	p := ss.st.proxy
	p.watchMu.Lock()
	defer p.watchMu.Unlock()
	return p.published
}

// respond sends set to the stream if it lacks something of it: a wildcard subscription the
// whole set when the version differs; a subscription by name the resources whose content the
// stream does not have (the protocol lets endpoints and routes be sent in part: the proxy keeps
// the others), with the new version even if none is. onRequest: a request may have widened the
// subscription at an unchanged version. A NACK is not answered by the same version again (as
// Istio): the proxy gets the next one.
func (ss *sotwStream) respond(t types.ResponseType, url string, set *typeSet, onRequest bool) error {
	sub := &ss.subs[t]
	if set.version == "" {
		// Not a type this proxy is given (or no snapshot yet): wait.
		return nil
	}
	var items []*marshaled
	switch {
	case sub.wildcard:
		if sub.version == set.version {
			return nil
		}
		items = set.allItems()
	case sub.version == set.version:
		if !onRequest {
			return nil
		}
		items = sub.lacking(set)
		if len(items) == 0 {
			return nil
		}
	default:
		items = sub.lacking(set)
	}
	ss.nonce++
	out := newResponse(set.version, url, strconv.FormatInt(ss.nonce, 10), items, set.anysOf(items))
	sub.open = false
	sub.nonce = out.Nonce
	sub.version = set.version
	if sub.wildcard {
		sub.has, sub.hasNames = nil, nil
	} else {
		sub.has, sub.hasNames = set, sub.names
	}
	ss.s.sentOn(ss.st, false, url, out.Nonce, out.VersionInfo, len(items), out.size())
	return ss.send(out)
}
