package loadtest

import (
	"context"
	"fmt"
	"slices"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

func (c *Client) runDelta(ctx context.Context, ads discovery.AggregatedDiscoveryServiceClient) error {
	stream, err := ads.DeltaAggregatedResources(ctx)
	if err != nil {
		return fmt.Errorf("open delta ADS stream: %w", err)
	}
	s := &deltaSender{stream: stream, node: c.Node}
	return serve(c, s, stream.Recv, func(resp *discovery.DeltaDiscoveryResponse) error { return c.handleDelta(s, resp) })
}

type deltaSender struct {
	stream discovery.AggregatedDiscoveryService_DeltaAggregatedResourcesClient
	node   *core.Node
}

func (s *deltaSender) send(req *discovery.DeltaDiscoveryRequest) error {
	if s.node != nil {
		req.Node = s.node
		s.node = nil
	}
	if err := s.stream.Send(req); err != nil {
		return fmt.Errorf("send delta %s request: %w", req.GetTypeUrl(), err)
	}
	return nil
}

// subscribe opens a wildcard subscription (CDS, LDS).
func (s *deltaSender) subscribe(typeURL string, _ *typeState, names []string) error {
	return s.send(&discovery.DeltaDiscoveryRequest{TypeUrl: typeURL, ResourceNamesSubscribe: names})
}

// resubscribe moves a named subscription (EDS, RDS) from old names to new ones.
func (s *deltaSender) resubscribe(typeURL string, old, names []string) error {
	var add, drop []string
	for _, n := range names {
		if _, found := slices.BinarySearch(old, n); !found {
			add = append(add, n)
		}
	}
	for _, n := range old {
		if _, found := slices.BinarySearch(names, n); !found {
			drop = append(drop, n)
		}
	}
	if len(add) == 0 && len(drop) == 0 {
		return nil
	}
	return s.send(&discovery.DeltaDiscoveryRequest{TypeUrl: typeURL, ResourceNamesSubscribe: add, ResourceNamesUnsubscribe: drop})
}

func (c *Client) handleDelta(s *deltaSender, resp *discovery.DeltaDiscoveryResponse) error {
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
		return s.send(&discovery.DeltaDiscoveryRequest{TypeUrl: t, ResponseNonce: st.nonce,
			ErrorDetail: &status.Status{Code: int32(codes.InvalidArgument), Message: msg}})
	}
	for _, r := range resp.GetResources() {
		st.resources[r.GetName()] = r.GetResource()
	}
	for _, name := range resp.GetRemovedResources() {
		delete(st.resources, name)
	}
	st.received = true
	st.responses++
	c.mu.Unlock()
	if err := s.send(&discovery.DeltaDiscoveryRequest{TypeUrl: t, ResponseNonce: st.nonce}); err != nil {
		return err
	}
	return c.follow(s, t)
}
