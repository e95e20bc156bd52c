package xdsserver

import (
	"context"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
)

// callbacks receive go-control-plane's delta stream events: they bind streams to proxies and keep
// the ACK/NACK accounting. They run on the stream's goroutine and never wait on another proxy.
// State-of-the-world streams never reach the library (ads serves them): its events for them are
// no-ops.
type callbacks struct{ s *Server }

func (c callbacks) OnStreamOpen(context.Context, int64, string) error      { return nil }
func (c callbacks) OnDeltaStreamOpen(context.Context, int64, string) error { return nil }
func (c callbacks) OnStreamClosed(int64, *core.Node)                       {}
func (c callbacks) OnDeltaStreamClosed(id int64, _ *core.Node)             { c.s.detach(id, true) }
func (c callbacks) OnFetchRequest(context.Context, *discovery.DiscoveryRequest) error {
	return nil
}
func (c callbacks) OnFetchResponse(*discovery.DiscoveryRequest, *discovery.DiscoveryResponse) {}
func (c callbacks) OnStreamRequest(int64, *discovery.DiscoveryRequest) error {
	return nil
}
func (c callbacks) OnStreamResponse(context.Context, int64, *discovery.DiscoveryRequest, *discovery.DiscoveryResponse) {
}

func (c callbacks) OnStreamDeltaRequest(id int64, req *discovery.DeltaDiscoveryRequest) error {
	st, err := c.s.attach(id, true, req)
	if err != nil {
		return err
	}
	c.s.account(st, req.GetTypeUrl(), req.GetResponseNonce(), "", req.GetErrorDetail())
	return nil
}

func (c callbacks) OnStreamDeltaResponse(id int64, req *discovery.DeltaDiscoveryRequest, resp *discovery.DeltaDiscoveryResponse) {
	c.s.sent(id, true, req.GetTypeUrl(), resp.GetNonce(), resp.GetSystemVersionInfo(), len(resp.GetResources()), proto.Size(resp))
}

// account reads one request: a subscription (no nonce), an ACK or a NACK of the latest response
// (the nonce matches), or a stale answer to an older response (ignored, as the protocol says).
func (s *Server) account(st *streamState, typeURL, nonce, version string, nack *status.Status) {
	p := st.proxy
	p.statsMu.Lock()
	ts := p.typeStats(typeURL)
	ts.subscribed = true
	var rejected bool
	switch {
	case nonce == "" || nonce != ts.sentNonce:
	case nack != nil:
		rejected = true
		ts.nacked++
		ts.lastNack = nack.GetMessage()
		ts.lastNackAt = time.Now()
		// Counted with the proxy's own account, so that /debug/syncz and /metrics agree at any
		// moment (a reader that saw the NACK in one saw it in the other).
		if m := s.opts.Metrics; m != nil {
			m.Rejects.WithLabelValues(shortTypeURL(typeURL)).Inc()
		}
	default:
		ts.acked++
		if version != "" {
			ts.ackedVersion = version
		} else {
			ts.ackedVersion = ts.sentVersion
		}
	}
	if nonce != "" && nonce == ts.sentNonce && !p.awaiting[typeURL] {
		// The answer to the push's response of this type. A delta stream is sent nothing for
		// a type without changed resources: its first answer ends the push.
		delete(p.unacked, typeURL)
		if st.delta {
			clear(p.unacked)
		}
		if len(p.unacked) == 0 {
			s.releaseLocked(p, nil)
		}
	}
	p.statsMu.Unlock()
	if rejected {
		s.log.Warn("proxy rejected configuration", "proxy", p.key, "type", typeURL, "nonce", nonce,
			"version", version, "code", nack.GetCode(), "error", nack.GetMessage())
	}
}

// sent records a response about to leave on a stream.
func (s *Server) sent(id int64, delta bool, typeURL, nonce, version string, resources, bytes int) {
	streams := s.sotw
	if delta {
		streams = s.delta
	}
	s.mu.RLock()
	st := streams[id]
	s.mu.RUnlock()
	if st == nil {
		return
	}
	s.sentOn(st, delta, typeURL, nonce, version, resources, bytes)
}

// sentOn is sent once the stream is known.
func (s *Server) sentOn(st *streamState, delta bool, typeURL, nonce, version string, resources, bytes int) {
	p := st.proxy
	now := time.Now()
	p.statsMu.Lock()
	ts := p.typeStats(typeURL)
	ts.sent++
	ts.sentNonce = nonce
	ts.sentVersion = version
	ts.lastSentAt = now
	ts.resourcesSent = resources
	ts.bytesSent += bytes
	var converged time.Duration
	if p.awaiting[typeURL] {
		delete(p.awaiting, typeURL)
		if delta {
			// A delta stream is sent nothing for a type whose resources did not change: its
			// first response of the push is the one to count.
			clear(p.awaiting)
		}
		if len(p.awaiting) == 0 {
			converged = now.Sub(p.awaitingSince)
		}
	}
	p.statsMu.Unlock()
	if m := s.opts.Metrics; m != nil {
		m.Pushes.WithLabelValues(shortTypeURL(typeURL)).Inc()
		if converged > 0 {
			m.ConvergenceTime.Observe(converged.Seconds())
		}
	}
}
