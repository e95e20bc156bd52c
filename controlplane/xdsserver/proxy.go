package xdsserver

import (
	"fmt"
	"sync"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/meshctl/meshctl/meshapi"
)

// proxyState is one node id's configuration and accounting, shared by its streams (a proxy that
// reconnects before its old stream is gone has two for a moment).
type proxyState struct {
	key   string // the node id as sent: the cache's key
	proxy *Proxy

	// streams is guarded by Server.mu.
	streams int

	// mu serializes generation and snapshot updates for this proxy.
	mu     sync.Mutex
	snap   *snapshot
	pushes uint64 // generations, for /debug/syncz and tests

	// watchMu guards the configuration the proxy's streams are served, its state-of-the-world
	// streams (woken when it changes), and closed (the node's last stream ended).
	watchMu     sync.Mutex
	closed      bool
	published   *snapshot
	sotwStreams map[*sotwStream]struct{}

	// statsMu guards the accounting the stream callbacks update.
	statsMu sync.Mutex
	stats   map[string]*typeStats
	// awaiting are the types of the latest push not sent yet, and since when.
	awaiting      map[string]bool
	awaitingSince time.Time
	// unacked are the types pushed and not answered yet, slot the throttle's slot they hold.
	unacked map[string]bool
	slot    *slot
}

// typeStats is what /debug/syncz reports per proxy and type.
type typeStats struct {
	subscribed    bool
	sent, acked   uint64
	nacked        uint64
	sentVersion   string
	sentNonce     string
	ackedVersion  string
	lastNack      string
	lastNackAt    time.Time
	lastSentAt    time.Time
	resourcesSent int
	bytesSent     int
}

func (p *proxyState) typeStats(typeURL string) *typeStats {
	ts := p.stats[typeURL]
	if ts == nil {
		ts = &typeStats{}
		p.stats[typeURL] = ts
	}
	return ts
}

// parseNode reads an Istio node: its id (sidecar~IP~POD.NS~DOMAIN) and its metadata struct.
func parseNode(n *core.Node) (*Proxy, error) {
	if n == nil {
		return nil, fmt.Errorf("the stream's first request carries no node")
	}
	id, err := meshapi.ParseNodeID(n.GetId())
	if err != nil {
		return nil, err
	}
	md, err := meshapi.ParseNodeMetadata(n.GetMetadata().AsMap())
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", n.GetId(), err)
	}
	return &Proxy{ID: id, Meta: md}, nil
}

func newProxyState(key string, p *Proxy) *proxyState {
	return &proxyState{
		key:         key,
		proxy:       p,
		stats:       map[string]*typeStats{},
		sotwStreams: map[*sotwStream]struct{}{},
		unacked:     map[string]bool{},
	}
}

func (p *proxyState) isClosed() bool {
	p.watchMu.Lock()
	defer p.watchMu.Unlock()
	return p.closed
}
