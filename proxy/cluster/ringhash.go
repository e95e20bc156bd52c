package cluster

import (
	"math/rand/v2"
	"slices"
	"strconv"
)

// ring is consistent hashing: each host owns points on a ring in proportion to its weight, and a
// request goes to the owner of the first point at or after its hash. Adding or removing a host moves
// only the keys next to its points.
type ring struct {
	points []ringPoint
}

type ringPoint struct {
	hash uint64
	host *Host
}

const defaultRingSize = 1024

func newRing(hosts []*Host, minSize int) *ring {
	if minSize <= 0 {
		minSize = defaultRingSize
	}
	var total uint64
	for _, h := range hosts {
		total += uint64(h.Weight)
	}
	r := &ring{}
	for _, h := range hosts {
		n := max(1, int((uint64(minSize)*uint64(h.Weight)+total-1)/total))
		for i := range n {
			r.points = append(r.points, ringPoint{HashString(h.Addr + "_" + strconv.Itoa(i)), h})
		}
	}
	slices.SortFunc(r.points, func(a, b ringPoint) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return 0
	})
	return r
}

func (r *ring) pick(t *Target) *Host {
	if t == nil || !t.HasHash {
		return r.points[rand.IntN(len(r.points))].host
	}
	i, _ := slices.BinarySearchFunc(r.points, t.Hash, func(p ringPoint, h uint64) int {
		switch {
		case p.hash < h:
			return -1
		case p.hash > h:
			return 1
		}
		return 0
	})
	if i == len(r.points) {
		i = 0
	}
	return r.points[i].host
}

// HashString hashes s to 64 bits: FNV-1a, then murmur3's finalizer so that keys differing in a digit
// land far apart on the ring. Deterministic across processes, so every proxy maps a key to the same
// endpoint, and cheap enough to run per request without allocating.
func HashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
