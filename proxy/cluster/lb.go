package cluster

import (
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"github.com/meshctl/meshctl/proxy/ir"
)

// Target is what a pick may use: the request's hash (consistent hashing) and the hosts a retry
// should avoid (Istio's previous_hosts predicate), with how many picks it may draw to avoid them.
type Target struct {
	Hash     uint64
	HasHash  bool
	Tried    []*Host
	Attempts int // host_selection_retry_max_attempts; 0: one
}

// picker chooses among a fixed host set.
type picker interface {
	pick(t *Target) *Host
}

// pickAvoiding picks, avoiding the hosts a retry already tried: the balancer's choice, redrawn at
// random up to t.Attempts picks in all (a hash pick would only give the same host again), then the
// first host of the pool not tried yet; when every host was tried, the balancer's choice.
func pickAvoiding(p picker, pool []*Host, t *Target) *Host {
	h := p.pick(t)
	if t == nil || len(t.Tried) == 0 || !slices.Contains(t.Tried, h) {
		return h
	}
	for i := 1; i < t.Attempts; i++ {
		if r := p.pick(&Target{}); !slices.Contains(t.Tried, r) {
			return r
		}
	}
	for _, o := range pool {
		if !slices.Contains(t.Tried, o) {
			return o
		}
	}
	return h
}

func newPicker(policy ir.LBPolicy, hosts []*Host, rr *atomic.Uint64, ringSize int) picker {
	switch policy {
	case ir.LBRandom:
		return newRandomPicker(hosts)
	case ir.LBLeastRequest:
		return &leastRequest{hosts: hosts}
	case ir.LBRingHash:
		return newRing(hosts, ringSize)
	}
	return newRoundRobin(hosts, rr)
}

// roundRobin cycles through the hosts; with unequal weights through a smooth weighted schedule
// (nginx's algorithm), so that a heavy host's turns are spread out.
type roundRobin struct {
	hosts    []*Host
	schedule []int32 // nil: equal weights
	next     *atomic.Uint64
}

// maxSchedule bounds the weighted schedule; weights are scaled down to fit.
const maxSchedule = 4096

func newRoundRobin(hosts []*Host, next *atomic.Uint64) *roundRobin {
	rr := &roundRobin{hosts: hosts, next: next}
	var total uint64
	equal := true
	for _, h := range hosts {
		total += uint64(h.Weight)
		equal = equal && h.Weight == hosts[0].Weight
	}
	if equal || len(hosts) < 2 {
		return rr
	}
	weights := make([]int64, len(hosts))
	for i, h := range hosts {
		w := uint64(h.Weight)
		if total > maxSchedule {
			w = max(1, w*maxSchedule/total)
		}
		weights[i] = int64(w)
	}
	var sum int64
	for _, w := range weights {
		sum += w
	}
	current := make([]int64, len(hosts))
	rr.schedule = make([]int32, 0, sum)
	for range sum {
		best := 0
		for i := range current {
			current[i] += weights[i]
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= sum
		rr.schedule = append(rr.schedule, int32(best))
	}
	return rr
}

func (r *roundRobin) pick(*Target) *Host {
	n := r.next.Add(1) - 1
	if r.schedule != nil {
		return r.hosts[r.schedule[n%uint64(len(r.schedule))]]
	}
	return r.hosts[n%uint64(len(r.hosts))]
}

// randomPicker picks in proportion to the weights.
type randomPicker struct {
	hosts      []*Host
	cumulative []uint64 // nil: equal weights
}

func newRandomPicker(hosts []*Host) *randomPicker {
	p := &randomPicker{hosts: hosts}
	for _, h := range hosts {
		if h.Weight != hosts[0].Weight {
			var sum uint64
			p.cumulative = make([]uint64, len(hosts))
			for i, h := range hosts {
				sum += uint64(h.Weight)
				p.cumulative[i] = sum
			}
			break
		}
	}
	return p
}

func (p *randomPicker) pick(*Target) *Host {
	if p.cumulative == nil {
		return p.hosts[rand.IntN(len(p.hosts))]
	}
	x := rand.Uint64N(p.cumulative[len(p.cumulative)-1])
	i, _ := slices.BinarySearch(p.cumulative, x+1)
	return p.hosts[i]
}

// leastRequest is Envoy's power of two choices: the less loaded of two random hosts.
type leastRequest struct{ hosts []*Host }

func (p *leastRequest) pick(*Target) *Host {
	n := len(p.hosts)
	if n == 1 {
		return p.hosts[0]
	}
	a := p.hosts[rand.IntN(n)]
	b := p.hosts[rand.IntN(n)]
	if b.active.Load() < a.active.Load() {
		return b
	}
	return a
}

// Split picks among weighted items, as routes and TCP proxies split traffic among clusters. Picks
// follow a golden-ratio sequence from a random start rather than independent random draws, so every
// run of consecutive picks matches the weights closely: any 100 picks of a 30/70 split give 28 to 32
// to the first, where independent draws give fewer than 22 or more than 38 about one time in 14
// (Envoy draws at random; Istio's users read a canary split off a few requests).
type Split struct{ n atomic.Uint32 }

// NewSplit returns a Split starting at a random point, so that proxies do not pick in step.
func NewSplit() *Split {
	s := &Split{}
	s.n.Store(rand.Uint32())
	return s
}

// point returns the next point in [0, total).
func (s *Split) point(total uint32) uint32 {
	u := s.n.Add(1) * 0x9E3779B9 // 2^32/φ: frac(n/φ), the most evenly spread additive sequence
	return uint32(uint64(u) * uint64(total) >> 32)
}

// PickWeighted picks one of items in proportion to its weight (total: the weights' sum).
func PickWeighted[T any](s *Split, items []T, total uint32, weight func(*T) uint32) *T {
	if len(items) == 1 || total == 0 {
		return &items[0]
	}
	x := s.point(total)
	for i := range items {
		if w := weight(&items[i]); x < w {
			return &items[i]
		} else {
			x -= w
		}
	}
	return &items[len(items)-1]
}
