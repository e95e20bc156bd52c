package loadtest

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
)

// MaxRate is the fastest ramp istiod accepts without throttling new connections.
const MaxRate = 20

// Options describe a fleet of simulated proxies.
type Options struct {
	Proxies    int
	Namespaces int     // proxies are spread over load-0 ... load-(N-1)
	Rate       float64 // connections per second, at most MaxRate
	Delta      bool
	// IstioVersion is sent as ISTIO_VERSION; istiod refuses proxies far from its own version.
	IstioVersion string
	// Dial opens one proxy's connection (each proxy has its own, as Envoys do).
	Dial   func(ctx context.Context) (*grpc.ClientConn, error)
	Logger *slog.Logger
}

func (o *Options) validate() error {
	switch {
	case o.Proxies < 1:
		return fmt.Errorf("proxies: want at least 1, got %d", o.Proxies)
	case o.Rate <= 0 || o.Rate > MaxRate:
		return fmt.Errorf("rate: want (0, %d] connections per second, got %g", MaxRate, o.Rate)
	case o.Dial == nil:
		return fmt.Errorf("no dial function")
	}
	if o.Namespaces < 1 {
		o.Namespaces = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Fleet is a set of connected simulated proxies.
type Fleet struct {
	Clients []*Client
	conns   []*grpc.ClientConn
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu   sync.Mutex
	errs []error
}

// Start connects the proxies at the given rate and returns once each has its first configuration
// (or ctx ends). Close stops them.
func Start(ctx context.Context, opts Options) (*Fleet, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	f := &Fleet{cancel: cancel}
	tick := time.NewTicker(time.Duration(float64(time.Second) / opts.Rate))
	defer tick.Stop()
	for i := range opts.Proxies {
		node, err := SidecarNode(i, fmt.Sprintf("load-%d", i%opts.Namespaces), opts.IstioVersion)
		if err != nil {
			f.Close()
			return nil, err
		}
		conn, err := opts.Dial(ctx)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("dial for proxy %d: %w", i, err)
		}
		c := &Client{Node: node, Delta: opts.Delta}
		c.init()
		f.Clients = append(f.Clients, c)
		f.conns = append(f.conns, conn)
		f.wg.Go(func() {
			if err := c.Run(runCtx, conn); err != nil {
				opts.Logger.Warn("proxy stream ended", "proxy", node.GetId(), "error", err)
				f.mu.Lock()
				f.errs = append(f.errs, fmt.Errorf("%s: %w", node.GetId(), err))
				f.mu.Unlock()
			}
		})
		if i+1 < opts.Proxies {
			select {
			case <-tick.C:
			case <-ctx.Done():
				f.Close()
				return nil, ctx.Err()
			}
		}
	}
	for _, c := range f.Clients {
		if err := c.Wait(ctx, func(c *Client) bool { return !c.Stats().SyncedAt.IsZero() }); err != nil {
			f.Close()
			return nil, fmt.Errorf("first configuration: %w", err)
		}
	}
	return f, nil
}

// Errors returns the streams that ended before Close.
func (f *Fleet) Errors() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.errs)
}

// Close ends every stream and connection and waits for them.
func (f *Fleet) Close() {
	f.cancel()
	f.wg.Wait()
	for _, c := range f.conns {
		c.Close()
	}
}

// Summary is a distribution's figures.
type Summary struct {
	Count int     `json:"count"`
	Min   float64 `json:"min"`
	P50   float64 `json:"p50"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

func summarize(v []float64) Summary {
	if len(v) == 0 {
		return Summary{}
	}
	s := slices.Sorted(slices.Values(v))
	at := func(q float64) float64 {
		i := int(q*float64(len(s)-1) + 0.5)
		return s[i]
	}
	return Summary{Count: len(s), Min: s[0], P50: at(0.5), P99: at(0.99), Max: s[len(s)-1]}
}

// FirstSyncBytes summarizes the bytes each proxy received until its first full configuration.
func (f *Fleet) FirstSyncBytes() Summary {
	v := make([]float64, 0, len(f.Clients))
	for _, c := range f.Clients {
		if st := c.Stats(); !st.SyncedAt.IsZero() {
			v = append(v, float64(st.SyncBytes))
		}
	}
	return summarize(v)
}

// Convergence is what one trigger produced.
type Convergence struct {
	// Seconds from the trigger to each converged proxy's last response of the push.
	Seconds Summary `json:"seconds"`
	// Unconverged proxies received nothing after the trigger.
	Unconverged int `json:"unconverged"`
	// Bytes received per proxy by the push.
	Bytes Summary `json:"bytes"`
}

// Measure runs trigger, then waits until every proxy received a response and none came for
// settle (or ctx ends): a proxy has the new configuration at its last response of the push.
func (f *Fleet) Measure(ctx context.Context, settle time.Duration, trigger func(context.Context) error) (Convergence, error) {
	before := make([]Stats, len(f.Clients))
	for i, c := range f.Clients {
		before[i] = c.Stats()
	}
	t0 := time.Now()
	if err := trigger(ctx); err != nil {
		return Convergence{}, fmt.Errorf("trigger: %w", err)
	}
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		done, last := 0, t0
		for _, c := range f.Clients {
			if st := c.Stats(); st.LastRecv.After(t0) {
				done++
				if st.LastRecv.After(last) {
					last = st.LastRecv
				}
			}
		}
		quiet := time.Since(last) >= settle
		if (done == len(f.Clients) && quiet) || ctx.Err() != nil {
			break
		}
		select {
		case <-poll.C:
		case <-ctx.Done():
		}
	}
	var secs, bytes []float64
	var out Convergence
	for i, c := range f.Clients {
		st := c.Stats()
		if !st.LastRecv.After(t0) {
			out.Unconverged++
			continue
		}
		secs = append(secs, st.LastRecv.Sub(t0).Seconds())
		bytes = append(bytes, float64(st.Bytes-before[i].Bytes))
	}
	out.Seconds, out.Bytes = summarize(secs), summarize(bytes)
	return out, nil
}
