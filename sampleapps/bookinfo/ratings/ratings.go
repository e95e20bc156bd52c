// Package ratings is bookinfo's ratings service: GET /ratings/<id> gives each reviewer's stars, which
// reviews v2 and v3 show. It holds the ratings in memory, as upstream's v1 does; POST /ratings/<id>
// replaces them.
package ratings

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/meshctl/meshctl/sampleapps"
	"github.com/meshctl/meshctl/sampleapps/bookinfo"
	"github.com/meshctl/meshctl/sampleapps/internal/serve"
)

// The SERVICE_VERSION values upstream's ratings knows besides v1, for the observability demos: faulty
// answers 503 to half the requests, delayed waits 7 s before half of them, unavailable answers 503 every
// other minute, unhealthy also fails its health check, every other 15 minutes.
const (
	Faulty      = "v-faulty"
	Delayed     = "v-delayed"
	Unavailable = "v-unavailable"
	Unhealthy   = "v-unhealthy"
)

// Delay is how long v-delayed keeps a request waiting.
const Delay = 7 * time.Second

// Options configure the service. The zero value is v1 on the real clock.
type Options struct {
	Version string // SERVICE_VERSION
	Rand    func() float64
	Now     func() time.Time
	Wait    func(ctx context.Context, d time.Duration) error
}

// Ratings is the answer of GET /ratings/<id>.
type Ratings struct {
	ID      int             `json:"id"`
	Ratings json.RawMessage `json:"ratings"`
}

var defaultRatings = json.RawMessage(`{"Reviewer1":5,"Reviewer2":4}`)

type service struct {
	Options
	start time.Time
	mu    sync.Mutex
	added map[int]json.RawMessage // POSTed ratings by product id
}

// NewHandler serves /health and /ratings/<id>. It fails for versions it does not implement.
func NewHandler(o Options) (http.Handler, error) {
	switch o.Version {
	case "", "v1", Faulty, Delayed, Unavailable, Unhealthy:
	default:
		// v2 reads MongoDB or MySQL, which the samples here do not run.
		return nil, fmt.Errorf("ratings: SERVICE_VERSION %q is not supported (want v1, %s, %s, %s or %s)",
			o.Version, Faulty, Delayed, Unavailable, Unhealthy)
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Wait == nil {
		o.Wait = wait
	}
	s := &service{Options: o, start: o.Now(), added: map[int]json.RawMessage{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("GET /ratings/{id}", s.get)
	mux.HandleFunc("POST /ratings/{id}", s.post)
	return mux, nil
}

func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// down reports whether the service is in the failing half of its period: v-unavailable flips every
// minute, v-unhealthy every 15 minutes (long enough for Kubernetes' restart back-off to reset).
func (s *service) down() bool {
	var period time.Duration
	switch s.Version {
	case Unavailable:
		period = time.Minute
	case Unhealthy:
		period = 15 * time.Minute
	default:
		return false
	}
	return (s.Now().Sub(s.start)/period)%2 == 1
}

func (s *service) health(w http.ResponseWriter, r *http.Request) {
	if s.Version == Unhealthy && s.down() {
		bookinfo.WriteJSON(w, http.StatusInternalServerError, map[string]string{"status": "Ratings is not healthy"})
		return
	}
	bookinfo.WriteJSON(w, http.StatusOK, map[string]string{"status": "Ratings is healthy"})
}

func productID(w http.ResponseWriter, r *http.Request) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		bookinfo.WriteJSON(w, http.StatusBadRequest, bookinfo.ErrorBody{Error: "please provide numeric product ID"})
		return 0, false
	}
	return id, true
}

func (s *service) get(w http.ResponseWriter, r *http.Request) {
	id, ok := productID(w, r)
	if !ok {
		return
	}
	switch {
	case s.Version == Faulty && s.Rand() <= 0.5, s.down():
		bookinfo.WriteJSON(w, http.StatusServiceUnavailable, bookinfo.ErrorBody{Error: "Service unavailable"})
		return
	case s.Version == Delayed && s.Rand() <= 0.5:
		if err := s.Wait(r.Context(), Delay); err != nil {
			return // the client left
		}
	}
	bookinfo.WriteJSON(w, http.StatusOK, s.ratings(id))
}

func (s *service) post(w http.ResponseWriter, r *http.Request) {
	id, ok := productID(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || !json.Valid(body) {
		bookinfo.WriteJSON(w, http.StatusBadRequest, bookinfo.ErrorBody{Error: "please provide valid ratings JSON"})
		return
	}
	s.mu.Lock()
	s.added[id] = body
	s.mu.Unlock()
	bookinfo.WriteJSON(w, http.StatusOK, s.ratings(id))
}

func (s *service) ratings(id int) Ratings {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.added[id]; ok {
		return Ratings{ID: id, Ratings: r}
	}
	return Ratings{ID: id, Ratings: defaultRatings}
}

// Main runs the ratings service: `ratings [-port 9080]`, SERVICE_VERSION from the environment.
func Main(ctx context.Context, p sampleapps.Process) error {
	return serve.App{
		Name: "ratings", Port: bookinfo.Port,
		Handler: func(p sampleapps.Process, _ *slog.Logger) (http.Handler, error) {
			return NewHandler(Options{Version: p.Env("SERVICE_VERSION", "v1")})
		},
	}.Main(ctx, p)
}
