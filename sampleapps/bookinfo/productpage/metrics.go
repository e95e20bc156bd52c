package productpage

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
)

// results counts the answers of the backends by app and status, exposed on /metrics as upstream's
// request_result_total counter (the samples' Deployment asks Prometheus to scrape it).
type results struct {
	mu     sync.Mutex
	counts map[resultKey]uint64
}

type resultKey struct {
	app  string
	code int
}

func (r *results) inc(app string, code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[resultKey]uint64{}
	}
	r.counts[resultKey{app, code}]++
}

// write prints the counter in Prometheus' text exposition format, lines sorted.
func (r *results) write(w io.Writer) error {
	r.mu.Lock()
	lines := make([]string, 0, len(r.counts))
	for k, n := range r.counts {
		lines = append(lines, fmt.Sprintf("request_result_total{destination_app=%s,response_code=\"%d\"} %d\n",
			strconv.Quote(k.app), k.code, n))
	}
	r.mu.Unlock()
	slices.Sort(lines)
	if _, err := io.WriteString(w, "# HELP request_result_total Results of requests\n# TYPE request_result_total counter\n"); err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := io.WriteString(w, l); err != nil {
			return err
		}
	}
	return nil
}
