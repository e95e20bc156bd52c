// Package reviews is bookinfo's reviews service, GET /reviews/<id>, in the three versions the tutorials
// route between: v1 shows no stars and never calls ratings, v2 black stars, v3 red stars.
package reviews

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/meshctl/meshctl/sampleapps"
	"github.com/meshctl/meshctl/sampleapps/bookinfo"
	"github.com/meshctl/meshctl/sampleapps/internal/serve"
)

// RatingsUnavailable is what a review carries instead of stars when ratings did not answer; productpage
// shows it, and the fault-injection tutorials look for it.
const RatingsUnavailable = "Ratings service is currently unavailable"

// Options configure one version of the service.
type Options struct {
	EnableRatings bool   // ENABLE_RATINGS: v2 and v3 call ratings
	StarColor     string // STAR_COLOR: black (v2) or red (v3)
	RatingsURL    string // base URL of ratings: http://ratings:9080
	PodName       string // HOSTNAME: productpage shows which pod answered
	ClusterName   string // CLUSTER_NAME
	Client        *http.Client
	Log           *slog.Logger
}

// RatingsTimeout is how long a version waits for ratings, as upstream: black stars (v2) 10 s, any other
// colour (v3) 2.5 s. With productpage's 3 s timeout, the 7 s delay tutorial shows v2 failing as a whole
// and v3 showing the reviews without stars.
func (o Options) RatingsTimeout() time.Duration {
	if o.StarColor == "black" {
		return 10 * time.Second
	}
	return 2500 * time.Millisecond
}

// Response is the answer of GET /reviews/<id>.
type Response struct {
	ID          string   `json:"id"`
	PodName     string   `json:"podname"`
	ClusterName string   `json:"clustername"`
	Reviews     []Review `json:"reviews"`
}

// Review is one reader's review; Rating is there only in the versions that call ratings.
type Review struct {
	Reviewer string  `json:"reviewer"`
	Text     string  `json:"text"`
	Rating   *Rating `json:"rating,omitempty"`
}

// Rating is a review's stars, or why there are none.
type Rating struct {
	Stars *int   `json:"stars,omitempty"`
	Color string `json:"color,omitempty"`
	Error string `json:"error,omitempty"`
}

// texts are the two reviews upstream's service has, by reviewer.
var texts = []struct{ reviewer, text string }{
	{"Reviewer1", "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!"},
	{"Reviewer2", "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare."},
}

type service struct{ Options }

// NewHandler serves /health and /reviews/<id>.
func NewHandler(o Options) http.Handler {
	if o.StarColor == "" {
		o.StarColor = "black"
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := service{o}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		bookinfo.WriteJSON(w, http.StatusOK, map[string]string{"status": "Reviews is healthy"})
	})
	mux.HandleFunc("GET /reviews/{id}", s.reviews)
	return mux
}

func (s service) reviews(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		http.NotFound(w, r) // upstream's JAX-RS route takes an int and knows no other path
		return
	}
	var stars map[string]int
	if s.EnableRatings {
		stars = s.ratings(r, id)
	}
	resp := Response{ID: strconv.Itoa(id), PodName: s.PodName, ClusterName: s.ClusterName}
	for _, t := range texts {
		rev := Review{Reviewer: t.reviewer, Text: t.text}
		if s.EnableRatings {
			if n, ok := stars[t.reviewer]; ok {
				rev.Rating = &Rating{Stars: &n, Color: s.StarColor}
			} else {
				rev.Rating = &Rating{Error: RatingsUnavailable}
			}
		}
		resp.Reviews = append(resp.Reviews, rev)
	}
	bookinfo.WriteJSON(w, http.StatusOK, resp)
}

// ratings asks the ratings service for the stars of product id, by reviewer; nil when it fails.
func (s service) ratings(in *http.Request, id int) map[string]int {
	ctx, cancel := context.WithTimeout(in.Context(), s.RatingsTimeout())
	defer cancel()
	url := s.RatingsURL + "/ratings/" + strconv.Itoa(id)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		s.Log.Error("ratings request", "url", url, "err", err)
		return nil
	}
	bookinfo.Forward(req.Header, in.Header)
	req.Header.Set("Accept", "application/json")
	resp, err := s.Client.Do(req)
	if err != nil {
		s.Log.Warn("unable to contact ratings", "url", url, "err", err)
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.Log.Warn("unable to contact ratings", "url", url, "status", resp.StatusCode)
		return nil
	}
	var body struct {
		Ratings map[string]json.RawMessage `json:"ratings"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		s.Log.Warn("ratings answer", "url", url, "err", err)
		return nil
	}
	stars := map[string]int{}
	for reviewer, raw := range body.Ratings {
		var n int
		if json.Unmarshal(raw, &n) == nil {
			stars[reviewer] = n
		}
	}
	return stars
}

// FromEnv reads the options upstream's image reads from its environment. As in upstream's Java,
// ENABLE_RATINGS is on only when it says true.
func FromEnv(p sampleapps.Process) Options {
	return Options{
		EnableRatings: strings.EqualFold(p.Env("ENABLE_RATINGS", ""), "true"),
		StarColor:     p.Env("STAR_COLOR", "black"),
		RatingsURL:    bookinfo.ServiceURL(p, "RATINGS", "ratings"),
		PodName:       p.Hostname(),
		ClusterName:   p.Env("CLUSTER_NAME", ""),
	}
}

// Main runs the reviews service: `reviews [-port 9080]`, its version from the environment
// (SERVICE_VERSION, ENABLE_RATINGS, STAR_COLOR).
func Main(ctx context.Context, p sampleapps.Process) error {
	return serve.App{
		Name: "reviews", Port: bookinfo.Port,
		Handler: func(p sampleapps.Process, log *slog.Logger) (http.Handler, error) {
			o := FromEnv(p)
			o.Log = log
			log.Info("reviews", "version", p.Env("SERVICE_VERSION", ""), "ratings", o.EnableRatings, "color", o.StarColor)
			return NewHandler(o), nil
		},
	}.Main(ctx, p)
}
