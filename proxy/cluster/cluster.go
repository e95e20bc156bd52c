package cluster

import (
	"context"
	"crypto/tls"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/tlsconf"
)

// Cluster is the running form of an ir.Cluster.
type Cluster struct {
	cfg       *ir.Cluster
	log       *slog.Logger
	hosts     atomic.Pointer[hostSet]
	rr        atomic.Uint64
	transport *transport
	tls       *upstreamTLS
	tlsByAddr atomic.Pointer[map[string]*tls.Config] // the matches' choice per endpoint
	// warming says why the cluster has no endpoints yet: the configuration's reason, or a secret the
	// proxy cannot resolve.
	warming string
	// unresolved counts the TLS settings naming a secret not known when the cluster was built.
	unresolved int
	limits     limits
	Stats      Stats

	mu        sync.Mutex // serialises host set rebuilds
	endpoints []ir.Endpoint
	stop      context.CancelFunc
}

// Stats are a cluster's counters, Envoy's cluster.<name>.* names without the prefix.
type Stats struct {
	RqTotal, Rq2xx, Rq3xx, Rq4xx, Rq5xx   atomic.Int64
	RqPendingOverflow, RqTimeout, RqRetry atomic.Int64
	RqRetryOverflow, RqRetrySuccess       atomic.Int64
	CxTotal, CxActive, CxConnectFail      atomic.Int64
	EjectionsTotal, EjectionsActive       atomic.Int64
	NoHealthyUpstream                     atomic.Int64
	SSLHandshakeFail                      atomic.Int64
}

// hostSet is an immutable view of the endpoints.
type hostSet struct {
	all     []*Host
	byAddr  map[string]*Host
	healthy int
	pool    []*Host // the hosts the picker balances over
	picker  picker  // nil: no host to pick
	// levels, when the endpoints have several priorities: each level's pool and the share of
	// requests (percent) it takes; pool and picker are then level 0's.
	levels []level
}

// level is one priority's healthy hosts and its share of the load.
type level struct {
	pool   []*Host
	picker picker
	load   int // percent
}

func newCluster(ctx context.Context, cfg *ir.Cluster, log *slog.Logger, secrets tlsconf.Secrets) *Cluster {
	ctx, cancel := context.WithCancel(ctx)
	c := &Cluster{cfg: cfg, log: log.With("cluster", cfg.Name), stop: cancel, warming: cfg.Warming, unresolved: unresolved(cfg, secrets)}
	if c.warming == "" {
		c.tls, c.warming = newUpstreamTLS(cfg, secrets)
		if c.warming != "" {
			c.log.Warn("cluster warming: TLS secret not available", "reason", c.warming)
		}
	}
	c.limits.init(cfg.Limits, cfg.HTTP2)
	c.transport = newTransport(c)
	c.setEndpoints(cfg.Endpoints)
	if cfg.Outlier != nil {
		go c.sweepOutliers(ctx)
	}
	if cfg.Type == ir.ClusterStrictDNS && c.warming == "" {
		go c.resolveLoop(ctx)
	}
	return c
}

// Warming says why the cluster has no endpoints yet ("": it is in service).
func (c *Cluster) Warming() string { return c.warming }

// Name is the cluster's name.
func (c *Cluster) Name() string { return c.cfg.Name }

// Config is the cluster's configuration.
func (c *Cluster) Config() *ir.Cluster { return c.cfg }

// sameSettings: a new configuration that differs only in endpoints keeps the running cluster.
func sameSettings(a, b *ir.Cluster) bool {
	x, y := *a, *b
	x.Endpoints, y.Endpoints = nil, nil
	return reflect.DeepEqual(x, y)
}

func (c *Cluster) close() {
	c.stop()
	c.transport.closeIdle()
}

// setEndpoints replaces the endpoints, keeping the Host of every address that stays.
func (c *Cluster) setEndpoints(eps []ir.Endpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endpoints = eps
	if c.cfg.Type == ir.ClusterStrictDNS {
		return // resolveLoop turns the names into hosts
	}
	if c.warming != "" {
		eps = nil
	}
	eps = c.endpointTLS(eps)
	c.rebuildLocked(expand(eps))
}

// endpointWeight combines an endpoint's weight with its locality's: a locality's share is its weight
// over the sum of locality weights, split among its endpoints by their weights.
type weighted struct {
	addr     string
	weight   uint64
	locality string
	priority uint32
}

func expand(eps []ir.Endpoint) []weighted {
	localitySum := map[string]uint64{}
	for _, e := range eps {
		localitySum[e.Locality] += uint64(max(e.Weight, 1))
	}
	out := make([]weighted, 0, len(eps))
	for _, e := range eps {
		w := uint64(max(e.Weight, 1))
		if e.LocalityWeight > 0 && len(localitySum) > 1 {
			// Scale to the locality's weight: w/sum(locality) × localityWeight, kept integral.
			w = max(1, w*uint64(e.LocalityWeight)*1000/localitySum[e.Locality])
		}
		out = append(out, weighted{e.Address, w, e.Locality, e.Priority})
	}
	return out
}

func (c *Cluster) rebuildLocked(eps []weighted) {
	old := c.hosts.Load()
	set := &hostSet{byAddr: make(map[string]*Host, len(eps))}
	for _, e := range eps {
		var h *Host
		if old != nil {
			if prev := old.byAddr[e.addr]; prev != nil && uint64(prev.Weight) == e.weight && prev.Priority == e.priority {
				h = prev
			}
		}
		if h == nil {
			h = newHost(e.addr, uint32(min(e.weight, 1<<31)), e.locality)
			h.Priority = e.priority
		}
		if _, dup := set.byAddr[e.addr]; dup {
			continue
		}
		set.byAddr[e.addr] = h
		set.all = append(set.all, h)
	}
	c.publishLocked(set)
}

// publishLocked picks the hosts to balance over and swaps the set in.
func (c *Cluster) publishLocked(set *hostSet) {
	healthy := make([]*Host, 0, len(set.all))
	multi := false
	for _, h := range set.all {
		if !h.Ejected() {
			healthy = append(healthy, h)
		}
		multi = multi || h.Priority != 0
	}
	set.healthy = len(healthy)
	pool := healthy
	threshold := c.cfg.PanicThreshold
	if len(set.all) > 0 && float64(len(healthy))*100 < threshold*float64(len(set.all)) {
		pool = set.all // panic mode: too few healthy hosts to trust the ejections
		multi = false
	}
	if multi && len(healthy) > 0 {
		set.levels = c.priorityLevels(set.all)
		pool = set.levels[0].pool
		if len(pool) == 0 {
			pool = healthy
		}
	}
	if len(pool) > 0 {
		set.pool = pool
		set.picker = newPicker(c.cfg.LB, pool, &c.rr, c.cfg.RingSize)
	}
	c.hosts.Store(set)
}

// overprovisioning is Envoy's default factor (140%): a level with 5 of 7 hosts healthy still takes
// all of its load.
const overprovisioning = 140

// priorityLevels splits the load among priorities as Envoy does: each level's health is its healthy
// share times the overprovisioning factor (at most 100%); level 0 takes its health, the next ones
// what is left up to their own, and when the levels together are less than 100% healthy their
// shares are scaled up to sum to 100.
func (c *Cluster) priorityLevels(all []*Host) []level {
	var total, healthy []int
	var pools [][]*Host
	for _, h := range all {
		p := int(h.Priority)
		for len(total) <= p {
			total, healthy, pools = append(total, 0), append(healthy, 0), append(pools, nil)
		}
		total[p]++
		if !h.Ejected() {
			healthy[p]++
			pools[p] = append(pools[p], h)
		}
	}
	health := make([]int, len(total))
	sum := 0
	for p := range total {
		if total[p] > 0 {
			health[p] = min(100, overprovisioning*healthy[p]/total[p])
		}
		sum += health[p]
	}
	sum = min(sum, 100)
	levels := make([]level, len(total))
	left := 100
	for p := range total {
		load := 0
		if sum > 0 {
			load = min(left, (health[p]*100+sum-1)/sum)
		}
		left -= load
		levels[p] = level{pool: pools[p], load: load}
		if len(pools[p]) > 0 && load > 0 {
			levels[p].picker = newPicker(c.cfg.LB, pools[p], &c.rr, c.cfg.RingSize)
		}
	}
	return levels
}

// Pick chooses an endpoint for a request to dst (the connection's original destination, used by
// ORIGINAL_DST clusters).
func (c *Cluster) Pick(t *Target, dst netip.AddrPort) (*Host, error) {
	if c.cfg.Type == ir.ClusterOriginalDst {
		if !dst.IsValid() || c.warming != "" {
			c.Stats.NoHealthyUpstream.Add(1)
			return nil, ErrNoHealthyUpstream
		}
		return newHost(dst.String(), 1, ""), nil
	}
	set := c.hosts.Load()
	if set.picker == nil {
		c.Stats.NoHealthyUpstream.Add(1)
		return nil, ErrNoHealthyUpstream
	}
	if len(set.levels) > 1 {
		r := rand.IntN(100)
		for _, l := range set.levels {
			if r < l.load && l.picker != nil {
				return pickAvoiding(l.picker, l.pool, t), nil
			}
			r -= l.load
		}
	}
	return pickAvoiding(set.picker, set.pool, t), nil
}

// Hosts are the cluster's endpoints now.
func (c *Cluster) Hosts() []*Host { return c.hosts.Load().all }

// HealthyCount is how many endpoints are not ejected.
func (c *Cluster) HealthyCount() int { return c.hosts.Load().healthy }

// Begin accounts a request to h; End must follow when its response is over.
func (c *Cluster) Begin(h *Host) {
	h.active.Add(1)
	h.rqTotal.Add(1)
	c.Stats.RqTotal.Add(1)
}

// End accounts the end of a request to h with its status (0 when there was no response, -1 for a
// TCP connection that ended normally) and whether connecting failed, and feeds outlier detection.
func (c *Cluster) End(h *Host, status int, connectFailed bool) {
	h.active.Add(-1)
	switch {
	case status >= 500:
		c.Stats.Rq5xx.Add(1)
	case status >= 400:
		c.Stats.Rq4xx.Add(1)
	case status >= 300:
		c.Stats.Rq3xx.Add(1)
	case status >= 200:
		c.Stats.Rq2xx.Add(1)
	}
	failed := status >= 500 || connectFailed || status == 0
	if failed {
		h.rqError.Add(1)
	}
	if c.cfg.Outlier != nil {
		c.observe(h, status, failed, connectFailed)
	}
}

// timeNow is replaced by tests of ejection times.
var timeNow = time.Now
