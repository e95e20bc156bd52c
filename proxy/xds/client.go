// Package xds is the proxy's xDS client: one ADS stream (state of the world) to meshd, over which it
// asks for clusters, endpoints, listeners and routes, translates exactly what docs/xds.md lists into
// the proxy's configuration, and acknowledges each response, or refuses it with the reason, keeping
// the last good configuration. It reconnects with back-off and keeps serving meanwhile.
package xds

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	"github.com/meshctl/meshctl/proxy/ir"
)

// Back-off between connection attempts: doubling from the first to the last, jittered.
const (
	backoffFirst = 500 * time.Millisecond
	backoffLast  = 30 * time.Second
	// stableStream is how long a stream must have lived for the back-off to start over.
	stableStream = 30 * time.Second
)

// Client keeps the proxy's configuration in step with meshd.
type Client struct {
	Addr  string
	Node  *corev3.Node
	Log   *slog.Logger
	Apply func(*ir.Config) error
	// DialOptions replace the default (plaintext) transport: TLS to meshd (the agent sets it), tests.
	DialOptions []grpc.DialOption

	mu       sync.Mutex
	accepted *State // the last state applied; what config_dump shows
	nacks    int
	acks     int
}

// Run keeps a stream open until ctx ends.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.accepted == nil {
		c.accepted = NewState()
	}
	c.mu.Unlock()
	backoff := backoffFirst
	for {
		start := time.Now()
		err := c.stream(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > stableStream {
			backoff = backoffFirst
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		c.Log.Warn("xDS stream ended; serving the last good configuration and reconnecting", "address", c.Addr, "err", err, "retry_in", wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(backoff*2, backoffLast)
	}
}

// Accepted is the last state applied.
func (c *Client) Accepted() *State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accepted
}

// Counts are the responses acknowledged and refused so far.
func (c *Client) Counts() (acks, nacks int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acks, c.nacks
}

// stream is one ADS stream: it subscribes, then handles responses until the stream breaks.
func (c *Client) stream(ctx context.Context) error {
	opts := c.DialOptions
	if opts == nil {
		opts = []grpc.DialOption{
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		}
	}
	conn, err := grpc.NewClient(c.Addr, opts...)
	if err != nil {
		return fmt.Errorf("dial %s: %w", c.Addr, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ads, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return fmt.Errorf("open ADS stream to %s: %w", c.Addr, err)
	}
	s := &session{c: c, ads: ads, nonces: map[string]string{}, subscribed: map[string][]string{}}
	// The first request carries the node; clusters and listeners are wildcard subscriptions, and
	// what the last stream learnt is asked for again at once.
	st := c.Accepted()
	if err := s.subscribe(resourcev3.ClusterType, nil, st); err != nil {
		return err
	}
	if err := s.subscribe(resourcev3.ListenerType, nil, st); err != nil {
		return err
	}
	if err := s.follow(st); err != nil {
		return err
	}
	for {
		resp, err := ads.Recv()
		if err != nil {
			return err
		}
		if err := s.handle(resp); err != nil {
			return err
		}
	}
}

type session struct {
	c          *Client
	ads        discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	nonces     map[string]string
	subscribed map[string][]string
	sentNode   bool
}

func (s *session) send(req *discoveryv3.DiscoveryRequest) error {
	if !s.sentNode {
		req.Node = s.c.Node
		s.sentNode = true
	}
	return s.ads.Send(req)
}

// subscribe asks for a type, naming resources (nil: all of them, for the wildcard types).
func (s *session) subscribe(typ string, names []string, st *State) error {
	s.subscribed[typ] = names
	return s.send(&discoveryv3.DiscoveryRequest{TypeUrl: typ, VersionInfo: st.Versions[typ], ResourceNames: names, ResponseNonce: s.nonces[typ]})
}

// follow updates the EDS, RDS and SDS subscriptions to what the state's clusters and listeners name.
func (s *session) follow(st *State) error {
	for _, sub := range []struct {
		typ   string
		names []string
	}{{resourcev3.EndpointType, st.EDSNames()}, {resourcev3.RouteType, st.RDSNames()}, {resourcev3.SecretType, st.SDSNames()}} {
		prev, asked := s.subscribed[sub.typ]
		if asked && slices.Equal(prev, sub.names) {
			continue
		}
		if !asked && len(sub.names) == 0 {
			continue
		}
		if sub.names == nil {
			sub.names = []string{} // unsubscribe from all, which is not a wildcard
		}
		if err := s.subscribe(sub.typ, sub.names, st); err != nil {
			return err
		}
	}
	return nil
}

// handle applies a response and acknowledges or refuses it.
func (s *session) handle(resp *discoveryv3.DiscoveryResponse) error {
	c := s.c
	typ := resp.GetTypeUrl()
	s.nonces[typ] = resp.GetNonce()
	prev := c.Accepted()
	next, err := prev.with(typ, resp.GetVersionInfo(), resp.GetResources())
	if err == nil && next.Complete() {
		var cfg *ir.Config
		if cfg, err = next.Translate(); err == nil {
			err = c.Apply(cfg)
		}
	}
	if err != nil {
		c.mu.Lock()
		c.nacks++
		c.mu.Unlock()
		c.Log.Error("configuration refused; keeping the last good one", "type", typ, "version", resp.GetVersionInfo(), "err", err)
		return s.send(&discoveryv3.DiscoveryRequest{
			TypeUrl: typ, VersionInfo: prev.Versions[typ], ResourceNames: s.subscribed[typ], ResponseNonce: resp.GetNonce(),
			ErrorDetail: &status.Status{Code: int32(codes.InvalidArgument), Message: err.Error()},
		})
	}
	c.mu.Lock()
	c.accepted = next
	c.acks++
	c.mu.Unlock()
	c.Log.Debug("configuration accepted", "type", typ, "version", resp.GetVersionInfo(), "resources", len(resp.GetResources()))
	if err := s.send(&discoveryv3.DiscoveryRequest{TypeUrl: typ, VersionInfo: resp.GetVersionInfo(), ResourceNames: s.subscribed[typ], ResponseNonce: resp.GetNonce()}); err != nil {
		return err
	}
	return s.follow(next)
}
