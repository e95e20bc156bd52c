package cluster

import (
	"math"
	"testing"
)

// TestSplitFollowsWeights: every run of 100 consecutive picks, from any start (the counter's
// wrap included), gives each item its weight's share within 2 picks. Independent random draws
// fail this for most starts.
func TestSplitFollowsWeights(t *testing.T) {
	cases := [][]uint32{{30, 70}, {50, 50}, {1, 99}, {10, 20, 70}, {33, 33, 34}, {90, 10}, {0, 100}, {3, 3, 3, 3, 88}}
	for _, weights := range cases {
		var total uint32
		for _, w := range weights {
			total += w
		}
		idx := make([]int, len(weights))
		for i := range idx {
			idx[i] = i
		}
		for k := range uint32(100) {
			start := math.MaxUint32 - 50_000 + k*977 // crosses the wrap
			s := &Split{}
			s.n.Store(start)
			got := make([]int, len(weights))
			for range 100 {
				got[*PickWeighted(s, idx, total, func(i *int) uint32 { return weights[*i] })]++
			}
			for i, w := range weights {
				want := float64(w) * 100 / float64(total)
				if math.Abs(float64(got[i])-want) > 2 {
					t.Fatalf("weights %v from %d: item %d got %d of 100, want %.0f±2", weights, start, i, got[i], want)
				}
			}
		}
	}
}
