package productpage

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/meshctl/meshctl/sampleapps/bookinfo"
)

// The error texts upstream's productpage answers with when a backend fails; the page shows them under
// "Error fetching product details!" / "Error fetching product reviews!".
const (
	DetailsUnavailable = "Sorry, product details are currently unavailable for this book."
	ReviewsUnavailable = "Sorry, product reviews are currently unavailable for this book."
	RatingsUnavailable = "Sorry, product ratings are currently unavailable for this book."
)

// BackendTimeout is how long productpage waits for one answer of details, reviews or ratings, and
// ReviewsTries how often it asks reviews. Upstream keeps both on purpose for the fault-injection task:
// a 7 s delay behind reviews fails the page after two 3 s tries.
const (
	BackendTimeout = 3 * time.Second
	ReviewsTries   = 2
)

// answer is what a backend said: its status (500 when it did not answer) and body. A failed answer's
// body is the {"error": ...} productpage shows instead.
type answer struct {
	status int
	body   json.RawMessage
}

func (a answer) ok() bool { return a.status == http.StatusOK }

// backend is one service productpage asks, under its name (also the path: /details/<id>): how often,
// and what the page says when it fails.
type backend struct {
	app, base   string
	tries       int
	unavailable string
}

// call GETs base/app/id once, with the forwarded headers h.
func (s *service) call(ctx context.Context, b backend, id string, h http.Header) answer {
	app := b.app
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	u := b.base + "/" + app + "/" + url.PathEscape(id)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		s.log.Error("backend request", "url", u, "err", err)
		return answer{status: http.StatusInternalServerError}
	}
	req.Header = h.Clone()
	resp, err := s.client.Do(req)
	if err != nil {
		s.log.Warn("backend failed", "app", app, "url", u, "err", err)
		return answer{status: http.StatusInternalServerError}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case err != nil:
		s.log.Warn("backend answer", "app", app, "url", u, "err", err)
		return answer{status: http.StatusInternalServerError}
	case resp.StatusCode == http.StatusOK && !json.Valid(body):
		s.log.Warn("backend answer is not JSON", "app", app, "url", u)
		return answer{status: http.StatusInternalServerError}
	}
	if resp.StatusCode != http.StatusOK {
		s.log.Warn("backend failed", "app", app, "url", u, "status", resp.StatusCode)
	}
	return answer{status: resp.StatusCode, body: body}
}

// failed replaces a failed answer's body with the error productpage shows.
func failed(a answer, msg string) answer {
	data, _ := json.Marshal(bookinfo.ErrorBody{Error: msg})
	return answer{status: a.status, body: data}
}

// fetch asks b for product id, b.tries times at most, and counts the outcome.
func (s *service) fetch(ctx context.Context, b backend, id string, h http.Header) answer {
	var a answer
	for range b.tries {
		if a = s.call(ctx, b, id, h); a.ok() {
			break
		}
	}
	s.results.inc(b.app, a.status)
	if !a.ok() {
		return failed(a, b.unavailable)
	}
	return a
}

func (s *service) details(ctx context.Context, id string, h http.Header) answer {
	return s.fetch(ctx, backend{"details", s.DetailsURL, 1, DetailsUnavailable}, id, h)
}

func (s *service) reviews(ctx context.Context, id string, h http.Header) answer {
	return s.fetch(ctx, backend{"reviews", s.ReviewsURL, ReviewsTries, ReviewsUnavailable}, id, h)
}

func (s *service) ratings(ctx context.Context, id string, h http.Header) answer {
	return s.fetch(ctx, backend{"ratings", s.RatingsURL, 1, RatingsUnavailable}, id, h)
}

// flood sends FloodFactor extra requests to reviews at once and waits for them, as upstream does to
// show rate limiting; their answers are dropped.
func (s *service) flood(ctx context.Context, id string, h http.Header) {
	var wg sync.WaitGroup
	for range s.FloodFactor {
		wg.Go(func() { s.reviews(ctx, id, h) })
	}
	wg.Wait()
}
