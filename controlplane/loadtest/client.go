package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Client is one simulated proxy on one ADS stream.
type Client struct {
	Node *core.Node
	// Delta selects the incremental protocol; state of the world otherwise.
	Delta bool
	// Reject, when set, is asked about every response: a non-empty answer NACKs it with that message.
	Reject func(typeURL string) string

	mu        sync.Mutex
	types     map[string]*typeState
	responses int
	bytes     int64
	lastRecv  time.Time
	syncedAt  time.Time
	syncBytes int64
	changed   chan struct{}
}

type typeState struct {
	subscribed bool
	names      []string // sorted; EDS and RDS only
	version    string   // last ACKed (SotW)
	nonce      string   // last received
	received   bool     // a response arrived since the names last changed
	responses  int
	nacks      int
	resources  map[string]*anypb.Any
	// received counts the resources of every response ACKed.
	receivedResources int
}

// Stats is what a client measured.
type Stats struct {
	Responses int
	Bytes     int64
	LastRecv  time.Time
	// SyncedAt is when CDS, EDS, LDS and RDS had all been answered once; SyncBytes what had
	// arrived by then.
	SyncedAt  time.Time
	SyncBytes int64
}

func (c *Client) init() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.types == nil {
		c.types = map[string]*typeState{}
		for _, t := range []string{resource.ClusterType, resource.EndpointType, resource.ListenerType, resource.RouteType} {
			c.types[t] = &typeState{resources: map[string]*anypb.Any{}}
		}
		c.changed = make(chan struct{}, 1)
	}
}

// Run streams until ctx ends or the server closes the stream. A closed stream is an error.
func (c *Client) Run(ctx context.Context, conn grpc.ClientConnInterface) error {
	c.init()
	ads := discovery.NewAggregatedDiscoveryServiceClient(conn)
	var err error
	if c.Delta {
		err = c.runDelta(ctx, ads)
	} else {
		err = c.runSotw(ctx, ads)
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// sender abstracts the two protocols' requests for the subscription logic.
type sender interface {
	subscribe(typeURL string, st *typeState, names []string) error
}

func (c *Client) runSotw(ctx context.Context, ads discovery.AggregatedDiscoveryServiceClient) error {
	stream, err := ads.StreamAggregatedResources(ctx)
	if err != nil {
		return fmt.Errorf("open ADS stream: %w", err)
	}
	s := &sotwSender{stream: stream, node: c.Node}
	return serve(c, s, stream.Recv, func(resp *discovery.DiscoveryResponse) error { return c.handleSotw(*s, resp) })
}

// serve is both protocols' stream loop: the wildcard subscriptions Envoy opens first (clusters,
// listeners), then every response handed to handle until the stream ends.
func serve[R any](c *Client, s sender, recv func() (R, error), handle func(R) error) error {
	for _, t := range []string{resource.ClusterType, resource.ListenerType} {
		if err := s.subscribe(t, c.types[t], nil); err != nil {
			return err
		}
	}
	for {
		resp, err := recv()
		if err != nil {
			return recvError(err)
		}
		if err := handle(resp); err != nil {
			return err
		}
	}
}

type sotwSender struct {
	stream discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	node   *core.Node
}

func (s sotwSender) send(req *discovery.DiscoveryRequest) error {
	if s.node != nil {
		// Only the first request carries the node, as Envoy sends it.
		req.Node = s.node
	}
	if err := s.stream.Send(req); err != nil {
		return fmt.Errorf("send %s request: %w", req.GetTypeUrl(), err)
	}
	return nil
}

func (s *sotwSender) subscribe(typeURL string, st *typeState, names []string) error {
	err := s.send(&discovery.DiscoveryRequest{TypeUrl: typeURL, VersionInfo: st.version, ResponseNonce: st.nonce, ResourceNames: names})
	s.node = nil
	return err
}

func (c *Client) handleSotw(s sotwSender, resp *discovery.DiscoveryResponse) error {
	t := resp.GetTypeUrl()
	c.mu.Lock()
	st := c.types[t]
	if st == nil {
		c.mu.Unlock()
		return nil
	}
	c.count(proto.Size(resp))
	st.nonce = resp.GetNonce()
	if msg := c.reject(t); msg != "" {
		st.nacks++
		c.mu.Unlock()
		return s.send(&discovery.DiscoveryRequest{TypeUrl: t, VersionInfo: st.version, ResponseNonce: st.nonce, ResourceNames: st.names,
			ErrorDetail: &status.Status{Code: int32(codes.InvalidArgument), Message: msg}})
	}
	if t == resource.ClusterType || t == resource.ListenerType {
		// State of the world; endpoints and routes may come in part, as Envoy keeps the others.
		clear(st.resources)
	}
	for _, r := range resp.GetResources() {
		st.resources[anyName(r)] = r
	}
	st.receivedResources += len(resp.GetResources())
	st.version = resp.GetVersionInfo()
	st.received = true
	st.responses++
	ack := &discovery.DiscoveryRequest{TypeUrl: t, VersionInfo: st.version, ResponseNonce: st.nonce, ResourceNames: st.names}
	c.mu.Unlock()
	if err := s.send(ack); err != nil {
		return err
	}
	return c.follow(&s, t)
}

// follow subscribes to the EDS or RDS names a CDS or LDS answer references, as Envoy does.
func (c *Client) follow(s sender, t string) error {
	c.mu.Lock()
	var dep string
	var names []string
	switch t {
	case resource.ClusterType:
		dep, names = resource.EndpointType, edsNames(c.types[t].resources)
	case resource.ListenerType:
		dep, names = resource.RouteType, rdsNames(c.types[t].resources)
	}
	var st *typeState
	if dep != "" {
		st = c.types[dep]
		if slices.Equal(st.names, names) && (st.subscribed || len(names) == 0) {
			st = nil
		}
	}
	if st == nil {
		c.markSynced()
		c.mu.Unlock()
		c.signal()
		return nil
	}
	old := st.names
	st.names = names
	for n := range st.resources {
		// Endpoints and routes come in part: what is no longer asked for is dropped here.
		if _, found := slices.BinarySearch(names, n); !found {
			delete(st.resources, n)
		}
	}
	st.subscribed = true
	st.received = false
	c.mu.Unlock()
	c.signal()
	if d, ok := s.(*deltaSender); ok {
		return d.resubscribe(dep, old, names)
	}
	return s.subscribe(dep, st, names)
}

func (c *Client) reject(t string) string {
	if c.Reject == nil {
		return ""
	}
	return c.Reject(t)
}

// count is called with c.mu held.
func (c *Client) count(size int) {
	c.responses++
	c.bytes += int64(size)
	c.lastRecv = time.Now()
}

// markSynced is called with c.mu held.
func (c *Client) markSynced() {
	if !c.syncedAt.IsZero() {
		return
	}
	for _, t := range []string{resource.ClusterType, resource.ListenerType} {
		if !c.types[t].received {
			return
		}
	}
	for _, t := range []string{resource.EndpointType, resource.RouteType} {
		st := c.types[t]
		if st.subscribed && !st.received {
			return
		}
	}
	c.syncedAt = time.Now()
	c.syncBytes = c.bytes
}

func (c *Client) signal() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// Stats returns what the client measured so far.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Responses: c.responses, Bytes: c.bytes, LastRecv: c.lastRecv, SyncedAt: c.syncedAt, SyncBytes: c.syncBytes}
}

// Responses counts the responses received (ACKed or NACKed) of one type.
func (c *Client) Responses(typeURL string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.types[typeURL]; st != nil {
		return st.responses + st.nacks
	}
	return 0
}

// ResourcesReceived counts the resources of one type received in the responses ACKed (state of
// the world).
func (c *Client) ResourcesReceived(typeURL string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.types[typeURL]; st != nil {
		return st.receivedResources
	}
	return 0
}

// Resources returns the client's current resources of one type, serialized deterministically.
func (c *Client) Resources(typeURL string) map[string][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]byte{}
	st := c.types[typeURL]
	if st == nil {
		return out
	}
	for name, a := range st.resources {
		out[name] = a.GetValue()
	}
	return out
}

// Wait blocks until ok returns true for the client, or ctx ends.
func (c *Client) Wait(ctx context.Context, ok func(*Client) bool) error {
	c.init()
	for {
		if ok(c) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", c.Node.GetId(), ctx.Err())
		case <-c.changed:
		case <-time.After(50 * time.Millisecond):
			// Another waiter may have taken the signal.
		}
	}
}

func recvError(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("server closed the stream")
	}
	return fmt.Errorf("receive: %w", err)
}

// anyName is a resource's name: field 1 of Cluster, Listener, RouteConfiguration (name) and
// ClusterLoadAssignment (cluster_name) alike.
func anyName(a *anypb.Any) string {
	return stringField(a.GetValue(), 1)
}

// edsNames are the EDS service names of the EDS clusters, sorted.
func edsNames(clusters map[string]*anypb.Any) []string {
	set := map[string]bool{}
	for _, a := range clusters {
		if name := edsServiceName(a.GetValue()); name != "" {
			set[name] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// rdsNames are the route configuration names the listeners' HTTP connection managers use, sorted.
func rdsNames(listeners map[string]*anypb.Any) []string {
	set := map[string]bool{}
	for _, a := range listeners {
		var l listenerv3.Listener
		if a.UnmarshalTo(&l) != nil {
			continue
		}
		chains := slices.Clone(l.GetFilterChains())
		if l.GetDefaultFilterChain() != nil {
			chains = append(chains, l.GetDefaultFilterChain())
		}
		for _, ch := range chains {
			for _, f := range ch.GetFilters() {
				var m hcm.HttpConnectionManager
				if f.GetTypedConfig() == nil || f.GetTypedConfig().UnmarshalTo(&m) != nil {
					continue
				}
				if n := m.GetRds().GetRouteConfigName(); n != "" {
					set[n] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}
