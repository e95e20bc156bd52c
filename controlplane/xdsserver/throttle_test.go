package xdsserver

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"

	"github.com/meshctl/meshctl/controlplane/loadtest"
)

// inFlight counts, on the wire, the streams that were sent a response they have not answered yet.
type inFlight struct {
	mu      sync.Mutex
	pending map[grpc.ServerStream]map[string]string // by stream: type URL -> nonce sent
	now     int
	max     int
}

func (f *inFlight) reset() { f.mu.Lock(); f.max = f.now; f.mu.Unlock() }

func (f *inFlight) maxSeen() int { f.mu.Lock(); defer f.mu.Unlock(); return f.max }

func (f *inFlight) interceptor(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &countingStream{ServerStream: ss, f: f})
}

type countingStream struct {
	grpc.ServerStream
	f *inFlight
}

func (s *countingStream) SendMsg(m any) error {
	if r, ok := m.(*response); ok {
		f := s.f
		f.mu.Lock()
		p := f.pending[s.ServerStream]
		if len(p) == 0 {
			f.now++
			f.max = max(f.max, f.now)
		}
		if p == nil {
			p = map[string]string{}
			f.pending[s.ServerStream] = p
		}
		p[r.GetTypeUrl()] = r.GetNonce()
		f.mu.Unlock()
	}
	return s.ServerStream.SendMsg(m)
}

func (s *countingStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if r, ok := m.(*discovery.DiscoveryRequest); ok && err == nil {
		f := s.f
		f.mu.Lock()
		p := f.pending[s.ServerStream]
		if n, sent := p[r.GetTypeUrl()]; sent && n == r.GetResponseNonce() {
			delete(p, r.GetTypeUrl())
			if len(p) == 0 {
				f.now--
			}
		}
		f.mu.Unlock()
	}
	return err
}

// However many proxies a push reaches, at most PushThrottle of them have a response not
// answered yet.
func TestPushThrottleBound(t *testing.T) {
	const proxies, bound = 12, 3
	gen := newFakeGen(50)
	srv, err := New(Options{Generator: gen, DebounceAfter: 10 * time.Millisecond, DebounceMax: time.Second,
		PushThrottle: bound, PushAckTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	f := &inFlight{pending: map[grpc.ServerStream]map[string]string{}}
	g := grpc.NewServer(ServerOption(), grpc.StreamInterceptor(f.interceptor))
	srv.Register(g)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = g.Serve(lis) })
	wg.Go(func() { _ = srv.Run(ctx) })
	t.Cleanup(func() { cancel(); g.Stop(); wg.Wait() })

	var clients []*loadtest.Client
	for i := range proxies {
		clients = append(clients, connect(t, lis.Addr().String(), i, "a", false, nil))
	}
	wctx := waitCtx(t)
	for _, c := range clients {
		if err := c.Wait(wctx, synced); err != nil {
			t.Fatal(err)
		}
	}
	// First syncs answer requests, not pushes: they are not throttled.
	waitFor(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.now == 0 })
	f.reset()
	for v := 1; v <= 3; v++ {
		gen.bumpConfig()
		srv.Notify(Change{Kinds: []string{"VirtualService"}})
		for _, c := range clients {
			if err := c.Wait(wctx, hasDomainVersion(v)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := f.maxSeen(); got > bound || got == 0 {
		t.Errorf("%d proxies had a push response unanswered at once, want 1 to %d", got, bound)
	}
}
