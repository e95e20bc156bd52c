package route

import (
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/ir"
)

// TestBackoffDelay: the wait before a retry stays under base×2^(retry-1), capped by the maximum.
func TestBackoffDelay(t *testing.T) {
	cases := []struct {
		p     *ir.RetryPolicy
		retry int
		max   time.Duration
	}{
		{nil, 1, 25 * time.Millisecond},
		{nil, 5, 250 * time.Millisecond},
		{&ir.RetryPolicy{BackoffBase: 100 * time.Millisecond}, 2, 200 * time.Millisecond},
		{&ir.RetryPolicy{BackoffBase: 100 * time.Millisecond}, 10, time.Second},
		{&ir.RetryPolicy{BackoffBase: 100 * time.Millisecond, BackoffMax: 150 * time.Millisecond}, 3, 150 * time.Millisecond},
		{&ir.RetryPolicy{BackoffBase: time.Second}, 60, 10 * time.Second},
	}
	for _, c := range cases {
		longest := time.Duration(0)
		for i := 0; i < 2000; i++ {
			longest = max(longest, backoffDelay(c.p, c.retry))
		}
		// +1 ms: the delay is never zero. Over 2000 draws the longest comes within 10% of the cap.
		if longest > c.max+time.Millisecond || longest < c.max*9/10 {
			t.Errorf("%+v retry %d: longest wait %s, want just under %s", c.p, c.retry, longest, c.max)
		}
	}
}
